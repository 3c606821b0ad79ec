package subset_test

import (
	"fmt"
	"strings"
	gosync "sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/subset"
)

// TestCompiler_Get_sameRule checks that a rule is parsed once: every Get of the same
// type and data returns the same *Rule, and other data another one.
func TestCompiler_Get_sameRule(t *testing.T) {
	c := subset.NewCompiler(0)
	first, err := c.Get("ratio", `{"v1":20,"v2":80}`)
	require.NoError(t, err)
	again, err := c.Get("ratio", strings.Clone(`{"v1":20,"v2":80}`))
	require.NoError(t, err)
	require.Same(t, first, again)

	other, err := c.Get("ratio", `{"v1":20, "v2":80}`)
	require.NoError(t, err)
	require.NotSame(t, first, other, "rule versions are their exact text")
	require.Equal(t, first.String(), other.String())
	require.Equal(t, 2, c.Len())
}

// TestCompiler_Get_cachesRejection checks that a bad rule is rejected from the cache
// too: the same error, without parsing again.
func TestCompiler_Get_cachesRejection(t *testing.T) {
	c := subset.NewCompiler(0)
	r, first := c.Get("key", `[{"match":"^(","route":"v1"}]`)
	require.Nil(t, r)
	require.ErrorIs(t, first, subset.ErrBadRule)
	_, again := c.Get("key", `[{"match":"^(","route":"v1"}]`)
	require.Same(t, first, again)

	_, unknown := c.Get("hash", `{}`)
	require.EqualError(t, unknown, `subset: unknown rule type "hash": want ratio or key`)
	require.Equal(t, 2, c.Len())
}

// TestCompiler_Get_oversized checks that rule data over the size limit is rejected
// without being kept.
func TestCompiler_Get_oversized(t *testing.T) {
	c := subset.NewCompiler(0)
	_, err := c.Get("ratio", strings.Repeat(" ", subset.MaxRuleData+1))
	require.ErrorIs(t, err, subset.ErrBadRule)
	require.Zero(t, c.Len())
}

// TestCompiler_Get_bounded checks that a Compiler never holds more rules than its
// capacity, and still answers every rule correctly after evicting.
func TestCompiler_Get_bounded(t *testing.T) {
	c := subset.NewCompiler(8)
	for i := range 100 {
		r, err := c.Get("key", fmt.Sprintf(`[{"default":"s%d"}]`, i))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf(`[{"default":"s%d"}]`, i), r.String())
		require.LessOrEqual(t, c.Len(), 8)
	}
	require.Equal(t, 8, c.Len())
}

// TestCompiler_Get_concurrent checks that concurrent Gets and Routes of a few rules
// agree: every goroutine gets the same *Rule for the same data (run with -race).
func TestCompiler_Get_concurrent(t *testing.T) {
	c := subset.NewCompiler(0)
	rules := []string{`{"v1":20,"v2":80}`, `{"a":1,"b":1,"c":1}`, `{"bad":-1}`}
	got := make([][]*subset.Rule, 8)
	var wg gosync.WaitGroup
	for g := range got {
		wg.Go(func() {
			for _, data := range rules {
				r, _ := c.Get("ratio", data)
				r.Route(fmt.Sprintf("key-%d", g))
				got[g] = append(got[g], r)
			}
		})
	}
	wg.Wait()
	for g := range got {
		for i := range rules {
			require.True(t, got[0][i] == got[g][i], "goroutine %d got another *Rule for %s", g, rules[i])
		}
	}
	require.Nil(t, got[0][2])
}
