package tars_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/tars"
)

// These tests complete TestServer_hostilePackets and FuzzServer_packet
// (packet_fuzz_test.go), whose table accepts a read timeout for the frames that
// end a connection: here each such frame must have its connection closed, at once.

// closedWithin says whether the server closes c within d, sending nothing first.
func closedWithin(c net.Conn, d time.Duration) error {
	_ = c.SetReadDeadline(time.Now().Add(d))
	n, err := c.Read(make([]byte, 1))
	switch {
	case n > 0:
		return errors.New("the server replied")
	case errors.Is(err, io.EOF) || isReset(err) && !isTimeout(err):
		return nil
	default:
		return err
	}
}

// Frames that cannot be a request close their connection at once; a packet cut
// short closes it once the client has nothing more to send. The server goes on.
func TestServer_hostileFramesCloseTheConnection(t *testing.T) {
	hostile := hostilePackets()
	cases := []struct {
		name      string
		raw       []byte
		halfClose bool // the client then shuts its side: the rest never comes
		replies   bool // one reply comes before the connection is closed
	}{
		{"length 0", hostile["length 0"], false, false},
		{"length 3", hostile["length 3"], false, false},
		{"length 4 (no packet)", hostile["length 4"], false, false},
		{"length over 1 MiB", hostile["length over 1 MiB"], false, false},
		{"length 0xFFFFFFFF", hostile["length 0xFFFFFFFF"], false, false},
		{"length 0xFFFF0000 and a few bytes", append(lengthOnly(0xFFFF0000), "hello"...), false, false},
		{"body is not a packet", append(lengthOnly(12), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), false, false},
		{"truncated body", hostile["truncated body"], true, false},
		{"length prefix cut short", hostile["valid"][:2], true, false},
		{"valid packet then garbage", append(append([]byte{}, hostile["tars_ping"]...), lengthOnly(1)...), false, true},
	}
	srv := serve(t, sampleCache(t))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second)
			require.NoError(t, err)
			defer c.Close()
			_, err = c.Write(tc.raw)
			require.NoError(t, err)
			if tc.halfClose {
				require.NoError(t, c.(*net.TCPConn).CloseWrite())
			}
			if tc.replies { // the ping before the garbage is answered first
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				var head [4]byte
				_, err := io.ReadFull(c, head[:])
				require.NoError(t, err)
				_, err = io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint32(head[:]))-4)
				require.NoError(t, err)
			}
			require.NoError(t, closedWithin(c, 2*time.Second), "want the connection closed")
			require.True(t, answersPing(srv.Addr()), "the server must keep answering")
		})
	}
}

// A declared length near 4 GiB is refused from the prefix alone: the connection is
// closed at once and the server does not allocate what was declared, however many
// clients declare it.
func TestServer_hugeDeclaredLengthIsRefused(t *testing.T) {
	srv := serve(t, sampleCache(t))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	conns := make([]net.Conn, 0, 16)
	for range 16 {
		c, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second)
		require.NoError(t, err)
		defer c.Close()
		_, _ = c.Write(append(lengthOnly(0xFFFF0000), make([]byte, 64)...)) // the server may close before the bytes arrive
		conns = append(conns, c)
	}
	for _, c := range conns {
		require.NoError(t, closedWithin(c, 2*time.Second), "want the connection closed")
	}
	runtime.ReadMemStats(&after)
	require.Less(t, int64(after.TotalAlloc-before.TotalAlloc), int64(64<<20),
		"16 clients declaring 4 GiB each must cost next to nothing")
	require.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(64<<20))
	require.True(t, answersPing(srv.Addr()))
}

// A connection that sends nothing for the idle timeout, or trickles a packet for
// longer than the packet timeout, is closed; one that completes its packet in
// time is answered first.
func TestServer_closesIdleAndTricklingConnections(t *testing.T) {
	srv := serveOpts(t, sampleCache(t), tars.Options{IdleTimeout: 100 * time.Millisecond, PacketTimeout: 100 * time.Millisecond})
	ping := packet(*request(tars.ServantName, "tars_ping"))
	cases := []struct {
		name    string
		sends   []byte
		replies bool
	}{
		{"silent", nil, false},
		{"length prefix cut short", ping[:2], false},
		{"packet cut short", ping[:len(ping)-1], false},
		{"a ping, then silence", ping, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := tarstest.Dial(t, srv.Addr())
			conn.Write(t, tc.sends)
			rsp, err := conn.TryRead(5 * time.Second)
			if tc.replies {
				require.NoError(t, err)
				require.Zero(t, rsp.IRet)
				_, err = conn.TryRead(5 * time.Second)
			}
			require.ErrorIs(t, err, io.EOF, "want the connection closed by the server")
		})
	}
}
