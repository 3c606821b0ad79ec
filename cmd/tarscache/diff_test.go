//go:build !race

// Tests of "tarscache diff" against two tarscache QueryF servers in this process,
// asked through TarsGo clients. TarsGo v1.4.6 has a data race of its own (see
// e2e_test.go), so this file is left out of -race builds.

package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/tars"
)

// Servant ids of the two registries diffPair serves.
const (
	helloObj = "Demo.HelloServer.HelloObj" // the same on both
	timerObj = "Demo.TimerServer.TimerObj" // B has an extra endpoint
	portObj  = "Demo.PortServer.PortObj"   // port 1000 on A, 1001 on B
	stateObj = "Demo.StateServer.StateObj" // active on A, inactive on B
)

// diffServer serves st over QueryF on a free loopback port until the test ends
// and returns its locator.
func diffServer(t *testing.T, st cache.State) string {
	t.Helper()
	c := cachetest.Open(t, "")
	_, err := c.Apply(st)
	require.NoError(t, err)
	srv, err := tars.Listen("127.0.0.1:0", tars.NewHandler(c, tars.HandlerOptions{}), tars.Options{})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, tars.ErrServerClosed)
	})
	return tarstest.Locator(srv.Addr())
}

// diffPair serves two registries that differ as the servant ids above say; only
// B knows the station "sz".
func diffPair(t *testing.T) (a, b string) {
	t.Helper()
	inactive := cachetest.Servant(stateObj, 10030, "10.0.0.5")
	inactive.Endpoints[0].Active = false
	a = diffServer(t, cache.State{Servants: []snapshot.Servant{
		cachetest.Servant(helloObj, 10015, "10.0.0.1", "10.0.0.2"),
		cachetest.Servant(timerObj, 10020, "10.0.0.3"),
		cachetest.Servant(portObj, 1000, "10.0.0.4"),
		cachetest.Servant(stateObj, 10030, "10.0.0.5"),
	}})
	b = diffServer(t, cache.State{
		Servants: []snapshot.Servant{
			cachetest.Servant(helloObj, 10015, "10.0.0.2", "10.0.0.1"),
			cachetest.Servant(timerObj, 10020, "10.0.0.3", "10.0.0.9"),
			cachetest.Servant(portObj, 1001, "10.0.0.4"),
			inactive,
		},
		Groups: snapshot.Groups{Priorities: []snapshot.Priority{{ID: 1, Station: "sz", Groups: []int32{1}}}},
	})
	return a, b
}

// closedLocator returns the locator of a loopback port nothing listens on.
func closedLocator(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	return tarstest.Locator(ln.Addr())
}

// silentLocator returns the locator of a loopback port that accepts connections
// (in the kernel's backlog) and never answers.
func silentLocator(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return tarstest.Locator(ln.Addr())
}

// diff prints one line per differing servant and method saying how the answers
// differ, then the totals; it exits 1 with the count when any differ, 0 otherwise.
func TestDiff_reportsDifferences(t *testing.T) {
	a, b := diffPair(t)
	cases := []struct {
		name  string
		args  []string
		code  int
		lines []string
	}{
		{"same endpoints in another order", []string{helloObj}, exitOK, []string{"1 servants compared, 0 differ"}},
		{"unknown to both", []string{"No.Such.Obj"}, exitOK, []string{"1 servants compared, 0 differ"}},
		{"extra endpoint", []string{timerObj}, exitFailure, []string{
			timerObj + "  findObjectById4Any  active only in B: tcp -h 10.0.0.9 -p 10020 -t 3000 nodeName=10.0.0.9",
			"1 servants compared, 1 differ"}},
		{"different port", []string{portObj}, exitFailure, []string{
			portObj + "  findObjectById4Any  active only in A: tcp -h 10.0.0.4 -p 1000 -t 3000 nodeName=10.0.0.4; " +
				"active only in B: tcp -h 10.0.0.4 -p 1001 -t 3000 nodeName=10.0.0.4"}},
		{"active on A, inactive on B", []string{stateObj}, exitFailure, []string{
			stateObj + "  findObjectById4Any  active only in A: tcp -h 10.0.0.5 -p 10030 -t 3000 nodeName=10.0.0.5; " +
				"inactive only in B: tcp -h 10.0.0.5 -p 10030 -t 3000 nodeName=10.0.0.5"}},
		{"ret", []string{"--method", "station", "--station", "sz", helloObj}, exitFailure, []string{
			helloObj + "  findObjectByIdInSameStation  ret -1 vs 0"}},
		{"several servants and methods", []string{"--method", "any,samegroup", "--method", "byid", helloObj, timerObj, portObj, stateObj, timerObj},
			exitFailure, []string{
				timerObj + "  findObjectById4Any         active only in B",
				timerObj + "  findObjectByIdInSameGroup  active only in B",
				timerObj + "  findObjectById             active only in B",
				stateObj + "  findObjectById             active only in A: tcp -h 10.0.0.5 -p 10030 -t 3000 nodeName=10.0.0.5\n",
				"4 servants compared, 3 differ"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(append([]string{"diff", "--locator", a, "--locator", b}, tc.args...)...)
			require.Equal(t, tc.code, code, errOut)
			require.True(t, strings.HasPrefix(out, "A: "+a+"\nB: "+b+"\n"), out)
			for _, l := range tc.lines {
				require.Contains(t, out, l)
			}
			if tc.code == exitOK {
				require.Empty(t, errOut)
				require.Equal(t, 3, strings.Count(out, "\n"), "no line but the legend and the totals: %q", out)
			}
		})
	}
	_, _, errOut := runCLI("diff", "--locator", a, "--locator", b, helloObj, timerObj, portObj)
	require.Equal(t, "tarscache: 2 of 3 servants differ\n", errOut)
}

