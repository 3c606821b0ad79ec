package subset

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/serialx/hashring"
)

// ringBase is the fewest points a ratio rule's hash ring holds (but for a rule whose
// weights are tiny and many). hashring places exactly weight points per subset, which
// leaves {"a":1,"b":3} with four points and shares off by 13 percentage points, so
// the weights are scaled by a power of two that brings their total into [ringBase,
// 2*ringBase) before the ring is built. doc.go gives the precision this buys.
const ringBase = 1 << 14

// notWeights is the reason given for rule data that is not an object of weights.
const notWeights = "not a JSON object of subset name to weight"

// ratioRule is a compiled ratio rule. It is immutable but for the ring, built once.
type ratioRule struct {
	names   []string // subsets of weight > 0, sorted
	weights []int64  // weights[i] is the weight of names[i]
	cum     []int64  // cum[i] is the sum of weights[:i+1]

	ringOnce sync.Once          // guards ring
	ring     *hashring.HashRing // built on the first route of a non-empty key
}

// ratioParser accumulates a ratio rule while its members are read.
type ratioParser struct {
	weights map[string]int64 // every subset, weight 0 included
}

// parseRatio parses the rule data of a ratio rule.
func parseRatio(data string) (*Rule, *RuleError) {
	dec := newDecoder(strings.NewReader(data))
	if bad := open(dec, '{', notWeights); bad != nil {
		return nil, bad
	}
	p := ratioParser{weights: map[string]int64{}}
	for dec.More() {
		name, raw, err := member(dec)
		if err != nil {
			return nil, syntax(notWeights, err)
		}
		if reason := p.add(name, raw); reason != "" {
			return nil, &RuleError{Reason: reason}
		}
	}
	if bad := end(dec, data, "object", notWeights); bad != nil {
		return nil, bad
	}
	return p.rule()
}

// add records subset name with the weight raw, or returns why it cannot.
func (p *ratioParser) add(name string, raw json.RawMessage) string {
	if _, dup := p.weights[name]; dup {
		return fmt.Sprintf("subset %s appears twice", clip(name))
	}
	if reason := checkName(name); reason != "" {
		return reason
	}
	if len(p.weights) == MaxSubsets {
		return fmt.Sprintf("more than %d subsets", MaxSubsets)
	}
	w, reason := weight(name, raw)
	p.weights[name] = w
	return reason
}

// weight parses the weight raw of subset name: a decimal integer from 0 to MaxWeight.
func weight(name string, raw json.RawMessage) (int64, string) {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	tooBig := err == nil && n > MaxWeight || errors.Is(err, strconv.ErrRange) && raw[0] != '-'
	switch {
	case tooBig:
		return 0, fmt.Sprintf("weight of %s is %s: want at most %d", clip(name), clipRaw(raw), MaxWeight)
	case err != nil || n < 0:
		return 0, fmt.Sprintf("weight of %s is %s: want an integer >= 0", clip(name), clipRaw(raw))
	}
	return n, ""
}

// rule checks the weights as a whole and builds the Rule.
func (p *ratioParser) rule() (*Rule, *RuleError) {
	if len(p.weights) == 0 {
		return nil, &RuleError{Reason: "has no subsets"}
	}
	all := slices.Sorted(maps.Keys(p.weights))
	rr := &ratioRule{}
	var total int64
	for _, name := range all {
		if w := p.weights[name]; w > 0 {
			total += w
			rr.names, rr.weights, rr.cum = append(rr.names, name), append(rr.weights, w), append(rr.cum, total)
		}
	}
	if total == 0 {
		return nil, &RuleError{Reason: "every weight is 0"}
	}
	return &Rule{canonical: p.canonical(all), subsets: all, ratio: rr}, nil
}

// canonical writes the weights as compact JSON with the names in order.
func (p *ratioParser) canonical(names []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(name) + ":" + strconv.FormatInt(p.weights[name], 10))
	}
	b.WriteByte('}')
	return b.String()
}

// route returns the subset of key: on the ring, or at random by weight when key is
// empty. With a single subset of weight > 0 there is nothing to choose.
func (rr *ratioRule) route(key string, random func() float64) string {
	switch {
	case len(rr.names) == 1:
		return rr.names[0]
	case key == "":
		return rr.pick(random())
	}
	node, _ := rr.hashRing().GetNode(key) // never empty: at least two subsets have points
	return node
}

// pick maps u, uniform in [0, 1), to a subset in proportion to the weights.
func (rr *ratioRule) pick(u float64) string {
	total := rr.cum[len(rr.cum)-1]
	target := min(max(int64(u*float64(total)), 0), total-1)
	i, _ := slices.BinarySearch(rr.cum, target+1) // the first subset whose range holds target
	return rr.names[i]
}

// hashRing returns the ring, building it on first use.
func (rr *ratioRule) hashRing() *hashring.HashRing {
	rr.ringOnce.Do(func() { rr.ring = hashring.NewWithWeights(rr.ringWeights()) })
	return rr.ring
}

// ringWeights scales the weights by the power of two that brings their total into
// [ringBase, 2*ringBase), rounding and keeping at least 1 when it divides. Because the
// factor depends only on the total's power of two, and hashring names the points of
// subset s "s-0", "s-1", ..., changing one weight without leaving that band moves keys
// only into or out of the subset changed.
func (rr *ratioRule) ringWeights() map[string]int {
	shift := ringShift(rr.cum[len(rr.cum)-1])
	scaled := make(map[string]int, len(rr.names))
	for i, name := range rr.names {
		scaled[name] = int(scale(rr.weights[i], shift))
	}
	return scaled
}

// ringShift returns the power of two that brings total into [ringBase, 2*ringBase):
// positive to multiply by, negative to divide by.
func ringShift(total int64) int {
	shift := 0
	for ; total<<shift < ringBase; shift++ {
	}
	for ; shift <= 0 && total>>-shift >= 2*ringBase; shift-- {
	}
	return shift
}

// scale multiplies w by 2**shift, rounding to the nearest integer but not below 1.
func scale(w int64, shift int) int64 {
	if shift >= 0 {
		return w << shift
	}
	d := int64(1) << -shift
	return max(1, (w+d/2)/d)
}
