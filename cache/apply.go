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
	// GroupsChanged reports that the IDC group configuration was written (every
	// answer was then rebuilt for it).
	GroupsChanged bool
	// Duration is the time Apply took, encoding and commit included.
	Duration time.Duration
}

// Changed reports whether the apply wrote anything.
func (s ApplyStats) Changed() bool { return s.Written+s.Deleted > 0 || s.GroupsChanged }

// State is a complete fetch of the registry: every servant record and the IDC
// group configuration.
type State struct {
	Servants []Servant
	Groups   Groups
}

// change is the work one Apply has to do.
type change struct {
	put     []*Entry
	values  [][]byte
	removed []string
	same    int
	// groups is the new groups value, nil when the groups did not change.
	groups        []byte
	groupsVersion uint32
}

// Apply makes the stored state equal to st, a complete fetch of the registry:
// records whose version changed (or that are new) are written, servants missing
// from the fetch are deleted, the group configuration is written when it changed,
// all in one write transaction; then the new Snapshot is swapped in. When nothing
// changed it opens no write transaction.
//
// Apply validates everything first (ErrBadRecord, ErrDuplicateServant) and then
// writes nothing if anything is invalid. It takes ownership of st and sorts the
// endpoints into canonical order. Calls are serialised.
func (c *Cache) Apply(st State) (ApplyStats, error) {
	start := time.Now()
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	cur := c.snap.Load()
	ch, err := diff(cur, &st)
	if err != nil {
		return ApplyStats{}, fmt.Errorf("cache: apply: %w", err)
	}
	stats := ApplyStats{Written: len(ch.put), Deleted: len(ch.removed), Unchanged: ch.same, GroupsChanged: ch.groups != nil}
	if stats.Changed() {
		if err := c.db.Update(ch.write); err != nil {
			return ApplyStats{}, fmt.Errorf("cache: apply to %s: %w", c.path, err)
		}
		c.snap.Store(ch.next(cur, &st.Groups))
	}
	stats.Duration = time.Since(start)
	return stats, nil
}

// diff compares a fetch with the current snapshot.
func diff(cur *Snapshot, st *State) (*change, error) {
	if err := validateGroups(&st.Groups); err != nil {
		return nil, err
	}
	ch := &change{}
	if value, version := encodeGroups(&st.Groups); version != cur.groupsVersion {
		ch.groups, ch.groupsVersion = value, version
	}
	seen := make(map[string]struct{}, len(st.Servants))
	for i := range st.Servants {
		s := &st.Servants[i]
		if err := checkServant(s, seen); err != nil {
			return nil, err
		}
		value, version := encodeRecord(s)
		if old, ok := cur.Stored(s.ID); ok && old.Version == version {
			ch.same++
			continue
		}
		ch.put = append(ch.put, newEntry(*s, version, cur.index))
		ch.values = append(ch.values, value)
	}
	for id := range cur.entries {
		if _, ok := seen[id]; !ok {
			ch.removed = append(ch.removed, id)
		}
	}
	return ch, nil
}

// next is the snapshot after the change is committed. New groups rebuild every
// entry; otherwise only the changed ones were built.
func (ch *change) next(cur *Snapshot, g *Groups) *Snapshot {
	next := cur.with(ch.put, ch.removed)
	if ch.groups != nil {
		next = next.rebuild(*g, ch.groupsVersion)
	}
	return next
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
	if ch.groups != nil {
		if err := tx.Bucket(bucketMeta).Put(keyGroups, ch.groups); err != nil {
			return fmt.Errorf("put groups: %w", err)
		}
	}
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
