package cache

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ApplyStats says what one Apply did.
type ApplyStats struct {
	// Written is the number of records put: new servants and changed ones.
	Written int
	// Deleted is the number of servants removed because the fetch no longer has them.
	Deleted int
	// Unchanged is the number of servants whose version did not change.
	Unchanged int
	// Duration is the time Apply took, encoding and commit included.
	Duration time.Duration
}

// Changed reports whether the apply wrote anything.
func (s ApplyStats) Changed() bool { return s.Written+s.Deleted > 0 }

// change is the work one Apply has to do.
type change struct {
	put     []*Entry
	values  [][]byte
	removed []string
	same    int
}

// Apply makes the stored records equal to servants, a complete fetch of the
// registry: records whose version changed (or that are new) are written, servants
// missing from the fetch are deleted, all in one write transaction, and then the new
// Snapshot is swapped in. When nothing changed it opens no write transaction.
//
// Apply validates every record first (ErrBadRecord, ErrDuplicateServant) and then
// writes nothing if any is invalid. It takes ownership of servants and sorts their
// endpoints into canonical order. Calls are serialised.
func (c *Cache) Apply(servants []Servant) (ApplyStats, error) {
	start := time.Now()
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ch, err := diff(c.snap.Load(), servants)
	if err != nil {
		return ApplyStats{}, fmt.Errorf("cache: apply: %w", err)
	}
	stats := ApplyStats{Written: len(ch.put), Deleted: len(ch.removed), Unchanged: ch.same}
	if stats.Changed() {
		if err := c.db.Update(ch.write); err != nil {
			return ApplyStats{}, fmt.Errorf("cache: apply to %s: %w", c.path, err)
		}
		c.snap.Store(c.snap.Load().with(ch.put, ch.removed))
	}
	stats.Duration = time.Since(start)
	return stats, nil
}

// diff compares a fetch with the current snapshot.
func diff(cur *Snapshot, servants []Servant) (*change, error) {
	ch := &change{}
	seen := make(map[string]struct{}, len(servants))
	for i := range servants {
		s := &servants[i]
		if err := checkServant(s, seen); err != nil {
			return nil, err
		}
		value, version := encodeRecord(s)
		if old, ok := cur.Lookup(s.ID); ok && old.Version == version {
			ch.same++
			continue
		}
		ch.put = append(ch.put, newEntry(*s, version))
		ch.values = append(ch.values, value)
	}
	for id := range cur.entries {
		if _, ok := seen[id]; !ok {
			ch.removed = append(ch.removed, id)
		}
	}
	return ch, nil
}

func checkServant(s *Servant, seen map[string]struct{}) error {
	if _, dup := seen[s.ID]; dup {
		return fmt.Errorf("%w: %q", ErrDuplicateServant, s.ID)
	}
	seen[s.ID] = struct{}{}
	return validate(s)
}

// write is the transaction body of Apply.
func (ch *change) write(tx *bolt.Tx) error {
	b := tx.Bucket(bucketServants)
	for i, e := range ch.put {
		if err := b.Put([]byte(e.Servant.ID), ch.values[i]); err != nil {
			return fmt.Errorf("put %q: %w", e.Servant.ID, err)
		}
	}
	for _, id := range ch.removed {
		if err := b.Delete([]byte(id)); err != nil {
			return fmt.Errorf("delete %q: %w", id, err)
		}
	}
	return nil
}
