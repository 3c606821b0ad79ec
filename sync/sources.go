package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/tarscache/tarscache/cache"
)

// A source that failed, or was behind, is asked again after sourceRetryMin, then
// twice as long each time, never more than sourceRetryMax: the preferred source
// is taken back within a few seconds of answering again.
const (
	sourceRetryMin = 500 * time.Millisecond
	sourceRetryMax = 4 * time.Second
)

// States of a source, as SourceStatus.State reports them.
const (
	// StateInUse is the source the data served came from.
	StateInUse = "in_use"
	// StateStandby answered its last read but is not in use (only the one in use
	// is read every tick; a standby is read again when it is needed).
	StateStandby = "standby"
	// StateUnreachable failed its last read.
	StateUnreachable = "unreachable"
	// StateBehind answered with a replication position behind the data served:
	// its state was not applied.
	StateBehind = "behind"
	// StateUntried was never read.
	StateUntried = "untried"
)

// ErrBehind is returned (wrapped, saying which transactions the source lacks)
// when every source that answered is behind the data already served.
var ErrBehind = errors.New("the source is behind the data served")

// Source is one database a Syncer may read: the preferred first.
type Source struct {
	// Name identifies it in logs, metrics and the admin API; it must not hold a
	// password (RedactDSN), and names must differ.
	Name string
	DB   *sql.DB
}

// SourceStatus is what a Syncer knows of one source.
type SourceStatus struct {
	Name string
	// State is one of the State* values.
	State string
	// Since is when the source entered State (by Options.Now); zero when untried.
	Since time.Time
	// Position is its GTID position at its last read, "" when unknown.
	Position string
	// Err is why its last read failed or was not applied, "" otherwise.
	Err string
}

// SourcesReport says where the data served comes from.
type SourcesReport struct {
	// Current names the source of the data served: one of Sources, or
	// Options.InitialSource until the first sync.
	Current string
	// Since is when Current became the source (Options.InitialSince until the
	// first sync).
	Since time.Time
	// Position is the GTID position of the data served, "" when unknown.
	Position string
	// Sources are the databases, preferred first.
	Sources []SourceStatus
}

// sourceState is one source and what the Syncer's goroutine knows of it.
type sourceState struct {
	Source
	flavor   flavor
	failures int       // consecutive failed or behind reads
	retryAt  time.Time // after a failure: not asked again before, unless in use
	probeAt  time.Time // a healthy standby's position is not read again before
	status   SourceStatus
}

// sources are a Syncer's databases and which one is in use. Every field but
// mu and report is owned by the goroutine running Run or SyncOnce.
type sources struct {
	list   []*sourceState
	cur    int      // index of the source in use, -1 before the first sync
	served position // of the data served, zero when unknown
	// curName and curSince say where the data served comes from.
	curName  string
	curSince time.Time
	metrics  *sourceMetrics
	logger   *slog.Logger

	mu     gosync.Mutex
	report SourcesReport
}

func newSources(list []Source, opts Options) *sources {
	ss := &sources{cur: -1, curName: opts.InitialSource, curSince: opts.InitialSince, logger: opts.Logger}
	names := []string{opts.InitialSource}
	for _, src := range list {
		ss.list = append(ss.list, &sourceState{Source: src, status: SourceStatus{Name: src.Name, State: StateUntried}})
		names = append(names, src.Name)
	}
	ss.metrics = newSourceMetrics(opts.Registerer, names)
	ss.metrics.inUse.WithLabelValues(opts.InitialSource).Set(1)
	ss.metrics.since.Set(unixSeconds(opts.InitialSince))
	ss.publish()
	return ss
}

