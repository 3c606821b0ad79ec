package tars

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/promtest"
	"github.com/tarscache/tarscache/protocol/queryf"
)

// decodedRequest is the request a client sends for fn with string arguments from tag
// 1 on, decoded as the server decodes it.
func decodedRequest(t testing.TB, fn string, ctx map[string]string, args ...string) *requestf.RequestPacket {
	buf := codec.NewBuffer()
	for i, a := range args {
		_ = buf.WriteString(a, byte(i+1))
	}
	pkt := tarsRequest(fn, buf.ToBytes(), ctx)
	var req requestf.RequestPacket
	require.NoError(t, req.ReadFrom(codec.NewReader(pkt[4:])))
	return &req
}

// inPlace is req as the fast path reads it from the wire.
func inPlace(t testing.TB, req *requestf.RequestPacket) *request {
	t.Helper()
	buf := codec.NewBuffer()
	require.NoError(t, req.WriteTo(buf))
	r, ok := parseRequest(buf.ToBytes())
	require.True(t, ok, "a stock client's request is read in place")
	return &r
}

func tarsRequest(fn string, sbuf []byte, ctx map[string]string) []byte {
	req := &requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: 300, SServantName: ServantName, SFuncName: fn,
		SBuffer: tools.ByteToInt8(sbuf), ITimeout: 3000, Context: ctx}
	buf := codec.NewBuffer()
	_ = buf.WriteSliceInt8(make([]int8, 4))
	_ = req.WriteTo(buf)
	return buf.ToBytes()
}

func testDispatcher(t testing.TB) *dispatcher {
	return &dispatcher{servant: ServantName, maxReply: DefaultMaxReplyBytes, handler: NewHandler(benchCache(t), HandlerOptions{}), queryf: new(queryf.QueryF),
		logger: slog.New(slog.DiscardHandler), metrics: newMetrics(prometheus.NewRegistry())}
}

// BenchmarkReply_sameGroup10 and its siblings measure what the issue calls lookup
// plus reply building: from a decoded request to the framed reply, for a servant of
// 10 endpoints.
func BenchmarkReply_sameGroup10(b *testing.B) {
	benchReply(b, decodedRequest(b, "findObjectByIdInSameGroup", map[string]string{"node_name": "10.0.0.200"}, benchID))
}

func BenchmarkReply_sameSet10(b *testing.B) {
	benchReply(b, decodedRequest(b, "findObjectByIdInSameSet", nil, benchID, "shop.sz.2"))
}

func BenchmarkReply_4Any10(b *testing.B) {
	benchReply(b, decodedRequest(b, "findObjectById4Any", nil, benchID))
}

func benchReply(b *testing.B, req *requestf.RequestPacket) {
	d := testDispatcher(b)
	p := peer{ip: "127.0.0.1", port: "40000"}
	r := inPlace(b, req)
	if _, ok := d.fastReply(nil, r, p); !ok {
		b.Fatal("not answered by the fast path")
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := d.fastReply(buf, r, p); !ok {
			b.Fatal("not answered by the fast path")
		}
	}
}

