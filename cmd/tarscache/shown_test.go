package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// hostileRecords is an import document whose ids and hosts carry a forged
// header line, a clear-screen sequence, an OSC title and a bidi override.
const hostileRecords = `{"format": "tarscache-records/1", "servants": [
  {"id": "Evil.S.Obj\n# last sync: 2099-01-01T00:00:00Z (stale for 0s)", "endpoints": [
    {"active": true, "istcp": 1, "host": "10.0.0.1\u001b[2J", "port": 1, "timeout": 3000, "weight": -1}]},
  {"id": "Evil.T.Obj", "endpoints": [
    {"active": true, "istcp": 1, "host": "\u001b]0;pwned\u0007h", "port": 2, "timeout": 3000, "weight": -1,
     "nodeName": "n\u202eode", "subset": "v1\r"}]}
]}`

// Ids and hosts with control characters reach dump's table and tars formats
// quoted as Go strings: no forged line, no escape sequence reaches the terminal.
// They used to be printed raw. JSON escapes control characters itself.
func TestDump_escapesControlCharacters(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "hostile.json")
	require.NoError(t, os.WriteFile(doc, []byte(hostileRecords), 0o600))
	path := filepath.Join(t.TempDir(), "tarscache.db")
	code, _, errOut := runCLI("import", "--data", path, doc)
	require.Equal(t, exitOK, code, errOut)

	for _, format := range []string{"table", "tars", "json"} {
		code, out, errOut := runCLI("dump", "--data", path, "--format", format)
		require.Equal(t, exitOK, code, errOut)
		require.NotContains(t, out, "\x1b", format)
		require.NotContains(t, out, "\r", format)
		if format == "json" { // JSON is for programs: encoding/json leaves format characters as they are
			continue
		}
		require.NotContains(t, out, "\u202e", format)
		require.Equal(t, 1, strings.Count(out, "# last sync:")-strings.Count(out, `\n# last sync:`), "%s: one real header line:\n%s", format, out)
	}
	_, table, _ := runCLI("dump", "--data", path)
	require.Contains(t, table, `"Evil.S.Obj\n# last sync: 2099-01-01T00:00:00Z (stale for 0s)"`)
	require.Contains(t, table, `tcp -h "10.0.0.1\x1b[2J" -p 1`)
	require.Contains(t, table, `"n\u202eode"`)
	_, tars, _ := runCLI("dump", "--data", path, "--format", "tars")
	require.Contains(t, tars, `# "Evil.S.Obj\n# last sync: 2099-01-01T00:00:00Z (stale for 0s)": left out, the id has characters`)
	require.Contains(t, tars, "# Evil.T.Obj: left out, a host has characters a Tars configuration cannot hold")
}

// A --dsn-file or --admin-token-file that other users may read draws a warning
// naming the file and its mode; one readable by its owner only draws none.
func TestSecretFiles_warnWhenShared(t *testing.T) {
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{{0o644, true}, {0o640, true}, {0o600, false}} {
		path := filepath.Join(t.TempDir(), "dsn")
		require.NoError(t, os.WriteFile(path, []byte("root@tcp(127.0.0.1:1)/db_tars?timeout=1s\n"), 0o600))
		require.NoError(t, os.Chmod(path, tc.mode))
		_, _, errOut := runCLI("sync", "--dsn-file", path, "--data", filepath.Join(t.TempDir(), "x.db"))
		want := fmt.Sprintf("tarscache: warning: --dsn-file %s can be read by other users (mode %04o)", path, tc.mode)
		if tc.warn {
			require.Contains(t, errOut, want, "mode %o", tc.mode)
			require.Contains(t, errOut, "chmod 600 it")
		} else {
			require.NotContains(t, errOut, "warning", "mode %o", tc.mode)
		}
	}
}
