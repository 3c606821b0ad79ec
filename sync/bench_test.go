package sync_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// The size of the large registry: 20,000 servers on 5 nodes each, one adapter
// (servant) per server and node, so 100,000 t_server_conf rows, 100,000
// t_adapter_conf rows and 20,000 servants of 5 endpoints.
const (
	benchServers = 20000
	benchNodes   = 5
	benchRows    = benchServers * benchNodes
)

// benchRowsOf returns the rows FetchAll would read from the registry of testdata/bench100k.sql.
func benchRowsOf(servers, nodes int) []sync.Row {
	rows := make([]sync.Row, 0, servers*nodes)
	for s := 1; s <= servers; s++ {
		for n := 1; n <= nodes; n++ {
			node := fmt.Sprintf("10.0.%d.%d", n/250, n%250)
			rows = append(rows, sync.Row{
				Table: sync.TableAdapter, Servant: fmt.Sprintf("App.S%d.Obj", s),
				Endpoint:     fmt.Sprintf("tcp -h %s -p %d -t 60000", node, 10000+s),
				SettingState: "active", PresentState: "active", FlowState: "active",
				Application: "App", Server: fmt.Sprintf("S%d", s), Node: node, Adapter: fmt.Sprintf("App.S%d.ObjAdapter", s),
				EnableGroup: "N", EnableSet: "N", BakFlag: "0",
			})
		}
	}
	return rows
}

// db100k returns a test database holding the 100,000-row registry.
func db100k(b *testing.B) *testdb.DB {
	b.Helper()
	db := testdb.New(b, "bench100k.sql")
	return db
}

// prodPool is a pool on db as serve opens one (sync.OpenDB), so that round trips
// are counted as in production.
func prodPool(b *testing.B, db *testdb.DB) *sql.DB {
	b.Helper()
	pool, err := sync.OpenDB(db.DSN, nil)
	require.NoError(b, err)
	b.Cleanup(func() { pool.Close() })
	return pool
}

// syncedCache returns a cache file (checked and closed when the benchmark ends)
// with a Syncer over db that has already synced it once, and that sync's result.
func syncedCache(b *testing.B, db *testdb.DB, opts sync.Options) (*sync.Syncer, sync.Result) {
	b.Helper()
	s := sync.New(prodPool(b, db), cachetest.Open(b, ""), opts)
	res, err := s.SyncOnce(context.Background())
	require.NoError(b, err)
	return s, res
}

// requireIdle checks, once and outside the timer, that a sync wrote nothing, and
// returns its result.
func requireIdle(b *testing.B, s *sync.Syncer) sync.Result {
	b.Helper()
	res, err := s.SyncOnce(context.Background())
	require.NoError(b, err)
	require.Zero(b, res.Apply.Written)
	require.Zero(b, res.Apply.Deleted)
	return res
}

// syncIntoEmptyFiles times one full SyncOnce from db into a new, empty cache file
// per iteration; creating, closing and removing the file are outside the timer.
func syncIntoEmptyFiles(b *testing.B, db *testdb.DB, wantServants int) {
	b.Helper()
	dir := b.TempDir()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		path := filepath.Join(dir, fmt.Sprintf("empty-%d.db", n))
		c, err := cache.Open(path, cache.Options{})
		require.NoError(b, err)
		s := sync.New(db.SQL, c, sync.Options{})
		b.StartTimer()

		res, err := s.SyncOnce(context.Background())

		b.StopTimer()
		require.NoError(b, err)
		require.Equal(b, wantServants, res.Apply.Written)
		require.NoError(b, c.Close())
		require.NoError(b, os.Remove(path))
		b.StartTimer()
	}
}

