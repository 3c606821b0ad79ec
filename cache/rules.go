package cache

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

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

// newRuleEntry compiles r, which must have passed validateRule.
func newRuleEntry(r SubsetRule, version uint32) (*RuleEntry, error) {
	e := &RuleEntry{Rule: r, Version: version}
	if r.Type == "" {
		return e, nil
	}
	compiled, err := subset.Parse(r.Type, r.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: subset rule of %q: %w", ErrBadRecord, r.Servant, err)
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

// ruleChange is the subset-rule part of one Apply.
type ruleChange struct {
	put     []*RuleEntry
	values  [][]byte
	removed []string
}

func (rc *ruleChange) changed() bool { return len(rc.put)+len(rc.removed) > 0 }

// diffRules compares a complete set of rules with the current snapshot; with keep,
// a rule whose row was rejected keeps the rule in force of the current snapshot
// (State.KeepInForce).
func diffRules(cur *Snapshot, rules []SubsetRule, keep bool) (ruleChange, error) {
	var rc ruleChange
	seen := make(map[string]struct{}, len(rules))
	for i := range rules {
		r := rules[i]
		if keep {
			r = inherit(cur, r)
		}
		if err := checkRule(&r, seen); err != nil {
			return rc, err
		}
		value, version := encodeRule(&r)
		if old, ok := cur.rules[r.Servant]; ok && old.Version == version && equalRule(&old.Rule, &r) {
			continue
		}
		e, err := newRuleEntry(r, version)
		if err != nil {
			return rc, err
		}
		rc.put, rc.values = append(rc.put, e), append(rc.values, value)
	}
	for id := range cur.rules {
		if _, ok := seen[id]; !ok {
			rc.removed = append(rc.removed, id)
		}
	}
	return rc, nil
}

// inherit gives a rejected rule the rule in force of the current snapshot.
func inherit(cur *Snapshot, r SubsetRule) SubsetRule {
	if r.Rejected == nil {
		return r
	}
	r.Enable, r.Type, r.Data = false, "", ""
	if old, ok := cur.rules[r.Servant]; ok {
		r.Enable, r.Type, r.Data = old.Rule.Enable, old.Rule.Type, old.Rule.Data
	}
	if r.Rejected.Disables() {
		r.Enable = false
	}
	return r
}

func checkRule(r *SubsetRule, seen map[string]struct{}) error {
	if _, dup := seen[r.Servant]; dup {
		return fmt.Errorf("%w: subset rule of %q listed twice", ErrBadRecord, r.Servant)
	}
	seen[r.Servant] = struct{}{}
	return validateRule(r)
}

// validateRule checks what the encoding needs of a rule; newRuleEntry then checks
// that the rule in force parses.
func validateRule(r *SubsetRule) error {
	switch {
	case r.Servant == "" || len(r.Servant) > maxString:
		return fmt.Errorf("%w: subset rule: servant id %q must have 1 to %d bytes", ErrBadRecord, r.Servant, maxString)
	case r.Type == "" && (r.Enable || r.Data != ""):
		return fmt.Errorf("%w: subset rule of %q: enabled or with data but no rule type", ErrBadRecord, r.Servant)
	}
	for _, s := range r.texts() {
		if len(s) > maxString {
			return fmt.Errorf("%w: subset rule of %q: a text field has %d bytes, at most %d", ErrBadRecord, r.Servant, len(s), maxString)
		}
	}
	return nil
}

// texts lists the rule's text fields after the servant id, in encoding order.
func (r *SubsetRule) texts() []string {
	t := []string{r.Type, r.Data}
	if r.Rejected != nil {
		t = append(t, r.Rejected.Enable, r.Rejected.Type, r.Rejected.Data, r.Rejected.Reason)
	}
	return t
}

func equalRule(a, b *SubsetRule) bool {
	if a.Servant != b.Servant || a.Enable != b.Enable || a.Type != b.Type || a.Data != b.Data {
		return false
	}
	if a.Rejected == nil || b.Rejected == nil {
		return a.Rejected == b.Rejected
	}
	return *a.Rejected == *b.Rejected
}

// Rule flag bits in the encoding.
const (
	ruleEnable byte = 1 << iota
	ruleRejected
)

// encodeRule returns the stored value of r and its version (docs/format.md).
func encodeRule(r *SubsetRule) ([]byte, uint32) {
	var f byte
	if r.Enable {
		f |= ruleEnable
	}
	if r.Rejected != nil {
		f |= ruleRejected
	}
	p := appendString(nil, r.Servant)
	p = append(p, f)
	for _, s := range r.texts() {
		p = appendString(p, s)
	}
	return sealValue(p)
}

// decodeRule decodes a stored rule value, checking its format byte and CRC32.
func decodeRule(v []byte) (SubsetRule, uint32, error) {
	payload, version, err := openValue(v)
	if err != nil {
		return SubsetRule{}, 0, err
	}
	d := decoder{buf: payload}
	r := SubsetRule{Servant: d.string()}
	f := d.byte()
	r.Enable = f&ruleEnable != 0
	r.Type, r.Data = d.string(), d.string()
	if f&ruleRejected != 0 {
		r.Rejected = &RejectedRule{Enable: d.string(), Type: d.string(), Data: d.string(), Reason: d.string()}
	}
	if f&^(ruleEnable|ruleRejected) != 0 {
		d.fail(fmt.Errorf("unknown rule flags %#x", f))
	}
	return r, version, d.finish()
}

// write puts the rule part of a change into the subsets bucket, creating it on
// first use: files written before subset rules existed have none.
func (rc *ruleChange) write(tx *bolt.Tx) error {
	if !rc.changed() {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketSubsets)
	if err != nil {
		return fmt.Errorf("create bucket %q: %w", bucketSubsets, err)
	}
	for i, e := range rc.put {
		if err := b.Put([]byte(e.Rule.Servant), rc.values[i]); err != nil {
			return fmt.Errorf("put subset rule %q: %w", e.Rule.Servant, err)
		}
	}
	for _, id := range rc.removed {
		if err := b.Delete([]byte(id)); err != nil {
			return fmt.Errorf("delete subset rule %q: %w", id, err)
		}
	}
	return nil
}

// apply returns the rules map after rc, or m itself when rc changes nothing.
func (rc *ruleChange) apply(m map[string]*RuleEntry) map[string]*RuleEntry {
	if !rc.changed() {
		return m
	}
	next := make(map[string]*RuleEntry, len(m)+len(rc.put))
	maps.Copy(next, m)
	for _, e := range rc.put {
		next[e.Rule.Servant] = e
	}
	for _, id := range rc.removed {
		delete(next, id)
	}
	return next
}
