package sync_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/faultproxy"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// hostsOf returns the active and inactive hosts of servant id as served.
func hostsOf(t *testing.T, c *cache.Cache, id string) (active, inactive []string) {
	e, ok := c.Snapshot().Lookup(id)
	require.True(t, ok, id)
	for _, ep := range e.AllLists().Active {
		active = append(active, ep.Host)
	}
	for _, ep := range e.AllLists().Inactive {
		inactive = append(inactive, ep.Host)
	}
	return active, inactive
}

// throughProxy returns a fault proxy in front of db and a pool that connects
// through it; both are closed when the test ends.
func throughProxy(t *testing.T, db *testdb.DB) (*faultproxy.Proxy, *sql.DB) {
	t.Helper()
	cfg, err := mysql.ParseDSN(db.DSN)
	require.NoError(t, err)
	px, err := faultproxy.Start(cfg.Addr)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, px.Close()) })
	cfg.Addr = px.Addr()
	conn, err := sync.OpenDB(cfg.FormatDSN(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return px, conn
}

// Through a proxy that refuses connections, or cuts them in the middle of a
// result: every failed sync leaves the answers, the file and the last-sync time as
// they were; once the database is back, the next sync converges on what changed
// meanwhile.
func TestSyncer_SyncOnce_databaseOutage(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	px, conn := throughProxy(t, db)
	c := cachetest.Open(t, "")
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	// Each sync below comes a minute after the last: a full one, the longest read.
	s := sync.New(conn, c, sync.Options{Now: func() time.Time { return now }, FullInterval: 30 * time.Second})
	ctx := context.Background()
	_, err := s.SyncOnce(ctx)
	require.NoError(t, err)
	const id = "Demo.HelloServer.HelloObj"
	active, inactive := hostsOf(t, c, id)
	synced := c.LastSync()
	tx, err := c.TxID()
	require.NoError(t, err)

	db.Exec(t, `UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.11'`)
	faults := []struct {
		name    string
		inject  func()
		wantErr string
	}{
		{"new connections refused", func() { px.CutAll(); px.Refuse(true) }, "sync: begin read: invalid connection"},
		{"connection cut in the middle of a result", func() { px.CutAfter(2500) }, "sync: read t_server_conf and t_adapter_conf: scan t_server_conf: invalid connection"},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			f.inject()
			defer px.Heal()
			now = now.Add(time.Minute)
			_, err := s.SyncOnce(ctx)
			require.ErrorContains(t, err, f.wantErr)
			a, in := hostsOf(t, c, id)
			require.Equal(t, active, a, "answers unchanged during the outage")
			require.Equal(t, inactive, in)
			require.Equal(t, synced, c.LastSync(), "staleness keeps counting from the last good sync")
			after, err := c.TxID()
			require.NoError(t, err)
			require.Equal(t, tx, after, "a failed sync writes nothing")
		})
	}

	now = now.Add(time.Minute)
	_, err = s.SyncOnce(ctx)
	require.NoError(t, err)
	a, in := hostsOf(t, c, id)
	require.NotContains(t, a, "10.0.0.11")
	require.Contains(t, in, "10.0.0.11", "converged on the change made during the outage")
	require.Equal(t, now, c.LastSync().UTC())
}
