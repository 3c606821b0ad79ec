//go:build !race

// Under the race detector sync.Pool drops a share of what it is given on
// purpose, so allocation counts that rely on it are checked without -race (make
// test's second pass).

package tars

import (
	"bytes"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Batches that outgrow the own buffer reuse the spill buffer the last one gave
// back: no allocation per batch.
func TestReplies_spillBufferIsReused(t *testing.T) {
	var out bytes.Buffer
	w := newReplies(&out, &sync.Pool{})
	batch := func() {
		for range 8 {
			w.makeRoom()
			w.buf = append(w.buf, make([]byte, 560)...)
		}
		out.Reset()
		_, _ = w.out.Write(w.buf)
		w.discard()
	}
	batch()
	// sync.Pool may drop its contents at a GC; a run of batches allocates at
	// most once in a while, never per batch.
	require.Less(t, testing.AllocsPerRun(100, batch), 0.5)
}
