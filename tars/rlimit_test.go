package tars_test

import (
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/promtest"
	"github.com/tarscache/tarscache/tars"
)

// childEnv marks a re-executed test binary that runs one test under a small
// open-files limit (which would starve every other test of this process).
const childEnv = "TARSCACHE_TEST_RLIMIT_CHILD"

// inChild re-executes the test binary to run the calling test alone, with
// childEnv set, and reports false; in that child it lowers the soft open-files
// limit to nofile and reports true.
func inChild(t *testing.T, nofile uint64) bool {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		var lim syscall.Rlimit
		require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
		lim.Cur = nofile
		require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child test failed:\n%s", out)
	require.Contains(t, string(out), "--- PASS: "+t.Name())
	return false
}

// Out of file descriptors (ulimit -n 64, more connections than that), accepting
// fails with EMFILE: the server pauses, counts and goes on, and serves new
// connections once descriptors are free again. It used to return from Serve,
// which ended the process.
func TestServer_outOfFileDescriptors(t *testing.T) {
	if !inChild(t, 64) {
		return
	}
	reg := prometheus.NewRegistry()
	srv, err := tars.Listen("127.0.0.1:0", tars.NewHandler(sampleCache(t), tars.HandlerOptions{}), tars.Options{Registerer: reg})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	defer func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, tars.ErrServerClosed)
	}()

	var clients []net.Conn
	for range 200 {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			require.ErrorIs(t, err, syscall.EMFILE)
			break
		}
		clients = append(clients, c)
	}
	require.Eventually(t, func() bool {
		return promtest.Value(t, reg, "tarscache_queryf_accept_errors_total") > 0
	}, 10*time.Second, 5*time.Millisecond, "accept never ran out of descriptors")
	for _, c := range clients {
		c.Close()
	}
	require.Eventually(t, func() bool { return pinged(t, srv) }, 10*time.Second, 10*time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Serve returned while descriptors ran out: %v", err)
	default:
	}
}
