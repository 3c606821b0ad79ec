//go:build !race

package tars_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/tars"
)

// explainMethod maps the conformance suite's method names onto Explain's.
var explainMethod = map[string]string{"byid": "byid", "any": "any", "all": "all", "group": "samegroup", "station": "station", "set": "set"}

// Every conformance case, explained from the same snapshot: the explanation
// carries exactly the answer the stock client received, and names the rule of
// the official registry that decided it.
func TestExplain_conformance(t *testing.T) {
	scenarios := []struct {
		fixture string
		calls   []call
	}{
		{"conformance/groups.sql", groupCalls},
		{"conformance/sets.sql", setCalls},
		{"conformance/rows.sql", rowCalls},
	}
	for _, sc := range scenarios {
		t.Run(sc.fixture, func(t *testing.T) {
			snap := syncedCache(t, sc.fixture).Snapshot()
			for _, c := range sc.calls {
				t.Run(c.name, func(t *testing.T) {
					caller := c.node
					if caller == "" {
						caller = "127.0.0.1" // the stock client's peer address
					}
					x, err := tars.Explain(snap, tars.ExplainRequest{Method: explainMethod[c.method], ID: c.id, Arg: c.arg, Caller: caller})
					require.NoError(t, err)
					require.Equal(t, c.ret, x.Ret, "ret")
					require.ElementsMatch(t, c.active, render(x.Active, c.full), "active")
					require.ElementsMatch(t, c.inactive, render(x.Inactive, c.full), "inactive")
					want, ok := decidingRules[c.name]
					require.True(t, ok, "no deciding rule written down for this case")
					require.Contains(t, x.Rule, want)
					require.NotEmpty(t, x.Steps)
				})
			}
		})
	}
}

