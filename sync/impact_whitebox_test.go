package sync

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

func fetch(servants ...snapshot.Servant) cache.State { return cache.State{Servants: servants} }

// The impact of an incremental fetch counts only what it touches; a complete one
// counts every servant it no longer holds.
func TestImpactOf(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1"),
		cachetest.Servant("B.S.Obj", 20, "10.0.0.2", "10.0.0.3"), cachetest.Servant("C.S.Obj", 30, "10.0.0.4")))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		st   cache.State
		want Impact
	}{
		{"nothing", cache.State{Partial: true}, Impact{Servants: 3, ActiveBefore: 4, ActiveAfter: 4}},
		{"remove B", cache.State{Partial: true, Removed: []string{"B.S.Obj", "B.S.Obj"}},
			Impact{Servants: 3, Removed: 1, ActiveBefore: 4, ActiveAfter: 2}},
		{"shrink B, add D", cache.State{Partial: true, Servants: []snapshot.Servant{cachetest.Servant("B.S.Obj", 20, "10.0.0.2"),
			cachetest.Servant("D.S.Obj", 40, "10.0.0.5", "10.0.0.6")}},
			Impact{Servants: 3, ActiveBefore: 4, ActiveAfter: 5}},
		{"complete without C", fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1"), cachetest.Servant("B.S.Obj", 20, "10.0.0.2")),
			Impact{Servants: 3, Removed: 1, ActiveBefore: 4, ActiveAfter: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, impactOf(c.Snapshot(), &tc.st))
		})
	}
}
