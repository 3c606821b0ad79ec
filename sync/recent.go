package sync

import (
	gosync "sync"
	"time"
)

// recentSyncs is how many syncs Recent keeps.
const recentSyncs = 20

// SyncRecord is one sync as Recent reports it, for the status page.
type SyncRecord struct {
	// Start is when the sync began (by Options.Now) and Duration how long it took.
	Start    time.Time
	Duration time.Duration
	// Result is "applied", "held" or "failed".
	Result string
	// Full is why the sync read every table, "" for an incremental one.
	Full string
	// Written and Deleted count the records the sync changed in the cache.
	Written, Deleted int
	// Rejected counts the rows the sync dropped for bad data.
	Rejected int
	// Err is the failure, "" unless Result is "failed".
	Err string
}

// history keeps the latest syncs. Its lock guards ring and next; the goroutine
// running SyncOnce writes, any goroutine reads.
type history struct {
	mu   gosync.Mutex
	ring []SyncRecord // at most recentSyncs, oldest overwritten first
	next int          // where the next record goes once ring is full
}

func (h *history) add(r SyncRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ring) < recentSyncs {
		h.ring = append(h.ring, r)
		return
	}
	h.ring[h.next] = r
	h.next = (h.next + 1) % recentSyncs
}

// newestFirst returns a copy of the records, the latest first.
func (h *history) newestFirst() []SyncRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]SyncRecord, 0, len(h.ring))
	for i := range h.ring {
		out = append(out, h.ring[(h.next+len(h.ring)-1-i)%len(h.ring)])
	}
	return out
}

// Recent returns the last 20 syncs, the latest first. It is safe to call from any
// goroutine.
func (s *Syncer) Recent() []SyncRecord { return s.history.newestFirst() }

// record adds one finished sync to the history.
func (s *Syncer) record(start time.Time, d time.Duration, res *Result, err error) {
	r := SyncRecord{Start: start, Duration: d, Result: resultApplied, Full: res.Full,
		Written: res.Apply.Written, Deleted: res.Apply.Deleted, Rejected: len(res.Report.Rejected)}
	switch {
	case err != nil:
		r.Result, r.Err = resultFailed, err.Error()
	case res.Held != nil:
		r.Result = resultHeld
	}
	s.history.add(r)
}
