package cache

import (
	"fmt"
	"maps"

	bolt "go.etcd.io/bbolt"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// ruleChange is the subset-rule part of one Apply.
type ruleChange struct {
	put     []*snapshot.RuleEntry
	values  [][]byte
	removed []string
}

func (rc *ruleChange) changed() bool { return len(rc.put)+len(rc.removed) > 0 }

// diffRules compares a complete set of rules with the current snapshot.
func diffRules(cur *snapshot.Snapshot, rules []snapshot.SubsetRule) (ruleChange, error) {
	var rc ruleChange
	seen := make(map[string]struct{}, len(rules))
	for i := range rules {
		r := rules[i]
		if err := checkRule(&r, seen); err != nil {
			return rc, err
		}
		value, version := encodeRule(&r)
		if old, ok := cur.SubsetRule(r.Servant); ok && old.Version == version && old.Rule.Equal(&r) {
			continue
		}
		e, err := snapshot.NewRuleEntry(r, version)
		if err != nil {
			return rc, fmt.Errorf("%w: %w", ErrBadRecord, err)
		}
		rc.put, rc.values = append(rc.put, e), append(rc.values, value)
	}
	for id := range cur.Rules() {
		if _, ok := seen[id]; !ok {
			rc.removed = append(rc.removed, id)
		}
	}
	return rc, nil
}

func checkRule(r *snapshot.SubsetRule, seen map[string]struct{}) error {
	if _, dup := seen[r.Servant]; dup {
		return fmt.Errorf("%w: subset rule of %q listed twice", ErrBadRecord, r.Servant)
	}
	seen[r.Servant] = struct{}{}
	return validateRule(r)
}

// validateRule checks what the encoding needs of a rule; newRuleEntry then checks
// that the rule in force parses.
func validateRule(r *snapshot.SubsetRule) error {
	switch {
	case r.Servant == "" || len(r.Servant) > maxString:
		return fmt.Errorf("%w: subset rule: servant id %q must have 1 to %d bytes", ErrBadRecord, r.Servant, maxString)
	case r.Type == "" && (r.Enable || r.Data != ""):
		return fmt.Errorf("%w: subset rule of %q: enabled or with data but no rule type", ErrBadRecord, r.Servant)
	}
	for _, s := range ruleTexts(r) {
		if len(s) > maxString {
			return fmt.Errorf("%w: subset rule of %q: a text field has %d bytes, at most %d", ErrBadRecord, r.Servant, len(s), maxString)
		}
	}
	return nil
}

// ruleTexts lists the rule's text fields after the servant id, in encoding order.
func ruleTexts(r *snapshot.SubsetRule) []string {
	t := []string{r.Type, r.Data}
	if r.Rejected != nil {
		t = append(t, r.Rejected.Enable, r.Rejected.Type, r.Rejected.Data, r.Rejected.Reason)
	}
	return t
}

// Rule flag bits in the encoding.
const (
	ruleEnable byte = 1 << iota
	ruleRejected
)

// encodeRule returns the stored value of r and its version (docs/format.md).
func encodeRule(r *snapshot.SubsetRule) ([]byte, uint32) {
	var f byte
	if r.Enable {
		f |= ruleEnable
	}
	if r.Rejected != nil {
		f |= ruleRejected
	}
	p := appendString(nil, r.Servant)
	p = append(p, f)
	for _, s := range ruleTexts(r) {
		p = appendString(p, s)
	}
	return sealValue(p)
}

// decodeRule decodes a stored rule value, checking its format byte and CRC32.
func decodeRule(v []byte) (snapshot.SubsetRule, uint32, error) {
	payload, version, err := openValue(v)
	if err != nil {
		return snapshot.SubsetRule{}, 0, err
	}
	d := decoder{buf: string(payload)} // one copy, which the strings share
	r := snapshot.SubsetRule{Servant: d.string()}
	f := d.byte()
	r.Enable = f&ruleEnable != 0
	r.Type, r.Data = d.string(), d.string()
	if f&ruleRejected != 0 {
		r.Rejected = &snapshot.RejectedRule{Enable: d.string(), Type: d.string(), Data: d.string(), Reason: d.string()}
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

// apply returns the rules of cur after rc, or nil when rc changes nothing.
func (rc *ruleChange) apply(cur *snapshot.Snapshot) map[string]*snapshot.RuleEntry {
	if !rc.changed() {
		return nil
	}
	next := maps.Collect(cur.Rules())
	for _, e := range rc.put {
		next[e.Rule.Servant] = e
	}
	for _, id := range rc.removed {
		delete(next, id)
	}
	return next
}
