package tars_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/promtest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/tars"
)

// The event loop pauses for its batch window only after collecting several
// requests at once: a caller that sends its next request once it has its reply
// never waits for the window, requests that arrive together make the loop
// pause before its next collection, and --batch-window 0 never pauses.
func TestServer_batchWindowPausesOnlyForRequestsThatArriveTogether(t *testing.T) {
	cases := []struct {
		name       string
		window     time.Duration
		together   int // requests written at once, each round
		wantPauses bool
	}{
		{"one caller, one request at a time", 0, 1, false},
		{"ten requests at once", 0, 10, true},
		{"ten requests at once, no window", -1, 10, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			srv := serveOpts(t, sampleCache(t), tars.Options{Registerer: reg, BatchWindow: tc.window})
			conn := tarstest.Dial(t, srv.Addr())
			for round := range 20 {
				var batch []byte
				for i := range tc.together {
					req := request(tars.ServantName, "findObjectById4Any", "Demo.HelloServer.HelloObj")
					req.IRequestId = int32(round*tc.together + i + 1)
					batch = append(batch, tarstest.Request(req)...)
				}
				conn.Write(t, batch)
				for i := range tc.together {
					require.Equal(t, int32(round*tc.together+i+1), conn.Read(t).IRequestId, fmt.Sprintf("round %d", round))
				}
			}
			pauses := func() float64 { return promtest.Value(t, reg, "tarscache_queryf_batch_pauses_total") }
			if tc.wantPauses {
				require.Eventually(t, func() bool { return pauses() > 0 }, 10*time.Second, time.Millisecond)
				return
			}
			require.Zero(t, pauses())
		})
	}
}
