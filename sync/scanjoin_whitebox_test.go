package sync

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// joinServers and joinAdapters insert servers and adapters for the scan-join
// cases: each tuple gives application, server_name and node_name.
const (
	joinServers  = `INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, set_name, ip_group_name) VALUES `
	joinAdapters = `INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES `
	joinLabels   = `INSERT INTO t_server_subset (application, server_name, node_name, subset) VALUES `
)

// The three scans joined in Go give exactly the rows of MySQL's join, NULL
// columns included; keys compare as the columns' collation compares them, and a
// key or a collation the scans cannot compare falls back to MySQL's join.
func TestScanJoin_sameRowsAsTheJoin(t *testing.T) {
	cases := []struct {
		name string
		sql  string
		// folds says the collations let the scans stand for the join;
		// fallback is why rows send the fetch back to MySQL's join anyway.
		folds    bool
		fallback error
	}{
		{name: "case differences", folds: true, sql: joinServers + `('App', 'Hello', 'Node1', 'active', 'active', 's', 'g')` +
			`;` + joinAdapters + `('app', 'HELLO', 'node1', 'A1', 'App.Hello.A1', 'tcp -h h1 -p 1'), ('APP', 'hello', 'NODE1', 'A2', 'App.Hello.A2', 'tcp -h h1 -p 2')` +
			`;` + joinLabels + `('aPP', 'hEllo', 'nOde1', 'blue')`},
		{name: "trailing spaces ignored, leading spaces and tabs kept", folds: true, sql: joinServers +
			`('App', 'S ', 'n1', 'active', 'active', NULL, NULL), ('App', ' S', 'n1', 'active', 'active', NULL, NULL), ('App', 'T', 'n1', 'active', 'active', NULL, NULL)` +
			`;` + joinAdapters + `('App  ', 'S', 'n1 ', 'A', 'App.S.A', 'tcp -h h -p 1'), ('App', 'T\t', 'n1', 'A', 'App.T.A', 'tcp -h h -p 2'), ('App', ' S ', 'n1', 'A', 'App.SS.A', 'tcp -h h -p 3')` +
			`;` + joinLabels + `('App ', 'S', 'n1', 'green'), ('App', 'T\t', 'n1', 'red')`},
		{name: "servers sharing a key (no unique key)", folds: true, sql: `ALTER TABLE t_server_conf DROP INDEX application;` + joinServers +
			`('App', 'S', 'n1', 'active', 'active', NULL, NULL), ('App', 'T', 'n1', 'active', 'active', NULL, NULL), ('app', 's ', 'n1', 'inactive', 'active', NULL, NULL), ('App', 'S', 'n1', 'active', 'inactive', 'x', NULL)` +
			`;` + joinAdapters + `('App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1'), ('App', 'T', 'n1', 'A', 'App.T.A', 'tcp -h h -p 2'), ('App', 'S', 'n1', 'B', 'App.S.B', 'tcp -h h -p 3')`},
		{name: "adapters in the order of their servers", folds: true, sql: joinServers +
			`('App', 'S', 'n1', 'active', 'active', NULL, NULL), ('App', 'S', 'n2', 'active', 'active', NULL, NULL), ('App', 'T', 'n1', 'active', 'active', NULL, NULL)` +
			`;` + joinAdapters + `('App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1'), ('App', 'S', 'n1', 'B', 'App.S.B', 'tcp -h h -p 2'), ('App', 'S', 'n2', 'A', 'App.S.A', 'tcp -h h -p 3'), ` +
			`('App', 'S', NULL, 'A', 'App.S.A', 'tcp -h h -p 4'), ('App', 'T', 'n1', 'A', 'App.T.A', 'tcp -h h -p 5'), ('App', 'S', 'n1', 'C', 'App.S.C', 'tcp -h h -p 6')`},
		{name: "adapter without server_conf is dropped", folds: true, sql: joinServers + `('App', 'S', 'n1', 'active', 'active', NULL, NULL)` +
			`;` + joinAdapters + `('App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1'), ('App', 'Gone', 'n1', 'A', 'App.Gone.A', 'tcp -h h -p 2')`},
		{name: "server without adapter has NULL adapter columns", folds: true, sql: joinServers +
			`('App', 'S', 'n1', 'active', 'active', NULL, NULL), ('App', 'S', 'n2', 'inactive', 'active', 'x', 'y')` +
			`;` + joinAdapters + `('App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1')` + `;` + joinLabels + `('App', 'S', 'n2', 'blue')`},
		{name: "NULL columns", folds: true, sql: joinServers +
			`(NULL, 'S', 'n1', 'active', 'active', NULL, NULL), ('App', NULL, 'n1', 'active', 'active', NULL, NULL), ('App', 'S', 'n1', 'active', 'active', NULL, NULL)` +
			`;` + joinAdapters + `(NULL, 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1'), ('App', 'S', 'n1', 'B', NULL, NULL), ('App', 'S', 'n1', NULL, 'App.S.C', 'tcp -h h -p 3')` +
			`;UPDATE t_server_conf SET enable_group = NULL WHERE node_name = 'n1' AND server_name = 'S'`},
		{name: "no t_server_subset", folds: true, sql: joinServers + `('App', 'S', 'n1', 'active', 'active', NULL, NULL)` +
			`;` + joinAdapters + `('App', 's', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1');DROP TABLE t_server_subset`},
		{name: "non-ASCII adapter key falls back", folds: true, fallback: errNotASCII, sql: joinServers + `('App', 'SE', 'n1', 'active', 'active', NULL, NULL)` +
			`;` + joinAdapters + `('App', 'Sé', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1')`},
		{name: "non-ASCII server key falls back", folds: true, fallback: errNotASCII, sql: joinServers + `('App', 'Sé', 'n1', 'active', 'active', NULL, NULL)` +
			`;` + joinAdapters + `('App', 'SE', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1')`},
		{name: "non-ASCII label key falls back", folds: true, fallback: errNotASCII, sql: joinServers + `('App', 'SE', 'n1', 'active', 'active', NULL, NULL)` +
			`;` + joinAdapters + `('App', 'SE', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1');` + joinLabels + `('App', 'Sé', 'n1', 'blue')`},
		{name: "two labels for one server fall back", folds: true, fallback: errLabelTwins, sql: `ALTER TABLE t_server_subset DROP PRIMARY KEY;` +
			joinServers + `('App', 'S', 'n1', 'active', 'active', NULL, NULL)` + `;` + joinAdapters + `('App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1')` +
			`;` + joinLabels + `('App', 'S', 'n1', 'blue'), ('app', 's ', 'n1', 'green')`},
		{name: "binary collation falls back", folds: false, sql: `ALTER TABLE t_server_conf CONVERT TO CHARACTER SET utf8 COLLATE utf8_bin;
			ALTER TABLE t_adapter_conf CONVERT TO CHARACTER SET utf8 COLLATE utf8_bin;
			ALTER TABLE t_server_subset CONVERT TO CHARACTER SET utf8 COLLATE utf8_bin;` +
			joinServers + `('App', 'S', 'n1', 'active', 'active', NULL, NULL), ('App', 's', 'n1', 'active', 'active', NULL, NULL)` +
			`;` + joinAdapters + `('App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1')`},
		{name: "unicode collation falls back", folds: false, sql: `ALTER TABLE t_server_conf CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
			ALTER TABLE t_adapter_conf CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
			ALTER TABLE t_server_subset CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;` +
			joinServers + `('App', 'S', 'n1', 'active', 'active', NULL, NULL)` + `;` + joinAdapters + `('App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1')`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := testdb.New(t)
			db.Exec(t, tc.sql)
			ctx := context.Background()
			tx, tb := readTx(t, db)

			want := collect(t, func(in interner, emit func(*Row)) error { return sqlJoin(ctx, tx, tb, in, emit) })
			require.NotEmpty(t, want)
			folds, err := keysFold(ctx, tx, tb)
			require.NoError(t, err)
			require.Equal(t, tc.folds, folds, "collations")
			if tc.folds {
				scanned, err := scanOnly(ctx, tx, tb)
				if tc.fallback != nil {
					require.ErrorIs(t, err, tc.fallback)
				} else {
					require.NoError(t, err)
					require.Equal(t, want, scanned)
				}
			}
			got := collect(t, func(in interner, emit func(*Row)) error {
				_, err := joinRows(ctx, tx, tb, 0, in, emit, func() { t.Fatal("restarted without cause") })
				return err
			})
			require.Equal(t, want, got)
		})
	}
}

