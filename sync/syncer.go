package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/subset"
)

// Backoff bounds after a failed sync: the first retry waits backoffMin, each later
// one twice as long, never more than backoffMax, each with up to 20% jitter.
const (
	backoffMin    = 500 * time.Millisecond
	backoffMax    = 30 * time.Second
	backoffJitter = 0.2
)

// Options configure a Syncer. Zero fields take DefaultOptions' values.
type Options struct {
	// Interval is the time between two syncs while the database answers.
	Interval time.Duration
	// FetchTimeout bounds one whole fetch (all queries).
	FetchTimeout time.Duration
	// Logger receives the Syncer's logs; nil discards them.
	Logger *slog.Logger
	// After returns a channel that delivers once d has passed; tests replace it
	// to drive the loop without sleeping. Nil means time.After.
	After func(d time.Duration) <-chan time.Time
	// Now is the clock that stamps each fetch (the cache's LastSync). It is never
	// compared with the database's timestamps. Nil means time.Now.
	Now func() time.Time
	// FullInterval is the longest time between two full fetches: the safety net
	// under incremental fetches, which rely on registry_timestamp.
	FullInterval time.Duration
	// Overlap is how far before the start of the last applied fetch (by MySQL's
	// clock) the next incremental fetch looks for written rows: it must cover the
	// one-second resolution of timestamp columns and the longest write
	// transaction on the registry tables.
	Overlap time.Duration
	// ProtectThreshold is the share, in percent, of the servants or of the active
	// endpoints one fetch may take away; a fetch that takes more, or every servant,
	// is held (see Held and AcceptHeld). Zero means DefaultProtectThreshold; a
	// negative value keeps only the every-servant rule.
	ProtectThreshold float64
	// Registerer receives the Syncer's metrics (tarscache_sync_*); nil leaves
	// them unregistered. Register at most one Syncer with one registry.
	Registerer prometheus.Registerer
	// MaxReplyBytes is the largest QueryF reply clients accept: a servant whose
	// findObjectById4Any answer would be larger is logged and counted after the
	// sync that makes it so. Zero means DefaultMaxReplyBytes.
	MaxReplyBytes int
	// InitialSource names where the data served comes from until the first sync
	// (the cache file, or the peer it was fetched from); "" means DefaultInitialSource.
	InitialSource string
	// InitialSince is when InitialSource became the source; zero means Now() at New.
	InitialSince time.Time
}

// DefaultMaxReplyBytes is TarsGo's client limit on a packet (10 MiB), the
// default of tars.Options.MaxReplyBytes.
const DefaultMaxReplyBytes = snapshot.MaxReplyBytes

// DefaultInitialSource is Options.InitialSource when none is given.
const DefaultInitialSource = "cache file"

// DefaultOptions returns the options a Syncer uses for zero fields.
func DefaultOptions() Options {
	return Options{Interval: 2 * time.Second, FetchTimeout: 30 * time.Second, FullInterval: 5 * time.Minute, Overlap: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler), After: time.After, Now: time.Now, ProtectThreshold: DefaultProtectThreshold}
}

// Result says what one successful sync did.
type Result struct {
	Report Report
	Apply  cache.ApplyStats
	// GroupWarnings are BuildGroups' warnings about the IDC group tables.
	GroupWarnings []string
	// RejectedRules are BuildRules' rejections of t_subset_rule rows.
	RejectedRules []error
	// Held is set when the fetch was held rather than applied (Apply is then zero).
	Held *Held
	// Full says why the fetch read every table (one of the Full* reasons); it is
	// "" for an incremental fetch.
	Full string
	// ChangedServers is the number of servers an incremental fetch re-read.
	ChangedServers int
}

// Syncer keeps a cache equal to the registry database. See the package
// documentation for its loop and its concurrency contract.
type Syncer struct {
	sources  *sources
	cache    *cache.Cache
	opts     Options
	protect  protection
	metrics  *metrics
	compiler *subset.Compiler // validates subset rules, each version once
	history  history          // the latest syncs, for Recent

	// The fields below are owned by the goroutine running Run or SyncOnce.
	failures    int                  // consecutive failed syncs
	failedStage string               // stage of the first of them: stageRead or stageWrite
	rejected    map[Row]pair         // rejected rows, already logged, with the server they belong to
	warned      map[string]struct{}  // group warnings of the last fetch, already logged
	badRules    map[RuleRow]struct{} // subset rule rows rejected by the last fetch, already logged
	marks       *marks               // left by the last applied fetch; nil before the first
	heldLast    bool                 // the last fetch was held: the next one reads everything
	switching   bool                 // this fetch reads another source than the one in use
	applying    *cache.Source        // the source of the fetch being applied, stored with it
	turn        int                  // which of bigTables the next idle fetch counts
	// loggedHeld is the impact of the held fetch last logged, nil when none is held.
	loggedHeld *Impact
	// oversized are the servants whose answer is larger than MaxReplyBytes, with
	// its size, as logged.
	oversized map[string]int
	// appliedOnce is set by the first fetch Run applied, logged even when it
	// changed nothing, as the proof that the first sync worked.
	appliedOnce bool
}

