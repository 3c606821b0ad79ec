package subset

import (
	"fmt"
	"math/rand/v2"
	"unicode/utf8"

	"github.com/tarscache/tarscache/protocol/endpointf"
)

// Rule types, as stored in t_subset_rule.rule_type and SubsetConf.RuleType.
const (
	TypeRatio = "ratio" // rule data is a JSON object of subset name to integer weight
	TypeKey   = "key"   // rule data is a JSON array of equal/match/default entries
)

// Limits of a valid rule. Parse rejects rules beyond them.
const (
	MaxRuleData = 64 << 10  // bytes of rule data
	MaxSubsets  = 1024      // subsets of a ratio rule
	MaxEntries  = 1024      // entries of a key rule
	MaxName     = 64        // characters of a subset name: t_server_subset.subset is varchar(64)
	MaxWeight   = 1<<31 - 1 // weight of one subset of a ratio rule
)

// Rule is a validated, compiled subset rule. It is immutable and safe for concurrent
// use; a ratio rule builds its hash ring on the first Route of a non-empty key.
type Rule struct {
	typ       string         // TypeRatio or TypeKey
	canonical string         // the rule data in canonical form
	subsets   []string       // every subset the rule names, sorted, without repeats
	ratio     *ratioRule     // set when typ is TypeRatio; shared by WithRand copies
	key       *keyRule       // set when typ is TypeKey
	rand      func() float64 // uniform in [0, 1), for an empty key of a ratio rule
}

// Parse validates a rule of type ruleType ("ratio" or "key") whose rule data is
// ruleData and compiles it, as the package documentation describes: JSON is decoded
// strictly (no unknown fields, no repeated names, no trailing data, integer weights),
// regexes are RE2 matched against the whole key, and the limits above apply. A
// rejected rule returns a nil Rule and a *RuleError that matches ErrBadRule and says
// exactly what is wrong. Parsing is cheap (tens of microseconds for a typical rule);
// the hash ring of a ratio rule is built later, on first use.
func Parse(ruleType, ruleData string) (*Rule, error) {
	switch ruleType {
	case TypeRatio:
		return parseRule(ruleType, ruleData, parseRatio)
	case TypeKey:
		return parseRule(ruleType, ruleData, parseKey)
	}
	return nil, &RuleError{Reason: fmt.Sprintf("unknown rule type %s: want ratio or key", clip(ruleType))}
}

// parseRule checks the size of ruleData and hands it to the parser of its type.
func parseRule(ruleType, ruleData string, parse func(string) (*Rule, *RuleError)) (*Rule, error) {
	if len(ruleData) > MaxRuleData {
		reason := fmt.Sprintf("rule data is %d bytes: want at most %d", len(ruleData), MaxRuleData)
		return nil, &RuleError{RuleType: ruleType, Reason: reason}
	}
	r, bad := parse(ruleData)
	if bad != nil {
		bad.RuleType = ruleType
		return nil, bad
	}
	r.typ, r.rand = ruleType, rand.Float64
	return r, nil
}

// FromConf parses the rule of a SubsetConf as answered by findSubsetConfigById. It
// returns (nil, nil) when the conf is not enabled: the servant has no rule.
func FromConf(conf endpointf.SubsetConf) (*Rule, error) {
	if !conf.Enable {
		return nil, nil
	}
	return Parse(conf.RuleType, conf.RuleData)
}

// Type returns the rule's type, TypeRatio or TypeKey.
func (r *Rule) Type() string { return r.typ }

// String returns the rule data in canonical form: compact JSON, ratio subsets sorted by
// name (weight-0 subsets included), key entries in their order with the condition
// before the route. Parse(r.Type(), r.String()) gives a rule equal to r. It is what
// findSubsetConfigById answers as the validated rule.
func (r *Rule) String() string { return r.canonical }

// Subsets returns every subset name the rule mentions, sorted and without repeats,
// including ratio subsets of weight 0. The slice is a fresh copy.
func (r *Rule) Subsets() []string { return append([]string(nil), r.subsets...) }

// WithRand returns a copy of r whose Route draws from source, uniform numbers in
// [0, 1), when a ratio rule is given an empty key; nil restores the default,
// math/rand/v2's Float64. The copy shares r's compiled state (regexes, ring). source
// must be safe for concurrent use if the copy is routed from several goroutines.
func (r *Rule) WithRand(source func() float64) *Rule {
	c := *r
	c.rand = source
	if source == nil {
		c.rand = rand.Float64
	}
	return &c
}

// Route returns the subset a request with route key key goes to. A ratio rule hashes a
// non-empty key on its weighted ring (the same key, the same subset, for as long as the
// weights stay) and picks at random by weight for an empty key; it never returns a
// subset of weight 0. A key rule returns the route of its first entry that hits, else
// its default; ok is false when nothing hits and there is no default: the request is
// not filtered. A nil rule (no rule, see FromConf) returns ok false. Route does not
// block, except that the first Route of a non-empty key on a ratio rule builds the ring
// (milliseconds), and other goroutines routing non-empty keys on it wait for that.
func (r *Rule) Route(key string) (subset string, ok bool) {
	switch {
	case r == nil:
		return "", false
	case r.ratio != nil:
		return r.ratio.route(key, r.rand), true
	}
	return r.key.route(key)
}

// checkName returns why name cannot be a subset name, or "" when it can.
func checkName(name string) string {
	if name == "" {
		return "empty subset name"
	}
	if n := utf8.RuneCountInString(name); n > MaxName {
		return fmt.Sprintf("subset name %s has %d characters: want at most %d", clip(name), n, MaxName)
	}
	return ""
}