// Key columns in two collations of one character set are an illegal mix for
// MySQL (error 1267): the scans do not join them either, so the fetch meets
// MySQL's error as it did before.
func TestKeysFold_refusesCollationsMySQLCannotCompare(t *testing.T) {
	db := testdb.New(t)
	db.Exec(t, `ALTER TABLE t_server_conf CONVERT TO CHARACTER SET latin1 COLLATE latin1_general_ci;
		ALTER TABLE t_adapter_conf CONVERT TO CHARACTER SET latin1 COLLATE latin1_swedish_ci;
		ALTER TABLE t_server_subset CONVERT TO CHARACTER SET latin1 COLLATE latin1_swedish_ci`)
	ctx := context.Background()
	tx, tb := readTx(t, db)
	folds, err := keysFold(ctx, tx, tb)
	require.NoError(t, err)
	require.False(t, folds)
}

// A non-ASCII adapter key met after rows were emitted restarts the build: the
// rows emitted before are forgotten and MySQL's join is read whole.
func TestScanJoin_restartsOnANonASCIIAdapter(t *testing.T) {
	db := testdb.New(t)
	db.Exec(t, joinServers+`('App', 'S', 'n1', 'active', 'active', NULL, NULL), ('App', 'SE', 'n1', 'active', 'active', NULL, NULL);`+
		joinAdapters+`('App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1'), ('App', 'Sé', 'n1', 'A', 'App.SE.A', 'tcp -h h -p 2')`)
	ctx := context.Background()
	tx, tb := readTx(t, db)
	b := newBuilder(true)
	require.NoError(t, streamJoin(ctx, tx, tb, b))
	servants, rep := b.result()
	require.Equal(t, 2, rep.Rows, "each row once")
	require.Len(t, servants, 2)
	require.Len(t, servants[0].Endpoints, 1)
	require.Len(t, servants[1].Endpoints, 1)
}

