package cache_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// The time of the last successful sync is kept in the file with every change and,
// while nothing changes, written at most once per LastSyncEvery: idle syncs in
// between write nothing, and a restart still knows how old its data is.
func TestCache_LastSync(t *testing.T) {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{LastSyncEvery: time.Minute})
	require.NoError(t, err)
	require.True(t, c.LastSync().IsZero(), "a new file was never synced")
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	servants := func() []snapshot.Servant { return []snapshot.Servant{cachetest.Servant("A.S.Obj", 10, "10.0.0.1")} }

	stats, err := c.Apply(cache.State{Servants: servants(), FetchedAt: t0})
	require.NoError(t, err)
	require.True(t, stats.LastSyncWritten, "written with the first records")
	tx, err := c.TxID()
	require.NoError(t, err)

	stats, err = c.Apply(cache.State{Servants: servants(), FetchedAt: t0.Add(59 * time.Second)})
	require.NoError(t, err)
	require.False(t, stats.LastSyncWritten)
	require.Equal(t, t0.Add(59*time.Second), c.LastSync().UTC(), "served at once, stored later")
	idle, err := c.TxID()
	require.NoError(t, err)
	require.Equal(t, tx, idle, "an idle sync within LastSyncEvery writes nothing")

	stats, err = c.Apply(cache.State{Servants: servants(), FetchedAt: t0.Add(61 * time.Second)})
	require.NoError(t, err)
	require.True(t, stats.LastSyncWritten, "an idle checkpoint once LastSyncEvery has passed")
	require.False(t, stats.Changed())

	_, err = c.Apply(cache.State{Servants: servants()})
	require.NoError(t, err)
	require.Equal(t, t0.Add(61*time.Second), c.LastSync().UTC(), "an Apply without FetchedAt (an import) keeps it")
	require.NoError(t, c.Close())

	c = cachetest.Open(t, path)
	require.Equal(t, t0.Add(61*time.Second), c.LastSync().UTC(), "survives a restart")
}
