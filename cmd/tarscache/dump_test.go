package main

import (
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/sync"
)

// adminOver serves the admin API of a running server over the cache file at
// path, opened as serve opens it (the file is then locked).
func adminOver(t *testing.T, path string) *httptest.Server {
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	srv := httptest.NewServer(admin.NewHandler(admin.Options{Held: heldView{sync.New(nil, c, sync.Options{})}, Store: storeView{c}}))
	t.Cleanup(srv.Close)
	return srv
}

// dump --format tars prints each servant as a client configuration names it
// without a locator: Servant@endpoint:endpoint, active endpoints only, after a
// header saying where the records come from and how old they are.
func TestDump_tarsFormat(t *testing.T) {
	path := importedFile(t)
	code, out, errOut := runCLI("dump", "--data", path, "--format", "tars", "Shop.Order", "tars.tarsconfig.")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "# source: "+path+"\n# last sync: never (a new or imported file)\n"+
		"Shop.OrderServer.OrderObj@tcp -h 10.0.0.12 -p 10100 -t 60000 -v 2 -w 80:tcp -h 10.0.0.13 -p 10100 -t 60000 -v 1 -w 100\n"+
		"tars.tarsconfig.ConfigObj@tcp -h 10.0.0.11 -p 18193 -t 60000\n", out)
}

// While serve holds the file, dump --admin reads the same records from the
// running server, in every format; the plain file read says to do so.
func TestDump_admin(t *testing.T) {
	path := importedFile(t)
	_, wantJSON, _ := runCLI("dump", "--data", path, "--format", "json", "Demo.")
	_, wantTable, _ := runCLI("dump", "--data", path, "Demo.", "Shop.")
	srv := adminOver(t, path)

	code, _, errOut := runCLI("dump", "--data", path)
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "read the running server with --admin HOST:PORT instead")

	code, got, errOut := runCLI("dump", "--admin", srv.URL, "--format", "json", "Demo.")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, wantJSON, got)
	code, got, errOut = runCLI("dump", "--admin", strings.TrimPrefix(srv.URL, "http://"), "Demo.", "Shop.")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, withoutSource(wantTable), withoutSource(got))
}

// withoutSource drops the "# source:" line, the one line that differs between a
// dump of the file and one of the server.
func withoutSource(out string) string {
	_, rest, _ := strings.Cut(out, "\n")
	return rest
}

// dump --admin of a server that does not answer, or of something that is not an
// admin API, fails and says which.
func TestDump_adminFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	notAdmin := httptest.NewServer(nil) // answers 404 to everything
	t.Cleanup(notAdmin.Close)
	cases := []struct {
		name, admin, want string
	}{
		{"nothing listening", closed, "tarscache: ask the running server: Get \"http://" + closed + "/v1/records\""},
		{"not an admin API", notAdmin.URL, "tarscache: ask the running server: GET " + notAdmin.URL + "/v1/records: 404 Not Found 404 page not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI("dump", "--admin", tc.admin)
			require.Equal(t, exitFailure, code)
			require.Contains(t, errOut, tc.want)
		})
	}
}

// The header of a synced file says when and how long ago.
func TestDump_headerOfSyncedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tarscache.db")
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	synced := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	_, err = c.Apply(cache.State{FetchedAt: synced, Source: &cache.Source{Name: "tars:xxxxx@tcp(10.0.1.21:3306)/db_tars", Since: synced.Add(-time.Hour)}})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	var out strings.Builder
	o := dumpOptions{data: path, format: "table", now: func() time.Time { return synced.Add(90 * time.Minute) }}
	require.NoError(t, dump(&out, o))
	require.Contains(t, out.String(), "# last sync: 2026-11-21T10:00:00Z (stale for 1h30m0s)\n")
	require.Contains(t, out.String(), "# data from: tars:xxxxx@tcp(10.0.1.21:3306)/db_tars (since 2026-11-21T09:00:00Z)\n")
}
