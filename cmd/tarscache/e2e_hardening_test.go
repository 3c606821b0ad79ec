//go:build !race

package main_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// unreachableDSN points at a port nothing listens on: serve keeps answering from
// its file while it retries.
const unreachableDSN = "root@tcp(127.0.0.1:1)/db_tars?timeout=1s"

// pingRequest is a raw tars_ping of the locator servant.
func pingRequest() []byte {
	return tarstest.Request(&requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: 1,
		SServantName: "tars.tarsregistry.QueryObj", SFuncName: "tars_ping", ITimeout: 3000})
}

// pings says whether a new connection to addr answers tars_ping.
func pings(t *testing.T, addr net.Addr) bool {
	c := tarstest.Dial(t, addr)
	defer c.Close()
	c.Write(t, pingRequest())
	_, err := c.TryRead(3 * time.Second)
	return err == nil
}

// Under "ulimit -n 128" with the default --max-conns (10000), serve warns at
// start that the limit is too low; 200 QueryF connections make accept fail with
// EMFILE, which is retried: the process goes on and serves again once clients
// leave. It used to exit with "accept: too many open files".
func TestServe_outOfFileDescriptors(t *testing.T) {
	loc := freeAddr(t)
	serve := start(t, "sh", "-c", fmt.Sprintf("ulimit -n 128 && exec %s serve --dsn '%s' --data %s --listen %s",
		tarscacheBin, unreachableDSN, filepath.Join(t.TempDir(), "tarscache.db"), loc))
	require.Eventually(t, func() bool { return strings.Contains(serve.output(), `msg=serving`) },
		10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
	require.Contains(t, serve.output(), "the open-files limit is below what --max-conns needs")

	var held []net.Conn
	for range 200 {
		c, err := net.Dial("tcp", loc.String())
		require.NoError(t, err)
		held = append(held, c)
	}
	require.Eventually(t, func() bool { return strings.Contains(serve.output(), "QueryF accept failed") },
		10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
	for _, c := range held {
		c.Close()
	}
	require.Eventually(t, func() bool { return pings(t, loc) }, 10*time.Second, 20*time.Millisecond,
		"output:\n%s", serve.output())
	require.NoError(t, serve.stop(t), "output:\n%s", serve.output())
}

// The data file of a running serve is truncated, then overwritten with an older
// backup (cp backup.db FILE), then deleted. Each time serve goes on answering
// from memory, logs the change once, reports it in /readyz and rewrites the file
// from memory at its next sync; backups work again and a restart finds every
// record. A truncated file used to end the process (SIGBUS), and a deleted one
// went unnoticed.
func TestServe_dataFileChangedUnderIt(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	data := filepath.Join(t.TempDir(), "tarscache.db")
	adm, loc := freeAddr(t), freeAddr(t)
	base := "http://" + adm.String()
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", data, "--listen", loc.String(),
		"--admin", adm.String(), "--sync-interval", "100ms")
	require.Eventually(t, func() bool { return ready(base) }, 10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
	status, older := get(t, base+"/v1/backup", "")
	require.Equal(t, http.StatusOK, status)
	db.Exec(t, `UPDATE t_server_conf SET present_state='inactive' WHERE application='Shop'`)
	require.Eventually(t, func() bool { return strings.Count(serve.output(), "msg=\"sync applied\"") >= 2 },
		10*time.Second, 20*time.Millisecond)

	q := tarstest.QueryClient(t, loc)
	for i, change := range []func(){
		func() { require.NoError(t, os.Truncate(data, 4096)) },
		func() { require.NoError(t, os.WriteFile(data, []byte(older), 0o600)) },
		func() { require.NoError(t, os.Remove(data)) },
	} {
		change()
		require.Eventually(t, func() bool {
			_, body := get(t, base+"/readyz", "")
			return strings.Contains(body, fmt.Sprintf(`"rewrites":%d`, i+1))
		}, 10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
		a, _ := lists(t, q, helloObj)
		require.Len(t, a, 2, "answers go on")
		status, _ := get(t, base+"/v1/backup", "")
		require.Equal(t, http.StatusOK, status)
	}
	out := serve.output()
	require.Equal(t, 3, strings.Count(out, "cache file changed under the running server"), out)
	require.Equal(t, 3, strings.Count(out, "cache file rewritten from memory"), out)
	require.NoError(t, serve.stop(t), out)
	out, err := runBin("check", "--data", data)
	require.NoError(t, err, out)
}

// SIGHUP is logged and ignored, and a log pipe that closes (stderr's reader
// gone) does not end serve: it goes on answering and stops cleanly at SIGTERM
// with exit 0. They used to end it with exit 129 (SIGHUP) and 141 (SIGPIPE at
// the next log line), which systemd's Restart=on-failure does not restart.
func TestServe_sighupAndClosedStderr(t *testing.T) {
	loc := freeAddr(t)
	cmd := exec.Command(tarscacheBin, "serve", "--dsn", unreachableDSN, "--data", filepath.Join(t.TempDir(), "tarscache.db"),
		"--listen", loc.String(), "--admin", "off", "--sync-interval", "50ms", "--log-level", "debug")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := bufio.NewScanner(stderr)
	for lines.Scan() && !strings.Contains(lines.Text(), "msg=serving") {
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	for lines.Scan() && !strings.Contains(lines.Text(), "SIGHUP ignored") {
	}
	require.NoError(t, stderr.Close(), "the log reader goes away; failed syncs keep logging")
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return pings(t, loc) }, 10*time.Second, 20*time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(500 * time.Millisecond): // syncs fail and log every 50 ms meanwhile
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, <-done, "exit 0")
}
