package cache

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// WriteTo writes a consistent copy of the whole file to w and returns the number
// of bytes written; *Cache is thus an io.WriterTo. The copy is a bbolt file that
// Open reads like the original (a hot backup): it holds exactly the state
// committed when WriteTo began, even while Apply commits during the copy.
//
// The state is first copied, in one bbolt read transaction, into an unnamed
// temporary file beside the cache file (for a read-only Cache in a directory it
// cannot write, in the system's temporary directory; it is unlinked at once, so nothing is
// left behind even by a crash); the transaction then ends and the copy is sent
// to w. A slow w therefore never holds the transaction, which would make an
// Apply that grows the file wait for it. The temporary copy takes as much disk
// as the file, for as long as w takes to read it: callers bound how many run at
// once.
//
// WriteTo first checks that the file is still the one this Cache wrote: while
// it was truncated, overwritten, replaced or deleted it fails with
// ErrFileChanged (see FileStatus). It may be called from any goroutine, on a
// read-only Cache too. Errors come back wrapped as "cache: back up <path>: ...";
// when w fails, its error is reachable with errors.Is, and what was written is a
// truncated, unusable file.
func (c *Cache) WriteTo(w io.Writer) (int64, error) {
	if err := c.checkBeforeBackup(); err != nil {
		return 0, fmt.Errorf("cache: back up %s: %w", c.path, err)
	}
	tmp, err := c.snapshotFile()
	if err != nil {
		return 0, fmt.Errorf("cache: back up %s: %w", c.path, err)
	}
	defer tmp.Close()
	rec := &errRecorder{w: w}
	n, err := io.Copy(rec, tmp)
	if rec.err != nil {
		err = rec.err
	}
	if err != nil {
		return n, fmt.Errorf("cache: back up %s: %w", c.path, err)
	}
	return n, nil
}

// checkBeforeBackup refuses a backup of a file changed under the Cache, which
// would copy someone else's data or fault on a truncated memory map.
func (c *Cache) checkBeforeBackup() error {
	c.writeMu.Lock()
	err := c.fileChange()
	c.writeMu.Unlock()
	if err != nil {
		c.noteFileChange(err)
	}
	return err
}

// snapshotFile copies the committed state into an unlinked temporary file and
// returns it positioned at its start.
func (c *Cache) snapshotFile() (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(c.path), filepath.Base(c.path)+".backup-*")
	if err != nil && c.readOnly {
		f, err = os.CreateTemp("", filepath.Base(c.path)+".backup-*") // a directory this process may not write
	}
	if err != nil {
		return nil, fmt.Errorf("create the temporary copy: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	c.dbMu.RLock()
	err = guard(func() error {
		return c.db.View(func(tx *bolt.Tx) error {
			_, err := tx.WriteTo(f)
			return err
		})
	})
	c.dbMu.RUnlock()
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("write the temporary copy: %w", err), f.Close())
	}
	return f, nil
}

// errRecorder passes writes to w and keeps the first error w returns, so that
// callers can tell the client's failure (a client gone) with errors.Is.
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
