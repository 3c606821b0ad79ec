//go:build linux && !race

package tars

import (
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// loopback returns both ends of a TCP connection on 127.0.0.1.
func loopback(t *testing.T) (net.Conn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { server.Close() })
	return client, server
}

// A connection's raw reads and writes carry the bytes both ways, report the
// peer's close as io.EOF, and allocate nothing per call (the runtime's closure
// for the RawConn was allocated at every read and write).
func TestConnIO_rawReadsAndWrites(t *testing.T) {
	client, server := loopback(t)
	in, out := connIO(server)
	require.IsType(t, &rawReader{}, in)

	msg := []byte("0123456789")
	buf := make([]byte, 64)
	var failed error
	roundTrip := func() { // no require inside: boxing its arguments allocates
		if _, err := client.Write(msg); err != nil {
			failed = err
		}
		n, err := io.ReadAtLeast(in, buf, len(msg))
		if err != nil || string(buf[:n]) != string(msg) {
			failed = fmt.Errorf("read %q, %v", buf[:n], err)
		}
		if _, err := out.Write(buf[:n]); err != nil {
			failed = err
		}
		if _, err := io.ReadFull(client, buf[:n]); err != nil || string(buf[:n]) != string(msg) {
			failed = fmt.Errorf("echo %q, %v", buf[:n], err)
		}
	}
	roundTrip()
	require.NoError(t, failed)
	require.Zero(t, testing.AllocsPerRun(50, roundTrip))
	require.NoError(t, failed)

	require.NoError(t, client.Close())
	_, err := in.Read(buf)
	require.ErrorIs(t, err, io.EOF)
}
