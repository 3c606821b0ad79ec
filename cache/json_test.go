package cache_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// A records document read back into memory answers as the file it came from:
// same records, same versions, same group answers. Invalid records are refused.
func TestNewSnapshot(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(cache.State{Groups: twoGroups(), Servants: []snapshot.Servant{
		cachetest.Servant("A.S.Obj", 10, "10.1.1.1", "10.2.2.2"), cachetest.Servant("B.S.Obj", 20, "10.0.0.9"),
	}})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, snapshot.WriteJSON(&buf, c.Snapshot(), nil))
	st, err := cache.ReadJSON(&buf)
	require.NoError(t, err)

	snap, err := cache.NewSnapshot(st)
	require.NoError(t, err)
	require.Equal(t, c.Snapshot().IDs(), snap.IDs())
	for _, id := range snap.IDs() {
		want, _ := c.Snapshot().Lookup(id)
		got, _ := snap.Lookup(id)
		require.Equal(t, want.Version, got.Version, id)
		require.Equal(t, want.InGroup(1), got.InGroup(1), id)
	}

	dup := cachetest.Servant("A.S.Obj", 10, "10.1.1.1")
	_, err = cache.NewSnapshot(cache.State{Servants: []snapshot.Servant{dup, dup}})
	require.ErrorIs(t, err, cache.ErrDuplicateServant)
}