// --format json prints the locators, the methods, the totals and, for each
// difference, both rets and the endpoints only one side answered.
func TestDiff_json(t *testing.T) {
	a, b := diffPair(t)
	code, out, errOut := runCLI("diff", "--locator", a, "--locator", b, "--format", "json", helloObj, timerObj)
	require.Equal(t, exitFailure, code, errOut)
	var doc struct {
		LocatorA, LocatorB string
		Methods            []string
		Compared, Differ   int
		Differences        []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Equal(t, a, doc.LocatorA)
	require.Equal(t, b, doc.LocatorB)
	require.Equal(t, []string{"findObjectById4Any"}, doc.Methods)
	require.Equal(t, 2, doc.Compared)
	require.Equal(t, 1, doc.Differ)
	require.Len(t, doc.Differences, 1)
	d := doc.Differences[0]
	require.Equal(t, timerObj, d["servant"])
	require.Equal(t, "findObjectById4Any", d["method"])
	require.Equal(t, 0.0, d["retA"])
	require.Equal(t, 0.0, d["retB"])
	onlyB := d["active"].(map[string]any)["onlyB"].([]any)
	require.Len(t, onlyB, 1)
	require.Equal(t, "10.0.0.9", onlyB[0].(map[string]any)["host"])
	require.NotContains(t, d, "inactive", "a list without differences is left out")
}

// Bad flags and missing arguments are usage errors (exit 2) saying what is wrong.
func TestDiff_usageErrors(t *testing.T) {
	const loc = "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 1"
	two := []string{"diff", "--locator", loc, "--locator", loc}
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"one locator", []string{"diff", "--locator", loc, "A.B.C"}, "diff needs exactly two --locator, got 1"},
		{"three locators", append(two, "--locator", loc, "A.B.C"), "diff needs exactly two --locator, got 3"},
		{"locator without endpoints", []string{"diff", "--locator", loc, "--locator", "tars.tarsregistry.QueryObj", "A.B.C"},
			`--locator "tars.tarsregistry.QueryObj": bad endpoint`},
		{"no servants", two, "diff needs SERVANT arguments or --servants FILE"},
		{"servants twice", append(two, "--servants", "ids.txt", "A.B.C"), "diff takes SERVANT arguments or --servants FILE, not both"},
		{"bad method", append(two, "--method", "any,everything", "A.B.C"), `--method "everything"`},
		{"station without --station", append(two, "--method", "station", "A.B.C"), "--method station needs --station"},
		{"set without --set", append(two, "--method", "set", "A.B.C"), "--method set needs --set"},
		{"bad format", append(two, "--format", "xml", "A.B.C"), `--format "xml": want table or json`},
		{"bad timeout", append(two, "--timeout", "0s", "A.B.C"), "--timeout 0s: want a positive duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(tc.args...)
			require.Equal(t, exitUsage, code, errOut)
			require.Contains(t, errOut, tc.msg)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line on stderr: %q", errOut)
			require.Empty(t, out)
		})
	}
}

