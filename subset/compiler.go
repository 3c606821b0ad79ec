package subset

import (
	"strings"
	"sync"
)

// DefaultCapacity is the number of rules a Compiler keeps when NewCompiler is given 0.
const DefaultCapacity = 1024

// Compiler keeps compiled rules, and the errors of rejected ones, keyed by their rule
// type and data, so that routing a request costs a map read instead of a parse. It holds
// at most its capacity of rules; a miss that finds it full evicts an arbitrary one.
//
// A Compiler is safe for concurrent use. Get never blocks on a parse of another
// goroutine: two goroutines that miss on the same rule both parse it, and the first to
// store it wins, so every Get of a rule that stays cached returns the same *Rule.
type Compiler struct {
	capacity int // most entries kept

	// mu guards entries.
	mu      sync.RWMutex
	entries map[source]result
}

// source identifies a rule version: its type and data, compared whole.
type source struct {
	ruleType, ruleData string
}

// result is the outcome of parsing a source: a rule or the error rejecting it.
type result struct {
	rule *Rule
	err  error
}

// NewCompiler returns an empty Compiler that keeps at most capacity rules, or
// DefaultCapacity when capacity is 0 or less. A cached ratio rule that has been routed
// by a non-empty key holds its hash ring (about 2 MB).
func NewCompiler(capacity int) *Compiler {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	return &Compiler{capacity: capacity, entries: make(map[source]result)}
}

// Get returns what Parse(ruleType, ruleData) returns, parsing only the first time it
// sees that type and data (while they stay cached): the same *Rule, or the same error,
// for every call. Rule data longer than MaxRuleData is rejected without being cached.
func (c *Compiler) Get(ruleType, ruleData string) (*Rule, error) {
	if len(ruleData) > MaxRuleData {
		return Parse(ruleType, ruleData)
	}
	src := source{ruleType, ruleData}
	c.mu.RLock()
	res, ok := c.entries[src]
	c.mu.RUnlock()
	if ok {
		return res.rule, res.err
	}
	rule, err := Parse(ruleType, ruleData)
	return c.store(src, result{rule, err})
}

// store caches res under src unless another goroutine stored src first, and returns
// what is cached.
func (c *Compiler) store(src source, res result) (*Rule, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.entries[src]; ok {
		return prev.rule, prev.err
	}
	if len(c.entries) >= c.capacity {
		c.evictOne()
	}
	// Clone so that the key does not pin a larger buffer the caller's strings live in.
	c.entries[source{strings.Clone(src.ruleType), strings.Clone(src.ruleData)}] = res
	return res.rule, res.err
}

// evictOne removes an arbitrary entry; map iteration order makes it random. c.mu must
// be held.
func (c *Compiler) evictOne() {
	for src := range c.entries {
		delete(c.entries, src)
		return
	}
}

// Len returns how many rules, accepted or rejected, the Compiler holds.
func (c *Compiler) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
