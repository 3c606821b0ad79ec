package tars

import (
	"testing"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
	"github.com/stretchr/testify/require"
)

// stockRequest is a request as a stock TarsGo client encodes it.
func stockRequest(ctx map[string]string) requestf.RequestPacket {
	args := codec.NewBuffer()
	_ = args.WriteString(benchID, 1)
	return requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: 70000, SServantName: ServantName,
		SFuncName: "findObjectByIdInSameGroup", SBuffer: tools.ByteToInt8(args.ToBytes()), ITimeout: 3000,
		Context: ctx, Status: map[string]string{"x": "y"}}
}

func packetBody(req requestf.RequestPacket) []byte {
	return encoded(func(b *codec.Buffer) { _ = req.WriteTo(b) })
}

// What stock clients send is read in place, with the fields TarsGo would decode.
func TestParseRequest_readsStockRequests(t *testing.T) {
	for name, ctx := range map[string]map[string]string{
		"no context":           nil,
		"caller's node name":   {"node_name": "10.0.0.200"},
		"node name among more": {"a": "1", "node_name": "10.0.0.7", "z": "26"},
	} {
		t.Run(name, func(t *testing.T) {
			req := stockRequest(ctx)
			r, ok := parseRequest(packetBody(req))
			require.True(t, ok)
			require.Equal(t, req.IVersion, r.version)
			require.Equal(t, req.IRequestId, r.requestID)
			require.Equal(t, req.SServantName, r.servant)
			require.Equal(t, req.SFuncName, r.function)
			require.Equal(t, tools.Int8ToByte(req.SBuffer), r.args)
			require.Equal(t, ctx["node_name"], r.node)
		})
	}
}

// Any other layout is left to TarsGo's decoder: the fast path reads only the
// one it knows.
func TestParseRequest_leavesOtherLayoutsToTarsGo(t *testing.T) {
	stock := packetBody(stockRequest(nil))
	for name, b := range map[string][]byte{
		"empty":               nil,
		"cut short":           stock[:len(stock)-1],
		"a field after 10":    append(append([]byte{}, stock...), 11<<4|codec.ZeroTag),
		"no version field":    stock[1:],
		"version as a long":   append([]byte{1<<4 | codec.LONG, 0, 0, 0, 0, 0, 0, 0, 1}, stock[2:]...),
		"two-byte field head": append([]byte{15<<4 | codec.BYTE, 1, 1}, stock[2:]...),
		"args as a list": framedFields(func(b *codec.Buffer) {
			_ = b.WriteHead(codec.LIST, 7)
			_ = b.WriteInt32(1, 0)
			_ = b.WriteInt8(1, 0)
		}),
	} {
		_, ok := parseRequest(b)
		require.False(t, ok, name)
	}
}

// framedFields is a stock request whose field 7 is written by args.
func framedFields(args func(*codec.Buffer)) []byte {
	return encoded(func(b *codec.Buffer) {
		_ = b.WriteInt16(1, 1)
		_ = b.WriteInt8(0, 2)
		_ = b.WriteInt32(0, 3)
		_ = b.WriteInt32(5, 4)
		_ = b.WriteString(ServantName, 5)
		_ = b.WriteString("findObjectById", 6)
		args(b)
		_ = b.WriteInt32(3000, 8)
		_ = b.WriteHead(codec.MAP, 9)
		_ = b.WriteInt32(0, 0)
		_ = b.WriteHead(codec.MAP, 10)
		_ = b.WriteInt32(0, 0)
	})
}

// Whatever the in-place reader accepts, TarsGo's decoder reads the same way:
// the fast path never answers a request other than the one the generic path
// would have seen.
func FuzzParseRequest_agreesWithTarsGo(f *testing.F) {
	f.Add(packetBody(stockRequest(nil)))
	f.Add(packetBody(stockRequest(map[string]string{"node_name": "n1", "k": "v"})))
	f.Add(framedFields(func(b *codec.Buffer) {
		_ = b.WriteHead(codec.SimpleList, 7)
		_ = b.WriteHead(codec.BYTE, 0)
		_ = b.WriteInt32(2, 0)
		_ = b.WriteSliceInt8([]int8{1, 2})
	}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkWire(b, false) != nil {
			return
		}
		r, ok := parseRequest(b)
		if !ok {
			return
		}
		var req requestf.RequestPacket
		require.NoError(t, decodeChecked(b, &req))
		require.Equal(t, req.IVersion, r.version)
		require.Equal(t, req.CPacketType, r.packetType)
		require.Equal(t, req.IRequestId, r.requestID)
		require.Equal(t, req.SServantName, r.servant)
		require.Equal(t, req.SFuncName, r.function)
		require.Equal(t, string(tools.Int8ToByte(req.SBuffer)), string(r.args))
		require.Equal(t, req.Context["node_name"], r.node)
	})
}
