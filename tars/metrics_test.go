package tars_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/promtest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/tars"
)

// ageing is a Source whose last sync can be moved while it is served.
type ageing struct {
	syncedAt
	last atomic.Int64 // Unix seconds
}

func (a *ageing) LastSync() time.Time { return time.Unix(a.last.Load(), 0) }

// Every request is counted by method and by how it ended, and open connections
// are a gauge; a client cannot invent method labels.
func TestServer_metrics(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	src := &ageing{syncedAt: syncedAt{Cache: sampleCache(t)}}
	src.last.Store(now.Unix())
	reg := prometheus.NewRegistry()
	h := tars.NewHandler(src, tars.HandlerOptions{MaxStale: time.Hour, Now: func() time.Time { return now }})
	srv, err := tars.Listen("127.0.0.1:0", h, tars.Options{Registerer: reg})
	require.NoError(t, err)
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() { require.NoError(t, srv.Close()) })

	conn := tarstest.Dial(t, srv.Addr())
	call := func(servant, fn string, args ...string) int32 {
		conn.Write(t, tarstest.Request(request(servant, fn, args...)))
		return conn.Read(t).IRet
	}
	call(tars.ServantName, "findObjectByIdInSameGroup", "Demo.HelloServer.HelloObj")
	call(tars.ServantName, "findObjectByIdInSameGroup", "Unknown.Server.Obj")
	call(tars.ServantName, "findObjectById")
	call(tars.ServantName, "findEverything", "x")
	call("Demo.HelloServer.HelloObj", "findObjectById", "x")
	call(tars.ServantName, "tars_ping")
	src.last.Store(now.Add(-2 * time.Hour).Unix())
	require.Equal(t, basef.TARSSERVERUNKNOWNERR, call(tars.ServantName, "findObjectById4Any", "Demo.HelloServer.HelloObj"))

	value := func(name string, labels ...string) float64 { return promtest.Value(t, reg, name, labels...) }
	requests := func(method, result string) float64 {
		return value("tarscache_queryf_requests_total", "method", method, "result", result)
	}
	require.Equal(t, 2.0, requests("findObjectByIdInSameGroup", "ok"))
	require.Equal(t, 1.0, requests("findObjectById", "bad_request"))
	require.Equal(t, 1.0, requests("other", "no_method"))
	require.Equal(t, 1.0, requests("findObjectById", "no_servant"))
	require.Equal(t, 1.0, requests("tars_ping", "ok"))
	require.Equal(t, 1.0, requests("findObjectById4Any", "stale"))
	require.Equal(t, 2.0, value("tarscache_queryf_request_duration_seconds", "method", "findObjectByIdInSameGroup"))
	require.Equal(t, 1.0, value("tarscache_queryf_connections"))
}
