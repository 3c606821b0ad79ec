package cache_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// Plan says what an Apply would add, change and remove, and writes nothing.
func TestCache_Plan(t *testing.T) {
	c := threeServants(t)
	tx, err := c.TxID()
	require.NoError(t, err)

	p, err := c.Plan(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1"), cachetest.Servant("B.S.Obj", 21, "10.0.0.2"),
		cachetest.Servant("D.S.Obj", 40, "10.0.0.5")))
	require.NoError(t, err)
	require.Equal(t, cache.Plan{Added: []string{"D.S.Obj"}, Changed: []string{"B.S.Obj"}, Removed: []string{"C.S.Obj"}, Unchanged: 1}, p)
	after, err := c.TxID()
	require.NoError(t, err)
	require.Equal(t, tx, after)
	require.Equal(t, 3, c.Snapshot().Len())

	_, err = c.Plan(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1"), cachetest.Servant("A.S.Obj", 10, "10.0.0.1")))
	require.ErrorIs(t, err, cache.ErrDuplicateServant)
}
