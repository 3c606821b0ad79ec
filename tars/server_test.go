package tars_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/tars"
)

// serve starts a Server over src on a free loopback port and closes it at the end.
func serve(t *testing.T, src tars.Source) *tars.Server { return serveOpts(t, src, tars.Options{}) }

// serveOpts is serve with the server's options.
func serveOpts(t *testing.T, src tars.Source, opts tars.Options) *tars.Server {
	t.Helper()
	srv, err := tars.Listen("127.0.0.1:0", tars.NewHandler(src, tars.HandlerOptions{}), opts)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, tars.ErrServerClosed)
	})
	return srv
}

// sampleCache holds Demo.HelloServer.HelloObj with two active endpoints and one inactive.
func sampleCache(t testing.TB) *cache.Cache {
	c := cachetest.Open(t, "")
	s := cachetest.Servant("Demo.HelloServer.HelloObj", 10015, "10.0.0.1", "10.0.0.2", "10.0.0.3")
	s.Endpoints[2].Active = false
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{s}})
	require.NoError(t, err)
	return c
}

func hostsOf(eps []endpointf.EndpointF) []string {
	out := []string{}
	for _, e := range eps {
		out = append(out, e.Host)
	}
	return out
}

func request(servant, fn string, args ...string) *requestf.RequestPacket {
	buf := codec.NewBuffer()
	for i, a := range args {
		_ = buf.WriteString(a, byte(i+1))
	}
	return &requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: 7, SServantName: servant,
		SFuncName: fn, SBuffer: tools.ByteToInt8(buf.ToBytes()), ITimeout: 3000}
}

// Requests a QueryF server cannot answer get the Tars error codes the official
// registry gives, and the connection stays usable.
func TestServer_rawRequests(t *testing.T) {
	cases := []struct {
		name string
		req  *requestf.RequestPacket
		ret  int32
	}{
		{"ping", request(tars.ServantName, "tars_ping"), basef.TARSSERVERSUCCESS},
		{"unknown method", request(tars.ServantName, "findEverything", "x"), basef.TARSSERVERNOFUNCERR},
		{"other servant", request("Demo.HelloServer.HelloObj", "findObjectById", "x"), basef.TARSSERVERNOSERVANTERR},
		{"missing argument", request(tars.ServantName, "findObjectById"), basef.TARSSERVERDECODEERR},
		{"good call", request(tars.ServantName, "findObjectById", "Demo.HelloServer.HelloObj"), basef.TARSSERVERSUCCESS},
	}
	srv := serve(t, sampleCache(t))
	conn := tarstest.Dial(t, srv.Addr())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn.Write(t, tarstest.Request(tc.req))
			rsp := conn.Read(t)
			require.Equal(t, tc.ret, rsp.IRet, rsp.SResultDesc)
			require.Equal(t, tc.req.IRequestId, rsp.IRequestId)
		})
	}
}

// A one-way call is answered with nothing; the next call on the connection still works.
func TestServer_oneWayGetsNoReply(t *testing.T) {
	srv := serve(t, sampleCache(t))
	conn := tarstest.Dial(t, srv.Addr())
	oneway := request(tars.ServantName, "findObjectById", "Demo.HelloServer.HelloObj")
	oneway.CPacketType, oneway.IRequestId = basef.TARSONEWAY, 1
	conn.Write(t, tarstest.Request(oneway))
	conn.Write(t, tarstest.Request(request(tars.ServantName, "tars_ping")))
	require.Equal(t, int32(7), conn.Read(t).IRequestId, "the first reply must be the ping's")
}

// Garbage and oversized length prefixes close the connection; the server goes on.
func TestServer_badFramesCloseTheConnection(t *testing.T) {
	cases := []struct {
		name string
		raw  []byte
	}{
		{"length too small", []byte{0, 0, 0, 1}},
		{"length too large", []byte{0x7f, 0xff, 0xff, 0xff}},
		{"body is not a packet", []byte{0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff}},
	}
	srv := serve(t, sampleCache(t))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := tarstest.Dial(t, srv.Addr())
			conn.Write(t, tc.raw)
			_, err := conn.TryRead(5 * time.Second)
			require.True(t, errors.Is(err, io.EOF) || isReset(err), "want the connection closed, got %v", err)
			healthy := tarstest.Dial(t, srv.Addr())
			healthy.Write(t, tarstest.Request(request(tars.ServantName, "tars_ping")))
			require.Zero(t, healthy.Read(t).IRet)
		})
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// panicky is a Source whose snapshot read panics, standing in for a handler bug.
type panicky struct{}

func (panicky) Snapshot() *snapshot.Snapshot { panic("boom") }

func (panicky) LastSync() time.Time { return time.Time{} }

// syncedAt is a Source whose data was last synced at a given time.
type syncedAt struct {
	*cache.Cache
	at time.Time
}

func (s syncedAt) LastSync() time.Time { return s.at }

