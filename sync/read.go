package sync

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
)

// maxIncrementalServers is the number of changed servers above which one full
// read costs less than re-reading them one batch at a time.
const maxIncrementalServers = 2000

// Reasons for a full fetch, as Result.Full reports them.
const (
	FullFirst    = "first fetch"
	FullDeleted  = "table fingerprint moved (rows deleted, added or rewritten)"
	FullPeriodic = "periodic reconcile"
	FullMany     = "many servers changed"
	FullHeld     = "the previous fetch was held"
	FullSwitch   = "another source is read"
)

// marks is what the last applied fetch leaves for the next one to read less.
type marks struct {
	since    string    // lower bound of the next incremental fetch (MySQL's clock)
	prints   [2]string // fingerprints of bigTables then
	gates    [2]gate   // the deletion gate read before each of prints was taken
	small    string    // fingerprint of tarscache's tables then
	lastFull time.Time
	index    *pairIndex
	registry []Row // every t_registry_info row then
}

// fetched is what one fetch read.
type fetched struct {
	probe probe
	// full is why every table was read; "" for an incremental fetch.
	full string
	// rows are the rows to build: those of the servants in scope. A full fetch
	// builds its rows as they arrive, into built, and keeps none.
	rows     []Row
	built    *builder
	registry []Row
	// changed are the servers an incremental fetch re-read, changedRows their
	// rows, scope the servants it rebuilds whole.
	changed     []pair
	changedRows []Row
	scope       map[string]struct{}
	// registryChanged says t_registry_info differs from the last applied fetch.
	registryChanged bool
	groups          Fetch
}

// read reads, within tx, every table or only what changed since the last applied
// fetch.
func (s *Syncer) read(ctx context.Context, tx *sql.Tx, start time.Time) (*fetched, error) {
	p, err := readProbe(ctx, tx, s.opts.Overlap, s.printsWanted)
	if err != nil {
		return nil, err
	}
	if why := s.fullReason(p, start); why != "" {
		return readAll(ctx, tx, p, why, s.cache.Snapshot())
	}
	return s.readSince(ctx, tx, p)
}

// printsWanted says which bigTables the probe counts, given the deletion gate
// g: none for the first fetch and after a held one (a full fetch, whose scans
// count both); else those whose gate is open (a row may have been deleted
// since their fingerprint), one in turn when both are.
func (s *Syncer) printsWanted(g gate) [2]bool {
	s.turn = 1 - s.turn
	if s.marks == nil || s.heldLast {
		return [2]bool{} // a full fetch: its scans count both
	}
	open := [2]bool{!g.spares(s.marks.gates[0], 0), !g.spares(s.marks.gates[1], 1)}
	if open[0] && open[1] {
		return [2]bool{s.turn == 0, s.turn == 1}
	}
	return open
}

func (s *Syncer) fullReason(p probe, now time.Time) string {
	switch {
	case s.switching:
		return FullSwitch
	case s.marks == nil:
		return FullFirst
	case s.heldLast:
		return FullHeld
	case p.moved(s.marks.prints, s.marks.small):
		return FullDeleted
	case now.Sub(s.marks.lastFull) >= s.opts.FullInterval:
		return FullPeriodic
	}
	return ""
}

// storedRecords returns each servant's record as snap holds it.
func storedRecords(snap *snapshot.Snapshot) func(id string) (snapshot.Servant, bool) {
	return func(id string) (snapshot.Servant, bool) {
		if e, ok := snap.Stored(id); ok {
			return e.Servant, true
		}
		return snapshot.Servant{}, false
	}
}

// readAll reads every table, building the rows into records as they arrive;
// cur holds the records of the last sync.
func readAll(ctx context.Context, tx *sql.Tx, p probe, why string, cur *snapshot.Snapshot) (*fetched, error) {
	b := newBuilder(true)
	b.stored, b.servers = storedRecords(cur), p.rowCount(0)
	if b.servers == 0 {
		b.servers = estimateRows(ctx, tx, bigTables[0])
	}
	b.sizeFor(cur.Len())
	f, err := readBuilt(ctx, tx, p.tables, b)
	if err != nil {
		return nil, err
	}
	for i, fp := range b.prints {
		if fp != "" {
			p.prints[i] = fp // the scans' own count, in the same read view
		}
	}
	if err := p.readPrints(ctx, tx, [2]bool{true, true}); err != nil {
		return nil, fmt.Errorf("sync: read the table fingerprints: %w", err)
	}
	return &fetched{probe: p, full: why, built: b, registry: f.Rows, groups: *f}, nil
}

// queryRowEstimate reads InnoDB's estimate of a table's row count, kept with
// its statistics: no row is read.
const queryRowEstimate = `SELECT COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`

