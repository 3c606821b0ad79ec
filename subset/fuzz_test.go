package subset_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tarscache/tarscache/subset"
)

// FuzzParse checks that Parse never panics, that its rejections are well formed, that
// an accepted rule parses again from its canonical form to an equal rule, and that
// Route never panics and only returns subsets the rule names.
func FuzzParse(f *testing.F) {
	for _, seed := range [][3]string{
		{"ratio", `{"v1":20,"v2":80}`, "user-1"},
		{"ratio", `{"x":5,"y":0,"z":95}`, ""},
		{"ratio", `{"v1":1.5,"v1":-1}`, "k"},
		{"ratio", `{"\u00761":1,"a\"b":2} `, "k"},
		{"key", `[{"equal":"vip","route":"v2"},{"match":"user_[0-9]+","route":"v1"},{"default":"v1"}]`, "user_12"},
		{"key", `[{"match":"(?i)a|b","route":"v1"},{"default":"v1"},{"default":"v2"}]`, "A"},
		{"key", `[{"match":"^(","route":"v1"}]`, "x"},
		{"hash", `{}`, ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, ruleType, ruleData, key string) {
		r, err := subset.Parse(ruleType, ruleData)
		if err != nil {
			checkRejection(t, r, err)
			return
		}
		again := checkCanonical(t, r)
		checkRoute(t, r, again, key, ruleData)
	})
}

// checkRejection fails unless a rejection is a *RuleError matching ErrBadRule.
func checkRejection(t *testing.T, r *subset.Rule, err error) {
	t.Helper()
	var re *subset.RuleError
	if r != nil || !errors.Is(err, subset.ErrBadRule) || !errors.As(err, &re) {
		t.Fatalf("rejection %v (%T) with rule %v", err, err, r)
	}
	if !strings.HasPrefix(err.Error(), "subset: ") || re.Reason == "" {
		t.Fatalf("malformed rejection %q", err)
	}
}

// checkCanonical fails unless r's canonical form is valid JSON that parses to an equal
// rule, and returns that rule.
func checkCanonical(t *testing.T, r *subset.Rule) *subset.Rule {
	t.Helper()
	if !json.Valid([]byte(r.String())) {
		t.Fatalf("canonical form %q is not JSON", r)
	}
	again, err := subset.Parse(r.Type(), r.String())
	if err != nil {
		t.Fatalf("canonical form %q does not parse: %v", r, err)
	}
	if again.String() != r.String() || !slices.Equal(again.Subsets(), r.Subsets()) {
		t.Fatalf("canonical form %q parses to %q naming %q", r, again, again.Subsets())
	}
	return again
}

// checkRoute fails unless r and its reparsed twin route key alike, to a subset r
// names. Building a ratio rule's ring takes milliseconds, so only a sixteenth of the
// ratio rules, picked by length, route non-empty keys, and fuzzing keeps its pace.
func checkRoute(t *testing.T, r, twin *subset.Rule, key, ruleData string) {
	t.Helper()
	if r.Type() == subset.TypeRatio && len(ruleData)%16 != 0 {
		key = ""
	}
	half := func() float64 { return 0.5 }
	got, ok := r.WithRand(half).Route(key)
	want, wantOK := twin.WithRand(half).Route(key)
	if got != want || ok != wantOK {
		t.Fatalf("%q routes %q to %q %v, its canonical form to %q %v", r, key, got, ok, want, wantOK)
	}
	if ok && !slices.Contains(r.Subsets(), got) {
		t.Fatalf("%q routes %q to %q, which it does not name", r, key, got)
	}
	if !ok && r.Type() == subset.TypeRatio {
		t.Fatalf("ratio rule %q routes nothing for %q", r, key)
	}
}
