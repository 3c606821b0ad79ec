//go:build !race

package tars_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/tars"
)

// A stock TarsGo client asking for an answer larger than clients accept gets
// the error at once, saying why, instead of waiting for a packet it would drop
// (a 16.3 MB reply used to make it time out).
func TestServer_replyTooLargeForStockClient(t *testing.T) {
	srv := serveOpts(t, bigCache(t, 3000), tars.Options{Registerer: prometheus.NewRegistry(), MaxReplyBytes: 64 << 10})
	q := tarstest.QueryClient(t, srv.Addr())
	var active, inactive []endpointf.EndpointF
	_, err := q.FindObjectById4Any("Big.S.Obj", &active, &inactive)
	require.ErrorContains(t, err, "more than the 65536 bytes Tars clients accept")
}