// estimateRows returns about how many rows table holds, to size a full read
// (growing a million-row join's tables through every smaller size costs more
// than the read itself on a host where fresh memory is slow); 0 when unknown.
// The estimate is InnoDB's plus an eighth: one a little short would double
// the join's tables at their last row. It is capped at maxRowEstimate, so
// that stale statistics cannot reserve gigabytes: past it the tables grow.
func estimateRows(ctx context.Context, tx *sql.Tx, table string) int {
	var n int64
	if err := tx.QueryRowContext(ctx, queryRowEstimate, table).Scan(&n); err != nil || n < 0 {
		return 0
	}
	return int(min(n+n/8, maxRowEstimate))
}

// maxRowEstimate bounds estimateRows: 4,194,304 server rows size the join's
// key index at 64 MiB.
const maxRowEstimate = 1 << 22

// readSince re-reads whole the servers written since the last applied fetch, and
// every other server's rows for the servants those name.
func (s *Syncer) readSince(ctx context.Context, tx *sql.Tx, p probe) (*fetched, error) {
	changed, err := readChanged(ctx, tx, s.marks.since, p.tables)
	if err != nil {
		return nil, err
	}
	if len(changed) > maxIncrementalServers {
		return readAll(ctx, tx, p, FullMany, s.cache.Snapshot())
	}
	f := &fetched{probe: p, changed: changed}
	if f.registry, err = readSmall(ctx, tx, &f.groups); err != nil {
		return nil, err
	}
	if f.changedRows, err = readPairs(ctx, tx, changed, p.tables); err != nil {
		return nil, err
	}
	if err := s.readScope(ctx, tx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// readScope finds the servants to rebuild and reads the rows they have on
// servers that did not change.
func (s *Syncer) readScope(ctx context.Context, tx *sql.Tx, f *fetched) error {
	f.scope = map[string]struct{}{}
	for _, p := range f.changed {
		s.marks.index.servantsOf(p, f.scope)
	}
	addServants(f.scope, f.changedRows)
	if f.registryChanged = !slices.Equal(f.registry, s.marks.registry); f.registryChanged {
		addServants(f.scope, f.registry)
		addServants(f.scope, s.marks.registry)
	}
	others, err := readPairs(ctx, tx, s.otherPairs(f), f.probe.tables)
	if err != nil {
		return err
	}
	f.rows = slices.Concat(f.changedRows, inScope(others, f.scope), inScope(f.registry, f.scope))
	return nil
}

// otherPairs lists the unchanged servers whose rows name a servant in scope.
func (s *Syncer) otherPairs(f *fetched) []pair {
	seen := make(map[pair]bool, len(f.changed))
	for _, p := range f.changed {
		seen[p] = true
	}
	var out []pair
	for id := range f.scope {
		for _, p := range s.marks.index.pairsOf(id) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func addServants(set map[string]struct{}, rows []Row) {
	for i := range rows {
		if rows[i].Servant != "" {
			set[rows[i].Servant] = struct{}{}
		}
	}
}

func inScope(rows []Row, scope map[string]struct{}) []Row {
	var out []Row
	for i := range rows {
		if _, ok := scope[rows[i].Servant]; ok {
			out = append(out, rows[i])
		}
	}
	return out
}

// build builds what f read into records.
func (f *fetched) build() ([]snapshot.Servant, Report) {
	if f.built != nil {
		return f.built.result()
	}
	return Build(f.rows)
}

// state turns what was read into the State to apply.
func (f *fetched) state(servants []snapshot.Servant, groups snapshot.Groups, start time.Time) cache.State {
	st := cache.State{Servants: servants, Groups: groups, FetchedAt: start}
	if f.full != "" {
		return st
	}
	st.Partial = true
	built := make(map[string]struct{}, len(servants))
	for i := range servants {
		built[servants[i].ID] = struct{}{}
	}
	for id := range f.scope {
		if _, ok := built[id]; !ok {
			st.Removed = append(st.Removed, id)
		}
	}
	return st
}

// advance records an applied fetch for the next one.
func (s *Syncer) advance(f *fetched, start time.Time) {
	if f.full != "" {
		s.marks = &marks{since: f.probe.since, prints: f.probe.prints, gates: [2]gate{f.probe.gate, f.probe.gate},
			small: f.probe.small, lastFull: start, index: f.built.pairs, registry: f.registry}
		return
	}
	s.marks.since, s.marks.small, s.marks.registry = f.probe.since, f.probe.small, f.registry
	for i, print := range f.probe.prints {
		if print != "" {
			s.marks.prints[i], s.marks.gates[i] = print, f.probe.gate
		}
	}
	s.marks.index.replace(f.changed, f.changedRows)
}

// rereadPairs returns the servers whose rows this fetch read whole: their earlier
// rejections are forgotten unless they recur. Nil means every server.
func (f *fetched) rereadPairs() map[pair]bool {
	if f.full != "" {
		return nil
	}
	out := make(map[pair]bool, len(f.changed)+1)
	for _, p := range f.changed {
		out[p] = true
	}
	out[registryPair] = f.registryChanged
	return out
}
