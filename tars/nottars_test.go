package tars_test

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/promtest"
	"github.com/tarscache/tarscache/tars"
)

// lockedBuffer is a log destination the server's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Fifty HTTP health probes sent to the QueryF port are closed and counted in
// tarscache_queryf_connections_not_tars_total; the log shows one WARN line, not
// fifty, and the others only at debug level.
func TestServer_notTarsConnectionsAreCountedNotLogged(t *testing.T) {
	var log lockedBuffer
	srv, reg := serveWith(t, tars.Options{Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	const probes = 50
	for range probes {
		c, err := net.Dial("tcp", srv.Addr().String())
		require.NoError(t, err)
		_, err = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: tarscache\r\n\r\n")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, c) // until the server closes it
		c.Close()
	}
	require.Eventually(t, func() bool {
		return promtest.Value(t, reg, "tarscache_queryf_connections_not_tars_total") == probes
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 1, strings.Count(log.String(), "level=WARN"), log.String())
	require.Contains(t, log.String(), "does not speak Tars")
	require.Contains(t, log.String(), "tarscache_queryf_connections_not_tars_total")
}
