package cache

import (
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// WriteTo writes a consistent copy of the whole file to w and returns the number
// of bytes written; *Cache is thus an io.WriterTo. The copy is a bbolt file that
// Open reads like the original (a hot backup): it is written from one read
// transaction, so it holds exactly the state committed when WriteTo began, even
// while Apply commits during the copy.
//
// WriteTo blocks until w has taken the whole file. Queries never wait for it, but
// for as long as it runs an Apply that must grow the file's memory map waits for
// it, and pages freed meanwhile are not reused: callers that copy to a slow
// writer (a network client) should bound its time, and w must never wait for an
// Apply, which could be waiting for the copy in turn. It may be called from any
// goroutine, on a read-only Cache too. Errors come back wrapped as
// "cache: back up <path>: ..."; when w fails, its error is reachable with
// errors.Is, and what was written is a truncated, unusable file.
func (c *Cache) WriteTo(w io.Writer) (int64, error) {
	var n int64
	rec := &errRecorder{w: w}
	err := c.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(rec)
		return err
	})
	if rec.err != nil {
		err = rec.err
	}
	if err != nil {
		return n, fmt.Errorf("cache: back up %s: %w", c.path, err)
	}
	return n, nil
}

// errRecorder passes writes to w and keeps the first error w returns: bbolt's
// Tx.WriteTo formats the writer's error away for the meta pages, and callers
// need it with errors.Is (a client gone, a full disk).
type errRecorder struct {
	w   io.Writer
	err error
}

func (r *errRecorder) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}
