package subset_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp/syntax"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/subset"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestParse_good checks that every valid shape of rule parses, and what it gives back
// as the validated rule and the subsets it names.
func TestParse_good(t *testing.T) {
	tests := []struct {
		name, ruleType, data string
		canonical            string
		subsets              []string
	}{
		{"ratio", "ratio", `{"v1": 20, "v2": 80}`, `{"v1":20,"v2":80}`, []string{"v1", "v2"}},
		{"ratio sorted by name", "ratio", `{"v2":80,"v1":20}`, `{"v1":20,"v2":80}`, []string{"v1", "v2"}},
		{"ratio one subset", "ratio", `{"only":7}`, `{"only":7}`, []string{"only"}},
		{"ratio weight 0 kept", "ratio", `{"x":5,"y":0,"z":95}`, `{"x":5,"y":0,"z":95}`, []string{"x", "y", "z"}},
		{"ratio minus zero", "ratio", `{"a":-0,"b":1}`, `{"a":0,"b":1}`, []string{"a", "b"}},
		{"ratio largest weight", "ratio", `{"a":2147483647}`, `{"a":2147483647}`, []string{"a"}},
		{"ratio escaped names", "ratio", `{"\u0076\u0031":1,"a\"b<c>":2,"灰度":3}`,
			`{"a\"b<c>":2,"v1":1,"灰度":3}`, []string{`a"b<c>`, "v1", "灰度"}},
		{"ratio name of 64 characters", "ratio", `{"` + strings.Repeat("界", 64) + `":1}`,
			`{"` + strings.Repeat("界", 64) + `":1}`, []string{strings.Repeat("界", 64)}},
		{"ratio white space around", "ratio", " \t\r\n{ \"a\" : 1 }\n ", `{"a":1}`, []string{"a"}},
		{"key equal", "key", `[{"equal":"vip","route":"v2"}]`, `[{"equal":"vip","route":"v2"}]`, []string{"v2"}},
		{"key route before condition", "key", `[{"route":"v2","equal":"vip"}]`, `[{"equal":"vip","route":"v2"}]`, []string{"v2"}},
		{"key match", "key", `[{"match":"^user_[0-9]+$","route":"v1"}]`,
			`[{"match":"^user_[0-9]+$","route":"v1"}]`, []string{"v1"}},
		{"key default only", "key", `[{"default":"v1"}]`, `[{"default":"v1"}]`, []string{"v1"}},
		{"key all three", "key",
			`[{"equal":"vip","route":"v2"},{"match":"user_[0-9]+","route":"v1"},{"default":"v1"}]`,
			`[{"equal":"vip","route":"v2"},{"match":"user_[0-9]+","route":"v1"},{"default":"v1"}]`, []string{"v1", "v2"}},
		{"key default first stays first", "key", `[{"default":"v1"},{"equal":"a","route":"v2"}]`,
			`[{"default":"v1"},{"equal":"a","route":"v2"}]`, []string{"v1", "v2"}},
		{"key repeated equal", "key", `[{"equal":"a","route":"v1"},{"equal":"a","route":"v2"}]`,
			`[{"equal":"a","route":"v1"},{"equal":"a","route":"v2"}]`, []string{"v1", "v2"}},
		{"key empty equal and match", "key", `[{"equal":"","route":"none"},{"match":"","route":"none"}]`,
			`[{"equal":"","route":"none"},{"match":"","route":"none"}]`, []string{"none"}},
		{"key regex with html characters", "key", `[{"match":"a<b>&c","route":"v1"}]`,
			`[{"match":"a<b>&c","route":"v1"}]`, []string{"v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := subset.Parse(tt.ruleType, tt.data)
			require.NoError(t, err)
			require.Equal(t, tt.ruleType, r.Type())
			require.Equal(t, tt.canonical, r.String())
			require.Equal(t, tt.subsets, r.Subsets())
		})
	}
}

