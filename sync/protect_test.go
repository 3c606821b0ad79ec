package sync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// syncedSample returns the sample registry, a cache synced from it and its Syncer.
func syncedSample(t *testing.T) (*testdb.DB, *cache.Cache, *sync.Syncer) {
	db := testdb.New(t, "sample.sql")
	c := cachetest.Open(t, "")
	s := sync.New(db.SQL, c, sync.Options{})
	_, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	return db, c, s
}

// A fetch that takes away too much at once (a truncated t_adapter_conf, every
// server marked inactive) is held: the cache keeps serving the previous data until
// the change is accepted. Smaller changes apply at once.
func TestSyncer_SyncOnce_holdsMassRemoval(t *testing.T) {
	db, c, s := syncedSample(t)
	ctx := context.Background()
	require.Equal(t, 10, c.Snapshot().Len())

	db.Exec(t, `DELETE FROM t_adapter_conf WHERE servant = 'Demo.HelloServer.AdminObj'`)
	res, err := s.SyncOnce(ctx)
	require.NoError(t, err)
	require.Nil(t, res.Held, "one servant of ten is an ordinary change")
	require.Equal(t, 1, res.Apply.Deleted)
	before := c.Snapshot().IDs()

	db.Exec(t, `DELETE FROM t_adapter_conf`)
	res, err = s.SyncOnce(ctx)
	require.NoError(t, err)
	require.NotNil(t, res.Held)
	require.Equal(t, "it would remove 8 of 9 servants (89%, more than 50%)", res.Held.Reason)
	require.Equal(t, before, c.Snapshot().IDs(), "nothing applied")
	require.Equal(t, res.Held, s.Held())

	s.AcceptHeld()
	res, err = s.SyncOnce(ctx)
	require.NoError(t, err)
	require.Nil(t, res.Held)
	require.Equal(t, 8, res.Apply.Deleted)
	require.Nil(t, s.Held())
	require.Equal(t, []string{"tars.tarsregistry.QueryObj"}, c.Snapshot().IDs())
}

// Every server going inactive at once (a mass node timeout) is held as well, by
// an incremental sync too. Accepting when nothing is held arms nothing; accepting
// the held change (as the admin API does) applies it at the next sync.
func TestSyncer_SyncOnce_holdsMassDeactivation(t *testing.T) {
	db, c, s := syncedSample(t)
	ctx := context.Background()
	require.Nil(t, s.AcceptIfHeld(), "nothing is held yet")
	db.Exec(t, `UPDATE t_server_conf SET present_state = 'inactive'`)
	res, err := s.SyncOnce(ctx)
	require.NoError(t, err)
	require.NotNil(t, res.Held, "the earlier acceptance must not let this through")
	require.Empty(t, res.Full, "held by an incremental sync")
	require.Contains(t, res.Held.Reason, "active endpoints")
	require.Zero(t, res.Apply.Written)

	require.Equal(t, res.Held, s.AcceptIfHeld())
	res, err = s.SyncOnce(ctx)
	require.NoError(t, err)
	require.Nil(t, res.Held)
	require.Equal(t, sync.FullHeld, res.Full)
	active, _ := hostsOf(t, c, "Demo.HelloServer.HelloObj")
	require.Empty(t, active)
}
