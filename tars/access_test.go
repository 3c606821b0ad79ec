package tars_test

import (
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/promtest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/tars"
)

// serveWith starts a Server over the sample cache with opts, and returns it with
// the registry of its metrics.
func serveWith(t *testing.T, opts tars.Options) (*tars.Server, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	return serveOpts(t, sampleCache(t), opts), reg
}

// pinged says whether a new connection to srv answers tars_ping; a refused
// connection is closed before any answer.
func pinged(t *testing.T, srv *tars.Server) bool {
	conn := tarstest.Dial(t, srv.Addr())
	conn.Write(t, tarstest.Request(request(tars.ServantName, "tars_ping")))
	rsp, err := conn.TryRead(5 * time.Second)
	if err != nil {
		require.True(t, errors.Is(err, io.EOF) || isReset(err), "want an answer or a closed connection, got %v", err)
		return false
	}
	require.Zero(t, rsp.IRet)
	return true
}

func refused(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	return promtest.Value(t, reg, "tarscache_queryf_connections_refused_total", "reason", reason)
}

// Only clients from the --allow networks are served; others are disconnected at
// once and counted.
func TestServer_allow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		allow  []string
		served bool
	}{
		{"no list allows everyone", nil, true},
		{"loopback network", []string{"10.0.0.0/8", "127.0.0.0/8"}, true},
		{"single address", []string{"127.0.0.1/32"}, true},
		{"other networks only", []string{"10.0.0.0/8", "::1/128"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var allow []netip.Prefix
			for _, p := range tc.allow {
				allow = append(allow, netip.MustParsePrefix(p))
			}
			srv, reg := serveWith(t, tars.Options{Allow: allow})
			require.Equal(t, tc.served, pinged(t, srv))
			want := 1.0
			if tc.served {
				want = 0
			}
			require.Equal(t, want, refused(t, reg, "not_allowed"))
		})
	}
}

// Beyond MaxConns open connections, a new one is closed at accept and counted;
// once one closes, a new one is served again.
func TestServer_maxConns(t *testing.T) {
	srv, reg := serveWith(t, tars.Options{MaxConns: 2})
	first, second := tarstest.Dial(t, srv.Addr()), tarstest.Dial(t, srv.Addr())
	for _, c := range []*tarstest.Conn{first, second} {
		c.Write(t, tarstest.Request(request(tars.ServantName, "tars_ping")))
		require.Zero(t, c.Read(t).IRet)
	}
	require.False(t, pinged(t, srv))
	require.Equal(t, 1.0, refused(t, reg, "too_many_connections"))

	first.Close()
	require.Eventually(t, func() bool { return pinged(t, srv) }, 5*time.Second, 10*time.Millisecond)
}

// With one request in flight at a time, many connections asking at once are all
// answered: the limit makes requests wait, it does not fail them.
func TestServer_maxInFlight(t *testing.T) {
	srv, _ := serveWith(t, tars.Options{MaxInFlight: 1})
	conns := make([]*tarstest.Conn, 8)
	for i := range conns {
		conns[i] = tarstest.Dial(t, srv.Addr())
		conns[i].Write(t, tarstest.Request(request(tars.ServantName, "findObjectById", "Demo.HelloServer.HelloObj")))
	}
	for _, c := range conns {
		require.Zero(t, c.Read(t).IRet)
	}
}
