package tars

import (
	"bytes"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// newReplies returns a connection's replies writing into out, with a budget of
// its own.
func newReplies(out *bytes.Buffer, pool *sync.Pool) *replies {
	budget := &byteBudget{max: 1 << 20, held: prometheus.NewGauge(prometheus.GaugeOpts{Name: "held"})}
	w := &replies{out: out, budget: budget, spill: pool, own: make([]byte, 0, initialPacket)}
	w.buf = w.own
	return w
}

// add appends one reply of n bytes as respond does.
func (w *replies) add(n int) bool {
	w.makeRoom()
	w.buf = append(w.buf, make([]byte, n)...)
	return w.hold()
}

// A batch of replies stays in the connection's own 4 KiB while it fits, borrows
// a spill buffer once it does not (charging the budget with all of it), and after the flush the connection holds its
// own buffer again and nothing of the budget; everything is written.
func TestReplies_batches(t *testing.T) {
	tests := []struct {
		name    string
		replies []int
		spilled bool
	}{
		{"one small reply", []int{300}, false},
		{"a batch within the connection's own buffer", []int{500, 500, 500}, false},
		{"eight replies of a stock client's callers", []int{560, 560, 560, 560, 560, 560, 560, 560}, true},
		{"one reply larger than the own buffer", []int{9000}, false},
		{"a large reply after the own buffer filled", []int{1500, 1500, 9000}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			w := newReplies(&out, &sync.Pool{})
			total := 0
			for _, n := range tt.replies {
				require.True(t, w.add(n))
				total += n
			}
			require.Equal(t, tt.spilled, w.big != nil)
			held := total // what the connection holds beyond its own buffer is charged
			if tt.spilled {
				held = cap(w.buf) // all of a spill buffer
			}
			require.Equal(t, int64(max(held-initialPacket, 0)), w.budget.used.Load())

			_, err := w.out.Write(w.buf) // flush without its write deadline
			require.NoError(t, err)
			w.discard()
			require.Equal(t, total, out.Len())
			require.Zero(t, w.budget.used.Load(), "the budget is given back")
			require.Nil(t, w.big)
			require.Equal(t, initialPacket, cap(w.buf), "the connection keeps only its own buffer")
		})
	}
}
