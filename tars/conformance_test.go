//go:build !race

// The conformance suite: db_tars rows in real MariaDB, synced by package sync into a
// cache file, served by a running tarscache and asked through a stock TarsGo QueryF
// client. Each case is the answer the official registry gives right after a full
// load of the same rows (../shared/design/registry-semantics.md sections 1 and 2).
// The fixtures are testdata/conformance/*.sql; their comments describe each row.
// Endpoint order is not significant, so lists are compared as multisets.

package tars_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
	"github.com/tarscache/tarscache/sync"
)

// call is one QueryF request and the answer expected for it.
type call struct {
	name   string
	method string // byid, any, all, group, station or set
	id     string
	arg    string // the station or the setId
	// node is the request context's node_name; without it the client is known by
	// its address, 127.0.0.1 in these tests.
	node string
	// emptyNode sends node_name as an empty string rather than leaving it out.
	emptyNode bool
	// full compares every EndpointF field (see render), not only host:port.
	full             bool
	ret              int32
	active, inactive []string
}

// Hosts of testdata/conformance/groups.sql.
var (
	groupObjAll      = []string{"10.1.1.1:9000", "10.2.2.1:9000", "10.3.3.1:9000", "10.9.9.1:9000", "10.2.2.9:9000", "10.7.7.1:9000", "10.7.7.2:9000", "10.7.7.3:9000"}
	group2           = []string{"10.2.2.1:9000"}
	groupObjInactive = []string{"10.1.1.2:9000"}
	group1           = []string{"10.1.1.1:9000"}
	group3           = []string{"10.3.3.1:9000", "10.7.7.1:9000"}
)

