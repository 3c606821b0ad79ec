package cachetest

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
)

// Path returns a file path in a fresh temporary directory of t.
func Path(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "tarscache.db")
}

// Open opens the cache file at path (a fresh file when path is "") and, when the
// test ends, runs Check on it and closes it.
func Open(t testing.TB, path string) *cache.Cache {
	t.Helper()
	if path == "" {
		path = Path(t)
	}
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, c.Check(), "cache file is inconsistent at the end of the test")
		require.NoError(t, c.Close())
	})
	return c
}

// Servant returns a servant record with one active tcp endpoint per host, on port.
func Servant(id string, port int32, hosts ...string) snapshot.Servant {
	s := snapshot.Servant{ID: id}
	for _, h := range hosts {
		s.Endpoints = append(s.Endpoints, snapshot.Endpoint{
			Active: true, Proto: 1, Host: h, Port: port, Timeout: 3000, Weight: -1,
			NodeName: h, Origin: id + "@" + h,
		})
	}
	return s
}
