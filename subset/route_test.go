package subset_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/subset"
)

// shareKeys is how many route keys the share tests spread over a ratio rule.
const shareKeys = 100_000

// shareRules are the ratio rules whose shares the tests check.
var shareRules = []string{
	`{"v1":20,"v2":80}`,
	`{"a":1,"b":1,"c":1}`,
	`{"a":1,"b":3}`,
	`{"x":5,"y":0,"z":95}`,
	`{"only":7}`,
	`{"canary":1,"stable":99}`,
	`{"gray":10,"v1":45,"v2":45}`,
	`{"a":1,"b":1,"c":1,"d":1}`,
}

// mustParse parses a rule the test knows to be valid.
func mustParse(t testing.TB, ruleType, data string) *subset.Rule {
	t.Helper()
	r, err := subset.Parse(ruleType, data)
	require.NoError(t, err)
	return r
}

// weightsOf returns the weights of a ratio rule as shares of 1.
func weightsOf(t *testing.T, data string) map[string]float64 {
	t.Helper()
	var w map[string]float64
	require.NoError(t, json.Unmarshal([]byte(data), &w))
	total := 0.0
	for _, v := range w {
		total += v
	}
	for k := range w {
		w[k] /= total
	}
	return w
}

// checkShares fails unless each subset got its weight's share of n routes, within 2
// percentage points, and logs the worst deviation.
func checkShares(t *testing.T, data string, counts map[string]int, n int) {
	t.Helper()
	worst := 0.0
	for name, want := range weightsOf(t, data) {
		got := float64(counts[name]) / float64(n)
		require.InDelta(t, want, got, 0.02, "share of %q in %s", name, data)
		worst = max(worst, math.Abs(got-want))
		if want == 0 {
			require.Zero(t, counts[name], "a subset of weight 0 was chosen")
		}
	}
	t.Logf("%s: worst share deviation %.2f percentage points", data, 100*worst)
}

// TestRule_Route_ratioShares checks that random route keys spread over the subsets of
// a ratio rule in proportion to the weights, within 2 percentage points.
func TestRule_Route_ratioShares(t *testing.T) {
	for _, data := range shareRules {
		t.Run(data, func(t *testing.T) {
			r := mustParse(t, "ratio", data)
			rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: the same keys every run
			counts := map[string]int{}
			for range shareKeys {
				got, ok := r.Route(fmt.Sprintf("user-%d", rng.Uint64()))
				require.True(t, ok)
				counts[got]++
			}
			checkShares(t, data, counts, shareKeys)
		})
	}
}

// TestRule_Route_ratioEmptyKey checks that requests without a route key are spread at
// random in proportion to the weights.
func TestRule_Route_ratioEmptyKey(t *testing.T) {
	for _, data := range shareRules {
		t.Run(data, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4)) // fixed seed: the same draws every run
			r := mustParse(t, "ratio", data).WithRand(rng.Float64)
			counts := map[string]int{}
			for range shareKeys {
				got, ok := r.Route("")
				require.True(t, ok)
				counts[got]++
			}
			checkShares(t, data, counts, shareKeys)
		})
	}
}

// TestRule_Route_ratioEmptyKeyEdges checks the ends of the random source's range: 0
// gives the first subset of weight > 0 by name, just under 1 the last, and weight-0
// subsets are skipped even at their boundaries.
func TestRule_Route_ratioEmptyKeyEdges(t *testing.T) {
	r := mustParse(t, "ratio", `{"a":0,"b":1,"c":0,"d":1,"e":0}`)
	for u, want := range map[float64]string{0: "b", 0.4999: "b", 0.5: "d", math.Nextafter(1, 0): "d", 1: "d"} {
		got, ok := r.WithRand(func() float64 { return u }).Route("")
		require.True(t, ok)
		require.Equal(t, want, got, "u=%v", u)
	}
}

