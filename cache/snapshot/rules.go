package snapshot

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/subset"
)

// SubsetRule is the subset routing rule of one servant (t_subset_rule), as served by
// findSubsetConfigById: the rule in force and, when the latest row of the database
// was rejected, that row and why. A rule names a servant whether or not the servant
// has endpoints.
type SubsetRule struct {
	// Servant is the servant id the rule routes, e.g. "Demo.HelloServer.HelloObj".
	Servant string
	// Enable says whether clients route by the rule in force.
	Enable bool
	// Type and Data are the rule in force: subset.TypeRatio or subset.TypeKey and
	// the rule data in canonical form (subset.Rule.String). Both are "" when no
	// rule is in force.
	Type, Data string
	// Rejected is the latest database row for the servant when it failed
	// validation, nil when that row is the rule in force.
	Rejected *RejectedRule
}

// RejectedRule is a t_subset_rule row that failed validation, kept next to the rule
// still in force so that operators see what was refused and why.
type RejectedRule struct {
	// Enable, Type and Data are the row's columns as read.
	Enable string `json:"enable"`
	Type   string `json:"type"`
	Data   string `json:"data"`
	// Reason says what is wrong, e.g. `subset: key rule: entry 2: regex "(": ...`.
	Reason string `json:"reason"`
}

// Disables reports whether the rejected row still turns routing off: whatever its
// rule data, a row whose enable column is N means "no subset routing".
func (r *RejectedRule) Disables() bool { return strings.EqualFold(r.Enable, "n") }

// RuleEntry is one subset rule of a Snapshot with its findSubsetConfigById answer
// built ahead of time. It is shared by every reader: callers must not modify it.
type RuleEntry struct {
	// Rule is the rule as stored.
	Rule SubsetRule
	// Version is the CRC32 (Castagnoli) of the rule's canonical encoding.
	Version uint32
	// Conf is the findSubsetConfigById answer: enable, type and data of the rule in
	// force (all zero when none is).
	Conf endpointf.SubsetConf
	// Compiled is the rule in force, ready to route; nil when none is.
	Compiled *subset.Rule
}

// NewRuleEntry builds the entry of rule r stored with version (the CRC32 of its
// encoding), compiling the rule in force. It fails when that rule does not parse.
func NewRuleEntry(r SubsetRule, version uint32) (*RuleEntry, error) {
	e := &RuleEntry{Rule: r, Version: version}
	if r.Type == "" {
		return e, nil
	}
	compiled, err := subset.Parse(r.Type, r.Data)
	if err != nil {
		return nil, fmt.Errorf("subset rule of %q: %w", r.Servant, err)
	}
	e.Compiled = compiled
	e.Conf = endpointf.SubsetConf{Enable: r.Enable, RuleType: r.Type, RuleData: r.Data}
	return e, nil
}

// SubsetRule returns the subset rule of servant id, if the snapshot has one (in
// force or only rejected).
func (s *Snapshot) SubsetRule(id string) (*RuleEntry, bool) {
	e, ok := s.rules[id]
	return e, ok
}

// SubsetConf returns the findSubsetConfigById answer for servant id: the rule in
// force, or a zero SubsetConf (enable false) when there is none. It is a map read.
func (s *Snapshot) SubsetConf(id string) endpointf.SubsetConf {
	if e, ok := s.rules[id]; ok {
		return e.Conf
	}
	return endpointf.SubsetConf{}
}

// Rules yields every stored subset rule by servant id, in no particular order.
func (s *Snapshot) Rules() iter.Seq2[string, *RuleEntry] { return maps.All(s.rules) }

// RuleIDs returns the servants that have a subset rule, ascending; the slice is the
// caller's.
func (s *Snapshot) RuleIDs() []string { return slices.Sorted(maps.Keys(s.rules)) }

// AllIDs returns every servant id with a record, a subset rule or both, ascending
// and without repeats; the slice is the caller's.
func (s *Snapshot) AllIDs() []string {
	return slices.Sorted(func(yield func(string) bool) {
		for id := range s.entries {
			if !yield(id) {
				return
			}
		}
		for id := range s.rules {
			if _, dup := s.entries[id]; !dup && !yield(id) {
				return
			}
		}
	})
}

// Equal reports whether a and b are the same rule, rejected row included (a CRC32
// match alone could be a collision).
func (a *SubsetRule) Equal(b *SubsetRule) bool {
	if a.Servant != b.Servant || a.Enable != b.Enable || a.Type != b.Type || a.Data != b.Data {
		return false
	}
	if a.Rejected == nil || b.Rejected == nil {
		return a.Rejected == b.Rejected
	}
	return *a.Rejected == *b.Rejected
}
