package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/doctor"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// doctor --dsn on a registry without mistakes prints the checks it ran and exits 0.
func TestDoctor_cleanRegistry(t *testing.T) {
	db := testdb.New(t, "doctor/clean.sql")
	code, out, errOut := runCLI("doctor", "--dsn", db.DSN)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "0 errors, 0 warnings, 0 notes (18 checks: ")
	require.Empty(t, errOut)
}

// doctor exits 1 when a finding is an error, printing the report on stdout and one
// line on stderr; --format json is the same report for machines.
func TestDoctor_errorsExitOne(t *testing.T) {
	db := testdb.New(t, "doctor/clean.sql", "doctor/mistakes.sql")
	code, out, errOut := runCLI("doctor", "--dsn", db.DSN)
	require.Equal(t, exitFailure, code)
	require.Contains(t, out, "ERROR   endpoint-claimed-twice: tcp 10.1.0.2:9100 is claimed by 2 servants and 2 server rows")
	require.Contains(t, out, "  fix: ")
	require.True(t, strings.HasPrefix(errOut, "tarscache: doctor: 3 errors in "), errOut)
	require.True(t, strings.HasSuffix(errOut, " (17 warnings)\n"), errOut)
	require.Equal(t, 1, strings.Count(errOut, "\n"))

	code, out, _ = runCLI("doctor", "--dsn", db.DSN, "--format", "json")
	require.Equal(t, exitFailure, code)
	var r doctor.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Equal(t, 3, r.Errors)
	require.NotEmpty(t, r.Only("endpoint-unparsable"))
}

// doctor --data checks the records of a cache file: the sample's deliberate
// mistakes that reach the file, and no database-only check.
func TestDoctor_dataFile(t *testing.T) {
	path := importedFile(t)
	code, out, errOut := runCLI("doctor", "--data", path)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "# source: "+path)
	require.NotContains(t, out, "clock-skew")
}

// Bad flags are usage errors (exit 2).
func TestDoctor_usage(t *testing.T) {
	requireFailure(t, exitUsage, `--format "xml": want text or json`, "doctor", "--data", "x.db", "--format", "xml")
	requireFailure(t, exitUsage, "give --data FILE or --admin URL, not both", "doctor", "--data", "x.db", "--admin", "127.0.0.1:1")
	requireFailure(t, exitUsage, "doctor takes no arguments", "doctor", "extra")
}