var groupCalls = []call{
	{name: "a client in group 1 gets group 1's endpoints", method: "group", id: "Conf.GroupServer.GroupObj", node: "10.1.1.50",
		active: group1, inactive: groupObjInactive},
	{name: "findObjectById4All is the same group walk", method: "all", id: "Conf.GroupServer.GroupObj", node: "10.1.1.50",
		active: group1, inactive: groupObjInactive},
	{name: "a client in group 2 gets only group 2's working endpoints", method: "group", id: "Conf.GroupServer.GroupObj", node: "10.2.2.50",
		active: group2},
	{name: "an exact rule entry beats the wildcard of its address", method: "group", id: "Conf.GroupServer.GroupObj", node: "10.1.1.77",
		active: group2},
	{name: "an entry listed by two rules belongs to the later group_id", method: "group", id: "Conf.GroupServer.GroupObj", node: "node-y",
		active: group2},
	{name: "rule entries are not trimmed: \" node-z\" does not match node-z", method: "group", id: "Conf.GroupServer.GroupObj", node: "node-z",
		active: groupObjAll, inactive: groupObjInactive},
	{name: "a rule whose group_id reads as -1 leaves its clients in no group", method: "group", id: "Conf.GroupServer.GroupObj", node: "10.6.6.6",
		active: groupObjAll, inactive: groupObjInactive},
	{name: "a node name matches an exact rule token; ip_group_name puts 10.7.7.1 in group 3", method: "group", id: "Conf.GroupServer.GroupObj", node: "node-x",
		active: group3},
	{name: "without node_name the peer address 127.0.0.1 (group 1) identifies the client", method: "group", id: "Conf.GroupServer.GroupObj",
		active: group1, inactive: groupObjInactive},
	{name: "an empty node_name counts as none: the peer address identifies the client", method: "group", id: "Conf.GroupServer.GroupObj", emptyNode: true,
		active: group1, inactive: groupObjInactive},
	{name: "a group without endpoints walks to its first priority row (id 2: groups 3 and 4)", method: "group", id: "Conf.GroupServer.GroupObj", node: "10.4.4.4",
		active: group3},
	{name: "a client in no group gets everything", method: "group", id: "Conf.GroupServer.GroupObj", node: "10.200.0.1",
		active: groupObjAll, inactive: groupObjInactive},
	{name: "a CIDR rule never matches by address", method: "group", id: "Conf.GroupServer.GroupObj", node: "10.5.5.5",
		active: groupObjAll, inactive: groupObjInactive},
	{name: "a host name without dots reads as 0.0.0.* and is in no group", method: "group", id: "Conf.GroupServer.GroupObj", node: "node-a",
		active: groupObjAll, inactive: groupObjInactive},
	{name: "findObjectById4Any ignores groups", method: "any", id: "Conf.GroupServer.GroupObj", node: "10.1.1.50",
		active: groupObjAll, inactive: groupObjInactive},
	{name: "findObjectById ignores groups and returns active endpoints only", method: "byid", id: "Conf.GroupServer.GroupObj", node: "10.1.1.50",
		active: groupObjAll},
	{name: "group ids: realid from the address or ip_group_name, workid only with enable_group", method: "any", id: "Conf.GroupServer.GroupObj", full: true,
		active: []string{
			"10.1.1.1:9000 tcp t=3000 w=-1/0 auth=0 bak=0 group=1/1 set=\"\" node=\"10.1.1.1\"",
			"10.2.2.1:9000 tcp t=3000 w=-1/0 auth=0 bak=0 group=2/2 set=\"\" node=\"10.2.2.1\"",
			"10.3.3.1:9000 tcp t=3000 w=-1/0 auth=0 bak=0 group=3/3 set=\"\" node=\"10.3.3.1\"",
			"10.9.9.1:9000 tcp t=3000 w=-1/0 auth=0 bak=0 group=-1/-1 set=\"\" node=\"10.9.9.1\"",
			"10.2.2.9:9000 tcp t=3000 w=-1/0 auth=0 bak=0 group=2/-1 set=\"\" node=\"10.2.2.9\"",
			"10.7.7.1:9000 tcp t=3000 w=30/0 auth=0 bak=0 group=3/3 set=\"\" node=\"10.7.7.1\"",
			"10.7.7.2:9000 tcp t=3000 w=-1/0 auth=0 bak=0 group=-1/-1 set=\"\" node=\"10.7.7.2\"",
			"10.7.7.3:9000 tcp t=3000 w=-1/0 auth=0 bak=0 group=2/-1 set=\"\" node=\"10.7.7.3\"",
		},
		inactive: []string{"10.1.1.2:9000 tcp t=3000 w=-1/0 auth=0 bak=0 group=1/1 set=\"\" node=\"10.1.1.2\""}},
	{name: "no working endpoint in the group or its priorities: the endpoints without a group, with their own inactive list",
		method: "group", id: "Conf.MixServer.MixObj", node: "10.1.1.50",
		active: []string{"10.9.9.2:9000"}, inactive: []string{"10.9.9.3:9000"}},
	{name: "nothing active anywhere: every endpoint", method: "group", id: "Conf.DownServer.DownObj", node: "10.1.1.50",
		inactive: []string{"10.1.1.4:9000", "10.2.2.4:9000"}},
	{name: "a priority row with only inactive endpoints is passed over, its lists dropped", method: "group", id: "Conf.PrioServer.PrioObj", node: "10.2.2.50",
		active: []string{"10.4.4.5:9000"}},
	{name: "an unknown servant is ret 0 with empty lists", method: "group", id: "Conf.NoSuch.Obj", node: "10.1.1.50"},
	{name: "an unknown servant is ret 0 with empty lists for findObjectById4Any", method: "any", id: "Conf.NoSuch.Obj"},

	{name: "a station's endpoints are those whose grouprealid is in its row, enable_group or not", method: "station", id: "Conf.GroupServer.GroupObj", arg: "south",
		active: []string{"10.1.1.1:9000", "10.2.2.1:9000", "10.2.2.9:9000", "10.7.7.3:9000"}, inactive: groupObjInactive},
	{name: "a station named by two rows uses its first row by list_order; weightType 2 is answered as 0", method: "station", id: "Conf.GroupServer.GroupObj", arg: "north", full: true,
		active: []string{
			"10.3.3.1:9000 tcp t=3000 w=-1/0 auth=0 bak=0 group=3/3 set=\"\" node=\"10.3.3.1\"",
			"10.7.7.1:9000 tcp t=3000 w=30/0 auth=0 bak=0 group=3/3 set=\"\" node=\"10.7.7.1\"",
		}},
	{name: "a group_list of -1, x and 0x3 holds the groups -1, 0 and 3", method: "station", id: "Conf.GroupServer.GroupObj", arg: "west",
		active: []string{"10.3.3.1:9000", "10.9.9.1:9000", "10.7.7.1:9000", "10.7.7.2:9000"}},
	{name: "an empty station is a station name like any other: unknown here", method: "station", id: "Conf.GroupServer.GroupObj", arg: "", ret: -1},
	{name: "a station may answer ret 0 with nothing active", method: "station", id: "Conf.DownServer.DownObj", arg: "east",
		inactive: []string{"10.2.2.4:9000"}},
	{name: "a station with no endpoint of the servant is ret 0 and empty", method: "station", id: "Conf.MixServer.MixObj", arg: "north"},
	{name: "an unknown station is ret -1", method: "station", id: "Conf.GroupServer.GroupObj", arg: "nowhere", ret: -1},
	{name: "stations are case-sensitive", method: "station", id: "Conf.GroupServer.GroupObj", arg: "South", ret: -1},
	{name: "an unknown station is ret -1 even for an unknown servant", method: "station", id: "Conf.NoSuch.Obj", arg: "nowhere", ret: -1},
	{name: "a known station and an unknown servant is ret 0", method: "station", id: "Conf.NoSuch.Obj", arg: "south"},
}

