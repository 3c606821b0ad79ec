package tars

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	tarsgo "github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/current"
	"github.com/TarsCloud/TarsGo/tars/util/rogger"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
)

// benchID is the servant the query benchmarks ask for: 10 endpoints, 8 active and
// 2 inactive, among 1,000 other servants.
const (
	benchID       = "Demo.HelloServer.HelloObj"
	benchActive   = 8
	benchInactive = 2
)

// benchCache returns a cache (checked and closed when the benchmark ends) holding
// benchID and 1,000 servants of 3 endpoints around it. benchID's endpoints
// 10.0.0.1-5 are in IDC group 1 and set shop.sz.1, 10.0.0.6-10 in group 2 (by
// ip_group_name) and set shop.sz.2; a priority row (station "south") holds both
// groups. Clients of 127.0.0.1 are in no group.
func benchCache(b testing.TB) *cache.Cache {
	b.Helper()
	hosts := make([]string, benchActive+benchInactive)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("10.0.0.%d", i+1)
	}
	s := cachetest.Servant(benchID, 10015, hosts...)
	for i := range s.Endpoints {
		ep := &s.Endpoints[i]
		ep.Active = i < benchActive
		ep.EnableGroup, ep.EnableSet, ep.SetName, ep.SetArea, ep.SetGroup = true, true, "shop", "sz", "1"
		if i >= len(hosts)/2 {
			ep.IPGroupName, ep.SetGroup = "sh", "2"
		}
	}
	servants := []snapshot.Servant{s}
	for i := range 1000 {
		servants = append(servants, cachetest.Servant(fmt.Sprintf("App.S%d.Obj", i), int32(20000+i), hosts[:3]...))
	}
	groups := snapshot.Groups{Addresses: map[string]int32{"10.0.0.*": 1}, Names: map[string]int32{"sz": 1, "sh": 2},
		Priorities: []snapshot.Priority{{ID: 1, Station: "south", Groups: []int32{1, 2}}}}
	c := cachetest.Open(b, "")
	rules := []snapshot.SubsetRule{{Servant: benchID, Enable: true, Type: "ratio", Data: `{"v1":20,"v2":80}`}}
	_, err := c.Apply(cache.State{Servants: servants, Groups: groups, Rules: rules})
	require.NoError(b, err)
	return c
}

// benchRequest is a framed Tars request packet for method fn with id as its tag-1
// string argument, as a TarsGo client sends it.
func benchRequest(fn, id string) []byte {
	buf := codec.NewBuffer()
	_ = buf.WriteString(id, 1)
	return tarstest.Request(&requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: 7,
		SServantName: ServantName, SFuncName: fn, SBuffer: tools.ByteToInt8(buf.ToBytes()), ITimeout: 3000})
}

// activeInReply decodes a framed reply and returns the length of its active list:
// the return value of findObjectById, tag 2 of the other methods.
func activeInReply(b *testing.B, out []byte, fn string) int32 {
	b.Helper()
	var rsp requestf.ResponsePacket
	require.NoError(b, rsp.ReadFrom(codec.NewReader(out[4:])))
	require.Equal(b, basef.TARSSERVERSUCCESS, rsp.IRet, rsp.SResultDesc)
	r := codec.NewReader(tools.Int8ToByte(rsp.SBuffer))
	tag := byte(0)
	if fn != "findObjectById" {
		var ret int32
		require.NoError(b, r.ReadInt32(&ret, 0, true))
		require.Zero(b, ret)
		tag = 2
	}
	_, ty, err := r.SkipToNoCheck(tag, true)
	require.NoError(b, err)
	require.Equal(b, byte(codec.LIST), ty)
	var n int32
	require.NoError(b, r.ReadInt32(&n, 0, true))
	return n
}

