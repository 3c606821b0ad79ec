package sync_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/sync"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// The sample registry of testdata/, read from MariaDB, becomes exactly the records
// of testdata/sample.records.json (regenerate with go test ./sync -update).
func TestSyncOnce_sampleRegistryGolden(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	c := cachetest.Open(t, "")
	s := sync.New(db.SQL, c, sync.Options{})
	res, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, map[string]int{sync.DropBadEndpoint: 1, sync.DropBackup: 1}, res.Report.Dropped)

	var got bytes.Buffer
	require.NoError(t, snapshot.WriteJSON(&got, c.Snapshot(), nil))
	golden := filepath.Join(testdb.TestdataDir(), "sample.records.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), got.String())
}

// A second sync of an unchanged database writes no record and commits nothing.
func TestSyncOnce_unchangedDatabaseWritesNothing(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	c := cachetest.Open(t, "")
	s := sync.New(db.SQL, c, sync.Options{})
	_, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	tx, _ := c.TxID()

	res, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, res.Apply.Written+res.Apply.Deleted)
	after, _ := c.TxID()
	require.Equal(t, tx, after)
}

// Changes in the database reach the records at the next sync: a server turning
// inactive moves to the inactive list, a deleted adapter disappears.
func TestSyncOnce_followsDatabaseChanges(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	c := cachetest.Open(t, "")
	s := sync.New(db.SQL, c, sync.Options{})
	_, err := s.SyncOnce(context.Background())
	require.NoError(t, err)

	db.Exec(t, `UPDATE t_server_conf SET present_state='inactive' WHERE application='Demo' AND server_name='HelloServer' AND node_name='10.0.0.12'`)
	db.Exec(t, `DELETE FROM t_adapter_conf WHERE servant='Shop.CartServer.CartSslObj'`)
	res, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, res.Apply.Written, "only HelloObj changed: AdminObj of that node is malformed and never served")
	require.Equal(t, 1, res.Apply.Deleted)

	e, ok := c.Snapshot().Lookup("Demo.HelloServer.HelloObj")
	require.True(t, ok)
	require.Equal(t, []string{"10.0.0.11"}, hosts(e.AllLists().Active))
	require.ElementsMatch(t, []string{"10.0.0.12", "10.0.0.13"}, hosts(e.AllLists().Inactive))
	_, ok = c.Snapshot().Lookup("Shop.CartServer.CartSslObj")
	require.False(t, ok)
}

// When the database cannot be reached, a sync fails and the cache keeps serving
// what it had.
func TestSyncOnce_unreachableDatabaseKeepsCache(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 1, "10.0.0.1")}})
	require.NoError(t, err)
	sqlDB, err := sync.OpenDB("root@tcp(127.0.0.1:1)/db_tars?timeout=1s", nil)
	require.NoError(t, err)
	defer sqlDB.Close()

	_, err = sync.New(sqlDB, c, sync.Options{}).SyncOnce(context.Background())
	require.ErrorContains(t, err, "sync: begin read")
	require.Equal(t, []string{"A.S.Obj"}, c.Snapshot().IDs())
}

// The password of a DSN never appears in what tarscache prints.
func TestRedactDSN(t *testing.T) {
	cases := []struct{ dsn, want string }{
		{"tars:s3cret@tcp(db:3306)/db_tars", "tars:xxxxx@tcp(db:3306)/db_tars"},
		{"root@tcp(127.0.0.1:3306)/db_tars", "root@tcp(127.0.0.1:3306)/db_tars"},
		{"not a dsn s3cret", "(unparsable DSN)"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, sync.RedactDSN(tc.dsn))
	}
}

func hosts(eps []endpointf.EndpointF) []string {
	out := make([]string, len(eps))
	for i, e := range eps {
		out[i] = e.Host
	}
	return out
}