// Past --max-stale every lookup fails with TARSSERVERUNKNOWNERR saying how stale
// the data is, so that clients keep their own lists; tars_ping still answers.
// Within the bound, with no bound, or for data never synced, lookups answer.
func TestServer_maxStale(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cases := []struct {
		name     string
		lastSync time.Time
		maxStale time.Duration
		wantRet  int32
	}{
		{"fresh", now.Add(-time.Hour), 72 * time.Hour, basef.TARSSERVERSUCCESS},
		{"stale", now.Add(-73 * time.Hour), 72 * time.Hour, basef.TARSSERVERUNKNOWNERR},
		{"no bound", now.Add(-1000 * time.Hour), 0, basef.TARSSERVERSUCCESS},
		{"never synced", time.Time{}, time.Hour, basef.TARSSERVERSUCCESS},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tars.NewHandler(syncedAt{sampleCache(t), tc.lastSync}, tars.HandlerOptions{MaxStale: tc.maxStale, Now: clock})
			srv, err := tars.Listen("127.0.0.1:0", h, tars.Options{})
			require.NoError(t, err)
			go func() { _ = srv.Serve() }()
			t.Cleanup(func() { require.NoError(t, srv.Close()) })
			conn := tarstest.Dial(t, srv.Addr())
			for _, fn := range []string{"findObjectById", "findObjectById4Any", "findObjectById4All", "findObjectByIdInSameGroup"} {
				conn.Write(t, tarstest.Request(request(tars.ServantName, fn, "Demo.HelloServer.HelloObj")))
				rsp := conn.Read(t)
				require.Equal(t, tc.wantRet, rsp.IRet, fn)
				if tc.wantRet != basef.TARSSERVERSUCCESS {
					require.Contains(t, rsp.SResultDesc, "last sync from the database 73h0m0s ago (--max-stale 72h0m0s)")
				}
			}
			conn.Write(t, tarstest.Request(request(tars.ServantName, "tars_ping")))
			require.Equal(t, basef.TARSSERVERSUCCESS, conn.Read(t).IRet)
		})
	}
}

// A panicking handler is recovered: the client gets TARSSERVERUNKNOWNERR and the
// process and the connection survive.
func TestServer_handlerPanicIsRecovered(t *testing.T) {
	srv := serve(t, panicky{})
	conn := tarstest.Dial(t, srv.Addr())
	conn.Write(t, tarstest.Request(request(tars.ServantName, "findObjectById", "x")))
	require.Equal(t, basef.TARSSERVERUNKNOWNERR, conn.Read(t).IRet)
	conn.Write(t, tarstest.Request(request(tars.ServantName, "tars_ping")))
	require.Zero(t, conn.Read(t).IRet)
}

// Close releases the port at once: a new server can bind it.
func TestServer_Close_releasesPort(t *testing.T) {
	srv, err := tars.Listen("127.0.0.1:0", tars.NewHandler(sampleCache(t), tars.HandlerOptions{}), tars.Options{})
	require.NoError(t, err)
	go srv.Serve() //nolint:errcheck // ends with ErrServerClosed
	addr := srv.Addr().String()
	tarstest.Dial(t, srv.Addr())
	require.NoError(t, srv.Close())
	again, err := tars.Listen(addr, tars.NewHandler(sampleCache(t), tars.HandlerOptions{}), tars.Options{})
	require.NoError(t, err)
	require.NoError(t, again.Close())
}

// However a client's bytes are cut on their way (a packet in pieces, several
// packets in one piece, a packet larger than a connection's own 4 KiB buffer),
// every request is answered, in order.
func TestServer_answersPacketsHoweverTheyArrive(t *testing.T) {
	large := request(tars.ServantName, "findObjectById", "Demo.HelloServer.HelloObj")
	large.Context = map[string]string{"padding": string(make([]byte, 20<<10))}
	var stream []byte
	for i, req := range []*requestf.RequestPacket{
		request(tars.ServantName, "findObjectById4Any", "Demo.HelloServer.HelloObj"),
		large,
		request(tars.ServantName, "tars_ping"),
		request(tars.ServantName, "findObjectByIdInSameGroup", "Demo.HelloServer.HelloObj"),
	} {
		req.IRequestId = int32(i + 1)
		stream = append(stream, tarstest.Request(req)...)
	}
	for _, window := range []time.Duration{-1, 0, tars.MaxBatchWindow} {
		srv := serveOpts(t, sampleCache(t), tars.Options{MaxBufferedBytes: 64 << 10, BatchWindow: window})
		for _, piece := range []int{1, 3, 7, 1000, 4096, 5000, len(stream)} {
			t.Run(fmt.Sprintf("batch window %v, pieces of %d bytes", window, piece), func(t *testing.T) {
				conn := tarstest.Dial(t, srv.Addr())
				for b := stream; len(b) > 0; b = b[min(piece, len(b)):] {
					conn.Write(t, b[:min(piece, len(b))])
				}
				for id := int32(1); id <= 4; id++ {
					rsp := conn.Read(t)
					require.Equal(t, id, rsp.IRequestId)
					require.Equal(t, basef.TARSSERVERSUCCESS, rsp.IRet, rsp.SResultDesc)
				}
			})
		}
	}
}

// A batch window longer than tars.MaxBatchWindow is refused: every request of
// a busy moment would wait that long.
func TestListen_refusesALongBatchWindow(t *testing.T) {
	_, err := tars.Listen("127.0.0.1:0", tars.NewHandler(sampleCache(t), tars.HandlerOptions{}), tars.Options{BatchWindow: 2 * time.Millisecond})
	require.EqualError(t, err, "tars: batch window 2ms is longer than 1ms")
}
