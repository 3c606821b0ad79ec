//go:build !race

// End-to-end tests: they re-exec the tarscache binary and run stock TarsGo clients
// in this process. TarsGo v1.4.6 has a data race of its own (util/gtime updates a
// global clock without synchronisation and every client call reads it), so this
// file is left out of -race builds; make test runs it in a second pass without -race.

package main_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
)

// binaries built once by TestMain.
var tarscacheBin, echoBin string

func TestMain(m *testing.M) {
	if isFuzzWorker() { // a worker of go test -fuzz runs one fuzz target, never these tests
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "tarscache-e2e-")
	if err != nil {
		panic(err)
	}
	tarscacheBin, echoBin = filepath.Join(dir, "tarscache"), filepath.Join(dir, "echoserver")
	for pkg, out := range map[string]string{".": tarscacheBin, "../../internal/tools/stockserver": echoBin} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			panic(fmt.Sprintf("build %s: %v\n%s", pkg, err, b))
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// isFuzzWorker reports whether the process is a worker of go test -fuzz.
func isFuzzWorker() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.fuzzworker") {
			return true
		}
	}
	return false
}

// process is a started command whose output is kept for assertions.
type process struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan error
}

func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Write(b)
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// start runs bin with args; the test ends it with SIGKILL if it is still running.
// Unless args say otherwise, the admin API listens on a free loopback port, so that
// tests never compete for the default one.
func start(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), "TARSCACHE_ADMIN=127.0.0.1:0")
	p.cmd.Stdout, p.cmd.Stderr = p, p
	require.NoError(t, p.cmd.Start())
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would, and
// waits for it.
func (p *process) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Kill())
	err := <-p.done
	p.done <- err
}

// stop sends SIGTERM and returns the exit error (nil for exit 0).
func (p *process) stop(t *testing.T) error {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(15 * time.Second):
		t.Fatalf("process did not stop within 15s after SIGTERM; output:\n%s", p.output())
		return nil
	}
}

func freeAddr(t *testing.T) *net.TCPAddr { return freeAddrOn(t, "127.0.0.1") }

// freeAddrOn returns a free port of a loopback address (any of 127.0.0.0/8).
func freeAddrOn(t *testing.T, host string) *net.TCPAddr {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr)
}

// registerEcho declares E2E.EchoServer on node 127.0.0.1 with its EchoObj adapter.
func registerEcho(t *testing.T, db *testdb.DB, port int) {
	db.Exec(t, `INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, server_type)
		VALUES ('E2E', 'EchoServer', '127.0.0.1', 'active', 'active', 'tars_go')`)
	db.Exec(t, `INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint)
		VALUES ('E2E', 'EchoServer', '127.0.0.1', 'E2E.EchoServer.EchoObjAdapter', 'E2E.EchoServer.EchoObj', ?)`,
		fmt.Sprintf("tcp -h 127.0.0.1 -p %d -t 60000", port))
}

// startEcho runs a stock TarsGo server (tars.Run) for E2E.EchoServer.EchoObj on
// 127.0.0.1:port.
func startEcho(t *testing.T, port int, locator string) {
	startEchoOn(t, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}, locator)
}

// startEchoOn runs a stock TarsGo server for E2E.EchoServer.EchoObj on addr.
func startEchoOn(t *testing.T, addr *net.TCPAddr, locator string) {
	dir := t.TempDir()
	conf := tarstest.ServerConfig("E2E", "EchoServer", "EchoObj", dir, addr.IP.String(), addr.Port, locator)
	path := filepath.Join(dir, "echo.conf")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
	p := start(t, echoBin, "-config", path)
	t.Cleanup(func() { _ = p.stop(t) })
}

// lists asks tarscache for every endpoint of id; a failed call gives no endpoints.
func lists(_ *testing.T, q *queryf.QueryF, id string) (active, inactive []string) {
	var a, in []endpointf.EndpointF
	if _, err := q.FindObjectById4Any(id, &a, &in); err != nil {
		return nil, nil
	}
	for _, e := range a {
		active = append(active, fmt.Sprintf("%s:%d", e.Host, e.Port))
	}
	for _, e := range in {
		inactive = append(inactive, fmt.Sprintf("%s:%d", e.Host, e.Port))
	}
	return active, inactive
}

