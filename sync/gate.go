package sync

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// The deletion gate spares an idle fetch the fingerprint of bigTables, whose
// COUNT(*) reads every entry of an index: O(rows) on MySQL at every tick. Before
// counting, a fetch reads two O(1) signals of whether a row of the table can have
// been deleted since its fingerprint was last taken:
//
//   - the server's Handler_delete counter (SHOW GLOBAL STATUS): every row deleted
//     from any table of the server moves it. A restart resets it, which the
//     server's start time (UNIX_TIMESTAMP() less Uptime) shows.
//   - on MariaDB, information_schema.TABLES.UPDATE_TIME of the table: InnoDB keeps
//     in memory the time of the last commit that wrote it, to the second. It is
//     NULL after a restart or once the table has left the dictionary cache, and
//     MySQL 8 caches it (information_schema_stats_expiry), so it is used only on
//     MariaDB and only when it is set and older than the second it was read in
//     (a later commit in that same second would not move it).
//
// A table is counted unless the counter has not moved, or its UPDATE_TIME has not
// moved, since its fingerprint was taken; a signal that cannot be read, or reads
// NULL, never spares a count. Both are read before the transaction's first
// consistent read, so a deletion that commits between the two is seen by the gate
// of the next fetch: a deletion still reaches the fingerprints within two
// intervals, and the periodic full fetch stays as the net below both. The largest
// id of each table (one B-tree descent), read in the transaction, opens the gate
// too: new ids move the fingerprint, as they always did, even when written with
// an old registry_timestamp.

// queryGate reads the server's clock and version and the UPDATE_TIME of bigTables.
const queryGate = `SELECT UNIX_TIMESTAMP(), @@version,
 (SELECT UNIX_TIMESTAMP(UPDATE_TIME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't_server_conf'),
 (SELECT UNIX_TIMESTAMP(UPDATE_TIME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't_adapter_conf')`

// queryDeletes reads the server's row-deletion counter and uptime.
const queryDeletes = `SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_delete', 'Uptime')`

// bootSlack is how far apart two readings of the server's start time may be and
// still name the same start: each is computed from two whole-second figures.
const bootSlack = 2

// gate is one reading of the deletion signals; the zero gate is unknown and
// spares nothing.
type gate struct {
	known   bool  // Handler_delete and Uptime were read
	deletes int64 // Handler_delete
	boot    int64 // the server's start, seconds since the epoch
	// updated are the UPDATE_TIME of bigTables in seconds since the epoch, 0 when
	// NULL or not to be trusted (not MariaDB, or within the second of reading).
	updated [2]int64
	// maxIDs are the largest ids of bigTables, read in the transaction.
	maxIDs [2]string
}

// queryMaxIDs reads the largest id of each of bigTables: one B-tree descent each.
const queryMaxIDs = `SELECT (SELECT COALESCE(MAX(id), 0) FROM t_server_conf), (SELECT COALESCE(MAX(id), 0) FROM t_adapter_conf)`

// readMaxIDs completes g with the largest ids, in the transaction's read view.
func (g *gate) readMaxIDs(ctx context.Context, tx *sql.Tx) error {
	return tx.QueryRowContext(ctx, queryMaxIDs).Scan(&g.maxIDs[0], &g.maxIDs[1])
}

// readGate reads the deletion signals, the counter first. A server that refuses
// them (a MySQL without SHOW GLOBAL STATUS, say) yields the unknown gate, and
// every table is counted as before; only a cancelled ctx is an error.
func readGate(ctx context.Context, tx *sql.Tx) (gate, error) {
	status, err := readStatus(ctx, tx)
	if err != nil {
		return gate{}, ctx.Err()
	}
	var now int64
	var version string
	var upd [2]sql.NullInt64
	if err := tx.QueryRowContext(ctx, queryGate).Scan(&now, &version, &upd[0], &upd[1]); err != nil {
		return gate{}, ctx.Err()
	}
	deletes, okD := status["Handler_delete"]
	uptime, okU := status["Uptime"]
	if !okD || !okU {
		return gate{}, nil
	}
	g := gate{known: true, deletes: deletes, boot: now - uptime}
	mariadb := strings.Contains(strings.ToLower(version), "mariadb")
	for i, u := range upd {
		if mariadb && u.Valid && u.Int64 > 0 && u.Int64 < now {
			g.updated[i] = u.Int64
		}
	}
	return g, nil
}

// readStatus reads the rows of queryDeletes as numbers.
func readStatus(ctx context.Context, tx *sql.Tx) (map[string]int64, error) {
	rs, err := tx.QueryContext(ctx, queryDeletes)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[string]int64{}
	for rs.Next() {
		var name, value string
		if err := rs.Scan(&name, &value); err != nil {
			return nil, err
		}
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			out[name] = n
		}
	}
	return out, rs.Err()
}

// spares reports whether, by the signals, no row of bigTables[i] can have been
// deleted between last (read before the table's fingerprint was last taken) and g.
func (g gate) spares(last gate, i int) bool {
	sameServer := g.boot-last.boot <= bootSlack && last.boot-g.boot <= bootSlack
	if !g.known || !last.known || !sameServer {
		return false // a restart (or another server behind the DSN) resets both signals
	}
	if g.maxIDs[i] != last.maxIDs[i] {
		return false // new rows: the fingerprint moved
	}
	if g.updated[i] != 0 && g.updated[i] == last.updated[i] {
		return true // not written at all since
	}
	return g.deletes == last.deletes
}
