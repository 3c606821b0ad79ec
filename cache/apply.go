package cache

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tarscache/tarscache/cache/snapshot"
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
	// RulesWritten and RulesDeleted count the subset rules put and deleted.
	RulesWritten, RulesDeleted int
	// LastSyncWritten reports that the time of the last sync was written, alone
	// (an idle checkpoint, see Options.LastSyncEvery) or with the changes.
	LastSyncWritten bool
	// Duration is the time Apply took, encoding and commit included.
	Duration time.Duration
}

// Changed reports whether the apply wrote anything.
func (s ApplyStats) Changed() bool {
	return s.Written+s.Deleted+s.RulesWritten+s.RulesDeleted > 0 || s.GroupsChanged
}

// State is a fetch of the registry: servant records and the IDC group
// configuration. A complete State holds every servant; a partial one (an
// incremental fetch) holds the servants that changed and names those removed,
// and leaves every other servant as it is.
type State struct {
	// Servants may share records with a snapshot (the stored record of an
	// unchanged servant): they are read-only, as every snapshot record is.
	Servants []snapshot.Servant
	Groups   snapshot.Groups
	// Rules are the subset rules (t_subset_rule), always complete, like Groups: a
	// stored rule missing from Rules is deleted.
	Rules []snapshot.SubsetRule
	// FetchedAt is when the fetch started; it becomes the cache's LastSync. The
	// zero time (an import, for example) leaves LastSync as it is.
	FetchedAt time.Time
	// Partial marks an incremental fetch: only the servants in Servants and
	// Removed change. Groups are always complete.
	Partial bool
	// Removed names the servants a partial fetch deletes; ids that are not stored
	// are ignored. A complete State deletes every servant it does not hold, and
	// must leave Removed empty.
	Removed []string
	// Source, when not nil, is where the state came from; it is stored when it
	// differs from the stored one (see Cache.Source). Nil leaves it as it is.
	Source *Source
}

// change is the work one Apply has to do.
type change struct {
	put     []*snapshot.Entry
	values  [][]byte
	removed []string
	same    int
	// groupsChanged says the groups must be written: groups is their new value
	// (nil for none, which deletes the stored value) and index their lookup tables.
	groupsChanged bool
	groups        []byte
	groupsVersion uint32
	index         *snapshot.Index
	// lastSync is the sync time to write, 0 for none.
	lastSync int64
	// source is the source value to write, nil for none.
	source []byte
	// rules is the subset-rule part.
	rules ruleChange
}

// Apply makes the stored state equal to st: records whose version changed (or
// that are new) are written; servants missing from a complete fetch, or named in
// a partial fetch's Removed, are deleted; the group configuration is written when
// it changed; all in one write transaction. Then the new Snapshot is swapped in.
// When nothing changed it opens no write transaction.
//
// Apply validates everything first (ErrBadRecord, ErrDuplicateServant) and then
// writes nothing if anything is invalid. It takes ownership of st and sorts the
// endpoints into canonical order; a servant of st may be the current snapshot's
// own record (package sync hands those back for unchanged servants), which Apply
// only reads. Calls are serialised.
func (c *Cache) Apply(st State) (ApplyStats, error) {
	start := time.Now()
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	cur := c.snap.Load()
	if err := c.ensureFile(cur); err != nil {
		return ApplyStats{}, fmt.Errorf("cache: apply to %s: %w: %w", c.path, ErrWrite, err)
	}
	ch, err := diff(cur, &st)
	if err != nil {
		return ApplyStats{}, fmt.Errorf("cache: apply: %w", err)
	}
	stats := ApplyStats{Written: len(ch.put), Deleted: len(ch.removed), Unchanged: ch.same, GroupsChanged: ch.groupsChanged,
		RulesWritten: len(ch.rules.put), RulesDeleted: len(ch.rules.removed)}
	ch.lastSync = c.lastSyncToWrite(st.FetchedAt, stats.Changed())
	stats.LastSyncWritten = ch.lastSync != 0
	ch.source = c.sourceToWrite(st.Source)
	if stats.Changed() || stats.LastSyncWritten || ch.source != nil {
		if err := c.commit(ch); err != nil {
			return ApplyStats{}, fmt.Errorf("cache: apply to %s: %w: %w", c.path, ErrWrite, err)
		}
		if ch.lastSync != 0 {
			c.storedSync = ch.lastSync
		}
		if ch.source != nil {
			src := *st.Source
			c.source.Store(&src)
		}
		c.snap.Store(ch.next(cur))
	}
	if !st.FetchedAt.IsZero() {
		c.lastSync.Store(st.FetchedAt.UnixNano())
	}
	stats.Duration = time.Since(start)
	return stats, nil
}