// A stock TarsGo client whose locator is tarscache reaches a real TarsGo server
// registered in MySQL; state changes in MySQL reach the answers at the next sync;
// a restart with MySQL unreachable still resolves the server from the file.
func TestServe_endToEndWithStockTarsGo(t *testing.T) {
	// The sample registry around the echo server: marking one server inactive is an
	// ordinary change, not one that takes away most active endpoints (which is held).
	db := testdb.New(t, "sample.sql")
	echo, loc := freeAddr(t), freeAddr(t)
	echoEP := fmt.Sprintf("127.0.0.1:%d", echo.Port)
	registerEcho(t, db, echo.Port)
	data := filepath.Join(t.TempDir(), "tarscache.db")
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", data, "--listen", loc.String(), "--sync-interval", "200ms")
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { a, _ := lists(t, q, "E2E.EchoServer.EchoObj"); return len(a) == 1 },
		10*time.Second, 50*time.Millisecond, "tarscache never served the echo server; output:\n%s", serve.output())

	locator := tarstest.Locator(loc)
	startEcho(t, echo.Port, locator)
	comm := tarstest.NewCommunicator(t)
	comm.SetProperty("locator", locator)
	echoProxy := new(queryf.QueryF)
	comm.StringToProxy("E2E.EchoServer.EchoObj", echoProxy)
	require.Eventually(t, func() bool {
		got, err := echoProxy.FindObjectById("hello")
		return err == nil && len(got) == 1 && got[0].Host == "echo:hello"
	}, 15*time.Second, 100*time.Millisecond, "the TarsGo client never reached the echo server through tarscache")

	db.Exec(t, `UPDATE t_server_conf SET present_state='inactive' WHERE server_name='EchoServer'`)
	require.Eventually(t, func() bool { a, in := lists(t, q, "E2E.EchoServer.EchoObj"); return len(a) == 0 && len(in) == 1 },
		10*time.Second, 50*time.Millisecond, "the inactive server never moved to the inactive list")
	db.Exec(t, `UPDATE t_server_conf SET present_state='active' WHERE server_name='EchoServer'`)
	require.Eventually(t, func() bool { a, _ := lists(t, q, "E2E.EchoServer.EchoObj"); return len(a) == 1 },
		10*time.Second, 50*time.Millisecond)
	require.NoError(t, serve.stop(t), "serve must exit 0 on SIGTERM; output:\n%s", serve.output())

	closed := freeAddr(t)
	offline := start(t, tarscacheBin, "serve", "--dsn", fmt.Sprintf("root@tcp(%s)/%s", closed, db.Name),
		"--data", data, "--listen", loc.String(), "--sync-interval", "100ms")
	q2 := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { a, _ := lists(t, q2, "E2E.EchoServer.EchoObj"); return len(a) == 1 && a[0] == echoEP },
		10*time.Second, 50*time.Millisecond, "restarted without MySQL, tarscache did not serve from its file; output:\n%s", offline.output())
	got, err := echoProxy.FindObjectById("again")
	require.NoError(t, err)
	require.Equal(t, "echo:again", got[0].Host)
	require.Eventually(t, func() bool { return strings.Contains(offline.output(), "database unreachable") }, 10*time.Second, 50*time.Millisecond)
	require.NoError(t, offline.stop(t))
	require.Equal(t, 1, strings.Count(offline.output(), "database unreachable"), "the outage is logged once, not every retry:\n%s", offline.output())
}

// serve refuses a port in use with a one-line reason and a non-zero exit, and
// leaves the cache file as it was.
func TestServe_portInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	data := filepath.Join(t.TempDir(), "tarscache.db")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tarscacheBin, "serve", "--data", data, "--listen", ln.Addr().String()).CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "tarscache: tars: listen on "+ln.Addr().String())
	require.Contains(t, string(out), "address already in use")
}

// query reports an unreachable locator as a failure.
func TestQuery_unreachableLocator(t *testing.T) {
	out, err := exec.Command(tarscacheBin, "query", "--locator", "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 1 -t 1000", "--method", "any", "A.B.C").CombinedOutput()
	require.Error(t, err)
	require.Equal(t, 1, err.(*exec.ExitError).ExitCode())
	require.Contains(t, string(out), "tarscache: query findObjectById4Any of A.B.C")
}

// With --advertise, lookups of the locator's own servant (what tarsnode writes into
// every server's config) answer tarscache's endpoints instead of the registry's
// rows; other servants are untouched, and the file keeps the registry's rows.
func TestServe_advertise(t *testing.T) {
	db := testdb.New(t, "conformance/rows.sql")
	loc := freeAddr(t)
	self := fmt.Sprintf("tcp -h 127.0.0.1 -p %d -t 60000", loc.Port)
	data := filepath.Join(t.TempDir(), "tarscache.db")
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", data, "--listen", loc.String(),
		"--advertise", self, "--advertise", "tcp -h 10.9.0.2 -p 17890 -t 60000")
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { a, _ := lists(t, q, "Rows.DupObj"); return len(a) == 2 },
		10*time.Second, 50*time.Millisecond, "tarscache never synced; output:\n%s", serve.output())

	var a, in []endpointf.EndpointF
	ret, err := q.FindObjectById4All("tars.tarsregistry.QueryObj", &a, &in)
	require.NoError(t, err)
	require.Zero(t, ret)
	require.ElementsMatch(t, []string{loc.String(), "10.9.0.2:17890"}, []string{
		fmt.Sprintf("%s:%d", a[0].Host, a[0].Port), fmt.Sprintf("%s:%d", a[1].Host, a[1].Port)})
	require.Empty(t, in)
	require.NoError(t, serve.stop(t))

	out, err := exec.Command(tarscacheBin, "dump", "--data", data, "tars.tarsregistry.").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "10.0.5.1", "the file keeps the registry's own rows")
	require.NotContains(t, string(out), "10.9.0.2")
}

// A malformed --advertise endpoint is a usage error naming the endpoint.
func TestServe_badAdvertise(t *testing.T) {
	out, err := exec.Command(tarscacheBin, "serve", "--data", filepath.Join(t.TempDir(), "x.db"),
		"--advertise", "tcp -h 10.0.0.1 -p 80abc").CombinedOutput()
	require.Error(t, err)
	require.Equal(t, 2, err.(*exec.ExitError).ExitCode(), "%s", out)
	require.Contains(t, string(out), `--advertise "tcp -h 10.0.0.1 -p 80abc"`)
}
