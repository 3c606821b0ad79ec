package cache_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// The file under a running Cache is truncated, overwritten with an older backup
// (cp backup.db FILE), replaced by another file, or deleted. Each is found before
// the file is touched: a backup is refused with ErrFileChanged (a truncated file
// used to end the process with SIGBUS), FileStatus says what happened, the
// snapshot keeps being served, and the next Apply rewrites the file from memory,
// moving what was there aside: reopened, the file holds every record.
func TestCache_fileChangedUnderIt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(t *testing.T, path, older string)
		problem string
		aside   bool
	}{
		{"truncated", func(t *testing.T, path, _ string) { require.NoError(t, os.Truncate(path, 4096)) },
			"it was truncated", true},
		{"truncated to nothing", func(t *testing.T, path, _ string) { require.NoError(t, os.Truncate(path, 0)) },
			"no valid bbolt meta page left", true},
		{"overwritten with a backup", func(t *testing.T, path, older string) { copyFile(t, older, path) },
			"it was overwritten: its last commit is transaction", true},
		{"replaced", func(t *testing.T, path, older string) {
			copyFile(t, older, path+".new")
			require.NoError(t, os.Rename(path+".new", path))
		}, "another file was put in its place", true},
		{"deleted", func(t *testing.T, path, _ string) { require.NoError(t, os.Remove(path)) },
			"it was deleted", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := cachetest.Path(t)
			c, err := cache.Open(path, cache.Options{})
			require.NoError(t, err)
			_, err = c.Apply(fetch(servants(300)...))
			require.NoError(t, err)
			older := filepath.Join(t.TempDir(), "older.db")
			f, err := os.Create(older)
			require.NoError(t, err)
			_, err = c.WriteTo(f)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			_, err = c.Apply(fetch(servants(301)...))
			require.NoError(t, err)
			want := records(c.Snapshot())

			tc.change(t, path, older)
			_, err = c.WriteTo(io.Discard)
			require.ErrorIs(t, err, cache.ErrFileChanged)
			require.ErrorContains(t, err, tc.problem)
			st := c.FileStatus()
			require.Contains(t, st.Problem, tc.problem)
			require.Equal(t, 1, st.Changes)
			_, err = c.WriteTo(io.Discard)
			require.ErrorIs(t, err, cache.ErrFileChanged, "refused until it is rewritten")
			require.Equal(t, 1, c.FileStatus().Changes, "counted once")
			require.Equal(t, want, records(c.Snapshot()), "still served from memory")

			_, err = c.Apply(fetch(servants(302)...))
			require.NoError(t, err)
			st = c.FileStatus()
			require.Empty(t, st.Problem)
			require.Equal(t, 1, st.Rewrites)
			_, err = c.WriteTo(io.Discard)
			require.NoError(t, err, "backups work again")
			want = records(c.Snapshot())
			require.NoError(t, c.Close())

			reopened := cachetest.Open(t, path)
			require.Equal(t, want, records(reopened.Snapshot()), "nothing lost")
			aside, err := filepath.Glob(path + ".bad-*")
			require.NoError(t, err)
			require.Len(t, aside, map[bool]int{true: 1, false: 0}[tc.aside], "what was at the path is kept aside")
		})
	}
}

// An idle Apply (nothing to write) also finds a changed file and rewrites it.
func TestCache_fileChanged_idleApplyRewrites(t *testing.T) {
	path := cachetest.Path(t)
	c := cachetest.Open(t, path)
	st := fetch(servants(10)...)
	st.FetchedAt = time.Unix(1000, 0)
	_, err := c.Apply(st)
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))

	st = fetch(servants(10)...)
	st.FetchedAt = time.Unix(1001, 0)
	_, err = c.Apply(st)
	require.NoError(t, err)
	require.Equal(t, 1, c.FileStatus().Rewrites)
	_, err = os.Stat(path)
	require.NoError(t, err, "the file is back")
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o600))
}
