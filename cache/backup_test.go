package cache_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// *Cache is an io.WriterTo: io.Copy and http handlers can stream it.
var _ io.WriterTo = (*cache.Cache)(nil)

// records returns every stored record of snap by id.
func records(snap *snapshot.Snapshot) map[string]snapshot.Servant {
	out := map[string]snapshot.Servant{}
	for _, id := range snap.IDs() {
		e, _ := snap.Stored(id)
		out[id] = e.Servant
	}
	return out
}

// copyTo writes c's backup to a new file and returns its path.
func copyTo(t *testing.T, c *cache.Cache, w func(io.Writer) io.Writer) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	require.NoError(t, err)
	n, err := c.WriteTo(w(f))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, info.Size(), n, "WriteTo counts the bytes written")
	return path
}

// A backup is a sound tarscache file holding the same records, groups and time of
// the last sync as the original.
func TestCache_WriteTo_copyOpensAsCache(t *testing.T) {
	c := cachetest.Open(t, "")
	synced := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1", "10.0.0.2"), cachetest.Servant("B.S.Obj", 20, "10.0.0.3"))
	st.Groups = snapshot.Groups{Addresses: map[string]int32{"10.0.0.1": 1}}
	st.FetchedAt = synced
	_, err := c.Apply(st)
	require.NoError(t, err)

	cp := cachetest.Open(t, copyTo(t, c, func(w io.Writer) io.Writer { return w }))
	require.NoError(t, cp.Check())
	require.Equal(t, []string{"A.S.Obj", "B.S.Obj"}, cp.Snapshot().IDs())
	require.Equal(t, records(c.Snapshot()), records(cp.Snapshot()))
	require.Equal(t, int32(1), cp.Snapshot().GroupOf("10.0.0.1"), "the groups are copied")
	require.Equal(t, synced, cp.LastSync().UTC())
}

// applyMidCopy holds the copy at its first Write until apply has returned, so
// that a commit lands in the middle of the copy.
type applyMidCopy struct {
	w     io.Writer
	once  gosync.Once
	apply func() error
	err   error
}

func (a *applyMidCopy) Write(p []byte) (int, error) {
	a.once.Do(func() { a.err = a.apply() })
	return a.w.Write(p)
}

// servants returns n records named App000.S.Obj and on.
func servants(n int) []snapshot.Servant {
	out := make([]snapshot.Servant, n)
	for i := range out {
		out[i] = cachetest.Servant(fmt.Sprintf("App%03d.S.Obj", i), int32(1000+i), "10.0.0.1", "10.0.0.2")
	}
	return out
}

// A copy holds the state committed when WriteTo began, even when Apply commits
// another state, one that grows the file, while the reader has not read a byte:
// the reader never holds bbolt's read transaction, so the Apply does not wait
// for it. (It used to: a reader at 1 KB/s held a sync for 40 s.)
func TestCache_WriteTo_slowReaderNeverBlocksApply(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(fetch(servants(200)...))
	require.NoError(t, err)
	want := records(c.Snapshot())
	txBefore, err := c.TxID()
	require.NoError(t, err)

	applied := make(chan error, 1)
	mid := &applyMidCopy{apply: func() error {
		// 5,000 more records grow the file and its memory map.
		go func() { _, err := c.Apply(fetch(servants(5000)...)); applied <- err }()
		select {
		case err := <-applied:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("the Apply waited for the backup's reader")
		}
	}}
	path := copyTo(t, c, func(w io.Writer) io.Writer { mid.w = w; return mid })
	require.NoError(t, mid.err)
	txAfter, err := c.TxID()
	require.NoError(t, err)
	require.Equal(t, txBefore+1, txAfter, "the Apply committed during the copy")

	cp := cachetest.Open(t, path)
	require.NoError(t, cp.Check())
	require.Equal(t, want, records(cp.Snapshot()))
	require.Len(t, c.Snapshot().IDs(), 5000, "the live cache has the new state")
}

// A writer that fails ends the copy with its error, wrapped with the file's path;
// the cache goes on working.
func TestCache_WriteTo_writerFails(t *testing.T) {
	path := cachetest.Path(t)
	c := cachetest.Open(t, path)
	_, err := c.Apply(fetch(cachetest.Servant("A.S.Obj", 10, "10.0.0.1")))
	require.NoError(t, err)
	errFull := errors.New("disk full")

	n, err := c.WriteTo(failingWriter{err: errFull})
	require.ErrorIs(t, err, errFull)
	require.EqualError(t, err, "cache: back up "+path+": disk full")
	require.Zero(t, n)

	_, err = c.Apply(fetch(cachetest.Servant("B.S.Obj", 20, "10.0.0.2")))
	require.NoError(t, err, "the read transaction is released")
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
