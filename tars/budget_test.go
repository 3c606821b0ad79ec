package tars_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/promtest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/tars"
)

const budget = 64 << 10

// partial opens a connection that declares a 1 MiB packet and sends n bytes of it.
func partial(t *testing.T, srv *tars.Server, n int) net.Conn {
	c, err := net.Dial("tcp", srv.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = c.Write(append(binary.BigEndian.AppendUint32(nil, 1<<20), make([]byte, n)...))
	require.NoError(t, err)
	return c
}

// Partial packets of all connections share one budget (MaxBufferedBytes, here
// 64 KiB): a connection whose packet needs more than is left is closed and
// counted, the bytes held never pass the budget, and small requests, which need
// none of it, are still answered. Without it, 1,000 connections each sending
// 1 MiB − 1 byte held 2.66 GiB.
func TestServer_partialPacketsShareABudget(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := serveOpts(t, sampleCache(t), tars.Options{Registerer: reg, MaxBufferedBytes: budget})
	held := func() float64 { return promtest.Value(t, reg, "tarscache_queryf_buffered_bytes") }

	partial(t, srv, 40<<10)
	require.Eventually(t, func() bool { return held() == 60<<10 }, 5*time.Second, 5*time.Millisecond,
		"40 KiB received: a 64 KiB buffer, 60 KiB of it from the budget")
	second := partial(t, srv, 40<<10)
	require.NoError(t, closedWithin(second, 5*time.Second), "the second packet does not fit: its connection is closed")
	require.Equal(t, 1.0, promtest.Value(t, reg, "tarscache_queryf_over_budget_total"))
	require.LessOrEqual(t, held(), float64(budget))
	require.True(t, pinged(t, srv), "a small request needs nothing of the budget")
}

// bigCache holds Big.S.Obj with n endpoints, whose answers take about 60 bytes
// per endpoint.
func bigCache(t *testing.T, n int) *cache.Cache {
	c := cachetest.Open(t, "")
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	}
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{cachetest.Servant("Big.S.Obj", 1, hosts...)}})
	require.NoError(t, err)
	return c
}

// A reply larger than the budget is not held for a client: its connection is
// closed and counted, and the budget is whole again afterwards.
func TestServer_repliesShareTheBudget(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := serveOpts(t, bigCache(t, 3000), tars.Options{Registerer: reg, MaxBufferedBytes: budget})
	conn := tarstest.Dial(t, srv.Addr())
	conn.Write(t, tarstest.Request(request(tars.ServantName, "findObjectById4Any", "Big.S.Obj")))
	_, err := conn.TryRead(5 * time.Second)
	require.Error(t, err)
	require.Equal(t, 1.0, promtest.Value(t, reg, "tarscache_queryf_over_budget_total"))
	require.Zero(t, promtest.Value(t, reg, "tarscache_queryf_buffered_bytes"))
}

// An answer larger than MaxReplyBytes is replaced by TARSSERVERUNKNOWNERR saying
// so, and counted as reply_too_large. (TestServer_replyTooLargeForStockClient
// shows what a stock TarsGo client gets.)
func TestServer_replyTooLargeForClients(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := serveOpts(t, bigCache(t, 3000), tars.Options{Registerer: reg, MaxReplyBytes: 64 << 10})
	conn := tarstest.Dial(t, srv.Addr())
	for _, method := range []string{"findObjectById", "findObjectById4Any"} {
		conn.Write(t, tarstest.Request(request(tars.ServantName, method, "Big.S.Obj")))
		rsp := conn.Read(t)
		require.Equal(t, int32(basef.TARSSERVERUNKNOWNERR), rsp.IRet)
		require.Contains(t, rsp.SResultDesc, "more than the 65536 bytes Tars clients accept (the servant has too many endpoints for one reply)")
		require.Equal(t, 1.0, promtest.Value(t, reg, "tarscache_queryf_requests_total", "method", method, "result", "reply_too_large"))
	}
}

// A client that sends many requests and does not read the replies holds up no
// one: once its socket takes no more, its further requests wait, other
// connections are answered meanwhile, and when it reads again it gets every
// reply, in order.
func TestServer_aClientThatDoesNotReadHoldsUpNoOne(t *testing.T) {
	srv := serveOpts(t, bigCache(t, 1000), tars.Options{})
	slow := tarstest.Dial(t, srv.Addr())
	const calls = 400 // about 60 KB each: more than both sockets' buffers hold
	var batch []byte
	for i := range calls {
		req := request(tars.ServantName, "findObjectById4Any", "Big.S.Obj")
		req.IRequestId = int32(i + 1)
		batch = append(batch, tarstest.Request(req)...)
	}
	slow.Write(t, batch)

	require.True(t, answersPing(srv.Addr()), "another connection is answered while the slow one waits")
	for id := int32(1); id <= calls; id++ {
		rsp := slow.Read(t)
		require.Equal(t, id, rsp.IRequestId)
		require.Equal(t, basef.TARSSERVERSUCCESS, rsp.IRet, rsp.SResultDesc)
	}
}
