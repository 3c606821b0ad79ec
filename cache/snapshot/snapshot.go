package snapshot

import (
	"iter"
	"maps"
	"slices"
	"sync"

	"github.com/tarscache/tarscache/protocol/endpointf"
)

// Snapshot is an immutable view of every servant record and the IDC group
// configuration, as committed by one Apply (or loaded by Open), with the QueryF
// answers built ahead of time. It is safe for concurrent use and never changes; a
// later Apply produces a new Snapshot.
type Snapshot struct {
	// entries are the stored records.
	entries map[string]*Entry
	// pinned are the Options.Override records, answered in place of stored ones.
	pinned map[string]*Entry
	// rules are the stored subset rules by servant id.
	rules map[string]*RuleEntry
	// index is the group configuration the entries were built with.
	index *Index
	// groupsVersion is the CRC32 of the stored groups value (0 when none).
	groupsVersion uint32
	// active counts the active endpoints of entries, once: each sync's impact
	// check wants it, and an idle sync keeps the snapshot.
	active func() int
}

// New returns a snapshot of the given entries (stored records by servant id), built
// with the group index x whose stored value has the CRC32 groupsVersion (0 when no
// groups value is stored), and rules by servant id. It takes ownership of the maps.
// A nil rules map means none.
func New(entries map[string]*Entry, x *Index, groupsVersion uint32, rules map[string]*RuleEntry) *Snapshot {
	if rules == nil {
		rules = map[string]*RuleEntry{}
	}
	s := &Snapshot{entries: entries, rules: rules, index: x, groupsVersion: groupsVersion}
	return s.counted()
}

// Empty returns a snapshot without records, groups or rules.
func Empty() *Snapshot { return New(map[string]*Entry{}, NewIndex(Groups{}), 0, nil) }

// ActiveEndpoints returns the number of active endpoints across the stored records,
// counted once per snapshot on first use.
func (s *Snapshot) ActiveEndpoints() int { return s.active() }

// counted returns s, its active endpoints to be counted once, on first use.
func (s *Snapshot) counted() *Snapshot {
	entries := s.entries
	s.active = sync.OnceValue(func() int { return countActive(entries) })
	return s
}

func countActive(entries map[string]*Entry) int {
	n := 0
	for _, e := range entries {
		n += e.Servant.CountActive()
	}
	return n
}

// Entry is one servant of a Snapshot with its QueryF answers built ahead of time.
// Entries are shared by every reader: callers must not modify an Entry, its Servant
// or any slice it returns.
type Entry struct {
	// Servant is the record as stored, endpoints in canonical order.
	Servant Servant
	// Version is the CRC32 (Castagnoli) of the record's canonical encoding.
	Version uint32
	// all is the findObjectById4Any answer (AllLists): every active and every
	// inactive endpoint. Active endpoints carry the dynamic-weight "off" rewrite
	// (weightType 2 becomes 0) in all and in every other answer.
	all Lists

	// allOnce guards the building of all: at NewEntry when the entry has other
	// answers (they share all's lists), else on the first AllLists or InGroup.
	// Every reader of all goes through it, which orders its write before them.
	allOnce sync.Once
	// x is the group index All is built with, nil in a zero Entry.
	x *Index

	byGroup   map[int32]Lists
	byStation map[string]Lists
	sets      map[string]map[string]*setArea
	// allWire is the wire cell of All and of the answers that are All.
	allWire lazyWire
}

// NewEntry builds the entry of record s, whose endpoints are in canonical order,
// with version (the CRC32 of its stored encoding) and the group index x. The entry
// keeps s: callers must not modify it afterwards.
func NewEntry(s Servant, version uint32, x *Index) *Entry {
	e := &Entry{Servant: s, Version: version, x: x}
	if x.allOnly() && !anyInSetIndex(&e.Servant) {
		return e // no other answer to build: All waits for its first use
	}
	b := newBuilder(&e.Servant, x)
	e.allOnce.Do(func() { e.all = b.all })
	e.byGroup = b.groupAnswers()
	e.byStation = b.stationAnswers()
	e.sets = b.setAnswers()
	e.lazy()
	return e
}

// AllLists returns the findObjectById4Any answer (All). An entry whose only answer
// is All builds it here on the first call, so that loading or syncing a million
// endpoints builds no list nobody asks for; the first caller builds it and the
// others wait for it. It is safe for concurrent use.
func (e *Entry) AllLists() Lists {
	e.allOnce.Do(e.buildAll)
	return e.all
}

// buildAll builds All and gives it its wire cell; a zero Entry keeps its empty
// lists.
func (e *Entry) buildAll() {
	if e.x == nil {
		return
	}
	e.all = allLists(&e.Servant, e.x, nil)
	e.all.wire = &e.allWire
}

// Lookup returns the entry answering for servant id, if the snapshot has one: a
// pinned entry (Options.Override) before the stored one. The lookup is an exact,
// case-sensitive match, as in the official registry. It builds nothing: an
// entry's answer lists are built by their first reader (AllLists, InGroup).
func (s *Snapshot) Lookup(id string) (*Entry, bool) {
	if e, ok := s.pinned[id]; ok {
		return e, true
	}
	e, ok := s.entries[id]
	return e, ok
}

// Stored returns the stored record of servant id, ignoring Options.Override.
func (s *Snapshot) Stored(id string) (*Entry, bool) {
	e, ok := s.entries[id]
	return e, ok
}

