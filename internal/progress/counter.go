package progress

import (
	"fmt"
	"io"
	"sync/atomic"
)

// Counter counts the bytes that pass through a reader or a writer, for a Line's
// status; it is safe to read while they pass.
type Counter struct {
	n     atomic.Int64
	total int64 // 0: unknown
}

// NewCounter returns a Counter of a transfer of total bytes (0: unknown).
func NewCounter(total int64) *Counter { return &Counter{total: total} }

// Reader returns r counting what is read through it.
func (c *Counter) Reader(r io.Reader) io.Reader { return countingReader{r, c} }

// Writer returns w counting what is written through it.
func (c *Counter) Writer(w io.Writer) io.Writer { return countingWriter{w, c} }

// Status is the count for people: "12.1 MB of 27.0 MB (45%)", or "12.1 MB"
// when the total is unknown.
func (c *Counter) Status() string {
	n := c.n.Load()
	if c.total <= 0 {
		return Bytes(n)
	}
	return fmt.Sprintf("%s of %s (%d%%)", Bytes(n), Bytes(c.total), n*100/c.total)
}

type countingReader struct {
	r io.Reader
	c *Counter
}

func (cr countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.c.n.Add(int64(n))
	return n, err
}

type countingWriter struct {
	w io.Writer
	c *Counter
}

func (cw countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.c.n.Add(int64(n))
	return n, err
}
