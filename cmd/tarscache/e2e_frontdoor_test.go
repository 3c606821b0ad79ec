//go:build !race

package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// syncedFile returns a cache file synced once from a database with the sample
// registry, and that database.
func syncedFile(t *testing.T) (string, *testdb.DB) {
	db := testdb.New(t, "sample.sql")
	path := filepath.Join(t.TempDir(), "tarscache.db")
	out, err := exec.Command(tarscacheBin, "sync", "--dsn", db.DSN, "--data", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return path, db
}

// After a restart on unchanged data, the first sync changes nothing, and still
// says that it worked: msg="sync applied" first=true.
func TestServe_firstSyncIsLoggedEvenWhenNothingChanged(t *testing.T) {
	path, db := syncedFile(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", path, "--listen", freeAddr(t).String())
	require.Eventually(t, func() bool {
		return strings.Contains(serve.output(), `msg="sync applied" first=true written=0 deleted=0 unchanged=10`)
	}, 30*time.Second, 20*time.Millisecond, serve.output())
	require.NoError(t, serve.stop(t))
}

// A file whose last sync is older than --max-stale, served while the database is
// down: lookups fail as too stale, and the log and /readyz say so instead of
// "ready".
func TestServe_beyondMaxStaleIsNotReady(t *testing.T) {
	path, _ := syncedFile(t)
	listen, adm := freeAddr(t), freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", "root@tcp(127.0.0.1:1)/db_tars?timeout=1s", "--data", path,
		"--listen", listen.String(), "--admin", adm.String(), "--max-stale", "1ns")
	require.Eventually(t, func() bool { return strings.Contains(serve.output(), "msg=serving") }, 30*time.Second, 20*time.Millisecond)
	require.Contains(t, serve.output(), `level=WARN msg="the cache file's last sync is older than --max-stale: lookups fail and /readyz answers 503 until a sync succeeds"`)

	resp, err := http.Get(fmt.Sprintf("http://%s/readyz", adm))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	var body struct {
		Ready  bool   `json:"ready"`
		Reason string `json:"reason"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.False(t, body.Ready)
	require.Contains(t, body.Reason, "data too stale: the last sync from the database was ")
	require.Contains(t, body.Reason, "beyond --max-stale 1ns: lookups fail until a sync succeeds")

	out, err := exec.Command(tarscacheBin, "query", "--locator", listen.String(), "Demo.HelloServer.HelloObj").CombinedOutput()
	require.Error(t, err)
	require.Equal(t, 1, err.(*exec.ExitError).ExitCode())
	require.Contains(t, string(out), "too stale", "%s", out)
}

// GET /v1/servants/{id} names an endpoint's fields as /v1/records and
// dump --format json do.
func TestAdmin_servantJSONNamesFieldsAsTheRecords(t *testing.T) {
	path, db := syncedFile(t)
	adm := freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", path, "--listen", freeAddr(t).String(), "--admin", adm.String())
	require.Eventually(t, func() bool { return strings.Contains(serve.output(), "msg=serving") }, 30*time.Second, 20*time.Millisecond)
	var one struct {
		Endpoints []map[string]any `json:"endpoints"`
	}
	getJSON(t, fmt.Sprintf("http://%s/v1/servants/Demo.HelloServer.HelloObj", adm), &one)
	var records struct {
		Servants []struct {
			ID        string           `json:"id"`
			Endpoints []map[string]any `json:"endpoints"`
		} `json:"servants"`
	}
	getJSON(t, fmt.Sprintf("http://%s/v1/records?prefix=Demo.HelloServer.HelloObj", adm), &records)
	require.NotEmpty(t, one.Endpoints)
	for key := range records.Servants[0].Endpoints[0] {
		require.Contains(t, one.Endpoints[0], key, "a field of /v1/records missing from /v1/servants/{id}")
	}
	require.Contains(t, one.Endpoints[0], "istcp")
	require.NotContains(t, one.Endpoints[0], "proto")
}
