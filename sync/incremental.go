package sync

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// queryClock opens every fetch: the lower bound of the next incremental fetch,
// taken from MySQL's clock (NOW less the overlap).
const queryClock = `SELECT DATE_FORMAT(NOW(6) - INTERVAL ? MICROSECOND, '%Y-%m-%d %H:%i:%s.%f')`

// bigTables are the two large tables whose fingerprints catch deletions, which
// registry_timestamp cannot show: the row count (one scan of the smallest index)
// and the largest id (one B-tree descent), so that a deletion and an insertion in
// the same interval still move it, since InnoDB never hands out an id below the
// largest. Counting is most of an idle fetch's cost, so an idle fetch counts one
// of them, in turn: a deletion is noticed within two intervals.
var bigTables = [2]string{"t_server_conf", "t_adapter_conf"}

// printQuery is the fingerprint of one of bigTables.
func printQuery(table string) string {
	return "SELECT CONCAT(COUNT(*), ':', COALESCE(MAX(id), 0)) FROM " + table
}

// clockAndPrintQuery reads the clock and the fingerprint of table in one round trip.
func clockAndPrintQuery(table string) string {
	return strings.TrimSuffix(queryClock, "`") + ", (" + printQuery(table) + ")"
}

// queryChanged lists the servers with a row written since a time of MySQL's
// clock; both registry_timestamp columns are indexed in the official schema.
const queryChanged = `SELECT application, server_name FROM t_server_conf WHERE registry_timestamp >= ?
 UNION SELECT application, server_name FROM t_adapter_conf WHERE registry_timestamp >= ?`

// pairsPerQuery bounds the servers one re-read names, to keep statements small.
const pairsPerQuery = 500

// probe is what a fetch reads first.
type probe struct {
	// tables says which of tarscache's own tables the database has.
	tables tables
	// since is the lower bound of the next incremental fetch ("YYYY-MM-DD
	// hh:mm:ss.ffffff" in MySQL's session time zone).
	since string
	// prints are the fingerprints of bigTables, "" for one not read by this fetch.
	prints [2]string
	// small is the fingerprint of which of tarscache's tables exist and of
	// t_server_subset, read by every fetch.
	small string
	// gate is the deletion gate read before everything else.
	gate gate
}

// readProbe reads the deletion gate, the clock, the small fingerprint and the
// prints of the bigTables that want says, given the gate.
func readProbe(ctx context.Context, tx *sql.Tx, overlap time.Duration, want func(gate) [2]bool) (probe, error) {
	g, err := readGate(ctx, tx) // before the first consistent read: see gate.go
	if err != nil {
		return probe{}, fmt.Errorf("sync: read the deletion gate: %w", err)
	}
	t, err := readTables(ctx, tx)
	if err != nil {
		return probe{}, err
	}
	if g.known {
		if err := g.readMaxIDs(ctx, tx); err != nil {
			return probe{}, fmt.Errorf("sync: read the largest ids: %w", err)
		}
	}
	p := probe{tables: t, gate: g}
	wanted := want(g)
	if i := onlyOne(wanted); i >= 0 {
		err = tx.QueryRowContext(ctx, clockAndPrintQuery(bigTables[i]), overlap.Microseconds()).Scan(&p.since, nullable{&p.prints[i]})
	} else {
		err = tx.QueryRowContext(ctx, queryClock, overlap.Microseconds()).Scan(&p.since)
	}
	if err == nil {
		err = p.readPrints(ctx, tx, wanted)
	}
	if err != nil {
		return probe{}, fmt.Errorf("sync: read the database clock and table fingerprints: %w", err)
	}
	p.small = t.String()
	return p, nil
}

// onlyOne returns the index of the one table want asks for, or -1.
func onlyOne(want [2]bool) int {
	switch want {
	case [2]bool{true, false}:
		return 0
	case [2]bool{false, true}:
		return 1
	}
	return -1
}

// rowCount returns the row count of bigTables[i] its fingerprint gives, or 0
// when it was not read.
func (p *probe) rowCount(i int) int {
	count, _, _ := strings.Cut(p.prints[i], ":")
	n, _ := strconv.Atoi(count)
	return n
}

// readPrints reads the prints of the bigTables that want says and p lacks.
func (p *probe) readPrints(ctx context.Context, tx *sql.Tx, want [2]bool) error {
	for i, table := range bigTables {
		if want[i] && p.prints[i] == "" {
			if err := tx.QueryRowContext(ctx, printQuery(table)).Scan(nullable{&p.prints[i]}); err != nil {
				return err
			}
		}
	}
	return nil
}

// moved reports whether p shows a fingerprint other than those of the last
// applied fetch, whose prints are last and small lastSmall.
func (p *probe) moved(last [2]string, lastSmall string) bool {
	for i := range p.prints {
		if p.prints[i] != "" && p.prints[i] != last[i] {
			return true
		}
	}
	return p.small != lastSmall
}

// pair names one server: the unit an incremental fetch re-reads whole.
type pair struct{ app, server string }

// registryPair stands for the t_registry_info rows, which are read whole on every
// fetch.
var registryPair = pair{app: TableRegistry}

func rowPair(r *Row) pair {
	if r.Table == TableRegistry {
		return registryPair
	}
	return pair{r.Application, r.Server}
}

// readChanged returns the servers with a row written at or after since.
func readChanged(ctx context.Context, tx *sql.Tx, since string, t tables) ([]pair, error) {
	query, n := changedQuery(t)
	args := make([]any, n)
	for i := range args {
		args[i] = since
	}
	ps, err := readRows(ctx, tx, scanPair, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sync: read servers changed since %s: %w", since, err)
	}
	return ps, nil
}

func scanPair(rs *sql.Rows) (pair, error) {
	var p pair
	err := rs.Scan(nullable{&p.app}, nullable{&p.server})
	return p, err
}

// readPairs reads the full-load rows of the given servers, a batch at a time.
func readPairs(ctx context.Context, tx *sql.Tx, pairs []pair, t tables) ([]Row, error) {
	var out []Row
	for batch := range slices.Chunk(pairs, pairsPerQuery) {
		rows, err := readRows(ctx, tx, scanServerRow, pairsQuery(len(batch), t), pairArgs(batch)...)
		if err != nil {
			return nil, fmt.Errorf("sync: read t_server_conf and t_adapter_conf of %d changed servers: %w", len(pairs), err)
		}
		out = append(out, rows...)
	}
	return out, nil
}

// pairsQuery is the full-load join restricted to n servers; MySQL answers it from
// the (application, server_name, node_name) unique keys.
func pairsQuery(n int, t tables) string {
	return serversQuery(t) + " WHERE (s.application, s.server_name) IN (" +
		strings.TrimSuffix(strings.Repeat("(?,?),", n), ",") + ")"
}

func pairArgs(ps []pair) []any {
	args := make([]any, 0, 2*len(ps))
	for _, p := range ps {
		args = append(args, p.app, p.server)
	}
	return args
}