// A locator that cannot be reached fails the diff within the timeout, naming the
// locator and the servant, instead of reporting a difference.
func TestDiff_unreachableLocator(t *testing.T) {
	a, _ := diffPair(t)
	for name, b := range map[string]string{"refused": closedLocator(t), "never answers": silentLocator(t)} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			code, out, errOut := runCLI("diff", "--timeout", "500ms", "--locator", a, "--locator", b, helloObj)
			require.Equal(t, exitFailure, code, errOut)
			require.Contains(t, errOut, `tarscache: diff: findObjectById4Any of `+helloObj+` via locator B "`+b+`"`)
			require.Empty(t, out)
			require.Less(t, time.Since(start), 10*time.Second, "diff must give up on its own")
		})
	}
}

// --servants reads one id a line, skipping comments, blank lines and repeats; a
// file that cannot be read or names no servant fails, naming the file.
func TestDiff_servantsFile(t *testing.T) {
	a, b := diffPair(t)
	dir := t.TempDir()
	file := func(name, text string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
		return path
	}
	good := file("good.txt", "# servants to compare\n"+helloObj+"\n\n  "+timerObj+"  # has an extra endpoint\n"+helloObj+"\n")
	cases := []struct {
		name, path string
		code       int
		msg        string
	}{
		{"good", good, exitFailure, "tarscache: 1 of 2 servants differ"},
		{"missing", filepath.Join(dir, "missing.txt"), exitFailure, "tarscache: diff --servants: open " + filepath.Join(dir, "missing.txt") + ": no such file"},
		{"only comments", file("empty.txt", "# nothing yet\n\n"), exitFailure, filepath.Join(dir, "empty.txt") + " names no servant"},
		{"two ids on a line", file("two.txt", helloObj+"\n"+helloObj+" "+timerObj+"\n"), exitFailure,
			filepath.Join(dir, "two.txt") + ` line 2: "` + helloObj + " " + timerObj + `" is not one servant id`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI("diff", "--locator", a, "--locator", b, "--servants", tc.path)
			require.Equal(t, tc.code, code, errOut)
			require.Contains(t, errOut, tc.msg)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line on stderr: %q", errOut)
		})
	}
}

// --servants - reads the ids from standard input.
func TestDiff_servantsFromStdin(t *testing.T) {
	a, b := diffPair(t)
	path := filepath.Join(t.TempDir(), "ids.txt")
	require.NoError(t, os.WriteFile(path, []byte(helloObj+"\n"), 0o600))
	in, err := os.Open(path)
	require.NoError(t, err)
	defer in.Close()
	stdin := os.Stdin
	os.Stdin = in
	defer func() { os.Stdin = stdin }()
	code, out, errOut := runCLI("diff", "--locator", a, "--locator", b, "--servants", "-")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "1 servants compared, 0 differ")
}

// Lists are compared as multisets of the compared fields: order does not count,
// repeats do, subset is ignored, and any other field makes two endpoints differ.
func TestDiff_compareLists(t *testing.T) {
	e1 := endpointf.EndpointF{Host: "10.0.0.1", Port: 1, Timeout: 3000, Istcp: 1, Weight: -1, Groupworkid: -1, Grouprealid: -1}
	e2 := e1
	e2.Host = "10.0.0.2"
	withSubset, withGroup := e1, e1
	withSubset.Subset = "v1"
	withGroup.Groupworkid = 3
	cases := []struct {
		name         string
		a, b         []endpointf.EndpointF
		onlyA, onlyB []endpointf.EndpointF
		text         string
	}{
		{"other order", []endpointf.EndpointF{e1, e2}, []endpointf.EndpointF{e2, e1}, nil, nil, ""},
		{"repeat", []endpointf.EndpointF{e1}, []endpointf.EndpointF{e1, e1}, nil, []endpointf.EndpointF{e1},
			"active only in B: tcp -h 10.0.0.1 -p 1 -t 3000"},
		{"subset only", []endpointf.EndpointF{e1}, []endpointf.EndpointF{withSubset}, nil, nil, ""},
		{"group", []endpointf.EndpointF{e1}, []endpointf.EndpointF{withGroup}, []endpointf.EndpointF{e1}, []endpointf.EndpointF{withGroup},
			"active only in A: tcp -h 10.0.0.1 -p 1 -t 3000; active only in B: tcp -h 10.0.0.1 -p 1 -t 3000 groupworkid=3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := compareLists(tc.a, tc.b)
			require.Equal(t, listDiff{OnlyA: tc.onlyA, OnlyB: tc.onlyB}, d)
			require.Equal(t, tc.text, strings.Join(d.summary("active"), "; "))
		})
	}
}
