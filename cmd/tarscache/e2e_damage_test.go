//go:build !race

package main_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// A damaged cache file stops serve with the reason and is left as it was; with
// --rebuild-on-corruption serve moves it aside (kept, never deleted) and rebuilds
// the cache from MySQL.
func TestServe_damagedFile(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	data := filepath.Join(t.TempDir(), "tarscache.db")
	out, err := runBin("sync", "--dsn", db.DSN, "--data", data)
	require.NoError(t, err, out)
	whole, err := os.ReadFile(data)
	require.NoError(t, err)
	damaged := whole[:len(whole)/2]
	require.NoError(t, os.WriteFile(data, damaged, 0o600))

	loc := freeAddr(t)
	out, err = runBin("serve", "--dsn", db.DSN, "--data", data, "--listen", loc.String(), "--admin", "off")
	require.Error(t, err)
	require.Contains(t, out, "corrupt data: the file holds")
	require.Contains(t, out, "--rebuild-on-corruption")
	after, err := os.ReadFile(data)
	require.NoError(t, err)
	require.Equal(t, damaged, after, "a refused file is left as it was")

	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", data, "--listen", loc.String(), "--admin", "off",
		"--rebuild-on-corruption")
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { a, _ := lists(t, q, helloObj); return len(a) == 2 },
		10*time.Second, 50*time.Millisecond, "the cache was not rebuilt from MySQL; output:\n%s", serve.output())
	require.Contains(t, serve.output(), "moved aside")
	aside, err := filepath.Glob(data + ".bad-*")
	require.NoError(t, err)
	require.Len(t, aside, 1)
	kept, err := os.ReadFile(aside[0])
	require.NoError(t, err)
	require.Equal(t, damaged, kept, "the damaged file is kept for inspection")
	require.NoError(t, serve.stop(t))
	out, err = runBin("check", "--data", data)
	require.NoError(t, err, out)
}