// New returns a Syncer that reads db and applies to c. It starts nothing. db must
// allow several statements in one query (go-sql-driver's multiStatements), as
// OpenDB's pool does: the small tables are read in one round trip.
func New(db *sql.DB, c *cache.Cache, opts Options) *Syncer {
	return NewFromSources([]Source{{Name: "database", DB: db}}, c, opts)
}

// NewFromSources returns a Syncer that reads the first of srcs that answers,
// preferring them in order (see the package documentation), and applies to c.
// srcs must not be empty, and each DB must allow several statements in one query,
// as OpenDB's pool does. It starts nothing.
func NewFromSources(srcs []Source, c *cache.Cache, opts Options) *Syncer {
	opts = withDefaults(opts)
	return &Syncer{sources: newSources(srcs, opts), cache: c, opts: opts, protect: protection{threshold: opts.ProtectThreshold},
		metrics: newMetrics(opts.Registerer), compiler: subset.NewCompiler(0),
		rejected: map[Row]pair{}, warned: map[string]struct{}{}, badRules: map[RuleRow]struct{}{}, oversized: map[string]int{}}
}

// withDefaults fills the zero fields of opts from DefaultOptions.
func withDefaults(opts Options) Options {
	def := DefaultOptions()
	if opts.Interval <= 0 {
		opts.Interval = def.Interval
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = def.FetchTimeout
	}
	if opts.FullInterval <= 0 {
		opts.FullInterval = def.FullInterval
	}
	if opts.Overlap <= 0 {
		opts.Overlap = def.Overlap
	}
	if opts.MaxReplyBytes <= 0 {
		opts.MaxReplyBytes = DefaultMaxReplyBytes
	}
	if opts.Logger == nil {
		opts.Logger = def.Logger
	}
	if opts.After == nil {
		opts.After = def.After
	}
	if opts.Now == nil {
		opts.Now = def.Now
	}
	if opts.ProtectThreshold == 0 {
		opts.ProtectThreshold = def.ProtectThreshold
	}
	if opts.InitialSource == "" {
		opts.InitialSource = DefaultInitialSource
	}
	if opts.InitialSince.IsZero() {
		opts.InitialSince = opts.Now()
	}
	return opts
}

// SyncOnce fetches the registry, builds the records and applies them to the cache,
// unless they would take away too much at once: then it holds them (Result.Held)
// and the cache is unchanged. On error the cache is unchanged. The first fetch
// of a Syncer reads every table; later ones read only what changed, unless
// Result.Full says why not.
func (s *Syncer) SyncOnce(ctx context.Context) (Result, error) {
	start := s.opts.Now()
	res, err := s.syncOnce(ctx, start)
	d := s.opts.Now().Sub(start)
	s.metrics.observe(&res, err, d)
	s.record(start, d, &res, err)
	return res, err
}

// syncOnce is SyncOnce, with start the time that stamps the fetch.
func (s *Syncer) syncOnce(ctx context.Context, start time.Time) (Result, error) {
	return s.syncFromSources(ctx, start)
}

// apply builds what f read and applies it, or holds it.
func (s *Syncer) apply(f *fetched, start time.Time) (Result, error) {
	servants, rep := f.build()
	groups, warns := BuildGroups(f.groups.GroupRules, f.groups.Priorities)
	rules, badRules := BuildRules(f.groups.Rules, s.compiler)
	s.logRejections(rep.Rejected, f.rereadPairs())
	s.logGroupWarnings(warns)
	s.logRuleRejections(badRules)
	st := f.state(servants, groups, start)
	st.Source = s.applying
	cur := s.cache.Snapshot()
	st.Rules = keepInForce(cur, rules)
	res := Result{Report: rep, GroupWarnings: warns, RejectedRules: badRules, Full: f.full, ChangedServers: len(f.changed)}
	res.Held = s.protect.check(impactOf(cur, &st), start)
	if s.heldLast = res.Held != nil; s.heldLast {
		return res, nil
	}
	var err error
	if res.Apply, err = s.cache.Apply(st); err != nil {
		return Result{}, fmt.Errorf("sync: %w", err)
	}
	s.checkReplySizes(&st)
	s.advance(f, start)
	return res, nil
}

// Run syncs at once and then every Interval until ctx is cancelled, backing off
// after failures. It returns ctx's error when it stops.
func (s *Syncer) Run(ctx context.Context) error {
	for {
		wait := s.tick(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.opts.After(wait):
		}
	}
}