// TestRule_Route_ratioStable checks that a key always lands in the same subset: on
// every call, on a rule parsed again or written in another order, and across
// versions of tarscache (the pinned keys below change only if the ring changes).
func TestRule_Route_ratioStable(t *testing.T) {
	a := mustParse(t, "ratio", `{"v1":20,"v2":80}`)
	b := mustParse(t, "ratio", `{ "v2": 80, "v1": 20 }`)
	for i := range 1000 {
		key := fmt.Sprintf("order-%d", i)
		first, _ := a.Route(key)
		again, _ := a.Route(key)
		other, _ := b.Route(key)
		require.Equal(t, first, again, key)
		require.Equal(t, first, other, key)
	}
	pinned := mustParse(t, "ratio", pinnedRule)
	for key, want := range pinnedRoutes {
		got, _ := pinned.Route(key)
		require.Equal(t, want, got, key)
	}
}

// pinnedRule and pinnedRoutes pin where keys land. A change here changes where every
// client routes keys: it needs a release note.
const pinnedRule = `{"a":1,"b":1,"c":1,"d":1}`

var pinnedRoutes = map[string]string{
	"user-1": "b", "user-2": "b", "user-3": "b", "user-4": "b", "user-5": "d", "user-6": "c",
	"user-7": "b", "user-8": "d", "vip": "b", "1001": "c", "order-42": "b", "王": "b",
}

// TestRule_Route_ratioWeightChange checks the consistent-hash property: when one
// subset's weight grows, keys only move into it, never between the others.
func TestRule_Route_ratioWeightChange(t *testing.T) {
	before := mustParse(t, "ratio", `{"a":30,"b":30,"c":40}`)
	after := mustParse(t, "ratio", `{"a":30,"b":30,"c":60}`)
	moved := 0
	for i := range 10_000 {
		key := fmt.Sprintf("k%d", i)
		was, _ := before.Route(key)
		now, _ := after.Route(key)
		if was != now {
			moved++
			require.Equal(t, "c", now, "key %q moved from %q to %q", key, was, now)
		}
	}
	require.Positive(t, moved)
}

// TestRule_Route_key checks how a key rule picks a subset: entries in order, first hit
// wins, regexes match the whole key, the default applies when nothing hits, and
// without a default the request is not filtered.
func TestRule_Route_key(t *testing.T) {
	const rule = `[{"equal":"vip","route":"v2"},{"match":"user_[0-9]+","route":"v1"},` +
		`{"match":"vip|gold","route":"gold"},{"equal":"user_7","route":"never"},{"default":"base"}]`
	const noDefault = `[{"equal":"vip","route":"v2"},{"match":"(?i)qa-.*","route":"gray"}]`
	const defaultFirst = `[{"default":"base"},{"equal":"vip","route":"v2"}]`
	tests := []struct {
		name, rule, key string
		want            string
		ok              bool
	}{
		{"equal hits", rule, "vip", "v2", true},
		{"equal before a later match", rule, "vip", "v2", true},
		{"match hits", rule, "user_12", "v1", true},
		{"first hit wins over a later equal", rule, "user_7", "v1", true},
		{"match is anchored at the end", rule, "user_12x", "base", true},
		{"match is anchored at the start", rule, "xuser_1", "base", true},
		{"anchoring wraps alternation whole", rule, "gold", "gold", true},
		{"no partial alternation", rule, "goldfish", "base", true},
		{"no partial alternation at start", rule, "xvip", "base", true},
		{"equal is exact", rule, "VIP", "base", true},
		{"empty key takes the default", rule, "", "base", true},
		{"no default no hit", noDefault, "user_1", "", false},
		{"no default hit", noDefault, "QA-Bob", "gray", true},
		{"no default empty key", noDefault, "", "", false},
		{"default written first still comes last", defaultFirst, "vip", "v2", true},
		{"default written first", defaultFirst, "other", "base", true},
		{"empty equal hits the empty key", `[{"equal":"","route":"anon"}]`, "", "anon", true},
		{"empty match hits only the empty key", `[{"match":"","route":"anon"}]`, "x", "", false},
		{"dot matches newline only with s flag", `[{"match":"a.b","route":"v1"}]`, "a\nb", "", false},
		{"multi-line flag cannot unanchor", `[{"match":"(?m)^a$","route":"v1"}]`, "a\nb", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := mustParse(t, "key", tt.rule).Route(tt.key)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, got)
		})
	}
}
