package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/cachetest"
)

const routed1 = "Demo.HelloServer.HelloObj"

// subsetFile returns a cache file where routed1 has nodes .1 and .2 in v1, .3 in v2,
// and the given rules.
func subsetFile(t *testing.T, rules ...cache.SubsetRule) string {
	path := filepath.Join(t.TempDir(), "tarscache.db")
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	s := cachetest.Servant(routed1, 10015, "10.0.0.1", "10.0.0.2", "10.0.0.3")
	s.Endpoints[0].Subset, s.Endpoints[1].Subset, s.Endpoints[2].Subset = "v1", "v1", "v2"
	_, err = c.Apply(cache.State{Servants: []cache.Servant{s}, Rules: rules})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	return path
}

func keyRule(data string) cache.SubsetRule {
	return cache.SubsetRule{Servant: routed1, Enable: true, Type: "key", Data: data}
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
	path := subsetFile(t, cache.SubsetRule{Servant: routed1, Enable: true, Type: "ratio", Data: `{"v1":20,"v2":80}`})
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
	requireFailure(t, exitFailure, "no such file", "route", "--data", filepath.Join(t.TempDir(), "missing.db"), routed1)
}

var hostRE = regexp.MustCompile(`(?m)^  tcp -h (\S+)`)

func hostsIn(out string) []string {
	var hosts []string
	for _, m := range hostRE.FindAllStringSubmatch(out, -1) {
		hosts = append(hosts, m[1])
	}
	return hosts
}
