package cache_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

func fetch(servants ...snapshot.Servant) cache.State { return cache.State{Servants: servants} }

// Applying a fetch identical to the stored state writes nothing: no record and no
// write transaction.
func TestCache_Apply_identicalFetchWritesNothing(t *testing.T) {
	c := cachetest.Open(t, "")
	stats, err := c.Apply(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1", "10.0.0.2"), cachetest.Servant("B.S.Obj", 20, "10.0.0.3")))
	require.NoError(t, err)
	require.Equal(t, 2, stats.Written)
	tx, err := c.TxID()
	require.NoError(t, err)

	// Same content, endpoints listed in another order.
	stats, err = c.Apply(fetch(cachetest.Servant("B.S.Obj", 20, "10.0.0.3"), cachetest.Servant("A.S.Obj", 10, "10.0.0.2", "10.0.0.1")))
	require.NoError(t, err)
	require.Equal(t, cache.ApplyStats{Unchanged: 2, Duration: stats.Duration}, stats)
	after, err := c.TxID()
	require.NoError(t, err)
	require.Equal(t, tx, after, "an unchanged fetch must not commit a write transaction")
}

// Only the servants whose records changed are written; servants missing from the
// fetch are deleted and no longer answered.
func TestCache_Apply_writesChangedAndDeletesGone(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1"), cachetest.Servant("B.S.Obj", 20, "10.0.0.3"), cachetest.Servant("C.S.Obj", 30, "10.0.0.4")))
	require.NoError(t, err)
	before, _ := c.Snapshot().Lookup("A.S.Obj")

	stats, err := c.Apply(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1"), cachetest.Servant("B.S.Obj", 21, "10.0.0.3")))
	require.NoError(t, err)
	require.Equal(t, 1, stats.Written)
	require.Equal(t, 1, stats.Deleted)
	require.Equal(t, 1, stats.Unchanged)

	snap := c.Snapshot()
	_, ok := snap.Lookup("C.S.Obj")
	require.False(t, ok, "deleted servant still answered")
	b, _ := snap.Lookup("B.S.Obj")
	require.Equal(t, int32(21), b.AllLists().Active[0].Port)
	a, _ := snap.Lookup("A.S.Obj")
	require.Same(t, before, a, "an unchanged servant keeps its entry")
}

// A version is the CRC32 of the canonical encoding: it changes with any field and
// not with endpoint order.
func TestCache_Apply_versionFollowsContent(t *testing.T) {
	c := cachetest.Open(t, "")
	base := cachetest.Servant("A.S.Obj", 10, "10.0.0.1", "10.0.0.2")
	_, err := c.Apply(fetch(base))
	require.NoError(t, err)
	v1, _ := c.Snapshot().Lookup("A.S.Obj")

	changed := cachetest.Servant("A.S.Obj", 10, "10.0.0.1", "10.0.0.2")
	changed.Endpoints[1].Active = false
	stats, err := c.Apply(fetch(changed))
	require.NoError(t, err)
	require.Equal(t, 1, stats.Written)
	v2, _ := c.Snapshot().Lookup("A.S.Obj")
	require.NotEqual(t, v1.Version, v2.Version)
	require.Len(t, v2.AllLists().Active, 1)
	require.Len(t, v2.AllLists().Inactive, 1)
}

// A restarted process serves every stored servant as soon as the file is open.
func TestCache_Open_servesStoredRecordsAfterReopen(t *testing.T) {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	_, err = c.Apply(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1"), cachetest.Servant("B.S.Obj", 20, "10.0.0.3")))
	require.NoError(t, err)
	want := c.Snapshot()
	require.NoError(t, c.Close())

	reopened := cachetest.Open(t, path)
	got := reopened.Snapshot()
	require.Equal(t, want.IDs(), got.IDs())
	for _, id := range want.IDs() {
		w, _ := want.Lookup(id)
		g, _ := got.Lookup(id)
		require.Equal(t, w, g, "servant %s", id)
	}
}

// A second process cannot open a file a server holds; it fails within the lock
// timeout instead of hanging.
func TestCache_Open_lockedFileFails(t *testing.T) {
	path := cachetest.Path(t)
	cachetest.Open(t, path)
	_, err := cache.Open(path, cache.Options{ReadOnly: true, LockTimeout: 50_000_000})
	require.ErrorIs(t, err, cache.ErrLocked)
}

// Files that are not tarscache files are refused with a clear error and left as they are.
func TestCache_Open_refusesOtherFiles(t *testing.T) {
	cases := []struct {
		name    string
		content []byte
		want    error
	}{
		{"text file", []byte("hello, this is not a database\n"), cache.ErrNotCache},
		{"zeros", make([]byte, 8192), cache.ErrNotCache},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "other.db")
			require.NoError(t, os.WriteFile(path, tc.content, 0o600))
			_, err := cache.Open(path, cache.Options{})
			require.ErrorIs(t, err, tc.want)
			after, _ := os.ReadFile(path)
			require.Equal(t, tc.content, after, "a refused file must not change")
		})
	}
}

// Invalid records are rejected as a whole: nothing is written and the previous
// snapshot keeps being served.
func TestCache_Apply_rejectsInvalidFetch(t *testing.T) {
	good := cachetest.Servant("A.S.Obj", 10, "10.0.0.1")
	cases := []struct {
		name  string
		fetch cache.State
		want  error
		msg   string
	}{
		{"empty id", fetch(good, cachetest.Servant("", 1, "h")), cache.ErrBadRecord, `servant id of 0 bytes: want 1 to 32768`},
		{"duplicate", fetch(good, good), cache.ErrDuplicateServant, `servant listed twice: "A.S.Obj"`},
		{"port", fetch(cachetest.Servant("B.S.Obj", 70000, "h")), cache.ErrBadRecord, `servant "B.S.Obj" endpoint 0: port 70000 out of range 0..65535`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cachetest.Open(t, "")
			_, err := c.Apply(fetch(cachetest.Servant("Keep.S.Obj", 1, "10.0.0.9")))
			require.NoError(t, err)
			_, err = c.Apply(tc.fetch)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.msg)
			require.Equal(t, []string{"Keep.S.Obj"}, c.Snapshot().IDs())
		})
	}
}

// Active endpoints are answered with weightType 2 rewritten to 0, as the official
// registry does with dynamic weighting off; inactive ones keep 2.
func TestSnapshot_Lookup_dynamicWeightOff(t *testing.T) {
	c := cachetest.Open(t, "")
	s := cachetest.Servant("A.S.Obj", 10, "10.0.0.1", "10.0.0.2")
	for i := range s.Endpoints {
		s.Endpoints[i].WeightType, s.Endpoints[i].Weight = 2, 80
	}
	s.Endpoints[1].Active = false
	_, err := c.Apply(fetch(s))
	require.NoError(t, err)
	e, _ := c.Snapshot().Lookup("A.S.Obj")
	require.Equal(t, int32(0), e.AllLists().Active[0].WeightType)
	require.Equal(t, int32(80), e.AllLists().Active[0].Weight)
	require.Equal(t, int32(2), e.AllLists().Inactive[0].WeightType)
}

// Opening an existing file writes nothing to it.
func TestCache_Open_writesNothing(t *testing.T) {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	_, err = c.Apply(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1")))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	c, err = cache.Open(path, cache.Options{})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
}
