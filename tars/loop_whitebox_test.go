//go:build linux

package tars

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The event loop pauses for the batch window only while requests come in
// fast: from a wait that ended within busyWakes windows until a collection
// that finds nothing.
func TestEventLoop_pausesOnlyWhileBusy(t *testing.T) {
	const window = 30 * time.Microsecond
	cases := []struct {
		name   string
		window time.Duration
		busy   bool
		ready  int
		waited time.Duration
		want   bool
	}{
		{"idle, a request after a long quiet", window, false, 1, 5 * time.Millisecond, false},
		{"idle, a request within 8 windows", window, false, 1, busyWakes*window - time.Microsecond, true},
		{"idle, a request after exactly 8 windows", window, false, 1, busyWakes * window, false},
		{"idle, the sweep's timeout", window, false, 0, time.Microsecond, false},
		{"busy, the collection found work", window, true, 3, 0, true},
		{"busy, the collection found none", window, true, 0, 0, false},
		{"no window, requests back to back", 0, true, 4, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := &eventLoop{window: tc.window}
			require.Equal(t, tc.want, l.stayBusy(tc.busy, tc.ready, tc.waited))
		})
	}
}
