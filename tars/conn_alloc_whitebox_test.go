//go:build !race

// Allocation counts are checked without the race detector (make test's second
// pass), which allocates on its own account.

package tars

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// A batch of requests that a client multiplexes on one connection is answered
// without an allocation on the server's side, batch after batch: the packets
// are answered in place in the connection's read buffer, and the replies go
// out from its write buffer (or a spill buffer it reuses).
func TestConn_batchesAllocateNothing(t *testing.T) {
	srv := benchServer(t, benchCache(t))
	client, err := net.Dial("tcp", srv.Addr().String())
	require.NoError(t, err)
	defer client.Close()

	var batch []byte
	for range 8 { // a stock client's eight callers
		batch = append(batch, benchRequest("findObjectById4Any", benchID)...)
	}
	replies := make([]byte, 64<<10)
	var failed error
	roundTrip := func() { // no require inside: boxing its arguments allocates
		if _, err := client.Write(batch); err != nil {
			failed = err
			return
		}
		if err := readPackets(client, replies, 8); err != nil {
			failed = err
		}
	}
	roundTrip()
	require.NoError(t, failed)
	require.Zero(t, testing.AllocsPerRun(50, roundTrip))
	require.NoError(t, failed)
}
