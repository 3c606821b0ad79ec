package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// explain --data answers from the file as the server does, with the deciding rule
// and the steps; a caller in no IDC group gets every endpoint.
func TestExplain_dataFile(t *testing.T) {
	path := importedFile(t)
	code, out, errOut := runCLI("explain", "--data", path, "Demo.HelloServer.HelloObj", "--caller", "10.0.0.11")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, `findObjectByIdInSameGroup("Demo.HelloServer.HelloObj") asked by "10.0.0.11"`)
	require.Contains(t, out, "decided by: caller in no IDC group: every endpoint")
	require.Contains(t, out, "ret=0: 2 active, 1 inactive")
	require.Contains(t, out, "add --dsn to list them")
}

// With a subset rule in force, explain shows each endpoint's label and where
// sample route keys go.
func TestExplain_subsetRoutes(t *testing.T) {
	path := importedFile(t)
	code, out, errOut := runCLI("explain", "--data", path, "Shop.OrderServer.OrderObj", "--method", "any")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "subset rule in force: ratio")
	require.Contains(t, out, "canary: ")
	require.Contains(t, out, "stable: ")
}

// --set picks findObjectByIdInSameSet; --format json carries the answer, the rule
// and the steps for machines.
func TestExplain_setJSON(t *testing.T) {
	path := importedFile(t)
	code, out, errOut := runCLI("explain", "--data", path, "Shop.OrderServer.OrderObj", "--set", "shop.sz.1", "--format", "json")
	require.Equal(t, exitOK, code, errOut)
	var x struct {
		RPC    string   `json:"rpc"`
		Ret    int32    `json:"ret"`
		Rule   string   `json:"rule"`
		Steps  []string `json:"steps"`
		Active []any    `json:"active"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &x))
	require.Equal(t, "findObjectByIdInSameSet", x.RPC)
	require.Equal(t, "set shop.sz.1: its own endpoints", x.Rule)
	require.Len(t, x.Active, 2)
}

// --admin explains from a running server's records, with the same answer.
func TestExplain_admin(t *testing.T) {
	srv := adminOver(t, importedFile(t))
	code, out, errOut := runCLI("explain", "--admin", srv.URL, "Demo.HelloServer.HelloObj", "--method", "byid")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "# source: "+srv.URL)
	require.Contains(t, out, "decided by: every active endpoint, no group filtering")
	require.Contains(t, out, "10.0.0.13:10015 from Demo.HelloServer@10.0.0.13/")
}

// --dsn lists the servant's rows that the load drops, with the reason.
func TestExplain_droppedRows(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	path := filepath.Join(t.TempDir(), "tarscache.db")
	code, _, errOut := runCLI("sync", "--dsn", db.DSN, "--data", path)
	require.Equal(t, exitOK, code, errOut)
	code, out, errOut := runCLI("explain", "--data", path, "--dsn", db.DSN, "Demo.HelloServer.AdminObj")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "rows the load drops (db_tars):\n  t_adapter_conf Demo.HelloServer@10.0.0.12/Demo.HelloServer.AdminObjAdapter endpoint=\"tcp -h 10.0.0.12 -p 80abc -t 3000\"")
}

// Bad flags are usage errors (exit 2).
func TestExplain_usage(t *testing.T) {
	requireFailure(t, exitUsage, "explain takes one SERVANT, got 0 arguments", "explain")
	requireFailure(t, exitUsage, `--method "nope": want byid`, "explain", "X", "--method", "nope")
	requireFailure(t, exitUsage, "give --set or --station, not both", "explain", "X", "--set", "a.b.c", "--station", "s")
	requireFailure(t, exitUsage, `--format "xml"`, "explain", "X", "--format", "xml")
}
