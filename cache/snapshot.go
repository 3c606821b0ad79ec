package cache

import (
	"maps"
	"slices"

	"github.com/tarscache/tarscache/protocol/endpointf"
)

// Snapshot is an immutable view of every servant record, as committed by one Apply
// (or loaded by Open). It is safe for concurrent use and never changes; a later
// Apply produces a new Snapshot.
type Snapshot struct {
	entries map[string]*Entry
}

// Entry is one servant of a Snapshot with its QueryF answer parts built ahead of
// time. Entries are shared by every reader: callers must not modify an Entry, its
// Servant or its slices.
type Entry struct {
	// Servant is the record as stored, endpoints in canonical order.
	Servant Servant
	// Version is the CRC32 (Castagnoli) of the record's canonical encoding.
	Version uint32
	// Active and Inactive are the EndpointF lists the official registry would
	// answer findObjectById4Any with: active endpoints already carry the
	// dynamic-weight "off" rewrite (weightType 2 becomes 0).
	Active, Inactive []endpointf.EndpointF
}

// Lookup returns the entry of servant id, if the snapshot has it. The lookup is an
// exact, case-sensitive match, as in the official registry.
func (s *Snapshot) Lookup(id string) (*Entry, bool) {
	e, ok := s.entries[id]
	return e, ok
}

// Len returns the number of servants.
func (s *Snapshot) Len() int { return len(s.entries) }

// IDs returns every servant id in ascending order; the slice is the caller's.
func (s *Snapshot) IDs() []string {
	return slices.Sorted(maps.Keys(s.entries))
}

// with returns a new snapshot holding s's entries, then put, minus removed.
func (s *Snapshot) with(put []*Entry, removed []string) *Snapshot {
	next := make(map[string]*Entry, len(s.entries)+len(put))
	maps.Copy(next, s.entries)
	for _, e := range put {
		next[e.Servant.ID] = e
	}
	for _, id := range removed {
		delete(next, id)
	}
	return &Snapshot{entries: next}
}

// newEntry builds the entry of a record that is already in canonical order.
func newEntry(s Servant, version uint32) *Entry {
	e := &Entry{Servant: s, Version: version}
	for i := range s.Endpoints {
		ep := &s.Endpoints[i]
		if ep.Active {
			e.Active = append(e.Active, wireEndpoint(ep, true))
		} else {
			e.Inactive = append(e.Inactive, wireEndpoint(ep, false))
		}
	}
	return e
}

// wireEndpoint builds the EndpointF of ep. Without IDC group rules every group id is
// -1, as the official registry computes it when t_server_group_rule matches nothing.
func wireEndpoint(ep *Endpoint, active bool) endpointf.EndpointF {
	f := endpointf.EndpointF{
		Host: ep.Host, Port: ep.Port, Timeout: ep.Timeout, Istcp: ep.Proto,
		Groupworkid: -1, Grouprealid: -1, SetId: ep.SetID(), BakFlag: ep.BakFlag,
		Weight: ep.Weight, WeightType: ep.WeightType, AuthType: ep.AuthType,
		NodeName: ep.NodeName, Subset: ep.Subset,
	}
	if active && f.WeightType == 2 {
		f.WeightType = 0 // dynamic weighting is off: the official rewrite of active lists
	}
	return f
}
