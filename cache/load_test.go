package cache_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// loadServants is enough servants for several of Open's load batches.
const loadServants = 3000

// loadSource returns the path of a closed cache file holding loadServants
// servants of two endpoints and a group configuration.
func loadSource(t *testing.T) string {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	var servants []snapshot.Servant
	for i := range loadServants {
		servants = append(servants, cachetest.Servant(fmt.Sprintf("App.S%d.Obj", i), int32(10000+i), "10.0.0.1", "10.1.0.2"))
	}
	groups := snapshot.Groups{Addresses: map[string]int32{"10.0.0.*": 1, "10.1.0.*": 2}}
	_, err = c.Apply(cache.State{Servants: servants, Groups: groups})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	return path
}

// openWith opens path read-only with the given number of load workers and
// returns its snapshot.
func openWith(t *testing.T, path string, workers int) *snapshot.Snapshot {
	c, err := cache.Open(path, cache.Options{ReadOnly: true, LoadWorkers: workers})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	return c.Snapshot()
}

// Open builds the same snapshot whatever the number of load workers: every
// servant, with the same record, version and answers.
func TestCache_Open_sameSnapshotWhateverTheWorkers(t *testing.T) {
	path := loadSource(t)
	want := openWith(t, path, 1)
	require.Equal(t, loadServants, want.Len())
	for _, workers := range []int{2, 3, 8, 0} {
		got := openWith(t, path, workers)
		require.Equal(t, want.IDs(), got.IDs(), "workers %d", workers)
		for id, w := range want.Entries() {
			g, ok := got.Stored(id)
			require.True(t, ok)
			require.Equal(t, w.Servant, g.Servant, "workers %d, %s", workers, id)
			require.Equal(t, w.Version, g.Version)
			requireSameAnswers(t, w, g)
		}
	}
}

// requireSameAnswers checks that two entries give the same lists and wire
// bytes to clients in no group and in each configured group.
func requireSameAnswers(t *testing.T, want, got *snapshot.Entry) {
	t.Helper()
	for _, g := range []int32{-1, 1, 2} {
		w, o := want.InGroup(g), got.InGroup(g)
		require.Equal(t, w.Active, o.Active)
		require.Equal(t, w.Inactive, o.Inactive)
		wa, wi := w.Wire()
		oa, oi := o.Wire()
		require.Equal(t, wa, oa)
		require.Equal(t, wi, oi)
	}
}

// A file with several damaged records is refused naming the first in key order,
// whatever the number of workers and however they are scheduled.
func TestCache_Open_reportsTheFirstDamagedRecord(t *testing.T) {
	b, err := os.ReadFile(loadSource(t))
	require.NoError(t, err)
	// Key order is byte order: App.S1000 comes early, App.S2999 and App.S999 late.
	for _, id := range []string{"App.S2999.Obj", "App.S1000.Obj", "App.S999.Obj"} {
		b[recordAt(t, b, id)+len(id)+3] ^= 0x40
	}
	path := filepath.Join(t.TempDir(), "damaged.db")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	for _, workers := range []int{1, 2, 8} {
		for range 5 {
			_, err := cache.Open(path, cache.Options{ReadOnly: true, LoadWorkers: workers})
			require.ErrorIs(t, err, cache.ErrCorrupt)
			require.ErrorContains(t, err, `"App.S1000.Obj"`, "workers %d", workers)
		}
	}
}