// commit writes ch in one transaction and records its id, which identifies
// the file's last commit (see fileChange). The caller holds writeMu.
func (c *Cache) commit(ch *change) error {
	var txid uint64
	err := guard(func() error {
		return c.db.Update(func(tx *bolt.Tx) error {
			txid = uint64(tx.ID())
			return ch.write(tx)
		})
	})
	if err == nil {
		c.committed(txid)
	}
	return err
}

// lastSyncToWrite returns the sync time an Apply writes (0 for none): with any
// change, else once the stored one is LastSyncEvery old.
func (c *Cache) lastSyncToWrite(fetchedAt time.Time, changed bool) int64 {
	if fetchedAt.IsZero() {
		return 0
	}
	t := fetchedAt.UnixNano()
	if changed || t-c.storedSync >= int64(c.lastSyncEvery) {
		return t
	}
	return 0
}

// diff compares a fetch with the current snapshot.
func diff(cur *snapshot.Snapshot, st *State) (ch *change, err error) {
	if err := validateGroups(&st.Groups); err != nil {
		return nil, err
	}
	ch = groupsChange(cur, &st.Groups)
	seen := make(map[string]struct{}, len(st.Servants))
	var enc recordEncoder
	kept := 0 // servants of st the snapshot stores
	for i := range st.Servants {
		s := &st.Servants[i]
		if err := checkServant(s, seen); err != nil {
			return nil, err
		}
		old, stored := cur.Stored(s.ID)
		if stored {
			kept++
		}
		if stored && sharesRecord(old, s) {
			ch.same++
			continue
		}
		value, version := enc.encode(s)
		if stored && old.Version == version && slices.Equal(old.Servant.Endpoints, s.Endpoints) {
			ch.same++
			continue
		}
		ch.put = append(ch.put, snapshot.NewEntry(*s, version, ch.index))
		ch.values = append(ch.values, value)
	}
	if ch.removed, err = removals(cur, st, seen, kept); err != nil {
		return nil, err
	}
	ch.rules, err = diffRules(cur, st.Rules)
	return ch, err
}

// sharesRecord reports whether s is old's stored record itself, its endpoints
// the very slice the snapshot holds (package sync hands back the stored record
// of a servant that did not change): it is unchanged, with no need to encode it.
// The snapshot's records are immutable, so sharing cannot have changed them.
func sharesRecord(old *snapshot.Entry, s *snapshot.Servant) bool {
	e := old.Servant.Endpoints
	return len(e) > 0 && len(e) == len(s.Endpoints) && &e[0] == &s.Endpoints[0] && old.Servant.ID == s.ID
}

// removals lists the stored servants st deletes; seen are the servants st
// holds, kept how many of them the snapshot stores.
func removals(cur *snapshot.Snapshot, st *State, seen map[string]struct{}, kept int) ([]string, error) {
	if !st.Partial {
		if len(st.Removed) > 0 {
			return nil, fmt.Errorf("%w: a complete state names removed servants", ErrBadRecord)
		}
		if kept == cur.Len() {
			return nil, nil // st holds every stored servant: none is removed
		}
		return unseen(cur, seen), nil
	}
	var out []string
	listed := make(map[string]struct{}, len(st.Removed))
	for _, id := range st.Removed {
		if _, both := seen[id]; both {
			return nil, fmt.Errorf("%w: servant %q is both removed and kept", ErrBadRecord, id)
		}
		_, dup := listed[id]
		listed[id] = struct{}{}
		if _, stored := cur.Stored(id); stored && !dup {
			out = append(out, id)
		}
	}
	return out, nil
}