// TestParse_bad checks that every invalid rule is rejected with an error that says
// exactly what is wrong.
func TestParse_bad(t *testing.T) {
	tests := []struct {
		name, ruleType, data string
		want                 string
	}{
		{"unknown type", "hash", `{"a":1}`, `subset: unknown rule type "hash": want ratio or key`},
		{"empty type", "", `{"a":1}`, `subset: unknown rule type "": want ratio or key`},
		{"type is case sensitive", "Ratio", `{"a":1}`, `subset: unknown rule type "Ratio": want ratio or key`},

		{"ratio empty", "ratio", ``, `subset: ratio rule: not a JSON object of subset name to weight: rule data is empty`},
		{"ratio blank", "ratio", " \n", `subset: ratio rule: not a JSON object of subset name to weight: rule data is empty`},
		{"ratio array", "ratio", `[{"v1":1}]`, `subset: ratio rule: not a JSON object of subset name to weight: got an array`},
		{"ratio null", "ratio", `null`, `subset: ratio rule: not a JSON object of subset name to weight: got null`},
		{"ratio string", "ratio", `"v1"`, `subset: ratio rule: not a JSON object of subset name to weight: got a string`},
		{"ratio syntax", "ratio", `{v1: 20}`,
			`subset: ratio rule: not a JSON object of subset name to weight: at offset 1: invalid character 'v'`},
		{"ratio trailing comma", "ratio", `{"v1":20,}`,
			`subset: ratio rule: not a JSON object of subset name to weight: at offset 9: invalid character '}' looking for beginning of object key string`},
		{"ratio mismatched close", "ratio", `{"a":1]`,
			`subset: ratio rule: not a JSON object of subset name to weight: at offset 6: invalid character ']' after object key:value pair`},
		{"ratio boolean", "ratio", `true`, `subset: ratio rule: not a JSON object of subset name to weight: got a boolean`},
		{"ratio truncated", "ratio", `{"v1":20`, `subset: ratio rule: not a JSON object of subset name to weight: unexpected EOF`},
		{"ratio truncated value", "ratio", `{"v1":`, `subset: ratio rule: not a JSON object of subset name to weight: unexpected EOF`},
		{"ratio trailing data", "ratio", `{"v1":20} x`, `subset: ratio rule: trailing data at offset 10, after the JSON object`},
		{"ratio second object", "ratio", `{"v1":20}{"v2":1}`,
			`subset: ratio rule: trailing data at offset 9, after the JSON object`},
		{"ratio no subsets", "ratio", `{}`, `subset: ratio rule: has no subsets`},
		{"ratio negative", "ratio", `{"v1":20,"v2":-1}`, `subset: ratio rule: weight of "v2" is -1: want an integer >= 0`},
		{"ratio fraction", "ratio", `{"v1":1.5}`, `subset: ratio rule: weight of "v1" is 1.5: want an integer >= 0`},
		{"ratio exponent", "ratio", `{"v1":1e2}`, `subset: ratio rule: weight of "v1" is 1e2: want an integer >= 0`},
		{"ratio string weight", "ratio", `{"v1":"20"}`, `subset: ratio rule: weight of "v1" is "20": want an integer >= 0`},
		{"ratio null weight", "ratio", `{"v1":null}`, `subset: ratio rule: weight of "v1" is null: want an integer >= 0`},
		{"ratio object weight", "ratio", `{"v1":{"w":1}}`, `subset: ratio rule: weight of "v1" is {"w":1}: want an integer >= 0`},
		{"ratio weight too big", "ratio", `{"v1":2147483648}`,
			`subset: ratio rule: weight of "v1" is 2147483648: want at most 2147483647`},
		{"ratio weight beyond int64", "ratio", `{"v1":99999999999999999999}`,
			`subset: ratio rule: weight of "v1" is 99999999999999999999: want at most 2147483647`},
		{"ratio hugely negative", "ratio", `{"v1":-99999999999999999999}`,
			`subset: ratio rule: weight of "v1" is -99999999999999999999: want an integer >= 0`},
		{"ratio all zero", "ratio", `{"v1":0,"v2":0}`, `subset: ratio rule: every weight is 0`},
		{"ratio duplicate", "ratio", `{"v1":20,"v2":30,"v1":50}`, `subset: ratio rule: subset "v1" appears twice`},
		{"ratio duplicate after unescaping", "ratio", `{"v1":20,"\u00761":50}`, `subset: ratio rule: subset "v1" appears twice`},
		{"ratio empty name", "ratio", `{"":1}`, `subset: ratio rule: empty subset name`},
		{"ratio name too long", "ratio", `{"` + strings.Repeat("a", 65) + `":1}`,
			`subset: ratio rule: subset name "` + strings.Repeat("a", 64) + `"... has 65 characters: want at most 64`},

		{"key empty", "key", ``, `subset: key rule: not a JSON array of entries: rule data is empty`},
		{"key object", "key", `{"equal":"vip","route":"v2"}`, `subset: key rule: not a JSON array of entries: got an object`},
		{"key syntax", "key", `[{"equal":"vip",}]`,
			`subset: key rule: not a JSON array of entries: at offset 16: invalid character '}' looking for beginning of object key string`},
		{"key mismatched close", "key", `[{"default":"a"}}`,
			`subset: key rule: not a JSON array of entries: at offset 16: invalid character '}' after array element`},
		{"key missing comma", "key", `[{"equal":"a","route":"b"} {"default":"c"}]`,
			`subset: key rule: not a JSON array of entries: at offset 27: expected comma after array element`},
		{"key truncated", "key", `[{"default":"v1"}`, `subset: key rule: not a JSON array of entries: unexpected EOF`},
		{"key trailing data", "key", `[{"default":"v1"}]]`, `subset: key rule: trailing data at offset 18, after the JSON array`},
		{"key no entries", "key", `[]`, `subset: key rule: has no entries`},
		{"key entry not object", "key", `[{"default":"v1"},"vip"]`, `subset: key rule: entry 2: not a JSON object: got a string`},
		{"key entry unknown field", "key", `[{"regex":"a.*","route":"v1"}]`,
			`subset: key rule: entry 1: unknown field "regex": want equal, match, default or route`},
		{"key entry field case", "key", `[{"Equal":"a","route":"v1"}]`,
			`subset: key rule: entry 1: unknown field "Equal": want equal, match, default or route`},
		{"key entry field not string", "key", `[{"equal":5,"route":"v1"}]`,
			`subset: key rule: entry 1: field "equal" is 5: want a string`},
		{"key entry route null", "key", `[{"equal":"a","route":null}]`,
			`subset: key rule: entry 1: field "route" is null: want a string`},
		{"key entry duplicate field", "key", `[{"equal":"a","route":"v1","route":"v2"}]`,
			`subset: key rule: entry 1: field "route" appears twice`},
		{"key entry no condition", "key", `[{"route":"v1"}]`, `subset: key rule: entry 1: has none of equal, match or default`},
		{"key entry empty object", "key", `[{}]`, `subset: key rule: entry 1: has none of equal, match or default`},
		{"key entry two conditions", "key", `[{"equal":"a","match":"b","route":"v1"}]`,
			`subset: key rule: entry 1: has equal and match: want exactly one of equal, match or default`},
		{"key entry three conditions", "key", `[{"default":"v1","match":"b","equal":"a"}]`,
			`subset: key rule: entry 1: has equal, match and default: want exactly one of equal, match or default`},
		{"key entry missing route", "key", `[{"default":"v1"},{"equal":"vip"}]`, `subset: key rule: entry 2: missing route`},
		{"key entry empty route", "key", `[{"match":"a","route":""}]`, `subset: key rule: entry 1: route: empty subset name`},
		{"key entry route too long", "key", `[{"equal":"a","route":"` + strings.Repeat("b", 70) + `"}]`,
			`subset: key rule: entry 1: route: subset name "` + strings.Repeat("b", 64) + `"... has 70 characters: want at most 64`},
		{"key default with route", "key", `[{"default":"v1","route":"v2"}]`,
			`subset: key rule: entry 1: a default takes no route: it names its subset itself`},
		{"key default empty", "key", `[{"default":""}]`, `subset: key rule: entry 1: default: empty subset name`},
		{"key second default", "key",
			`[{"equal":"a","route":"v1"},{"default":"v1"},{"equal":"b","route":"v2"},{"match":"c","route":"v2"},{"default":"v2"}]`,
			`subset: key rule: entry 5: a second default (the first is entry 2)`},
		{"key bad regex", "key", `[{"default":"v1"},{"equal":"a","route":"v1"},{"match":"^(","route":"v2"}]`,
			"subset: key rule: entry 3: regex \"^(\": error parsing regexp: missing closing ): `^(`"},
		{"key perl regex", "key", `[{"match":"(?<=a)b","route":"v2"}]`,
			"subset: key rule: entry 1: regex \"(?<=a)b\": error parsing regexp: invalid named capture: `(?<=a)b`"},
		{"key regex that only anchoring would close", "key", `[{"match":"a)|(b","route":"v2"}]`,
			"subset: key rule: entry 1: regex \"a)|(b\": error parsing regexp: unexpected ): `a)|(b`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := subset.Parse(tt.ruleType, tt.data)
			require.ErrorIs(t, err, subset.ErrBadRule)
			require.EqualError(t, err, tt.want)
			require.Nil(t, r)
		})
	}
}