// Len returns the number of stored servants.
func (s *Snapshot) Len() int { return len(s.entries) }

// Entries yields every stored record (Options.Override ones excepted) in no
// particular order.
func (s *Snapshot) Entries() iter.Seq2[string, *Entry] { return maps.All(s.entries) }

// Index returns the group index the entries were built with.
func (s *Snapshot) Index() *Index { return s.index }

// GroupsVersion returns the CRC32 of the stored groups value, 0 when none is stored.
func (s *Snapshot) GroupsVersion() uint32 { return s.groupsVersion }

// IDs returns every stored servant id in ascending order; the slice is the caller's.
func (s *Snapshot) IDs() []string {
	return slices.Sorted(maps.Keys(s.entries))
}

// Groups returns the IDC group configuration the snapshot answers with. Its maps
// and slices are shared: callers must not modify them.
func (s *Snapshot) Groups() Groups { return s.index.groups }

// GroupOf returns the IDC group of a client, named by its node name or address as
// the registry's getGroupId finds it, or -1.
func (s *Snapshot) GroupOf(client string) int32 { return s.index.groupOf(client) }

// HasStation reports whether a t_group_priority row names station.
func (s *Snapshot) HasStation(station string) bool {
	_, ok := s.index.stations[station]
	return ok
}

// With returns a new snapshot holding s's entries, then put, minus removed, and
// rules in place of s's (s's own when rules is nil). s is left as it is.
func (s *Snapshot) With(put []*Entry, removed []string, rules map[string]*RuleEntry) *Snapshot {
	next := *s
	if rules != nil {
		next.rules = rules
	}
	if len(put) == 0 && len(removed) == 0 && s.entries != nil {
		// No record changes: the map is never written once a snapshot has
		// it, so both share it (an idle sync copies nothing).
		return next.countedFrom(s, nil, nil)
	}
	// maps.Clone copies the map's tables as they are, without hashing each key
	// again: at 200,000 servants it is most of the cost of a one-change sync.
	next.entries = maps.Clone(s.entries)
	if next.entries == nil {
		next.entries = map[string]*Entry{}
	}
	for _, e := range put {
		next.entries[e.Servant.ID] = e
	}
	for _, id := range removed {
		delete(next.entries, id)
	}
	return next.countedFrom(s, put, removed)
}

// countedFrom returns s (built by With from prev) with its active endpoints
// counted from prev's count, adjusted by the entries put and removed: O(changes)
// rather than a walk of every entry, once prev's count is known (an idle sync
// asks for it at every tick). It keeps no reference to prev.
func (s *Snapshot) countedFrom(prev *Snapshot, put []*Entry, removed []string) *Snapshot {
	n := prev.ActiveEndpoints()
	touched := make(map[string]struct{}, len(put)+len(removed))
	for _, e := range put {
		touched[e.Servant.ID] = struct{}{}
	}
	for _, id := range removed {
		touched[id] = struct{}{}
	}
	for id := range touched {
		if old, ok := prev.entries[id]; ok {
			n -= old.Servant.CountActive()
		}
		if now, ok := s.entries[id]; ok {
			n += now.Servant.CountActive()
		}
	}
	s.active = func() int { return n }
	return s
}

// Rebuild returns a snapshot of s's records, pinned ones included, built anew for
// the group index x stored with version; records about to be replaced by fresh
// entries are left as they are. s is left as it is.
func (s *Snapshot) Rebuild(x *Index, version uint32, fresh []*Entry) *Snapshot {
	skip := make(map[string]bool, len(fresh))
	for _, e := range fresh {
		skip[e.Servant.ID] = true
	}
	next := &Snapshot{entries: rebuilt(s.entries, x, skip), pinned: rebuilt(s.pinned, x, nil), rules: s.rules, index: x, groupsVersion: version}
	return next.counted()
}

func rebuilt(m map[string]*Entry, x *Index, skip map[string]bool) map[string]*Entry {
	out := make(map[string]*Entry, len(m))
	for id, e := range m {
		if skip[id] {
			out[id] = e
			continue
		}
		out[id] = NewEntry(e.Servant, e.Version, x)
	}
	return out
}

// WithPinned returns s answering with the given entries in place of stored ones
// with the same ids (tarscache serve --advertise). s is left as it is.
func (s *Snapshot) WithPinned(pinned []*Entry) *Snapshot {
	next := *s
	next.pinned = make(map[string]*Entry, len(pinned))
	for _, e := range pinned {
		next.pinned[e.Servant.ID] = e
	}
	return &next
}

// wireEndpoint builds the EndpointF of ep with its group ids.
func wireEndpoint(ep *Endpoint, real, work int32) endpointf.EndpointF {
	f := endpointf.EndpointF{
		Host: ep.Host, Port: ep.Port, Timeout: ep.Timeout, Istcp: ep.Proto,
		Groupworkid: work, Grouprealid: real, SetId: ep.SetID(), BakFlag: ep.BakFlag,
		Weight: ep.Weight, WeightType: ep.WeightType, AuthType: ep.AuthType,
		NodeName: ep.NodeName, Subset: ep.Subset,
	}
	if ep.Active && f.WeightType == 2 {
		f.WeightType = 0 // dynamic weighting is off: the official rewrite of active lists
	}
	return f
}