// decidingRules name, for each conformance case, the rule of the official registry
// that decides its answer, as the explanation words it.
var decidingRules = map[string]string{
	"a client in group 1 gets group 1's endpoints":                                                                    "group walk: own group 1",
	"findObjectById4All is the same group walk":                                                                       "group walk: own group 1",
	"a client in group 2 gets only group 2's working endpoints":                                                       "group walk: own group 2",
	"an exact rule entry beats the wildcard of its address":                                                           "group walk: own group 2",
	"an entry listed by two rules belongs to the later group_id":                                                      "group walk: own group 2",
	"rule entries are not trimmed: \" node-z\" does not match node-z":                                                 "caller in no IDC group: every endpoint",
	"a rule whose group_id reads as -1 leaves its clients in no group":                                                "caller in no IDC group: every endpoint",
	"a node name matches an exact rule token; ip_group_name puts 10.7.7.1 in group 3":                                 "group walk: own group 3",
	"without node_name the peer address 127.0.0.1 (group 1) identifies the client":                                    "group walk: own group 1",
	"an empty node_name counts as none: the peer address identifies the client":                                       "group walk: own group 1",
	"a group without endpoints walks to its first priority row (id 2: groups 3 and 4)":                                "group walk: t_group_priority id=2 (groups 3, 4)",
	"a client in no group gets everything":                                                                            "caller in no IDC group: every endpoint",
	"a CIDR rule never matches by address":                                                                            "caller in no IDC group: every endpoint",
	"a host name without dots reads as 0.0.0.* and is in no group":                                                    "caller in no IDC group: every endpoint",
	"findObjectById4Any ignores groups":                                                                               "every endpoint, no group filtering",
	"findObjectById ignores groups and returns active endpoints only":                                                 "every active endpoint, no group filtering",
	"group ids: realid from the address or ip_group_name, workid only with enable_group":                              "every endpoint, no group filtering",
	"no working endpoint in the group or its priorities: the endpoints without a group, with their own inactive list": "group walk: endpoints without a group (-1)",
	"nothing active anywhere: every endpoint":                                                                         "group walk: every endpoint",
	"a priority row with only inactive endpoints is passed over, its lists dropped":                                   "group walk: t_group_priority id=3 (groups 2, 4)",
	"an unknown servant is ret 0 with empty lists":                                                                    "unknown servant: ret 0, empty lists",
	"an unknown servant is ret 0 with empty lists for findObjectById4Any":                                             "unknown servant: ret 0, empty lists",
	"a station's endpoints are those whose grouprealid is in its row, enable_group or not":                            "station \"south\": endpoints whose grouprealid is in t_group_priority id=1",
	"a station named by two rows uses its first row by list_order; weightType 2 is answered as 0":                     "station \"north\": endpoints whose grouprealid is in t_group_priority id=4",
	"a group_list of -1, x and 0x3 holds the groups -1, 0 and 3":                                                      "station \"west\": endpoints whose grouprealid is in t_group_priority id=5",
	"an empty station is a station name like any other: unknown here":                                                 "unknown station: ret -1",
	"a station may answer ret 0 with nothing active":                                                                  "station \"east\": endpoints whose grouprealid is in t_group_priority id=3",
	"a station with no endpoint of the servant is ret 0 and empty":                                                    "station \"north\": endpoints whose grouprealid is in t_group_priority id=4",
	"an unknown station is ret -1":                                                                                    "unknown station: ret -1",
	"stations are case-sensitive":                                                                                     "unknown station: ret -1",
	"an unknown station is ret -1 even for an unknown servant":                                                        "unknown station: ret -1",
	"a known station and an unknown servant is ret 0":                                                                 "unknown servant: ret 0, empty lists",
	"a set group's active and inactive endpoints":                                                                     "set shop.sz.1: its own endpoints",
	"empty parts of a setId are dropped":                                                                              "set shop.sz.1: its own endpoints",
	"another group of the same area; weightType 2 is answered as 0":                                                   "set shop.sz.2: its own endpoints",
	"a group without endpoints falls back to the area's wildcard group":                                               "set shop.sz.9 has no endpoint at all: its area's wildcard group shop.sz.* answers",
	"a group with only inactive endpoints does not fall back (lowercase enable_set counts)":                           "set shop.sz.3: its own endpoints",
	"group * asks for the whole area":                                                                                 "set group \"*\": every endpoint of set shop.sz",
	"an area without the group nor a wildcard group is ret -1":                                                        "set shop.sh has no endpoint in group \"9\" nor in the wildcard group \"*\": ret -1",
	"an unknown area of a known set name is ret -1":                                                                   "set shop.gz has no endpoint in group \"1\" nor in the wildcard group \"*\": ret -1",
	"an unknown set name falls back to the group walk (client in no group: everything)":                               "set name unknown, so the group walk answers: caller in no IDC group: every endpoint",
	"an unknown set name falls back to the group walk (client in group 9)":                                            "set name unknown, so the group walk answers: group walk: own group 9",
	"a set name whose only endpoint is a backup is unknown: the group walk answers":                                   "set name unknown, so the group walk answers: caller in no IDC group: every endpoint",
	"a set name whose only endpoints fail validation is unknown: the group walk answers":                              "set name unknown, so the group walk answers: caller in no IDC group: every endpoint",
	"a servant without sets falls back to the group walk":                                                             "set name unknown, so the group walk answers: caller in no IDC group: every endpoint",
	"an unknown servant falls back to the group walk: ret 0, empty":                                                   "unknown servant: ret 0, empty lists",
	"a setId of two parts is ret -1":                                                                                  "malformed setId: ret -1",
	"a setId of four parts is ret -1":                                                                                 "malformed setId: ret -1",
	"a wildcard set name is ret -1":                                                                                   "malformed setId: ret -1",
	"a wildcard area is ret -1":                                                                                       "malformed setId: ret -1",
	"an empty setId is ret -1":                                                                                        "malformed setId: ret -1",
	"other methods return set endpoints with their setId, invalid sets included":                                      "every active endpoint, no group filtering",
	"the active rule, bak_flag and unparsable rows":                                                                   "every endpoint, no group filtering",
	"the group walk answers active weightType 2 as 0 too, inactive keeps 2":                                           "caller in no IDC group: every endpoint",
	"node_name is answered trimmed":                                                                                   "every active endpoint, no group filtering",
	"a servant declared by two servers' adapters has both endpoints":                                                  "every endpoint, no group filtering",
	"servant ids are case-sensitive (Rows.CaseObj)":                                                                   "every active endpoint, no group filtering",
	"servant ids are case-sensitive (rows.caseobj)":                                                                   "every active endpoint, no group filtering",
	"servant ids are case-sensitive (ROWS.CASEOBJ is unknown)":                                                        "unknown servant: ret 0, empty lists",
	"the registry's own servant merges its adapter row and its t_registry_info rows":                                  "caller in no IDC group: every endpoint",
	"a t_registry_info row's enable_group counts, and its tars_version is trimmed":                                    "every endpoint, no group filtering",
}

// The explanation of a group walk lists each step with what it keeps, the step
// that decides, the allow_ip_rule entry that put the caller in its group, and the
// endpoints left out with why.
func TestExplain_walkSteps(t *testing.T) {
	snap := syncedCache(t, "conformance/groups.sql").Snapshot()
	x, err := tars.Explain(snap, tars.ExplainRequest{Method: "samegroup", ID: "Conf.GroupServer.GroupObj", Caller: "10.4.4.4"})
	require.NoError(t, err)
	require.Len(t, x.Walk, 2)
	require.Equal(t, "own group 4", x.Walk[0].Step)
	require.Zero(t, x.Walk[0].Active)
	require.False(t, x.Walk[0].Decides)
	require.Equal(t, "t_group_priority id=2 (groups 3, 4)", x.Walk[1].Step)
	require.True(t, x.Walk[1].Decides)
	require.Equal(t, len(x.Active), x.Walk[1].Active)
	require.Contains(t, x.Steps[1], `caller "10.4.4.4" is in IDC group 4 by the allow_ip_rule entry`)
	require.NotEmpty(t, x.Left)
	require.Contains(t, x.Left[0], "not selected by the rule above")

	_, err = tars.Explain(snap, tars.ExplainRequest{Method: "nope"})
	require.ErrorIs(t, err, tars.ErrUnknownMethod)
}
