//go:build !race

// Tests of "tarscache query" against a tarscache QueryF server in this process,
// asked through a TarsGo client, and of every command given hostile arguments.
// TarsGo v1.4.6 has a data race of its own (see e2e_test.go), so this file is
// left out of -race builds.

package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// query takes the locator forms people paste: HOST:PORT, an endpoint, OBJ@HOST:PORT
// and the full locator; each asks the same server.
func TestQuery_locatorForms(t *testing.T) {
	loc := diffServer(t, cache.State{Servants: []snapshot.Servant{cachetest.Servant(helloObj, 10015, "10.0.0.1", "10.0.0.2")}})
	_, eps, _ := strings.Cut(loc, "@")
	var host, port string
	fmt.Sscanf(eps, "tcp -h %s -p %s", &host, &port)
	hostPort := net.JoinHostPort(host, port)
	for _, form := range []string{hostPort, "tcp -h " + host + " -p " + port, "tars.tarsregistry.QueryObj@" + hostPort, loc, " " + hostPort + " "} {
		t.Run(form, func(t *testing.T) {
			code, out, errOut := runCLI("query", "--locator", form, helloObj)
			require.Equal(t, exitOK, code, errOut)
			require.Empty(t, errOut)
			require.True(t, strings.HasPrefix(out, `findObjectById4Any("Demo.HelloServer.HelloObj") ret=0: 2 active, 0 inactive`+"\n"), out)
		})
	}
}

// A servant the registry does not know is answered like one without endpoints:
// query prints the answer, and fails saying what it may mean.
func TestQuery_unknownServantIsAFailure(t *testing.T) {
	loc := diffServer(t, cache.State{Servants: []snapshot.Servant{cachetest.Servant(helloObj, 10015, "10.0.0.1")}})
	for _, format := range []string{"table", "json"} {
		code, out, errOut := runCLI("query", "--locator", loc, "--format", format, "Demo.HelloServer.NoSuchObj")
		require.Equal(t, exitFailure, code)
		require.Equal(t, `tarscache: query: no endpoint for "Demo.HelloServer.NoSuchObj": the registry does not know this servant or has none for it `+
			`(ids are case-sensitive: Application.Server.Servant; "tarscache dump" lists them)`+"\n", errOut)
		require.Contains(t, out, "Demo.HelloServer.NoSuchObj", format)
	}
}

// A locator that does not answer fails within --timeout, saying so.
func TestQuery_silentLocatorTimesOut(t *testing.T) {
	code, out, errOut := runCLI("query", "--timeout", "300ms", "--locator", silentLocator(t), helloObj)
	require.Equal(t, exitFailure, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "(no answer within 300ms: is tarscache or a Tars registry listening there?)")
	require.Equal(t, 1, strings.Count(errOut, "\n"))
}

// hostileArgs are argument vectors given to every command: empty, malformed and
// hostile. Whatever the command, none may crash it.
var hostileArgs = [][]string{
	{}, {""}, {"--"}, {"-"}, {"---"}, {"--="}, {"-="}, {"--data"}, {"--data", ""}, {"--data", "/"}, {"--data", "/dev/null"},
	{"--data", "\x00"}, {"--data=" + strings.Repeat("a/", 3000)}, {"--format", ""}, {"--format", "\x1b[31m"},
	{"--locator", ""}, {"--locator", "@"}, {"--locator", ":::"}, {"--locator", "tcp -h"}, {"--locator", "x@tcp -h 127.0.0.1 -p -1"},
	{"--dsn", ""}, {"--dsn", "mysql://u:p@h/db"}, {"--dsn", "@/"}, {"--dsn", "u@tcp(:)/d?timeout=x"}, {"--dsn-file", "/dev/null"},
	{"--listen", "x"}, {"--listen", ":99999"}, {"--admin", ""}, {"--allow", "::/999"}, {"--advertise", "tcp -h"},
	{"--timeout", "-1s"}, {"--sync-interval", "1e309h"}, {"--max-stale", "9999999999999h"}, {"--keys", "-5", "A.B.C"},
	{"--seed", "-1"}, {"--method", ",,,"}, {"--servants", "/dev/null"}, {"--bogus"}, {"-bogus"}, {"--help=maybe"},
	{strings.Repeat("A", 100000)}, {"\xff\xfe\xfd"}, {"%s%n%x%d"}, {"$(reboot)"}, {"A.B.C", "--method", ""}, {"--", "--data"},
	{"migrate", "--dsn", "x"},
}

