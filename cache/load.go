package cache

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// loadBatchLen is how many records a load worker decodes at a time: enough to
// make a channel send rare next to the work, few enough to spread a small file.
const loadBatchLen = 512

// loadBatch is a run of consecutive records of the servants bucket, their keys
// and values still in bbolt's map (valid only inside the read transaction), and
// what the worker that took it made of them.
type loadBatch struct {
	seq        int
	keys, vals [][]byte
	entries    []*snapshot.Entry
	err        error
}

// loader decodes the servants bucket with a pool of workers. The cursor stays
// on the calling goroutine; workers read the values it hands them while the
// transaction is open and build each entry on owned memory. Results are merged
// in key order, so the snapshot and the error reported for a damaged file (the
// first bad record in key order) are the same as a sequential read's.
type loader struct {
	x       *snapshot.Index
	workers int
	// failedSeq is the lowest batch sequence number that failed (MaxInt64 while
	// none has): workers skip later batches, whose errors could not be the first.
	// Written by workers, read by workers.
	failedSeq atomic.Int64
}

// readEntries decodes every record of b and builds its entry with index x, on
// workers goroutines (GOMAXPROCS when workers < 1).
func readEntries(b *bolt.Bucket, x *snapshot.Index, workers int) (map[string]*snapshot.Entry, error) {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	l := &loader{x: x, workers: workers}
	l.failedSeq.Store(int64(^uint64(0) >> 1))
	batches := l.run(b)
	return merge(batches)
}

// run hands the bucket's records to the workers in batches and returns every
// batch, in key order, once all are done. The walk stops once a batch has
// failed (nothing after it could be the first error). A walk that fails itself
// (a damaged page: bbolt panics or faults) ends with a batch holding that
// error, after the records read before it, as a sequential read would meet it.
// The workers are stopped and waited for in every case.
func (l *loader) run(b *bolt.Bucket) []*loadBatch {
	jobs := make(chan *loadBatch, l.workers)
	var wg sync.WaitGroup
	for range l.workers {
		wg.Go(func() {
			var a arena
			for batch := range jobs {
				l.decode(batch, &a)
			}
		})
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()
	var all []*loadBatch
	hand := func(batch *loadBatch) {
		all = append(all, batch)
		jobs <- batch
	}
	next := newLoadBatch(0)
	walked := guard(func() error {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			next.keys, next.vals = append(next.keys, k), append(next.vals, v)
			if len(next.keys) < loadBatchLen {
				continue
			}
			hand(next)
			next = newLoadBatch(len(all))
			if l.failedSeq.Load() < int64(len(all)) {
				return nil
			}
		}
		return nil
	})
	if len(next.keys) > 0 {
		hand(next)
	}
	if walked != nil {
		all = append(all, &loadBatch{seq: len(all), err: walked})
	}
	return all
}

// decode builds the entries of one batch, stopping at its first bad record,
// with their memory from the worker's arena a. A fault reading the map (a file
// truncated under it) is that batch's error.
func (l *loader) decode(batch *loadBatch, a *arena) {
	if int64(batch.seq) > l.failedSeq.Load() {
		batch.keys, batch.vals = nil, nil
		return
	}
	batch.err = guard(func() error {
		batch.entries = make([]*snapshot.Entry, 0, len(batch.keys))
		for i, k := range batch.keys {
			e, err := l.entry(k, batch.vals[i], a)
			if err != nil {
				return err
			}
			batch.entries = append(batch.entries, e)
		}
		return nil
	})
	batch.keys, batch.vals = nil, nil // the map's bytes are not kept past the transaction
	if batch.err != nil {
		l.noteFailed(batch.seq)
	}
}

// entry decodes the record stored under key k, in a, and builds its entry.
func (l *loader) entry(k, v []byte, a *arena) (*snapshot.Entry, error) {
	s, version, err := decodeRecordIn(v, a)
	if err == nil && s.ID != string(k) {
		err = fmt.Errorf("holds servant %q", s.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrCorrupt, k, err)
	}
	return snapshot.NewEntry(s, version, l.x), nil
}

// noteFailed lowers failedSeq to seq.
func (l *loader) noteFailed(seq int) {
	for {
		cur := l.failedSeq.Load()
		if int64(seq) >= cur || l.failedSeq.CompareAndSwap(cur, int64(seq)) {
			return
		}
	}
}

// merge returns the entries of batches by servant id, or the error of the first
// batch that failed.
func merge(batches []*loadBatch) (map[string]*snapshot.Entry, error) {
	n := 0
	for _, batch := range batches {
		if batch.err != nil {
			return nil, batch.err
		}
		n += len(batch.entries)
	}
	entries := make(map[string]*snapshot.Entry, n)
	for _, batch := range batches {
		for _, e := range batch.entries {
			entries[e.Servant.ID] = e
		}
	}
	return entries, nil
}

func newLoadBatch(seq int) *loadBatch {
	return &loadBatch{seq: seq, keys: make([][]byte, 0, loadBatchLen), vals: make([][]byte, 0, loadBatchLen)}
}
