package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// ageRows dates every server, adapter and subset label row an hour back, as in a
// registry nobody has touched for a while, so that only the test's own writes are
// recent.
const ageRows = `UPDATE t_server_conf SET registry_timestamp = NOW() - INTERVAL 1 HOUR;
UPDATE t_adapter_conf SET registry_timestamp = NOW() - INTERVAL 1 HOUR;
UPDATE t_server_subset SET registry_timestamp = NOW() - INTERVAL 1 HOUR;`

// datetimeColumns turns both registry_timestamp columns into datetime(3), as some
// db_tars versions declare them.
const datetimeColumns = `ALTER TABLE t_server_conf MODIFY registry_timestamp datetime(3) NOT NULL
  DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3);
ALTER TABLE t_adapter_conf MODIFY registry_timestamp datetime(3) NOT NULL
  DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3);`

// quietSample returns the sample registry with old timestamps (after alter, if
// any), a cache synced from it and its Syncer.
func quietSample(t *testing.T, alter string, opts sync.Options) (*testdb.DB, *cache.Cache, *sync.Syncer) {
	t.Helper()
	db := testdb.New(t, "sample.sql")
	if alter != "" {
		db.Exec(t, alter)
	}
	db.Exec(t, ageRows)
	c := cachetest.Open(t, "")
	s := sync.New(db.SQL, c, opts)
	res, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, sync.FullFirst, res.Full)
	return db, c, s
}

func syncOnce(t *testing.T, s *sync.Syncer) sync.Result {
	t.Helper()
	res, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	return res
}

// After the first full read, a sync re-reads only the servers written since the
// last one, by MySQL's clock, whether registry_timestamp is a timestamp or a
// datetime(3); a sync with nothing written reads no server and writes nothing.
func TestSyncOnce_incrementalReadsChangedServers(t *testing.T) {
	for _, tc := range []struct{ name, alter string }{
		{"timestamp", ""},
		{"datetime(3)", datetimeColumns},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, c, s := quietSample(t, tc.alter, sync.Options{})
			tx, err := c.TxID()
			require.NoError(t, err)
			idle := syncOnce(t, s)
			require.Empty(t, idle.Full)
			require.Zero(t, idle.ChangedServers, "an idle sync reads no server")
			require.False(t, idle.Apply.Changed())
			after, err := c.TxID()
			require.NoError(t, err)
			require.Equal(t, tx, after)

			db.Exec(t, `UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.12'`)
			res := syncOnce(t, s)
			require.Empty(t, res.Full)
			require.Equal(t, 1, res.ChangedServers)
			require.Equal(t, 1, res.Apply.Written, "HelloObj only: AdminObj has no usable endpoint on 10.0.0.12")
			active, inactive := hostsOf(t, c, "Demo.HelloServer.HelloObj")
			require.Equal(t, []string{"10.0.0.11"}, active)
			require.ElementsMatch(t, []string{"10.0.0.12", "10.0.0.13"}, inactive)
		})
	}
}

// Deleted rows leave no timestamp behind: the table fingerprint moves and a sync
// reads everything, so a deleted adapter or server is gone within two syncs (an
// idle sync counts one of the two large tables, in turn).
func TestSyncOnce_deletionsReadEverything(t *testing.T) {
	for _, tc := range []struct{ name, delete, gone string }{
		{"adapter", `DELETE FROM t_adapter_conf WHERE servant = 'Demo.TimerServer.ReportObj'`, "Demo.TimerServer.ReportObj"},
		{"server", `DELETE FROM t_server_conf WHERE server_name = 'TimerServer' AND node_name = '10.0.0.11'`, "Demo.TimerServer.ReportObj"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, c, s := quietSample(t, "", sync.Options{})
			db.Exec(t, tc.delete)
			first, second := syncOnce(t, s), syncOnce(t, s)
			require.Contains(t, []string{first.Full, second.Full}, sync.FullDeleted)
			_, ok := c.Snapshot().Lookup(tc.gone)
			require.False(t, ok, "%s still answered", tc.gone)
			require.Empty(t, syncOnce(t, s).Full, "the next sync is incremental again")
		})
	}
}