// candidates are the sources one sync tries, in order: preferred first, each
// unless it failed recently (the one in use is always tried). When every one
// failed recently, all are tried.
func (ss *sources) candidates(now time.Time) []int {
	var out []int
	for i, src := range ss.list {
		if i == ss.cur || !now.Before(src.retryAt) {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		for i := range ss.list {
			out = append(out, i)
		}
	}
	return out
}

// checkPosition reads the position of source i within tx and refuses it when it
// lacks what is served. With one source nothing is compared.
func (ss *sources) checkPosition(ctx context.Context, tx *sql.Tx, i int) (position, error) {
	if len(ss.list) < 2 {
		return position{}, nil
	}
	return ss.compare(ctx, tx, ss.list[i])
}

// compare reads src's position within tx and fails with ErrBehind when it lacks
// what is served.
func (ss *sources) compare(ctx context.Context, tx *sql.Tx, src *sourceState) (position, error) {
	p, err := readPosition(ctx, tx, &src.flavor)
	if err != nil {
		return position{}, fmt.Errorf("sync: read the replication position: %w", err)
	}
	src.status.Position = p.String()
	if why := p.behindOf(ss.served); why != "" {
		return p, fmt.Errorf("%w: %s", ErrBehind, why)
	}
	return p, nil
}

// answered records that source i was read and applied (or held) at now, with
// data at position p; applied says the state was applied, so that p is what is
// served. failed are the errors of the sources tried before it in this sync.
func (ss *sources) answered(i int, p position, applied bool, now time.Time, failed map[int]error) {
	src := ss.list[i]
	src.failures, src.retryAt = 0, time.Time{}
	if applied {
		ss.served = p
	}
	if i != ss.cur {
		ss.switchTo(i, now, failed)
	}
	ss.setState(src, StateInUse, "", now)
	ss.publish()
}

// switchTo makes source i the one in use, logging why once.
func (ss *sources) switchTo(i int, now time.Time, failed map[int]error) {
	from := ss.curName
	reason := ss.switchReason(i, failed)
	if prev := ss.cur; prev >= 0 {
		if _, failedNow := failed[prev]; !failedNow {
			ss.setState(ss.list[prev], StateStandby, "", now)
		}
	}
	ss.metrics.inUse.WithLabelValues(from).Set(0)
	ss.cur, ss.curName, ss.curSince = i, ss.list[i].Name, now
	ss.metrics.inUse.WithLabelValues(ss.curName).Set(1)
	ss.metrics.since.Set(unixSeconds(now))
	ss.metrics.switches.Inc()
	log := ss.logger.Warn
	if reason == reasonFirst {
		log = ss.logger.Info // the first sync after a start: no failure behind it
	}
	log("sync source switched: the data served now comes from it, read whole", "from", from, "to", ss.curName,
		"reason", reason, "position", ss.served.String())
}

// reasonFirst is the reason of the switch of a first sync, away from the file
// or the peer the data was loaded from.
const reasonFirst = "first sync"

// switchReason says why a sync took source i rather than the one in use.
func (ss *sources) switchReason(i int, failed map[int]error) string {
	switch {
	case ss.cur < 0:
		return reasonFirst
	case failed[ss.cur] != nil:
		return fmt.Sprintf("%s failed: %v", ss.curName, failed[ss.cur])
	case i < ss.cur:
		return "a source preferred to the one in use answers again"
	}
	return "the source in use did not answer"
}

// refused records that source i failed, or answered behind, at now: it is asked
// again after a backoff, unless it is the one in use.
func (ss *sources) refused(i int, err error, now time.Time) {
	src := ss.list[i]
	src.failures++
	src.retryAt = now.Add(min(sourceRetryMin<<min(src.failures-1, 16), sourceRetryMax))
	state := StateUnreachable
	if errors.Is(err, ErrBehind) {
		state = StateBehind
	} else if errors.Is(err, cache.ErrWrite) {
		return // the file, not the source, failed
	}
	if src.status.State != state && len(ss.list) > 1 {
		msg := "sync source unreachable"
		if state == StateBehind {
			msg = "sync source behind the data served: its state is not applied"
		}
		ss.logger.Warn(msg, "source", src.Name, "in_use", ss.curName, "err", err)
	}
	ss.setState(src, state, err.Error(), now)
	ss.publish()
}

func (ss *sources) setState(src *sourceState, state, errText string, now time.Time) {
	if src.status.State != state {
		src.status.Since = now
	}
	src.status.State, src.status.Err = state, errText
	ss.metrics.behind.WithLabelValues(src.Name).Set(boolGauge(state == StateBehind))
	ss.metrics.up.WithLabelValues(src.Name).Set(boolGauge(state == StateInUse || state == StateStandby || state == StateBehind))
}

// publish copies the state for Report.
func (ss *sources) publish() {
	r := SourcesReport{Current: ss.curName, Since: ss.curSince, Position: ss.served.String()}
	for _, src := range ss.list {
		r.Sources = append(r.Sources, src.status)
	}
	ss.mu.Lock()
	ss.report = r
	ss.mu.Unlock()
}

// Sources reports where the data served comes from and what the Syncer knows of
// each source. It is safe to call from any goroutine.
func (s *Syncer) Sources() SourcesReport {
	ss := s.sources
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r := ss.report
	r.Sources = append([]SourceStatus(nil), r.Sources...)
	return r
}

// syncFromSources tries the candidate sources in order and returns the result
// of the first that answers and is not behind. Each failure moves to the next.
func (s *Syncer) syncFromSources(ctx context.Context, start time.Time) (Result, error) {
	ss := s.sources
	failed := map[int]error{}
	var errs []error
	for _, i := range ss.candidates(start) {
		res, p, err := s.syncFrom(ctx, i, start)
		if err == nil {
			ss.answered(i, p, res.Held == nil, start, failed)
			ss.probeStandbys(ctx, start)
			return res, nil
		}
		if ctx.Err() != nil {
			return Result{}, err
		}
		ss.refused(i, err, start)
		if errors.Is(err, cache.ErrWrite) {
			return Result{}, err
		}
		failed[i] = err
		errs = append(errs, err)
	}
	return Result{}, joinSourceErrors(ss, failed, errs)
}

// joinSourceErrors returns the one error of a single source as it is, else each
// error prefixed with its source.
func joinSourceErrors(ss *sources, failed map[int]error, errs []error) error {
	if len(ss.list) == 1 {
		return errors.Join(errs...)
	}
	var out []error
	for i, src := range ss.list {
		if err, ok := failed[i]; ok {
			out = append(out, fmt.Errorf("%s: %w", src.Name, err))
		}
	}
	return errors.Join(out...)
}

// syncFrom reads source i and applies what it read. Reading another source than
// the one in use reads every table (FullSwitch), so that what is served is that
// source's whole state; if that fails, the marks of the source in use stay.
func (s *Syncer) syncFrom(ctx context.Context, i int, start time.Time) (Result, position, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.FetchTimeout)
	defer cancel()
	tx, err := beginRead(ctx, s.sources.list[i].DB)
	if err != nil {
		return Result{}, position{}, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	p, err := s.sources.checkPosition(ctx, tx, i)
	if err != nil {
		return Result{}, p, err
	}
	s.applying = &cache.Source{Name: s.sources.list[i].Name, Since: s.sources.curSince}
	saved := s.marks
	if i != s.sources.cur {
		s.applying.Since = start // the switch happens at this sync's time (answered)
		s.marks, s.switching = nil, s.sources.cur >= 0
		defer func() { s.switching = false }()
	}
	f, err := s.read(ctx, tx, start)
	var res Result
	if err == nil {
		res, err = s.apply(f, start)
	}
	if err != nil && i != s.sources.cur {
		s.marks = saved
	}
	return res, p, err
}

// probeTimeout bounds the read of a standby's position.
const probeTimeout = 2 * time.Second

// probeStandbys reads the position of each source after the one in use whose
// retry time has come, so that the report says whether it could take over
// (standby), lacks what is served (behind), or does not answer. Healthy
// standbys are asked every sourceRetryMax.
func (ss *sources) probeStandbys(ctx context.Context, now time.Time) {
	for i := ss.cur + 1; i < len(ss.list) && ss.cur >= 0; i++ {
		src := ss.list[i]
		if now.Before(src.retryAt) || now.Before(src.probeAt) {
			continue
		}
		if err := ss.probe(ctx, src); err != nil {
			ss.refused(i, err, now)
			continue
		}
		src.failures, src.retryAt, src.probeAt = 0, time.Time{}, now.Add(sourceRetryMax)
		ss.setState(src, StateStandby, "", now)
		ss.publish()
	}
}

// probe reads src's position in a read-only transaction and compares it with
// the data served.
func (ss *sources) probe(ctx context.Context, src *sourceState) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	tx, err := beginRead(ctx, src.DB)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	_, err = ss.compare(ctx, tx, src)
	return err
}