// tick runs one sync, logs what matters and returns the time to wait for the next.
func (s *Syncer) tick(ctx context.Context) time.Duration {
	before := s.cache.LastSync()
	res, err := s.SyncOnce(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return 0
		}
		return s.failed(err)
	}
	s.recovered(s.cache.LastSync().Sub(before))
	s.logHeld(res.Held)
	first := !s.appliedOnce && res.Held == nil
	if res.Apply.Changed() || first {
		s.appliedOnce = true
		s.opts.Logger.Info("sync applied", "first", first, "written", res.Apply.Written, "deleted", res.Apply.Deleted,
			"unchanged", res.Apply.Unchanged, "groups_changed", res.Apply.GroupsChanged, "rows", res.Report.Rows,
			"full", res.Full, "changed_servers", res.ChangedServers, "took", res.Apply.Duration)
	}
	return s.opts.Interval
}

// failed records a failure, logs the first one of a run of failures, and returns
// the backoff before the next attempt.
func (s *Syncer) failed(err error) time.Duration {
	s.failures++
	s.metrics.failures.Set(float64(s.failures))
	if s.failures == 1 {
		s.failedStage = failureStage(err)
		msg := "database unreachable: serving the cached records, retrying with backoff"
		switch {
		case s.failedStage == stageWrite:
			msg = "cache file cannot be written (disk full? read-only?): serving the records in memory, retrying with backoff"
		case errors.Is(err, ErrBehind):
			msg = "no database answers with data as new as the data served: serving the cached records, retrying with backoff"
		}
		s.opts.Logger.Error(msg, "servants", s.cache.Snapshot().Len(), "last_sync", s.cache.LastSync(), "err", err)
	}
	if len(s.sources.list) > 1 {
		return min(backoff(s.failures), sourceRetryMax) // each source is retried within a few seconds
	}
	return backoff(s.failures)
}

func (s *Syncer) recovered(stale time.Duration) {
	if s.failures > 0 {
		msg := "database reachable again"
		if s.failedStage == stageWrite {
			msg = "cache file written again"
		}
		s.opts.Logger.Info(msg, "failed_attempts", s.failures, "was_stale_for", stale.Round(time.Millisecond))
	}
	s.failures = 0
	s.metrics.failures.Set(0)
}

// backoff is the wait after the n-th consecutive failure (n >= 1).
func backoff(n int) time.Duration {
	d := backoffMin << min(n-1, 16)
	d = min(d, backoffMax)
	return d - time.Duration(rand.Float64()*backoffJitter*float64(d))
}

// logRejections logs each rejected row once for as long as it stays rejected.
// reread names the servers whose rows the fetch read whole (nil: all of them):
// their earlier rejections are forgotten unless they recur.
func (s *Syncer) logRejections(rej []Rejection, reread map[pair]bool) {
	now := make(map[Row]pair, len(s.rejected)+len(rej))
	for row, p := range s.rejected {
		if reread != nil && !reread[p] {
			now[row] = p
		}
	}
	for _, r := range rej {
		if _, seen := s.rejected[r.Row]; !seen {
			s.opts.Logger.Warn("row dropped", "table", r.Row.Table, "application", r.Row.Application,
				"server", r.Row.Server, "node", r.Row.Node, "adapter", r.Row.Adapter, "err", r.Err)
		}
		now[r.Row] = rowPair(&r.Row)
	}
	s.rejected = now
	s.metrics.rejected.Set(float64(len(now)))
}

// logHeld logs a held fetch when it is first held and whenever its numbers change.
func (s *Syncer) logHeld(h *Held) {
	if h == nil {
		s.loggedHeld = nil
		return
	}
	if s.loggedHeld != nil && *s.loggedHeld == h.Impact {
		return
	}
	imp := h.Impact
	s.loggedHeld = &imp
	s.opts.Logger.Error("sync held: serving the previous data until the change is accepted", "reason", h.Reason,
		"servants", imp.Servants, "servants_removed", imp.Removed,
		"active_before", imp.ActiveBefore, "active_after", imp.ActiveAfter, "held_since", h.Since)
}

// logRuleRejections logs each rejected subset rule once for as long as it stays
// rejected; the cache keeps serving the rule in force before it.
func (s *Syncer) logRuleRejections(errs []error) {
	now := make(map[RuleRow]struct{}, len(errs))
	for _, err := range errs {
		var re *RuleError
		if !errors.As(err, &re) {
			continue
		}
		now[re.Row] = struct{}{}
		if _, seen := s.badRules[re.Row]; !seen {
			s.opts.Logger.Warn("subset rule rejected: the rule in force before it stays", "err", err)
		}
	}
	s.badRules = now
	s.metrics.rejectedRules.Set(float64(len(now)))
}

// logGroupWarnings logs each group warning once for as long as it holds.
func (s *Syncer) logGroupWarnings(warns []string) {
	now := make(map[string]struct{}, len(warns))
	for _, w := range warns {
		now[w] = struct{}{}
		if _, seen := s.warned[w]; !seen {
			s.opts.Logger.Warn("IDC group rule will not match as written", "detail", w)
		}
	}
	s.warned = now
}