// scanOnly runs the three scans alone, without the fallback.
func scanOnly(ctx context.Context, tx *sql.Tx, tb tables) ([]string, error) {
	var rows []string
	j := newScanJoin(interner{}, func(r *Row) { rows = append(rows, fmt.Sprintf("%q", *r)) }, 1)
	err := j.run(ctx, tx, tb)
	slices.Sort(rows)
	return rows, err
}

// collect returns the rows read emits, each printed, in sorted order.
func collect(t *testing.T, read func(interner, func(*Row)) error) []string {
	t.Helper()
	var rows []string
	require.NoError(t, read(interner{}, func(r *Row) { rows = append(rows, fmt.Sprintf("%q", *r)) }))
	slices.SortFunc(rows, strings.Compare)
	return rows
}

// readTx opens a read-only transaction on db as a sync does, rolled back when
// the test ends, and the tables it sees.
func readTx(t *testing.T, db *testdb.DB) (*sql.Tx, tables) {
	t.Helper()
	ctx := context.Background()
	tx, err := beginRead(ctx, db.SQL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback() }) // read-only
	tb, err := readTables(ctx, tx)
	require.NoError(t, err)
	return tx, tb
}

// The scans take each table's fingerprint as printQuery counts it in the same
// transaction: the row count and the largest id, whatever the ids' gaps and
// sign, 0:0 for an empty table, rows that join nothing included.
func TestScanJoin_printsAreTheCountedOnes(t *testing.T) {
	cases := []struct{ name, sql string }{
		{name: "empty tables"},
		{name: "ids with gaps and deletions", sql: joinServers + `('App', 'S', 'n1', 'active', 'active', NULL, NULL), ('App', 'S', 'n2', 'active', 'active', NULL, NULL), ('App', 'T', 'n1', 'active', 'active', NULL, NULL)` +
			`;UPDATE t_server_conf SET id = id + 1000 WHERE node_name = 'n2';DELETE FROM t_server_conf WHERE server_name = 'T';` +
			joinAdapters + `('App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1'), ('App', 'Gone', 'n1', 'A', 'App.Gone.A', 'tcp -h h -p 2'), (NULL, 'S', 'n1', 'B', 'App.S.B', 'tcp -h h -p 3')` +
			`;UPDATE t_adapter_conf SET id = 77 WHERE adapter_name = 'B'`},
		{name: "negative ids", sql: `INSERT INTO t_server_conf (id, application, server_name, node_name) VALUES (-5, 'App', 'S', 'n1'), (-2, 'App', 'S', 'n2');` +
			`INSERT INTO t_adapter_conf (id, application, server_name, node_name, adapter_name, servant, endpoint) VALUES (-9, 'App', 'S', 'n1', 'A', 'App.S.A', 'tcp -h h -p 1')`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := testdb.New(t)
			if tc.sql != "" {
				db.Exec(t, tc.sql)
			}
			ctx := context.Background()
			tx, tb := readTx(t, db)
			var counted probe
			require.NoError(t, counted.readPrints(ctx, tx, [2]bool{true, true}))
			prints, err := joinRows(ctx, tx, tb, 0, interner{}, func(*Row) {}, func() { t.Fatal("restarted without cause") })
			require.NoError(t, err)
			require.Equal(t, counted.prints, prints)
		})
	}
}