// Every command given empty, malformed or hostile arguments exits 0, 1 or 2
// with at most one "tarscache: " line on stderr, never a Go stack trace; the
// unknown flag is a usage error everywhere. Nothing is left in the working
// directory. The databases and locators the defaults name do not answer.
func TestCLI_hostileArgumentsNeverCrash(t *testing.T) {
	t.Setenv("TARSCACHE_DSN", "root@tcp(127.0.0.1:1)/db_tars?timeout=1s")
	t.Setenv("TARSCACHE_LISTEN", busyPort(t))
	t.Setenv("TARSCACHE_ADMIN", "off")
	t.Setenv("TARSCACHE_LOCATOR", closedLocator(t))
	t.Setenv("TARSCACHE_DIFF_LOCATORS", closedLocator(t)+","+closedLocator(t))
	t.Setenv("TARSCACHE_TIMEOUT", "300ms")
	commands := []string{""}
	for _, c := range newApp(nil, nil).Commands {
		commands = append(commands, c.Name)
	}
	commands = append(commands, "db migrate")
	dir := t.TempDir()
	t.Chdir(dir)
	for _, cmd := range commands {
		for _, args := range hostileArgs {
			argv := append(strings.Fields(cmd), args...)
			t.Run(fmt.Sprintf("%q", argv), func(t *testing.T) {
				code, _, errOut := runCLI(argv...)
				requireNoCrash(t, code, errOut)
				if len(args) == 1 && args[0] == "--bogus" {
					require.Equal(t, exitUsage, code, errOut)
				}
				entries, err := os.ReadDir(dir)
				require.NoError(t, err)
				require.Empty(t, entries, "a failed run leaves nothing behind")
			})
		}
	}
}

// requireNoCrash checks that a run ended as a command should: a known exit code
// and, on failure, one line on stderr, neither a stack trace nor a panic.
func requireNoCrash(t *testing.T, code int, errOut string) {
	t.Helper()
	require.Contains(t, []int{exitOK, exitFailure, exitUsage}, code, errOut)
	for _, crash := range []string{"goroutine ", "panic", "internal error", ".go:", "runtime."} {
		require.NotContains(t, errOut, crash)
	}
	if code != exitOK {
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		require.True(t, strings.HasPrefix(lines[len(lines)-1], "tarscache: "), "ends with the reason: %q", errOut)
		require.Equal(t, 1, strings.Count(errOut, "tarscache: "), "one reason: %q", errOut)
	}
}

// FuzzRun_args runs a command with three fuzzed arguments (flags or not) and
// checks it as TestCLI_hostileArgumentsNeverCrash does. serve is left out (given
// a free port it would serve until stopped), and so are DSNs, so that no run
// reaches a real database, and --admin and --timeout, so that none waits long on
// an address that does not answer; standard input is empty. Its seeds run with
// go test; explore with
// go test ./cmd/tarscache -run '^$' -fuzz '^FuzzRun_args$'.
func FuzzRun_args(f *testing.F) {
	f.Setenv("TARSCACHE_DSN", "root@tcp(127.0.0.1:1)/db_tars?timeout=1s")
	f.Setenv("TARSCACHE_LOCATOR", "127.0.0.1:1")
	f.Setenv("TARSCACHE_DIFF_LOCATORS", "127.0.0.1:1,127.0.0.1:1")
	f.Setenv("TARSCACHE_TIMEOUT", "300ms")
	dir := f.TempDir()
	f.Chdir(dir)
	devNull, err := os.Open(os.DevNull)
	require.NoError(f, err)
	stdin := os.Stdin
	os.Stdin = devNull
	f.Cleanup(func() { os.Stdin = stdin; devNull.Close() })
	var commands []string
	for _, c := range newApp(nil, nil).Commands {
		if c.Name != "serve" {
			commands = append(commands, c.Name)
		}
	}
	for i, args := range hostileArgs {
		a := append(args, "", "", "")
		f.Add(uint8(i), a[0], a[1], a[2])
	}
	f.Fuzz(func(t *testing.T, cmd uint8, a, b, c string) {
		for _, s := range []string{a, b, c} {
			if strings.ContainsAny(s, "(@") || strings.Contains(s, "dsn") || strings.Contains(s, "admin") || strings.Contains(s, "timeout") {
				t.Skip("no database, no admin API, no long wait")
			}
		}
		code, _, errOut := runCLI(commands[int(cmd)%len(commands)], a, b, c)
		requireNoCrash(t, code, errOut)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			require.NoError(t, os.RemoveAll(e.Name())) // an import or export that succeeded
		}
	})
}
