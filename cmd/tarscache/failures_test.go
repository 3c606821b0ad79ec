package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"
)

// busyPort returns a loopback address something else is listening on.
func busyPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// Commands that fail on a good cache file (a port in use, an unreachable or
// wrong database, a path that cannot be written, bad settings) exit non-zero
// with one line saying what and where, and leave the file byte for byte as it was.
func TestCLI_failuresLeaveTheFileAsItWas(t *testing.T) {
	path, dir := importedFile(t), t.TempDir()
	busy := busyPort(t)
	unreachable := "root@tcp(127.0.0.1:1)/db_tars?timeout=1s"
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, []byte(" \n"), 0o600))
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"QueryF port in use", []string{"serve", "--data", path, "--listen", busy}, exitFailure, "tars: listen on " + busy},
		{"admin port in use", []string{"serve", "--data", path, "--listen", "127.0.0.1:0", "--admin", busy}, exitFailure, "admin: listen on " + busy},
		{"sync interval zero", []string{"serve", "--data", path, "--sync-interval", "0s"}, exitUsage, "--sync-interval 0s: want a positive duration"},
		{"negative max stale", []string{"serve", "--data", path, "--max-stale", "-1h"}, exitUsage, "--max-stale -1h0m0s: want 0 or a positive duration"},
		{"threshold above 100", []string{"sync", "--data", path, "--protect-threshold", "101"}, exitUsage, "--protect-threshold 101: want a percentage from 0 to 100"},
		{"bad duration", []string{"serve", "--data", path, "--full-sync-interval", "often"}, exitUsage, `--full-sync-interval "often": want a duration with a unit, e.g. 500ms, 2s, 5m or 72h`},
		{"database unreachable", []string{"sync", "--data", path, "--dsn", unreachable}, exitFailure, "127.0.0.1:1"},
		{"dry run, database unreachable", []string{"sync", "--dry-run", "--data", path, "--dsn", unreachable}, exitFailure, "127.0.0.1:1"},
		{"malformed DSN", []string{"sync", "--data", path, "--dsn", "no-at-sign"}, exitUsage, "DSN"},
		{"export into a missing directory", []string{"export", "--data", path, "--out", filepath.Join(dir, "no", "x.json")}, exitFailure, "export to " + filepath.Join(dir, "no", "x.json")},
		{"import of a directory", []string{"import", "--replace", "--data", path, dir}, exitFailure, "import " + dir},
		{"dump with a bad format", []string{"dump", "--data", path, "--format", "yaml"}, exitUsage, `--format "yaml"`},
		{"admin beyond loopback without a token", []string{"serve", "--data", path, "--listen", "127.0.0.1:0", "--admin", "0.0.0.0:0"},
			exitUsage, "--admin 0.0.0.0:0 is not a loopback address"},
		{"bad --allow", []string{"serve", "--data", path, "--listen", "127.0.0.1:0", "--allow", "10.0.0.0/33"}, exitUsage, `--allow "10.0.0.0/33"`},
		{"zero --max-conns", []string{"serve", "--data", path, "--max-conns", "0"}, exitUsage, "--max-conns 0: want 1 or more"},
		{"--batch-window above 1ms", []string{"serve", "--data", path, "--batch-window", "5ms"}, exitUsage, "--batch-window 5ms: want 0 (no pause) up to 1ms"},
		{"negative --batch-window", []string{"serve", "--data", path, "--batch-window", "-30us"}, exitUsage, "--batch-window -30µs: want 0 (no pause) up to 1ms"},
		{"missing --dsn-file", []string{"sync", "--data", path, "--dsn-file", filepath.Join(dir, "dsn")}, exitUsage, "--dsn-file: open " + filepath.Join(dir, "dsn")},
		{"empty --admin-token-file", []string{"serve", "--data", path, "--admin-token-file", emptyFile}, exitUsage, "--admin-token-file " + emptyFile + ": the file is empty"},
	}
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireFailure(t, tc.code, tc.msg, tc.args...)
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, before, after, "the file must be left as it was")
		})
	}
}

// A cache path that is a directory, or in a directory that does not exist, is
// refused by every command that opens the file, naming the path.
func TestCLI_unusableCachePath(t *testing.T) {
	dir := t.TempDir()
	missingDir := filepath.Join(dir, "nope", "tarscache.db")
	for _, cmd := range []string{"dump", "check", "export"} {
		for _, path := range []string{dir, missingDir} {
			code, _, errOut := runCLI(cmd, "--data", path)
			require.Equal(t, exitFailure, code, "%s --data %s: %s", cmd, path, errOut)
			require.Contains(t, errOut, path, cmd)
		}
	}
	code, _, errOut := runCLI("serve", "--data", missingDir, "--listen", "127.0.0.1:0", "--admin", "off")
	require.Equal(t, exitUsage, code, errOut)
	require.Contains(t, errOut, missingDir)
}

// Every flag of every command can be set from a TARSCACHE_* environment variable,
// and every command's --help shows an example.
func TestCLI_everyFlagHasAnEnvironmentVariable(t *testing.T) {
	for _, cmd := range newApp(nil, nil).Commands {
		require.Contains(t, cmd.Description, "Example", "%s --help shows no example", cmd.Name)
		for _, f := range cmd.Flags {
			envs := f.(cli.DocGenerationFlag).GetEnvVars()
			require.NotEmpty(t, envs, "%s --%s has no environment variable", cmd.Name, f.Names()[0])
			for _, e := range envs {
				require.True(t, strings.HasPrefix(e, "TARSCACHE_"), "%s --%s: %s", cmd.Name, f.Names()[0], e)
			}
		}
	}
}
