package cache_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/protocol/endpointf"
)

const (
	canary = `{"canary":10,"stable":90}`
	vipKey = `[{"equal":"vip","route":"v2"},{"default":"v1"}]`
)

func ratioRule(servant, data string) snapshot.SubsetRule {
	return snapshot.SubsetRule{Servant: servant, Enable: true, Type: "ratio", Data: data}
}

func withRules(rules ...snapshot.SubsetRule) cache.State {
	return cache.State{Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 10, "10.0.0.1")}, Rules: rules}
}

// Subset rules are stored, answered as findSubsetConfigById answers, and served
// again after a restart before any sync; a servant without a rule gets enable=false.
func TestCache_Apply_subsetRulesPersist(t *testing.T) {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	stats, err := c.Apply(withRules(ratioRule("A.S.Obj", canary), ratioRule("Gone.S.Obj", canary)))
	require.NoError(t, err)
	require.Equal(t, 2, stats.RulesWritten)
	require.NoError(t, c.Close())

	c = cachetest.Open(t, path)
	snap := c.Snapshot()
	require.Equal(t, endpointf.SubsetConf{Enable: true, RuleType: "ratio", RuleData: canary}, snap.SubsetConf("A.S.Obj"))
	require.Equal(t, endpointf.SubsetConf{}, snap.SubsetConf("B.S.Obj"))
	e, ok := snap.SubsetRule("Gone.S.Obj")
	require.True(t, ok, "a rule is kept for a servant without endpoints")
	sub, ok := e.Compiled.Route("some-key")
	require.True(t, ok)
	require.Contains(t, []string{"canary", "stable"}, sub)
	require.Equal(t, []string{"A.S.Obj", "Gone.S.Obj"}, snap.RuleIDs())
}

// Unchanged rules are not rewritten: no write transaction; a rule gone from the
// database is deleted.
func TestCache_Apply_subsetRulesWrittenOnlyWhenChanged(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(withRules(ratioRule("A.S.Obj", canary), ratioRule("B.S.Obj", canary)))
	require.NoError(t, err)
	tx, err := c.TxID()
	require.NoError(t, err)

	stats, err := c.Apply(withRules(ratioRule("B.S.Obj", canary), ratioRule("A.S.Obj", canary)))
	require.NoError(t, err)
	require.False(t, stats.Changed())
	after, err := c.TxID()
	require.NoError(t, err)
	require.Equal(t, tx, after, "unchanged rules must not commit a write transaction")

	stats, err = c.Apply(withRules(ratioRule("B.S.Obj", `{"canary":50,"stable":50}`)))
	require.NoError(t, err)
	require.Equal(t, 1, stats.RulesWritten)
	require.Equal(t, 1, stats.RulesDeleted)
	_, ok := c.Snapshot().SubsetRule("A.S.Obj")
	require.False(t, ok)
}

// A rule in force that does not parse, or a rule listed twice, is refused and
// nothing is written.
func TestCache_Apply_badRuleWritesNothing(t *testing.T) {
	for name, rules := range map[string][]snapshot.SubsetRule{
		"bad data":     {ratioRule("A.S.Obj", `{"v1":0}`)},
		"unknown type": {{Servant: "A.S.Obj", Enable: true, Type: "hash", Data: "{}"}},
		"no type":      {{Servant: "A.S.Obj", Enable: true}},
		"no servant":   {ratioRule("", canary)},
		"twice":        {ratioRule("A.S.Obj", canary), ratioRule("A.S.Obj", canary)},
	} {
		t.Run(name, func(t *testing.T) {
			c := cachetest.Open(t, "")
			_, err := c.Apply(withRules(ratioRule("A.S.Obj", canary)))
			require.NoError(t, err)
			tx, _ := c.TxID()
			_, err = c.Apply(withRules(rules...))
			require.ErrorIs(t, err, cache.ErrBadRecord)
			after, _ := c.TxID()
			require.Equal(t, tx, after)
			require.Equal(t, canary, c.Snapshot().SubsetConf("A.S.Obj").RuleData)
		})
	}
}

// An export carries the rules, rejections included, and an import restores them
// as written (an import states the rules in force itself).
func TestWriteJSON_subsetRulesRoundTrip(t *testing.T) {
	c := cachetest.Open(t, "")
	key := snapshot.SubsetRule{Servant: "B.S.Obj", Enable: true, Type: "key", Data: vipKey}
	_, err := c.Apply(withRules(ratioRule("A.S.Obj", canary), key))
	require.NoError(t, err)
	_, err = c.Apply(withRules(snapshot.SubsetRule{Servant: "A.S.Obj", Rejected: &snapshot.RejectedRule{Enable: "Y", Type: "ratio", Data: "[]", Reason: "bad weights"}}, key))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, snapshot.WriteJSON(&buf, c.Snapshot(), nil))
	require.Contains(t, buf.String(), `"reason": "bad weights"`)

	st, err := cache.ReadJSON(&buf)
	require.NoError(t, err)
	other := cachetest.Open(t, "")
	_, err = other.Apply(st)
	require.NoError(t, err)
	for _, id := range []string{"A.S.Obj", "B.S.Obj"} {
		want, _ := c.Snapshot().SubsetRule(id)
		got, ok := other.Snapshot().SubsetRule(id)
		require.True(t, ok, id)
		require.Equal(t, want.Rule, got.Rule, id)
		require.Equal(t, want.Version, got.Version, id)
	}
}