// The key index finds every row added under a hash, last first, from an index
// sized for none (it grows) or for all; hashes that share their upper half
// share a chain, which readers filter by key.
func TestKeyIndex_chainsEveryRowOfAHash(t *testing.T) {
	hashes := []uint64{0xAAAA_0001_0000_0001, 0xBBBB_0002_0000_0002, 0xAAAA_0001_0000_0001, 0xAAAA_0001_FFFF_FFFF, 7}
	for i := range 5000 {
		hashes = append(hashes, uint64(i)*0x9E37_79B9_7F4A_7C15)
	}
	for _, size := range []int{0, len(hashes)} {
		x := newKeyIndex(size)
		for i, h := range hashes {
			prev := x.add(h)
			require.Equal(t, lastBefore(hashes, i), prev, "row %d", i)
		}
		for _, h := range hashes[:5] {
			var got []int32
			for i := x.chain(h); i >= 0; i = x.next[i] {
				got = append(got, i)
			}
			var want []int32
			for i := len(hashes) - 1; i >= 0; i-- {
				if hashes[i]>>32 == h>>32 {
					want = append(want, int32(i))
				}
			}
			require.Equal(t, want, got, "hash %x", h)
		}
		require.Equal(t, int32(-1), x.chain(0x1234_5678_0000_0000))
	}
	require.Equal(t, int32(-1), (&keyIndex{}).chain(1), "a zero index finds nothing")
}

// lastBefore is the last row before i whose hash shares hashes[i]'s upper half, or -1.
func lastBefore(hashes []uint64, i int) int32 {
	for j := i - 1; j >= 0; j-- {
		if hashes[j]>>32 == hashes[i]>>32 {
			return int32(j)
		}
	}
	return -1
}