// benchDispatch times (*dispatcher).handle on one pre-encoded request for fn:
// decode the packet, run the generated dispatch, look the id up, encode the reply.
func benchDispatch(b *testing.B, fn string) {
	d := &dispatcher{servant: ServantName, maxReply: DefaultMaxReplyBytes, handler: NewHandler(benchCache(b), HandlerOptions{}), queryf: new(queryf.QueryF),
		logger: slog.New(slog.DiscardHandler), metrics: newMetrics(prometheus.NewRegistry())}
	pkt := benchRequest(fn, benchID)
	p := peer{ip: "127.0.0.1", port: "40000"}
	out, err := d.handle(nil, pkt, p)
	require.NoError(b, err)
	require.Equal(b, int32(benchActive), activeInReply(b, out, fn))
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		if _, err := d.handle(buf, pkt, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatch_sameGroup10 measures the server-side cost of one
// findObjectByIdInSameGroup call for a servant of 10 endpoints, network excluded.
func BenchmarkDispatch_sameGroup10(b *testing.B) { benchDispatch(b, "findObjectByIdInSameGroup") }

// BenchmarkDispatch_4Any10 measures the server-side cost of one findObjectById4Any
// call for a servant of 10 endpoints, network excluded.
func BenchmarkDispatch_4Any10(b *testing.B) { benchDispatch(b, "findObjectById4Any") }

// BenchmarkDispatch_byId10 measures the server-side cost of one findObjectById call
// (active list only) for a servant of 10 endpoints, network excluded.
func BenchmarkDispatch_byId10(b *testing.B) { benchDispatch(b, "findObjectById") }

// handlerCall is one QueryF method call on a Handler.
type handlerCall func(h *Handler, ctx context.Context, active, inactive *[]endpointf.EndpointF) (int32, error)

// benchHandler times a handler method alone: snapshot lookup, the caller's group
// and the reply lists, without decoding or encoding. The caller is "10.0.0.200"
// (IDC group 1) by its request context, as a Tars server's calls carry it.
func benchHandler(b *testing.B, call handlerCall, wantActive, wantInactive int) {
	h := NewHandler(benchCache(b), HandlerOptions{})
	ctx := current.ContextWithTarsCurrent(context.Background())
	current.SetClientIPWithContext(ctx, "127.0.0.1")
	current.SetRequestContext(ctx, map[string]string{"node_name": "10.0.0.200"})
	var active, inactive []endpointf.EndpointF
	ret, err := call(h, ctx, &active, &inactive)
	require.NoError(b, err)
	require.Zero(b, ret)
	require.Len(b, active, wantActive)
	require.Len(b, inactive, wantInactive)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := call(h, ctx, &active, &inactive); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandler_sameGroup10 measures findObjectByIdInSameGroup for a caller in
// IDC group 1 of a servant with 10 endpoints in two groups.
func BenchmarkHandler_sameGroup10(b *testing.B) {
	benchHandler(b, func(h *Handler, ctx context.Context, a, in *[]endpointf.EndpointF) (int32, error) {
		return h.FindObjectByIdInSameGroup(ctx, benchID, a, in)
	}, 5, 0)
}

// BenchmarkHandler_sameSet10 measures findObjectByIdInSameSet for set shop.sz.2.
func BenchmarkHandler_sameSet10(b *testing.B) {
	benchHandler(b, func(h *Handler, ctx context.Context, a, in *[]endpointf.EndpointF) (int32, error) {
		return h.FindObjectByIdInSameSet(ctx, benchID, "shop.sz.2", a, in)
	}, 3, 2)
}

// BenchmarkHandler_sameStation10 measures findObjectByIdInSameStation.
func BenchmarkHandler_sameStation10(b *testing.B) {
	benchHandler(b, func(h *Handler, ctx context.Context, a, in *[]endpointf.EndpointF) (int32, error) {
		return h.FindObjectByIdInSameStation(ctx, benchID, "south", a, in)
	}, benchActive, benchInactive)
}

// BenchmarkHandler_4Any10 measures findObjectById4Any.
func BenchmarkHandler_4Any10(b *testing.B) {
	benchHandler(b, func(h *Handler, ctx context.Context, a, in *[]endpointf.EndpointF) (int32, error) {
		return h.FindObjectById4Any(ctx, benchID, a, in)
	}, benchActive, benchInactive)
}

// BenchmarkHandler_subsetConf measures findSubsetConfigById for a servant with a
// rule: one map read.
func BenchmarkHandler_subsetConf(b *testing.B) {
	h := NewHandler(benchCache(b), HandlerOptions{})
	ctx := context.Background()
	var conf endpointf.SubsetConf
	_, err := h.FindSubsetConfigById(ctx, benchID, &conf)
	require.NoError(b, err)
	require.True(b, conf.Enable)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.FindSubsetConfigById(ctx, benchID, &conf); err != nil {
			b.Fatal(err)
		}
	}
}

// benchServer starts a Server over c on a free loopback port and closes it when
// the benchmark ends.
func benchServer(b testing.TB, c *cache.Cache) *Server {
	b.Helper()
	srv, err := Listen("127.0.0.1:0", NewHandler(c, HandlerOptions{}), Options{})
	require.NoError(b, err)
	return serveUntilCleanup(b, srv)
}

// serveUntilCleanup runs srv.Serve until the test or benchmark ends, then
// closes srv and checks that Serve returned ErrServerClosed.
func serveUntilCleanup(b testing.TB, srv *Server) *Server {
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	b.Cleanup(func() {
		require.NoError(b, srv.Close())
		require.ErrorIs(b, <-done, ErrServerClosed)
	})
	return srv
}

// errorsOnly is a TarsGo log writer that passes ERROR lines to stderr and drops
// the rest.
type errorsOnly struct{}

func (errorsOnly) Write(v []byte) {
	if bytes.Contains(v, []byte("|ERROR|")) {
		_, _ = os.Stderr.Write(v)
	}
}

func (errorsOnly) NeedPrefix() bool { return true }

// quietQueryClient returns a stock TarsGo QueryF client for addr with TarsGo's
// logging cut down to errors for the rest of the process: by default the client
// logs DEBUG lines on every call, which would cost time in the loop and break the
// benchmark's output line.
func quietQueryClient(b *testing.B, addr net.Addr) *queryf.QueryF {
	b.Helper()
	tarsgo.TLOG.SetWriter(errorsOnly{})
	q := tarstest.QueryClient(b, addr) // the first communicator resets the level from its config
	rogger.SetLevel(rogger.ERROR)
	return q
}

// BenchmarkServer_loopback_sameGroup10 measures a whole findObjectByIdInSameGroup
// call of a stock TarsGo client over loopback TCP, with GOMAXPROCS goroutines
// calling at once (b.RunParallel, so b.Loop cannot be used); client and server
// share the process, so time and allocations are both sides'. The callers'
// requests arrive together, so each call waits for the batch window: the
// latency a client with that few calls in flight sees.
func BenchmarkServer_loopback_sameGroup10(b *testing.B) { benchLoopback(b, 1, 0) }

// BenchmarkServer_loopback_sameGroup10_noWindow is the same without the batch
// window: what the window costs a client with GOMAXPROCS calls in flight.
func BenchmarkServer_loopback_sameGroup10_noWindow(b *testing.B) { benchLoopback(b, 1, -1) }

// BenchmarkServer_loopback_sameGroup10_32callers is the same with 16 callers
// per GOMAXPROCS (32 on 2 cores, as the closed loop of loadgen -clients) on the
// stock client's one connection: wall time per call, whose inverse is the calls
// per second client and server manage together.
func BenchmarkServer_loopback_sameGroup10_32callers(b *testing.B) { benchLoopback(b, 16, 0) }

// benchLoopback runs the stock client's calls against a server with the
// batch window given (Options.BatchWindow), parallelism callers per GOMAXPROCS.
func benchLoopback(b *testing.B, parallelism int, window time.Duration) {
	srv, err := Listen("127.0.0.1:0", NewHandler(benchCache(b), HandlerOptions{}), Options{BatchWindow: window})
	require.NoError(b, err)
	serveUntilCleanup(b, srv)
	q := quietQueryClient(b, srv.Addr())
	var active, inactive []endpointf.EndpointF
	_, err = q.FindObjectByIdInSameGroup(benchID, &active, &inactive) // connects
	require.NoError(b, err)
	require.Len(b, active, benchActive)
	require.Len(b, inactive, benchInactive)
	b.ReportAllocs()
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var active, inactive []endpointf.EndpointF
		for pb.Next() {
			if _, err := q.FindObjectByIdInSameGroup(benchID, &active, &inactive); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
