package cache

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// Bounds on a groups value, so that a damaged one cannot make the decoder allocate much.
const (
	maxGroupKeys       = 1 << 20
	maxPriorities      = 1 << 16
	maxPriorityMembers = 1 << 16
)

// encodeGroups returns the stored value of g and its version. Map entries are
// written in key order, so equal configurations encode, and version, the same.
func encodeGroups(g *snapshot.Groups) ([]byte, uint32) {
	p := appendGroupMap(nil, g.Addresses)
	p = appendGroupMap(p, g.Names)
	p = binary.AppendUvarint(p, uint64(len(g.Priorities)))
	for _, pr := range g.Priorities {
		p = binary.AppendVarint(p, int64(pr.ID))
		p = appendString(p, pr.Station)
		p = binary.AppendUvarint(p, uint64(len(pr.Groups)))
		for _, id := range pr.Groups {
			p = binary.AppendVarint(p, int64(id))
		}
	}
	return sealValue(p)
}

func appendGroupMap(b []byte, m map[string]int32) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = appendString(b, k)
		b = binary.AppendVarint(b, int64(m[k]))
	}
	return b
}

// decodeGroups decodes a stored groups value, checking its format byte and CRC32.
func decodeGroups(v []byte) (snapshot.Groups, uint32, error) {
	payload, version, err := openValue(v)
	if err != nil {
		return snapshot.Groups{}, 0, err
	}
	d := decoder{buf: string(payload)} // one copy, which the strings share
	g := snapshot.Groups{Addresses: d.groupMap(), Names: d.groupMap()}
	n := d.count(maxPriorities)
	for i := 0; i < n && d.err == nil; i++ {
		g.Priorities = append(g.Priorities, d.priority())
	}
	return g, version, d.finish()
}

func (d *decoder) groupMap() map[string]int32 {
	n := d.count(maxGroupKeys)
	m := make(map[string]int32, min(n, len(d.buf)))
	for i := 0; i < n && d.err == nil; i++ {
		k := d.string()
		m[k] = d.int32()
	}
	return m
}

func (d *decoder) priority() snapshot.Priority {
	p := snapshot.Priority{ID: d.int32(), Station: d.string()}
	n := d.count(maxPriorityMembers)
	for i := 0; i < n && d.err == nil; i++ {
		p.Groups = append(p.Groups, d.int32())
	}
	return p
}

// validateGroups checks what the encoding needs of g.
func validateGroups(g *snapshot.Groups) error {
	if len(g.Addresses) > maxGroupKeys || len(g.Names) > maxGroupKeys || len(g.Priorities) > maxPriorities {
		return fmt.Errorf("%w: groups: too many rules or priorities", ErrBadRecord)
	}
	for k := range g.Addresses {
		if len(k) > maxString {
			return fmt.Errorf("%w: groups: address rule of %d bytes, at most %d", ErrBadRecord, len(k), maxString)
		}
	}
	for k := range g.Names {
		if len(k) > maxString {
			return fmt.Errorf("%w: groups: group name of %d bytes, at most %d", ErrBadRecord, len(k), maxString)
		}
	}
	return validatePriorities(g.Priorities)
}

func validatePriorities(ps []snapshot.Priority) error {
	for _, p := range ps {
		if len(p.Station) > maxString || len(p.Groups) > maxPriorityMembers {
			return fmt.Errorf("%w: groups: priority %d is too large", ErrBadRecord, p.ID)
		}
		if !slices.IsSorted(p.Groups) || len(slices.Compact(slices.Clone(p.Groups))) != len(p.Groups) {
			return fmt.Errorf("%w: groups: priority %d: group ids %v are not ascending and unique", ErrBadRecord, p.ID, p.Groups)
		}
	}
	return nil
}