// TestParse_limits checks that rules beyond the size limits are rejected and rules at
// them are not.
func TestParse_limits(t *testing.T) {
	ratio := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"s%d":1`, i)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	key := func(n int) string {
		return "[" + strings.Repeat(`{"equal":"k","route":"s"},`, n-1) + `{"default":"s"}]`
	}
	_, err := subset.Parse("ratio", ratio(subset.MaxSubsets))
	require.NoError(t, err)
	_, err = subset.Parse("ratio", ratio(subset.MaxSubsets+1))
	require.EqualError(t, err, "subset: ratio rule: more than 1024 subsets")
	_, err = subset.Parse("key", key(subset.MaxEntries))
	require.NoError(t, err)
	_, err = subset.Parse("key", key(subset.MaxEntries+1))
	require.EqualError(t, err, "subset: key rule: more than 1024 entries")

	padded := `{"a":1}` + strings.Repeat(" ", subset.MaxRuleData-7)
	_, err = subset.Parse("ratio", padded)
	require.NoError(t, err)
	_, err = subset.Parse("ratio", padded+" ")
	require.EqualError(t, err, "subset: ratio rule: rule data is 65537 bytes: want at most 65536")
}

// TestParse_ruleError checks that a rejection can be inspected: the rule type, the
// entry at fault and the underlying regexp error.
func TestParse_ruleError(t *testing.T) {
	_, err := subset.Parse("key", `[{"default":"v1"},{"match":"a{2,1}","route":"v2"}]`)
	var re *subset.RuleError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "key", re.RuleType)
	require.Equal(t, 2, re.Entry)
	require.Equal(t, `regex "a{2,1}"`, re.Reason)
	var se *syntax.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, syntax.ErrInvalidRepeatSize, se.Code)
}

// TestFromConf checks that a disabled SubsetConf means no rule, and an enabled one is
// parsed.
func TestFromConf(t *testing.T) {
	r, err := subset.FromConf(endpointf.SubsetConf{Enable: false, RuleType: "hash", RuleData: "junk"})
	require.NoError(t, err)
	require.Nil(t, r)
	got, ok := r.Route("anything")
	require.False(t, ok, "a nil rule routes nothing, got %q", got)

	r, err = subset.FromConf(endpointf.SubsetConf{Enable: true, RuleType: "key", RuleData: `[{"default":"v1"}]`})
	require.NoError(t, err)
	require.Equal(t, `[{"default":"v1"}]`, r.String())

	_, err = subset.FromConf(endpointf.SubsetConf{Enable: true, RuleType: "ratio", RuleData: `{"v1":0}`})
	require.EqualError(t, err, "subset: ratio rule: every weight is 0")
}

// TestParse_fixtures checks the rules of testdata/rules: each *.good.json parses to the
// canonical rule in its .want file, each *.bad.json is rejected with the error in its
// .want file. The rule type is the name's second-to-last word: x.<type>.good.json.
// go test -update rewrites the .want files.
func TestParse_fixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/rules/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			words := strings.Split(filepath.Base(file), ".")
			require.Len(t, words, 4, "want <name>.<type>.<good|bad>.json")
			got := outcome(t, words[1], words[2], string(data))
			checkGolden(t, strings.TrimSuffix(file, ".json")+".want", got+"\n")
		})
	}
}

// outcome parses a fixture and returns its canonical rule or its error text.
func outcome(t *testing.T, ruleType, verdict, data string) string {
	t.Helper()
	r, err := subset.Parse(ruleType, data)
	if verdict == "good" {
		require.NoError(t, err)
		return r.String()
	}
	require.ErrorIs(t, err, subset.ErrBadRule)
	return err.Error()
}

// checkGolden compares got with the golden file, or rewrites it under -update.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./subset -update to create it")
	require.Equal(t, string(want), got)
}