// The fast path writes, for every list method and argument, the very bytes the
// generated dispatcher writes: same return code, same lists, same framing.
func TestFastReply_sameBytesAsGeneric(t *testing.T) {
	d := testDispatcher(t)
	group1 := map[string]string{"node_name": "10.0.0.200"}
	for _, tc := range []struct {
		fn   string
		ctx  map[string]string
		args []string
	}{
		{"findObjectById", nil, []string{benchID}},
		{"findObjectById", nil, []string{"No.Such.Obj"}},
		{"findObjectById4Any", nil, []string{benchID}},
		{"findObjectById4All", group1, []string{benchID}},
		{"findObjectByIdInSameGroup", group1, []string{benchID}},
		{"findObjectByIdInSameGroup", nil, []string{benchID}},
		{"findObjectByIdInSameGroup", nil, []string{"App.S7.Obj"}},
		{"findObjectByIdInSameStation", nil, []string{benchID, "south"}},
		{"findObjectByIdInSameStation", nil, []string{benchID, "nowhere"}},
		{"findObjectByIdInSameSet", nil, []string{benchID, "shop.sz.2"}},
		{"findObjectByIdInSameSet", nil, []string{benchID, "shop.sz.*"}},
		{"findObjectByIdInSameSet", nil, []string{benchID, "shop.bj.1"}},
		{"findObjectByIdInSameSet", group1, []string{benchID, "other.sz.1"}},
		{"findObjectByIdInSameSet", nil, []string{benchID, "bad"}},
	} {
		req := decodedRequest(t, tc.fn, tc.ctx, tc.args...)
		p := peer{ip: "127.0.0.1", port: "40000"}
		fast, ok := d.fastReply(nil, inPlace(t, req), p)
		require.True(t, ok, "%s %v", tc.fn, tc.args)
		rsp, res := d.answer(req, p)
		require.Equal(t, resultOK, res)
		generic, err := encodeResponse(&rsp)
		require.NoError(t, err)
		require.Equal(t, generic, fast, "%s %v", tc.fn, tc.args)
	}
}

// Requests the fast path does not take (other versions and methods, one-way calls,
// arguments out of the usual layout) go to the generic path.
func TestFastReply_declines(t *testing.T) {
	d := testDispatcher(t)
	p := peer{ip: "127.0.0.1"}
	oneWay := decodedRequest(t, "findObjectById", nil, benchID)
	oneWay.CPacketType = basef.TARSONEWAY
	tup := decodedRequest(t, "findObjectById", nil, benchID)
	tup.IVersion = basef.TUPVERSION
	intID := codec.NewBuffer()
	_ = intID.WriteInt32(7, 1)
	tag2 := codec.NewBuffer()
	_ = tag2.WriteString(benchID, 2)
	for name, req := range map[string]*requestf.RequestPacket{
		"one-way":         oneWay,
		"tup":             tup,
		"subset conf":     decodedRequest(t, "findSubsetConfigById", nil, benchID),
		"id of tag 2":     rawArgs("findObjectById", tag2.ToBytes()),
		"id is an int":    rawArgs("findObjectById", intID.ToBytes()),
		"no set argument": decodedRequest(t, "findObjectByIdInSameSet", nil, benchID),
	} {
		_, ok := d.fastReply(nil, inPlace(t, req), p)
		require.False(t, ok, name)
	}
}

// rawArgs is a decoded request for fn whose arguments are sbuf.
func rawArgs(fn string, sbuf []byte) *requestf.RequestPacket {
	return &requestf.RequestPacket{IVersion: basef.TARSVERSION, SServantName: ServantName, SFuncName: fn, SBuffer: tools.ByteToInt8(sbuf)}
}

// brokenSource serves no snapshot at all, so that answering panics.
type brokenSource struct{}

func (brokenSource) Snapshot() *snapshot.Snapshot { return nil }
func (brokenSource) LastSync() time.Time          { return time.Time{} }

// A panic on the fast path is not swallowed silently: it is logged with its
// stack and counted, and the request is left to the generic path.
func TestDispatcher_fastReply_panicIsLoggedAndCounted(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	d := &dispatcher{servant: ServantName, handler: NewHandler(brokenSource{}, HandlerOptions{}), queryf: new(queryf.QueryF),
		logger: slog.New(slog.NewTextHandler(&logs, nil)), metrics: newMetrics(reg)}
	_, ok := d.fastReply(nil, inPlace(t, decodedRequest(t, "findObjectById4Any", nil, benchID)), peer{ip: "10.0.0.1"})
	require.False(t, ok)
	require.Contains(t, logs.String(), "QueryF fast path panicked")
	require.Contains(t, logs.String(), "stack=")
	require.Equal(t, 1.0, promtest.Value(t, reg, "tarscache_queryf_fast_path_panics_total"))
}
