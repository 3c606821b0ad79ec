//go:build !race

package main_test

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/tarstest"
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
