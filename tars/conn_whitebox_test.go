package tars

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// serveWithoutLoop starts a Server whose connections each have a goroutine of
// their own, as on systems without the event loop, and closes it when the test
// ends.
func serveWithoutLoop(t *testing.T, opts Options) *Server {
	srv, err := Listen("127.0.0.1:0", NewHandler(benchCache(t), HandlerOptions{}), opts)
	require.NoError(t, err)
	if srv.loop != nil {
		srv.loop.stop()
		srv.loop = nil
	}
	return serveUntilCleanup(t, srv)
}

// Without the event loop too, requests are answered however their bytes are
// cut on the way, a packet larger than the connection's own buffer included,
// and a connection that idles past its timeout is closed.
func TestConn_goroutinePerConnection(t *testing.T) {
	srv := serveWithoutLoop(t, Options{IdleTimeout: 200 * time.Millisecond})
	var stream []byte
	for range 3 {
		stream = append(stream, benchRequest("findObjectById4Any", benchID)...)
	}
	large := benchRequest("findObjectById4Any", benchID+string(make([]byte, 9000))) // an unknown servant: empty lists
	stream = append(stream, large...)
	for _, piece := range []int{1, 7, 5000, len(stream)} {
		t.Run(fmt.Sprintf("pieces of %d bytes", piece), func(t *testing.T) {
			c, err := net.Dial("tcp", srv.Addr().String())
			require.NoError(t, err)
			defer c.Close()
			for b := stream; len(b) > 0; b = b[min(piece, len(b)):] {
				_, err := c.Write(b[:min(piece, len(b))])
				require.NoError(t, err)
			}
			require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
			require.NoError(t, readPackets(c, make([]byte, 64<<10), 4), "four replies")
			_, err = c.Read(make([]byte, 1))
			require.ErrorIs(t, err, io.EOF, "closed once idle")
		})
	}
}

// readPackets reads from c into buf until it holds n whole length-prefixed
// packets.
func readPackets(c net.Conn, buf []byte, n int) error {
	got, whole := 0, 0
	for {
		for whole < got && whole+4 <= got {
			size := int(binary.BigEndian.Uint32(buf[whole:]))
			if whole+size > got {
				break
			}
			whole += size
			n--
		}
		if n == 0 {
			return nil
		}
		k, err := c.Read(buf[got:])
		if err != nil {
			return err
		}
		got += k
	}
}
