package tars_test

import (
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/protocol/tup"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/tars"
)

// packet frames a request packet whose fields are given.
func packet(r requestf.RequestPacket) []byte { return tarstest.Request(&r) }

// withArgs is a request for fn whose arguments are encoded by write.
func withArgs(fn string, write func(*codec.Buffer)) []byte {
	buf := codec.NewBuffer()
	write(buf)
	return packet(requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: 9, SServantName: tars.ServantName,
		SFuncName: fn, SBuffer: tools.ByteToInt8(buf.ToBytes()), ITimeout: 3000})
}

func lengthOnly(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// framed frames the packet body that write encodes, as it is, however wrong.
func framed(write func(*codec.Buffer)) []byte {
	buf := codec.NewBuffer()
	write(buf)
	body := buf.ToBytes()
	return append(lengthOnly(uint32(len(body)+4)), body...)
}

// headerThen encodes a request's fields before its arguments (tags 1 to 6), then
// what rest writes in their place.
func headerThen(version int16, rest func(*codec.Buffer)) []byte {
	return framed(func(b *codec.Buffer) {
		_ = b.WriteInt16(version, 1)
		_ = b.WriteInt8(0, 2)
		_ = b.WriteInt32(0, 3)
		_ = b.WriteInt32(5, 4)
		_ = b.WriteString(tars.ServantName, 5)
		_ = b.WriteString("findObjectById", 6)
		rest(b)
	})
}

// deepLists writes depth lists of tag, each holding the next.
func deepLists(b *codec.Buffer, tag byte, depth int) {
	_ = b.WriteHead(codec.LIST, tag)
	_ = b.WriteInt32(1, 0)
	for range depth - 1 {
		_ = b.WriteHead(codec.LIST, 0)
		_ = b.WriteInt32(1, 0)
	}
	_ = b.WriteInt32(0, 0)
}

// tupRequest is a TUP request to findObjectById whose argument "id" is the
// encoding arg.
func tupRequest(arg []byte) []byte {
	u := tup.NewUniAttribute()
	u.PutBuffer("id", arg)
	buf := codec.NewBuffer()
	_ = u.Encode(buf)
	return packet(requestf.RequestPacket{IVersion: basef.TUPVERSION, IRequestId: 9, SServantName: tars.ServantName,
		SFuncName: "findObjectById", SBuffer: tools.ByteToInt8(buf.ToBytes())})
}

// decoderKillers are packets TarsGo's decoder does not survive on its own: it
// panics on a negative count, allocates what a length declares, and recurses
// into nested containers.
func decoderKillers() map[string][]byte {
	return map[string][]byte{
		"arguments as a list of negative length": headerThen(basef.TARSVERSION, func(b *codec.Buffer) {
			_ = b.WriteHead(codec.LIST, 7)
			_ = b.WriteInt32(-9, 0)
		}),
		"arguments declaring 2 GiB": headerThen(basef.TARSVERSION, func(b *codec.Buffer) {
			_ = b.WriteHead(codec.SimpleList, 7)
			_ = b.WriteHead(codec.BYTE, 0)
			_ = b.WriteInt32(0x7fffffff, 0)
			_ = b.WriteBytes([]byte("abc"))
		}),
		"a field nested 100000 deep":      framed(func(b *codec.Buffer) { deepLists(b, 0, 100000) }),
		"arguments nested 1000 deep":      withArgs("findObjectById", func(b *codec.Buffer) { deepLists(b, 1, 1000) }),
		"TUP argument declaring 2 GiB":    tupRequest([]byte{codec.SimpleList, codec.BYTE, codec.INT, 0x7f, 0xff, 0xff, 0xff}),
		"TUP argument of negative length": tupRequest([]byte{codec.SimpleList, codec.BYTE, codec.BYTE, 0xf0}),
	}
}

// hostilePackets are raw byte streams a hostile or broken client sends.
func hostilePackets() map[string][]byte {
	good := packet(*request(tars.ServantName, "findObjectById", "Demo.HelloServer.HelloObj"))
	hostile := map[string][]byte{
		"valid":             good,
		"truncated body":    good[:len(good)-3],
		"length 0":          lengthOnly(0),
		"length 3":          lengthOnly(3),
		"length 4":          lengthOnly(4),
		"length over 1 MiB": lengthOnly(1<<20 + 1),
		"length 0xFFFFFFFF": lengthOnly(0xFFFFFFFF),
		"unknown method":    packet(*request(tars.ServantName, "dropAllTables", "x")),
		"unknown servant":   packet(*request("Other.Server.Obj", "findObjectById", "x")),
		"one-way":           packet(requestf.RequestPacket{IVersion: basef.TARSVERSION, CPacketType: basef.TARSONEWAY, SServantName: tars.ServantName, SFuncName: "findObjectById"}),
		"int where id is":   withArgs("findObjectById", func(b *codec.Buffer) { _ = b.WriteInt32(42, 1) }),
		"no arguments":      withArgs("findObjectByIdInSameSet", func(*codec.Buffer) {}),
		"garbage arguments": withArgs("findObjectById4Any", func(b *codec.Buffer) { _ = b.WriteBytes([]byte{0xff, 0xfe, 0x00, 0x13}) }),
		"huge string length": withArgs("findObjectById", func(b *codec.Buffer) {
			_ = b.WriteHead(codec.STRING4, 1)
			_ = b.WriteBytes([]byte{0x7f, 0xff, 0xff, 0xff})
		}),
		"unknown version": packet(requestf.RequestPacket{IVersion: 99, IRequestId: 1, SServantName: tars.ServantName, SFuncName: "findObjectById"}),
		"tars_ping":       packet(*request(tars.ServantName, "tars_ping")),
	}
	maps.Copy(hostile, decoderKillers())
	return hostile
}

// Hostile packets get a reply with a Tars error code, or their connection closed;
// never a crash, never a large allocation, and the server keeps answering others.
func TestServer_hostilePackets(t *testing.T) {
	want := map[string]int32{ // the iRet of the reply; absent: the connection is closed
		"valid": 0, "unknown method": basef.TARSSERVERNOFUNCERR, "unknown servant": basef.TARSSERVERNOSERVANTERR,
		"int where id is": basef.TARSSERVERDECODEERR, "no arguments": basef.TARSSERVERDECODEERR,
		"garbage arguments":  basef.TARSSERVERDECODEERR,
		"huge string length": basef.TARSSERVERDECODEERR, "unknown version": basef.TARSSERVERDECODEERR, "tars_ping": 0,
		"arguments nested 1000 deep":   basef.TARSSERVERDECODEERR,
		"TUP argument declaring 2 GiB": basef.TARSSERVERDECODEERR, "TUP argument of negative length": basef.TARSSERVERDECODEERR,
	}
	srv := serve(t, sampleCache(t))
	for name, raw := range hostilePackets() {
		t.Run(name, func(t *testing.T) {
			conn := tarstest.Dial(t, srv.Addr())
			conn.Write(t, raw)
			rsp, err := conn.TryRead(500 * time.Millisecond)
			ret, replied := want[name]
			switch {
			case name == "one-way":
				require.Error(t, err, "a one-way call gets no reply")
			case replied:
				require.NoError(t, err)
				require.Equal(t, ret, rsp.IRet, rsp.SResultDesc)
			default:
				require.True(t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) || isTimeout(err),
					"want the connection closed (or waiting for the rest), got %v", err)
			}
			require.True(t, answersPing(srv.Addr()), "the server must keep answering")
		})
	}
}