// unseen lists the stored servants a complete fetch no longer holds.
func unseen(cur *snapshot.Snapshot, seen map[string]struct{}) []string {
	var out []string
	for id := range cur.Entries() {
		if _, ok := seen[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// groupsChange starts the change of a fetch with its groups: a fetch without groups
// matches a file without a groups value, so neither writes one.
func groupsChange(cur *snapshot.Snapshot, g *snapshot.Groups) *change {
	if g.Empty() {
		if cur.GroupsVersion() == 0 {
			return &change{index: cur.Index()}
		}
		return &change{groupsChanged: true, index: snapshot.NewIndex(snapshot.Groups{})}
	}
	value, version := encodeGroups(g)
	if version == cur.GroupsVersion() && g.Equal(cur.Index().Groups()) {
		return &change{index: cur.Index()}
	}
	return &change{groupsChanged: true, groups: value, groupsVersion: version, index: snapshot.NewIndex(*g)}
}

// next is the snapshot after the change is committed. The changed entries were
// built with the new groups; new groups rebuild the unchanged ones too.
func (ch *change) next(cur *snapshot.Snapshot) *snapshot.Snapshot {
	if ch.groupsChanged {
		cur = cur.Rebuild(ch.index, ch.groupsVersion, ch.put)
	}
	return cur.With(ch.put, ch.removed, ch.rules.apply(cur))
}

func checkServant(s *snapshot.Servant, seen map[string]struct{}) error {
	if _, dup := seen[s.ID]; dup {
		return fmt.Errorf("%w: %q", ErrDuplicateServant, s.ID)
	}
	seen[s.ID] = struct{}{}
	return validate(s)
}

// write is the transaction body of Apply.
func (ch *change) write(tx *bolt.Tx) error {
	if err := ch.writeGroups(tx.Bucket(bucketMeta)); err != nil {
		return err
	}
	if ch.source != nil {
		if err := tx.Bucket(bucketMeta).Put(keySource, ch.source); err != nil {
			return fmt.Errorf("put source: %w", err)
		}
	}
	if ch.lastSync != 0 {
		if err := tx.Bucket(bucketMeta).Put(keyLastSync, binary.BigEndian.AppendUint64(nil, uint64(ch.lastSync))); err != nil {
			return fmt.Errorf("put last sync: %w", err)
		}
	}
	b := tx.Bucket(bucketServants)
	if first, _ := b.Cursor().First(); first == nil {
		b.FillPercent = 1 // keys arrive in order into an empty bucket: fill each page
	}
	for _, i := range ch.putOrder() {
		e := ch.put[i]
		if err := b.Put([]byte(e.Servant.ID), ch.values[i]); err != nil {
			return fmt.Errorf("put %q: %w", e.Servant.ID, err)
		}
	}
	slices.Sort(ch.removed)
	for _, id := range ch.removed {
		if err := b.Delete([]byte(id)); err != nil {
			return fmt.Errorf("delete %q: %w", id, err)
		}
	}
	return ch.rules.write(tx)
}

// putOrder returns the indexes of ch.put in ascending key order. bbolt keeps a
// transaction's writes in one in-memory node per page until the commit, and
// inserting into the middle of a node moves every key after it: puts in key
// order append instead, which turns a full sync into an empty file from
// quadratic to linear in the number of servants.
func (ch *change) putOrder() []int {
	order := make([]int, len(ch.put))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(ch.put[a].Servant.ID, ch.put[b].Servant.ID) })
	return order
}

func (ch *change) writeGroups(meta *bolt.Bucket) error {
	switch {
	case !ch.groupsChanged:
		return nil
	case ch.groups == nil:
		if err := meta.Delete(keyGroups); err != nil {
			return fmt.Errorf("delete groups: %w", err)
		}
		return nil
	}
	if err := meta.Put(keyGroups, ch.groups); err != nil {
		return fmt.Errorf("put groups: %w", err)
	}
	return nil
}

// NewSnapshot builds a Snapshot of st held only in memory, such as a records
// document read back with ReadJSON, validated as Apply validates. It takes
// ownership of st and sorts the endpoints into canonical order.
func NewSnapshot(st State) (*snapshot.Snapshot, error) {
	empty := snapshot.Empty()
	ch, err := diff(empty, &st)
	if err != nil {
		return nil, fmt.Errorf("cache: new snapshot: %w", err)
	}
	return ch.next(empty), nil
}