// A change the timestamps cannot show (a row written with an old
// registry_timestamp) is caught by the periodic full read.
func TestSyncOnce_periodicFullRead(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	db, c, s := quietSample(t, "", sync.Options{FullInterval: 5 * time.Minute, Now: func() time.Time { return now }})
	db.Exec(t, `UPDATE t_adapter_conf SET endpoint = 'tcp -h 10.0.0.11 -p 10031 -t 60000',
		registry_timestamp = NOW() - INTERVAL 1 HOUR WHERE servant = 'Demo.TimerServer.TimerObj' AND node_name = '10.0.0.11'`)

	now = now.Add(4 * time.Minute)
	require.Empty(t, syncOnce(t, s).Full)
	require.Equal(t, int32(10030), port(t, c, "Demo.TimerServer.TimerObj", "10.0.0.11"), "invisible to an incremental sync")

	now = now.Add(time.Minute)
	require.Equal(t, sync.FullPeriodic, syncOnce(t, s).Full)
	require.Equal(t, int32(10031), port(t, c, "Demo.TimerServer.TimerObj", "10.0.0.11"))
}

// A servant declared by the adapters of two servers is rebuilt whole when one of
// them changes: the other server's endpoints stay.
func TestSyncOnce_servantOfTwoServers(t *testing.T) {
	db, c, s := quietSample(t, "", sync.Options{})
	db.Exec(t, `INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, registry_timestamp)
		VALUES ('Demo', 'HelloCanary', '10.0.0.21', 'active', 'active', NOW() - INTERVAL 1 HOUR);
	INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, registry_timestamp)
		VALUES ('Demo', 'HelloCanary', '10.0.0.21', 'Demo.HelloCanary.HelloObjAdapter', 'Demo.HelloServer.HelloObj',
		'tcp -h 10.0.0.21 -p 10015 -t 60000', NOW() - INTERVAL 1 HOUR)`)
	require.Equal(t, sync.FullDeleted, syncOnce(t, s).Full, "new ids move the fingerprint too")
	active, _ := hostsOf(t, c, "Demo.HelloServer.HelloObj")
	require.ElementsMatch(t, []string{"10.0.0.11", "10.0.0.12", "10.0.0.21"}, active)

	for _, change := range []string{
		`UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloCanary'`,
		`UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.11'`,
	} {
		db.Exec(t, change)
		require.Empty(t, syncOnce(t, s).Full)
	}
	active, inactive := hostsOf(t, c, "Demo.HelloServer.HelloObj")
	require.Equal(t, []string{"10.0.0.12"}, active)
	require.ElementsMatch(t, []string{"10.0.0.11", "10.0.0.13", "10.0.0.21"}, inactive)

	db.Exec(t, `UPDATE t_adapter_conf SET servant = 'Demo.HelloCanary.HelloObj' WHERE server_name = 'HelloCanary'`)
	require.Empty(t, syncOnce(t, s).Full)
	_, inactive = hostsOf(t, c, "Demo.HelloServer.HelloObj")
	require.ElementsMatch(t, []string{"10.0.0.11", "10.0.0.13"}, inactive, "a renamed servant leaves its old name")
	_, inactive = hostsOf(t, c, "Demo.HelloCanary.HelloObj")
	require.Equal(t, []string{"10.0.0.21"}, inactive)
}

// The registry's own rows, the group rules and priorities carry no usable
// timestamp: they are read whole on every sync, so their edits apply at once.
func TestSyncOnce_smallTablesReadEverySync(t *testing.T) {
	db, c, s := quietSample(t, "", sync.Options{})
	db.Exec(t, `UPDATE t_registry_info SET endpoint = 'tcp -h 10.0.0.11 -p 17891 -t 10000'`)
	res := syncOnce(t, s)
	require.Empty(t, res.Full)
	require.Equal(t, 1, res.Apply.Written, "tars.tarsregistry.QueryObj")
	require.Equal(t, int32(17891), port(t, c, "tars.tarsregistry.QueryObj", "3.0.20"))

	db.Exec(t, `INSERT INTO t_server_group_rule (group_id, allow_ip_rule, group_name) VALUES (1, '10.0.0.*', 'lan')`)
	res = syncOnce(t, s)
	require.Empty(t, res.Full)
	require.True(t, res.Apply.GroupsChanged)
	require.Equal(t, int32(1), c.Snapshot().GroupOf("10.0.0.7"))
}