// A client that declares a huge packet and sends only a little of it costs what it
// sent, not what it declared.
func TestServer_declaredLengthIsNotAllocated(t *testing.T) {
	srv := serve(t, sampleCache(t))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var conns []net.Conn
	for range 32 {
		c, err := net.Dial("tcp", srv.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write(append(lengthOnly(1<<20), make([]byte, 100)...))
		require.NoError(t, err)
		conns = append(conns, c)
	}
	require.True(t, answersPing(srv.Addr()))
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	require.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(16<<20),
		"32 connections declaring 1 MiB each must not hold 32 MiB")
	require.Len(t, conns, 32)
}

// abort closes c with a reset, leaving no TIME_WAIT behind: a long fuzzing run
// opens two connections per input and would otherwise run out of local ports.
func abort(c net.Conn) {
	_ = c.(*net.TCPConn).SetLinger(0)
	_ = c.Close()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// answersPing says whether a new connection to addr gets an answer to tars_ping.
func answersPing(addr net.Addr) bool {
	c, err := net.DialTimeout("tcp", addr.String(), time.Second)
	if err != nil {
		return false
	}
	defer abort(c)
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(packet(*request(tars.ServantName, "tars_ping"))); err != nil {
		return false
	}
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return false
	}
	body := make([]byte, binary.BigEndian.Uint32(head[:])-4)
	if _, err := io.ReadFull(c, body); err != nil {
		return false
	}
	var rsp requestf.ResponsePacket
	return rsp.ReadFrom(codec.NewReader(body)) == nil && rsp.IRet == 0
}

// FuzzServer_packet sends arbitrary bytes to a running server on a connection of
// their own: no panic (a panic would end the process), and the server keeps
// answering a well-formed request on a new connection.
func FuzzServer_packet(f *testing.F) {
	for _, raw := range hostilePackets() {
		f.Add(raw)
	}
	srv, err := tars.Listen("127.0.0.1:0", tars.NewHandler(sampleCache(f), tars.HandlerOptions{}), tars.Options{})
	require.NoError(f, err)
	go func() { _ = srv.Serve() }()
	f.Cleanup(func() { _ = srv.Close() })
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := net.Dial("tcp", srv.Addr().String())
		require.NoError(t, err)
		defer abort(c)
		_ = c.SetDeadline(time.Now().Add(time.Second))
		_, _ = c.Write(raw)
		_ = c.(*net.TCPConn).CloseWrite() // the server reads to the end, answers, and closes
		_, _ = io.Copy(io.Discard, c)
		require.True(t, answersPing(srv.Addr()), "the server stopped answering after %q", raw)
	})
}