// Hosts of testdata/conformance/sets.sql.
var (
	cartAll = []string{"10.0.1.1:9100", "10.0.1.3:9100", "10.0.1.4:9100", "10.0.1.5:9100", "10.0.1.6:9100", "10.0.1.8:9100", "10.0.1.9:9100",
		"10.0.1.10:9100", "10.0.1.11:9100", "10.0.1.13:9100"}
	cartInactive = []string{"10.0.1.2:9100", "10.0.1.7:9100"}
)

var setCalls = []call{
	{name: "a set group's active and inactive endpoints", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.sz.1",
		active: []string{"10.0.1.1:9100"}, inactive: []string{"10.0.1.2:9100"}},
	{name: "empty parts of a setId are dropped", method: "set", id: "Shop.CartServer.CartObj", arg: "shop..sz.1.",
		active: []string{"10.0.1.1:9100"}, inactive: []string{"10.0.1.2:9100"}},
	{name: "another group of the same area; weightType 2 is answered as 0", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.sz.2", full: true,
		active: []string{"10.0.1.3:9100 tcp t=3000 w=30/0 auth=0 bak=0 group=9/-1 set=\"shop.sz.2\" node=\"10.0.1.3\""}},
	{name: "a group without endpoints falls back to the area's wildcard group", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.sz.9",
		active: []string{"10.0.1.4:9100"}},
	{name: "a group with only inactive endpoints does not fall back (lowercase enable_set counts)", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.sz.3",
		inactive: []string{"10.0.1.7:9100"}},
	{name: "group * asks for the whole area", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.sz.*",
		active: []string{"10.0.1.1:9100", "10.0.1.3:9100", "10.0.1.4:9100"}, inactive: []string{"10.0.1.2:9100", "10.0.1.7:9100"}},
	{name: "an area without the group nor a wildcard group is ret -1", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.sh.9", ret: -1},
	{name: "an unknown area of a known set name is ret -1", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.gz.1", ret: -1},
	{name: "an unknown set name falls back to the group walk (client in no group: everything)", method: "set", id: "Shop.CartServer.CartObj", arg: "other.sz.1",
		active: cartAll, inactive: cartInactive},
	{name: "an unknown set name falls back to the group walk (client in group 9)", method: "set", id: "Shop.CartServer.CartObj", arg: "other.sz.1", node: "10.0.1.100",
		active: []string{"10.0.1.5:9100"}},
	{name: "a set name whose only endpoint is a backup is unknown: the group walk answers", method: "set", id: "Shop.CartServer.CartObj", arg: "bak.sz.1",
		active: cartAll, inactive: cartInactive},
	{name: "a set name whose only endpoints fail validation is unknown: the group walk answers", method: "set", id: "Shop.CartServer.CartObj", arg: "inv.sz.1",
		active: cartAll, inactive: cartInactive},
	{name: "a servant without sets falls back to the group walk", method: "set", id: "Shop.PlainServer.PlainObj", arg: "shop.sz.1",
		active: []string{"10.0.2.1:9100"}},
	{name: "an unknown servant falls back to the group walk: ret 0, empty", method: "set", id: "Shop.NoSuch.Obj", arg: "shop.sz.1"},
	{name: "a setId of two parts is ret -1", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.sz", ret: -1},
	{name: "a setId of four parts is ret -1", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.sz.1.x", ret: -1},
	{name: "a wildcard set name is ret -1", method: "set", id: "Shop.CartServer.CartObj", arg: "*.sz.1", ret: -1},
	{name: "a wildcard area is ret -1", method: "set", id: "Shop.CartServer.CartObj", arg: "shop.*.1", ret: -1},
	{name: "an empty setId is ret -1", method: "set", id: "Shop.CartServer.CartObj", arg: "", ret: -1},
	{name: "other methods return set endpoints with their setId, invalid sets included", method: "byid", id: "Shop.CartServer.CartObj", full: true,
		active: []string{
			"10.0.1.1:9100 tcp t=3000 w=-1/0 auth=0 bak=0 group=9/-1 set=\"shop.sz.1\" node=\"10.0.1.1\"",
			"10.0.1.3:9100 tcp t=3000 w=30/0 auth=0 bak=0 group=9/-1 set=\"shop.sz.2\" node=\"10.0.1.3\"",
			"10.0.1.4:9100 tcp t=3000 w=-1/0 auth=0 bak=0 group=9/-1 set=\"shop.sz.*\" node=\"10.0.1.4\"",
			"10.0.1.5:9100 tcp t=3000 w=-1/0 auth=0 bak=0 group=9/9 set=\"shop.sh.1\" node=\"10.0.1.5\"",
			"10.0.1.6:9100 tcp t=3000 w=-1/0 auth=0 bak=0 group=9/-1 set=\"\" node=\"10.0.1.6\"",
			"10.0.1.8:9100 tcp t=3000 w=-1/0 auth=0 bak=0 group=9/-1 set=\"..\" node=\"10.0.1.8\"",
			"10.0.1.9:9100 tcp t=3000 w=-1/0 auth=0 bak=0 group=9/-1 set=\"*.sz.1\" node=\"10.0.1.9\"",
			"10.0.1.10:9100 tcp t=3000 w=-1/0 auth=0 bak=0 group=9/-1 set=\"shop.*.1\" node=\"10.0.1.10\"",
			"10.0.1.11:9100 tcp t=3000 w=-1/0 auth=0 bak=0 group=9/-1 set=\"shop.sz.\" node=\"10.0.1.11\"",
			"10.0.1.13:9100 tcp t=3000 w=-1/0 auth=0 bak=0 group=9/-1 set=\"inv.*.1\" node=\"10.0.1.13\"",
		}},
}

// Rows.StateServer.StateObj of testdata/conformance/rows.sql, every field: active
// weightType 2 is answered as 0, inactive keeps 2.
var (
	stateActive = []string{
		"10.0.3.1:9200 tcp t=3000 w=-1/0 auth=0 bak=0 group=-1/-1 set=\"\" node=\"10.0.3.1\"",
		"10.0.3.6:9200 tcp t=3000 w=-1/0 auth=0 bak=2 group=-1/-1 set=\"\" node=\"10.0.3.6\"",
		"10.0.3.8:9200 tcp t=3000 w=40/0 auth=0 bak=0 group=-1/-1 set=\"\" node=\"10.0.3.8\"",
	}
	stateInactive = []string{
		"10.0.3.2:9200 tcp t=3000 w=-1/0 auth=0 bak=0 group=-1/-1 set=\"\" node=\"10.0.3.2\"",
		"10.0.3.3:9200 tcp t=3000 w=-1/0 auth=0 bak=0 group=-1/-1 set=\"\" node=\"10.0.3.3\"",
		"10.0.3.4:9200 tcp t=3000 w=-1/0 auth=0 bak=0 group=-1/-1 set=\"\" node=\"10.0.3.4\"",
		"10.0.3.9:9200 tcp t=3000 w=40/2 auth=0 bak=0 group=-1/-1 set=\"\" node=\"10.0.3.9\"",
	}
)

var rowCalls = []call{
	{name: "the active rule, bak_flag and unparsable rows", method: "any", id: "Rows.StateServer.StateObj", full: true,
		active: stateActive, inactive: stateInactive},
	{name: "the group walk answers active weightType 2 as 0 too, inactive keeps 2", method: "group", id: "Rows.StateServer.StateObj", full: true,
		active: stateActive, inactive: stateInactive},
	{name: "node_name is answered trimmed", method: "byid", id: "Rows.TrimServer.TrimObj", full: true,
		active: []string{"10.0.3.10:9200 tcp t=3000 w=-1/0 auth=0 bak=0 group=-1/-1 set=\"\" node=\"10.0.3.10\""}},
	{name: "a servant declared by two servers' adapters has both endpoints", method: "any", id: "Rows.DupObj",
		active: []string{"10.0.4.1:9300", "10.0.4.2:9301"}},
	{name: "servant ids are case-sensitive (Rows.CaseObj)", method: "byid", id: "Rows.CaseObj", active: []string{"10.0.4.1:9310"}},
	{name: "servant ids are case-sensitive (rows.caseobj)", method: "byid", id: "rows.caseobj", active: []string{"10.0.4.2:9311"}},
	{name: "servant ids are case-sensitive (ROWS.CASEOBJ is unknown)", method: "byid", id: "ROWS.CASEOBJ"},
	{name: "the registry's own servant merges its adapter row and its t_registry_info rows", method: "all", id: "tars.tarsregistry.QueryObj", full: true,
		active: []string{
			"10.0.5.1:17890 tcp t=60000 w=-1/0 auth=0 bak=0 group=7/-1 set=\"\" node=\"10.0.5.1\"",
			"10.0.5.1:17890 tcp t=10000 w=-1/0 auth=0 bak=0 group=7/-1 set=\"\" node=\"3.0.20\"",
		},
		inactive: []string{"10.0.5.2:17890 tcp t=10000 w=-1/0 auth=0 bak=0 group=7/-1 set=\"\" node=\"3.0.20\""}},
	{name: "a t_registry_info row's enable_group counts, and its tars_version is trimmed", method: "any", id: "tars.tarsregistry.RegistryObj", full: true,
		active: []string{"10.0.5.1:17891 tcp t=10000 w=-1/0 auth=0 bak=0 group=7/7 set=\"\" node=\"3.0.20\""}},
}

func TestConformance(t *testing.T) {
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
			q := tarstest.QueryClient(t, serve(t, syncedCache(t, sc.fixture)).Addr())
			for _, c := range sc.calls {
				t.Run(c.name, func(t *testing.T) {
					ret, active, inactive, err := ask(q, c)
					require.NoError(t, err)
					require.Equal(t, c.ret, ret, "ret")
					require.ElementsMatch(t, c.active, render(active, c.full), "active")
					require.ElementsMatch(t, c.inactive, render(inactive, c.full), "inactive")
				})
			}
		})
	}
}

// syncedCache loads fixture into a database of the test's own, syncs it into a new
// cache file with package sync and returns the cache.
func syncedCache(t *testing.T, fixture string) *cache.Cache {
	db := testdb.New(t, fixture)
	c := cachetest.Open(t, "")
	res, err := sync.New(db.SQL, c, sync.Options{}).SyncOnce(context.Background())
	require.NoError(t, err)
	require.NotZero(t, res.Apply.Written)
	return c
}

// ask sends c through the stock client, with a fresh context map per call.
func ask(q *queryf.QueryF, c call) (ret int32, active, inactive []endpointf.EndpointF, err error) {
	ctx := context.Background()
	reqCtx := map[string]string{}
	if c.node != "" || c.emptyNode {
		reqCtx["node_name"] = c.node
	}
	switch c.method {
	case "byid":
		active, err = q.FindObjectByIdWithContext(ctx, c.id, reqCtx)
	case "any":
		ret, err = q.FindObjectById4AnyWithContext(ctx, c.id, &active, &inactive, reqCtx)
	case "all":
		ret, err = q.FindObjectById4AllWithContext(ctx, c.id, &active, &inactive, reqCtx)
	case "group":
		ret, err = q.FindObjectByIdInSameGroupWithContext(ctx, c.id, &active, &inactive, reqCtx)
	case "station":
		ret, err = q.FindObjectByIdInSameStationWithContext(ctx, c.id, c.arg, &active, &inactive, reqCtx)
	case "set":
		ret, err = q.FindObjectByIdInSameSetWithContext(ctx, c.id, c.arg, &active, &inactive, reqCtx)
	default:
		err = fmt.Errorf("unknown method %q in test case", c.method)
	}
	return ret, active, inactive, err
}

// render writes endpoints as "host:port", or with full as every EndpointF field:
// "host:port proto t=timeout w=weight/weightType auth=authType bak=bakFlag
// group=grouprealid/groupworkid set=setId node=nodeName" (grid and qos are always 0).
func render(eps []endpointf.EndpointF, full bool) []string {
	out := []string{}
	for _, e := range eps {
		s := fmt.Sprintf("%s:%d", e.Host, e.Port)
		if full {
			s += fmt.Sprintf(" %s t=%d w=%d/%d auth=%d bak=%d group=%d/%d set=%q node=%q", []string{"udp", "tcp", "ssl"}[e.Istcp],
				e.Timeout, e.Weight, e.WeightType, e.AuthType, e.BakFlag, e.Grouprealid, e.Groupworkid, e.SetId, e.NodeName)
			if e.Grid != 0 || e.Qos != 0 || e.Subset != "" {
				s += fmt.Sprintf(" grid=%d qos=%d subset=%q", e.Grid, e.Qos, e.Subset)
			}
		}
		out = append(out, s)
	}
	return out
}