// sourceMetrics are the tarscache_sync_source_* series.
type sourceMetrics struct {
	inUse    *prometheus.GaugeVec
	up       *prometheus.GaugeVec
	behind   *prometheus.GaugeVec
	since    prometheus.Gauge
	switches prometheus.Counter
}

func newSourceMetrics(reg prometheus.Registerer, names []string) *sourceMetrics {
	f := promauto.With(reg)
	m := &sourceMetrics{
		inUse: f.NewGaugeVec(prometheus.GaugeOpts{Name: "tarscache_sync_source_in_use",
			Help: "1 for the source the data served comes from (a DSN, with its password hidden; the file or a peer before the first sync), else 0."}, []string{"source"}),
		up: f.NewGaugeVec(prometheus.GaugeOpts{Name: "tarscache_sync_source_up",
			Help: "1 when the database answered its last read, else 0."}, []string{"source"}),
		behind: f.NewGaugeVec(prometheus.GaugeOpts{Name: "tarscache_sync_source_behind",
			Help: "1 when the database's replication position is behind the data served (its state is not applied), else 0."}, []string{"source"}),
		since: f.NewGauge(prometheus.GaugeOpts{Name: "tarscache_sync_source_since_timestamp_seconds",
			Help: "Unix time at which the source in use became it."}),
		switches: f.NewCounter(prometheus.CounterOpts{Name: "tarscache_sync_source_switches_total",
			Help: "Times the data served started coming from another source (the first sync after a start counts once)."}),
	}
	for i, name := range names {
		m.inUse.WithLabelValues(name)
		if i > 0 {
			m.up.WithLabelValues(name)
			m.behind.WithLabelValues(name)
		}
	}
	return m
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
