package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

const routed1 = "Demo.HelloServer.HelloObj"

// subsetFile returns a cache file where routed1 has nodes .1 and .2 in v1, .3 in v2,
// and the given rules.
func subsetFile(t *testing.T, rules ...snapshot.SubsetRule) string {
	path := filepath.Join(t.TempDir(), "tarscache.db")
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	s := cachetest.Servant(routed1, 10015, "10.0.0.1", "10.0.0.2", "10.0.0.3")
	s.Endpoints[0].Subset, s.Endpoints[1].Subset, s.Endpoints[2].Subset = "v1", "v1", "v2"
	_, err = c.Apply(cache.State{Servants: []snapshot.Servant{s}, Rules: rules})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	return path
}

func keyRule(data string) snapshot.SubsetRule {
	return snapshot.SubsetRule{Servant: routed1, Enable: true, Type: "key", Data: data}
}

// route --key prints the subset a key goes to and the endpoints it keeps, falling
// back to all of them when the subset has none; without a rule nothing is filtered.
func TestRoute_key(t *testing.T) {
	path := subsetFile(t, keyRule(`[{"equal":"vip","route":"v2"},{"match":"user_[0-9]+","route":"v3"},{"default":"v1"}]`))
	for _, tc := range []struct {
		key, want string
		hosts     []string
	}{
		{"vip", `key "vip": subset v2, 1 of 3 active endpoints`, []string{"10.0.0.3"}},
		{"bob", `key "bob": subset v1, 2 of 3 active endpoints`, []string{"10.0.0.1", "10.0.0.2"}},
		{"user_7", `key "user_7": subset v3 has no active endpoint: falls back to all 3`, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}},
	} {
		code, out, errOut := runCLI("route", "--data", path, routed1, "--key", tc.key)
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, tc.want)
		require.Equal(t, tc.hosts, hostsIn(out), tc.key)
	}

	code, out, errOut := runCLI("route", "--data", subsetFile(t), routed1, "--key", "vip")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "no subset rule in force: requests are not filtered")
	require.Len(t, hostsIn(out), 3)
}

// route --keys N prints each subset's share of N random keys next to its weight.
func TestRoute_keysShares(t *testing.T) {
	path := subsetFile(t, snapshot.SubsetRule{Servant: routed1, Enable: true, Type: "ratio", Data: `{"v1":20,"v2":80}`})
	code, out, errOut := runCLI("route", "--data", path, routed1, "--keys", "20000")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "SHARE OF 20000 KEYS")
	for _, row := range []struct {
		subset string
		weight float64
	}{{"v1", 20}, {"v2", 80}} {
		m := regexp.MustCompile(`(?m)^` + row.subset + `\s+([0-9.]+)%\s+([0-9.]+)%`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		weight, _ := strconv.ParseFloat(m[1], 64)
		share, _ := strconv.ParseFloat(m[2], 64)
		require.InDelta(t, row.weight, weight, 0.001)
		require.InDelta(t, row.weight, share, 2, "share of %s", row.subset)
	}
	_, again, _ := runCLI("route", "--data", path, routed1, "--keys", "20000")
	require.Equal(t, out, again, "the same seed routes the same keys")
}

// Bad calls exit non-zero with one line on stderr.
func TestRoute_failures(t *testing.T) {
	path := subsetFile(t)
	requireFailure(t, exitUsage, "route takes one SERVANT", "route", "--data", path)
	requireFailure(t, exitUsage, "not both", "route", "--data", path, routed1, "--key", "a", "--keys", "3")
	requireFailure(t, exitFailure, `servant "No.Such.Obj" has no record`, "route", "--data", path, "No.Such.Obj")
	requireFailure(t, exitFailure, "does not exist", "route", "--data", filepath.Join(t.TempDir(), "missing.db"), routed1)
}

var hostRE = regexp.MustCompile(`(?m)^  tcp -h (\S+)`)

func hostsIn(out string) []string {
	var hosts []string
	for _, m := range hostRE.FindAllStringSubmatch(out, -1) {
		hosts = append(hosts, m[1])
	}
	return hosts
}

// dump shows each endpoint's subset label and, under the endpoints, each subset rule
// in force with the rejected row and its reason.
func TestDump_subsetRules(t *testing.T) {
	rule := keyRule(`[{"default":"v1"}]`)
	rule.Rejected = &snapshot.RejectedRule{Enable: "Y", Type: "key", Data: `[{"match":"(","route":"v2"}]`,
		Reason: "subset: key rule: entry 1: regex \"(\": missing closing )"}
	path := subsetFile(t, rule)
	code, out, errOut := runCLI("dump", "--data", path)
	require.Equal(t, exitOK, code, errOut)
	require.Regexp(t, `(?m)^Demo.HelloServer.HelloObj\s+\S+\s+active\s+tcp -h 10.0.0.3 .*\s+v2\s+`, out)
	require.Regexp(t, `(?m)^Demo.HelloServer.HelloObj\s+[0-9a-f]{8}\s+Y\s+key\s+\[\{"default":"v1"\}\]$`, out)
	require.Contains(t, out, "REJECTED Demo.HelloServer.HelloObj (the rule in force above stays): subset: key rule: entry 1: regex")
	require.Contains(t, out, `row: enable=Y rule_type=key rule_data=[{"match":"(","route":"v2"}]`)
}

// sync reports the subset rules it writes and the rows it rejects, and the dry run
// lists the rules that would change.
func TestSync_subsetRules(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	path := filepath.Join(t.TempDir(), "tarscache.db")
	db.Exec(t, `INSERT INTO t_subset_rule (servant, enable, rule_type, rule_data) VALUES
		('Demo.HelloServer.HelloObj', 'Y', 'ratio', '{"v1": 1}'), ('Demo.TimerServer.TimerObj', 'Y', 'key', '[{"default":"a"},{"default":"b"}]')`)
	code, out, errOut := runCLI("sync", "--dsn", db.DSN, "--data", path)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "subset rules: 3 written, 0 deleted, 1 rejected\n", "the sample's rule, HelloObj's and TimerObj's rejection")
	require.Contains(t, out, `rejected: sync: t_subset_rule row of servant "Demo.TimerServer.TimerObj": subset: key rule: entry 2:`)

	db.Exec(t, `UPDATE t_subset_rule SET rule_data = '{"v1": 1, "v2": 1}' WHERE servant = 'Demo.HelloServer.HelloObj'`)
	code, out, errOut = runCLI("sync", "--dsn", db.DSN, "--data", path, "--dry-run")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "~ subset rule of Demo.HelloServer.HelloObj\n")
}