// syncIdle times SyncOnce over db into a cache that already holds it.
func syncIdle(b *testing.B, s *sync.Syncer) {
	b.Helper()
	requireIdle(b, s)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.SyncOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild_100kRows measures Build alone (no database, no file) over 100,000
// adapter rows: 20,000 servants × 5 nodes, every endpoint string parsed.
func BenchmarkBuild_100kRows(b *testing.B) {
	rows := benchRowsOf(benchServers, benchNodes)
	servants, rep := sync.Build(rows)
	require.Len(b, servants, benchServers)
	require.Equal(b, benchRows, rep.Endpoints)
	b.ReportAllocs()
	for b.Loop() {
		sync.Build(rows)
	}
}

// BenchmarkSyncOnce_sample measures the idle tick over the sample registry: the
// probe (clock and fingerprints), no server changed, the small tables read whole
// and compared (nothing written).
func BenchmarkSyncOnce_sample(b *testing.B) {
	db := testdb.New(b, "sample.sql")
	db.Exec(b, ageRows) // a registry nobody is writing to
	s, _ := syncedCache(b, db, sync.Options{})
	syncIdle(b, s)
}

// BenchmarkSyncOnce_sampleIntoEmptyFile measures a full sync of the sample registry
// into a new, empty cache file: fetch, build, apply and commit every record.
func BenchmarkSyncOnce_sampleIntoEmptyFile(b *testing.B) {
	db := testdb.New(b, "sample.sql")
	_, res := syncedCache(b, db, sync.Options{})
	syncIntoEmptyFiles(b, db, res.Apply.Written)
}

// BenchmarkSyncOnce_100kRows_intoEmpty measures a full sync of 100,000 adapter rows
// (20,000 servants × 5 nodes) from MariaDB into a new, empty cache file. Loading
// the rows into the database is setup and not timed.
func BenchmarkSyncOnce_100kRows_intoEmpty(b *testing.B) {
	db := db100k(b)
	syncIntoEmptyFiles(b, db, benchServers)
}

// BenchmarkSyncOnce_100kRows_unchanged measures a full reconcile over 100,000
// adapter rows: fetch, build and compare everything with a cache that already
// holds it, writing nothing. It runs every --full-sync-interval (5 minutes by
// default) and whenever rows are deleted.
func BenchmarkSyncOnce_100kRows_unchanged(b *testing.B) {
	db := db100k(b)
	s, res := syncedCache(b, db, sync.Options{FullInterval: time.Nanosecond})
	require.Equal(b, benchServers, res.Apply.Written)
	require.Equal(b, benchRows, res.Report.Endpoints)
	require.Equal(b, sync.FullPeriodic, requireIdle(b, s).Full)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.SyncOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyncOnce_100kRows_idleTick measures the tick paid every --sync-interval
// over 100,000 adapter rows when nothing changed: the deletion gate and the clock
// (a table's fingerprint, one index scan, only when the gate is open: a deletion
// anywhere on the server since, and the table written), no changed server, the
// small tables read whole; nothing written.
func BenchmarkSyncOnce_100kRows_idleTick(b *testing.B) {
	db := db100k(b)
	s, _ := syncedCache(b, db, sync.Options{})
	require.Empty(b, requireIdle(b, s).Full)
	syncIdle(b, s)
}

// BenchmarkSyncOnce_100kRows_oneChange measures the time from a change in MySQL to
// the changed answer, less the wait for the next tick: each iteration flips one
// server's present_state (the UPDATE is timed too) and runs the incremental sync
// that re-reads that server and serves its new state.
func BenchmarkSyncOnce_100kRows_oneChange(b *testing.B) {
	db := db100k(b)
	s, _ := syncedCache(b, db, sync.Options{})
	const node = "10.0.0.3"
	states := [2]string{"inactive", "active"}
	b.ReportAllocs()
	var update, tick time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		db.Exec(b, "UPDATE t_server_conf SET present_state = ? WHERE application = 'App' AND server_name = 'S77' AND node_name = ?", states[i%2], node)
		t1 := time.Now()
		res, err := s.SyncOnce(context.Background())
		if err != nil || res.Full != "" || res.Apply.Written != 1 {
			b.Fatalf("sync after one change: %+v, %v", res, err)
		}
		update, tick = update+t1.Sub(t0), tick+time.Since(t1)
	}
	b.ReportMetric(float64(update.Microseconds())/float64(b.N)/1000, "update-ms/op")
	b.ReportMetric(float64(tick.Microseconds())/float64(b.N)/1000, "tick-ms/op")
}