// Past maxIncrementalServers changed servers, one full read is cheaper.
func TestSyncOnce_manyChangesReadEverything(t *testing.T) {
	db, _, s := quietSample(t, "", sync.Options{})
	db.Exec(t, `INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state)
		SELECT 'Bulk', CONCAT('S', seq), '10.1.0.1', 'active', 'active' FROM seq_1_to_2001`)
	// The inserts move t_server_conf's largest id, so that fetch counts it and
	// reads everything, unless the deletion gate leaves t_adapter_conf open too
	// (MariaDB runs other tests' deletions) and it is that table's turn: then the
	// incremental fetch finds too many servers and reads everything.
	require.Contains(t, []string{sync.FullDeleted, sync.FullMany}, syncOnce(t, s).Full, "the inserts move the fingerprint")
	db.Exec(t, `UPDATE t_server_conf SET present_state = 'inactive' WHERE application = 'Bulk'`)
	require.Equal(t, sync.FullMany, syncOnce(t, s).Full)
}

// Changes made while the database was unreachable are read by the first sync after
// it, incrementally: the lower bound stays at the last applied fetch.
func TestSyncOnce_changesDuringOutage(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	db.Exec(t, ageRows)
	px, conn := throughProxy(t, db)
	c := cachetest.Open(t, "")
	s := sync.New(conn, c, sync.Options{})
	syncOnce(t, s)

	px.CutAll()
	px.Refuse(true)
	db.Exec(t, `UPDATE t_adapter_conf SET endpoint = 'tcp -h 10.0.0.11 -p 10031 -t 60000' WHERE servant = 'Demo.TimerServer.TimerObj' AND node_name = '10.0.0.11'`)
	_, err := s.SyncOnce(context.Background())
	require.Error(t, err)
	require.Equal(t, int32(10030), port(t, c, "Demo.TimerServer.TimerObj", "10.0.0.11"))

	px.Heal()
	res := syncOnce(t, s)
	require.Empty(t, res.Full)
	require.Equal(t, 1, res.ChangedServers)
	require.Equal(t, int32(10031), port(t, c, "Demo.TimerServer.TimerObj", "10.0.0.11"))
}

// port returns the port of servant id's endpoint on node, active or not.
func port(t *testing.T, c *cache.Cache, id, node string) int32 {
	t.Helper()
	e, ok := c.Snapshot().Lookup(id)
	require.True(t, ok, id)
	for _, ep := range e.Servant.Endpoints {
		if ep.NodeName == node {
			return ep.Port
		}
	}
	t.Fatalf("%s has no endpoint on %s", id, node)
	return 0
}

// A fetch that fails part-way (a column the query needs is gone, a table locked
// past the fetch timeout) changes nothing: not the answers, not the file, not the
// time of the last sync; the next good fetch goes on from the last applied one.
func TestSyncOnce_failedFetchChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		break_  func(t *testing.T, db *testdb.DB) (heal func())
		wantErr string
	}{
		{"unexpected schema", func(t *testing.T, db *testdb.DB) func() {
			db.Exec(t, `ALTER TABLE t_server_conf CHANGE flow_state flow_state_renamed varchar(16)`)
			return func() { db.Exec(t, `ALTER TABLE t_server_conf CHANGE flow_state_renamed flow_state varchar(16)`) }
		}, "Unknown column"},
		{"table locked past the fetch timeout", func(t *testing.T, db *testdb.DB) func() {
			conn, err := db.SQL.Conn(context.Background())
			require.NoError(t, err)
			_, err = conn.ExecContext(context.Background(), `LOCK TABLES t_adapter_conf WRITE`)
			require.NoError(t, err)
			return func() { conn.Close() } // closing the session releases the lock
		}, "context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, c, s := quietSample(t, "", sync.Options{FetchTimeout: 500 * time.Millisecond})
			db.Exec(t, `UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.12'`)
			tx, err := c.TxID()
			require.NoError(t, err)
			synced := c.LastSync()

			heal := tc.break_(t, db)
			_, err = s.SyncOnce(context.Background())
			require.ErrorContains(t, err, tc.wantErr)
			active, _ := hostsOf(t, c, "Demo.HelloServer.HelloObj")
			require.ElementsMatch(t, []string{"10.0.0.11", "10.0.0.12"}, active)
			after, err := c.TxID()
			require.NoError(t, err)
			require.Equal(t, tx, after)
			require.Equal(t, synced, c.LastSync())

			heal()
			res := syncOnce(t, s)
			active, _ = hostsOf(t, c, "Demo.HelloServer.HelloObj")
			require.Equal(t, []string{"10.0.0.11"}, active, "converged (%s)", res.Full)
		})
	}
}
