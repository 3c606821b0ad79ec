package cache_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/tarscache/tarscache/cache"
)

// A new file appears only complete: the directory then holds the file and
// nothing else, and read-only tools open it at once.
func TestCache_Open_createsFilesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
	ro, err := cache.Open(path, cache.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, ro.Close())
}

// A file a process killed while creating it left behind (by a tarscache before
// atomic creation): serve initialises it; read-only tools say what it is.
func TestCache_Open_neverInitialisedFiles(t *testing.T) {
	cases := map[string]func(t *testing.T, path string){
		"empty": func(t *testing.T, path string) { require.NoError(t, os.WriteFile(path, nil, 0o600)) },
		"bbolt file without buckets": func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, nil)
			require.NoError(t, err)
			require.NoError(t, db.Close())
		},
	}
	for name, leave := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "half.db")
			leave(t, path)
			_, err := cache.Open(path, cache.Options{ReadOnly: true})
			require.ErrorIs(t, err, cache.ErrNotCache)
			require.ErrorContains(t, err, "never initialised")
			c, err := cache.Open(path, cache.Options{})
			require.NoError(t, err, "serve initialises it")
			require.NoError(t, c.Close())
			ro, err := cache.Open(path, cache.Options{ReadOnly: true})
			require.NoError(t, err)
			require.NoError(t, ro.Close())
		})
	}
}

// A dangling symbolic link at the path is refused, not followed: nothing is
// created at its target. (It used to create the file wherever the link pointed.)
func TestOpen_refusesDanglingSymlink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "elsewhere", "..", "target.db"), filepath.Join(dir, "tarscache.db")
	require.NoError(t, os.Symlink(target, link))
	_, err := cache.Open(link, cache.Options{})
	require.ErrorContains(t, err, "it is a symbolic link to "+target+", which does not exist: refusing to create the file through it")
	_, err = os.Lstat(filepath.Join(dir, "target.db"))
	require.ErrorIs(t, err, os.ErrNotExist)

	c, err := cache.Open(filepath.Join(dir, "real.db"), cache.Options{})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, os.Remove(link))
	require.NoError(t, os.Symlink(filepath.Join(dir, "real.db"), link))
	c, err = cache.Open(link, cache.Options{})
	require.NoError(t, err, "a link to an existing file is fine")
	require.NoError(t, c.Close())
}
