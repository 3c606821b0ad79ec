package cache_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// threeServants is a cache holding A, B and C, with 1, 2 and 1 active endpoints.
func threeServants(t *testing.T) *cache.Cache {
	t.Helper()
	c := cachetest.Open(t, "")
	_, err := c.Apply(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1"),
		cachetest.Servant("B.S.Obj", 20, "10.0.0.2", "10.0.0.3"), cachetest.Servant("C.S.Obj", 30, "10.0.0.4")))
	require.NoError(t, err)
	return c
}

// An incremental fetch changes the servants it holds and deletes those it names,
// and leaves every other servant as it is, unwritten.
func TestCache_Apply_partialLeavesOthers(t *testing.T) {
	c := threeServants(t)
	a, _ := c.Snapshot().Lookup("A.S.Obj")

	stats, err := c.Apply(cache.State{Partial: true, Servants: []snapshot.Servant{cachetest.Servant("B.S.Obj", 21, "10.0.0.2")},
		Removed: []string{"C.S.Obj", "C.S.Obj", "Never.Stored.Obj"}})
	require.NoError(t, err)
	require.Equal(t, cache.ApplyStats{Written: 1, Deleted: 1, Duration: stats.Duration}, stats)

	snap := c.Snapshot()
	require.ElementsMatch(t, []string{"A.S.Obj", "B.S.Obj"}, snap.IDs())
	still, _ := snap.Lookup("A.S.Obj")
	require.Same(t, a, still, "a servant outside the fetch keeps its entry")
	b, _ := snap.Lookup("B.S.Obj")
	require.Equal(t, int32(21), b.AllLists().Active[0].Port)
}

// An incremental fetch that changes nothing commits no write transaction.
func TestCache_Apply_partialUnchangedWritesNothing(t *testing.T) {
	c := threeServants(t)
	tx, err := c.TxID()
	require.NoError(t, err)

	stats, err := c.Apply(cache.State{Partial: true, Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 10, "10.0.0.1")}})
	require.NoError(t, err)
	require.Equal(t, 1, stats.Unchanged)
	require.False(t, stats.Changed())
	after, err := c.TxID()
	require.NoError(t, err)
	require.Equal(t, tx, after)
}

// Contradictory states are refused whole: nothing is written.
func TestCache_Apply_partialRejectsContradictions(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   cache.State
	}{
		{"removed and kept", cache.State{Partial: true, Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 11, "10.0.0.1")},
			Removed: []string{"A.S.Obj"}}},
		{"complete state naming removals", cache.State{Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 11, "10.0.0.1")},
			Removed: []string{"B.S.Obj"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := threeServants(t)
			_, err := c.Apply(tc.st)
			require.ErrorIs(t, err, cache.ErrBadRecord)
			require.Equal(t, 3, c.Snapshot().Len())
			a, _ := c.Snapshot().Lookup("A.S.Obj")
			require.Equal(t, int32(10), a.AllLists().Active[0].Port)
		})
	}
}
