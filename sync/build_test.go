package sync_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/sync"
)

// server returns an active t_adapter_conf row of Demo.HelloServer on node.
func server(node, endpoint string) sync.Row {
	return sync.Row{Table: sync.TableAdapter, Servant: "Demo.HelloServer.HelloObj", Endpoint: endpoint,
		SettingState: "active", PresentState: "active", FlowState: "active",
		Application: "Demo", Server: "HelloServer", Node: node, Adapter: "Demo.HelloServer.HelloObjAdapter",
		EnableGroup: "N", EnableSet: "N", BakFlag: "0"}
}

func with(r sync.Row, edit func(*sync.Row)) sync.Row {
	edit(&r)
	return r
}

// Build applies the official per-row rules to each row on its own.
func TestBuild_rowRules(t *testing.T) {
	ep := "tcp -h 10.0.0.1 -p 10015 -t 60000"
	cases := []struct {
		name    string
		row     sync.Row
		want    *snapshot.Endpoint // nil: dropped
		dropped string
	}{
		{"active row", server("10.0.0.1", ep), &snapshot.Endpoint{Active: true, Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "10.0.0.1"}, ""},
		{"present_state inactive", with(server("n", ep), func(r *sync.Row) { r.PresentState = "inactive" }), &snapshot.Endpoint{Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "n"}, ""},
		{"present_state activating is inactive", with(server("n", ep), func(r *sync.Row) { r.PresentState = "activating" }), &snapshot.Endpoint{Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "n"}, ""},
		{"setting_state inactive", with(server("n", ep), func(r *sync.Row) { r.SettingState = "inactive" }), &snapshot.Endpoint{Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "n"}, ""},
		{"flow_state inactive", with(server("n", ep), func(r *sync.Row) { r.FlowState = "inactive" }), &snapshot.Endpoint{Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "n"}, ""},
		{"NULL flow_state is active", with(server("n", ep), func(r *sync.Row) { r.FlowState = "" }), &snapshot.Endpoint{Active: true, Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "n"}, ""},
		{"state compare is case-sensitive", with(server("n", ep), func(r *sync.Row) { r.SettingState = "Active" }), &snapshot.Endpoint{Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "n"}, ""},
		{"node name trimmed", server(" 10.0.0.1\t", ep), &snapshot.Endpoint{Active: true, Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "10.0.0.1"}, ""},
		{"bak_flag 1 never reaches clients", with(server("n", ep), func(r *sync.Row) { r.BakFlag = "1" }), nil, sync.DropBackup},
		{"bak_flag 2 kept verbatim", with(server("n", ep), func(r *sync.Row) { r.BakFlag = "2" }), &snapshot.Endpoint{Active: true, Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, BakFlag: 2, NodeName: "n"}, ""},
		{"bad endpoint", server("n", "tcp -h 10.0.0.1 -p 80abc"), nil, sync.DropBadEndpoint},
		{"bad endpoint wins over bak_flag", with(server("n", "tcp -h"), func(r *sync.Row) { r.BakFlag = "1" }), nil, sync.DropBadEndpoint},
		{"endpoint without servant", with(server("n", ep), func(r *sync.Row) { r.Servant = "" }), nil, sync.DropEmptyServant},
		{"lowercase y enables set and group", with(server("n", ep), func(r *sync.Row) {
			r.EnableSet, r.SetName, r.SetArea, r.SetGroup, r.EnableGroup = "y", "shop", "sz", "1", "y"
		}),
			&snapshot.Endpoint{Active: true, Proto: 1, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "n", EnableSet: true, SetName: "shop", SetArea: "sz", SetGroup: "1", EnableGroup: true}, ""},
		{"registry row: node name is tars_version", sync.Row{Table: sync.TableRegistry, Servant: "tars.tarsregistry.QueryObj", Endpoint: "tcp -h 10.0.0.11 -p 17890 -t 10000",
			SettingState: "active", PresentState: "active", FlowState: "active", Node: "3.0.20", Adapter: "10.0.0.11:17890", EnableSet: "N"},
			&snapshot.Endpoint{Active: true, Proto: 1, Host: "10.0.0.11", Port: 17890, Timeout: 10000, Weight: -1, NodeName: "3.0.20"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			servants, rep := sync.Build([]sync.Row{tc.row})
			if tc.want == nil {
				require.Empty(t, servants)
				require.Equal(t, map[string]int{tc.dropped: 1}, rep.Dropped)
				return
			}
			require.Len(t, servants, 1)
			got := servants[0].Endpoints[0]
			got.Origin = ""
			require.Equal(t, *tc.want, got)
			require.Empty(t, rep.Dropped)
		})
	}
}

// A server without adapters (the RIGHT JOIN's NULL servant and endpoint) adds
// nothing and is not counted as a dropped row.
func TestBuild_serverWithoutAdapters(t *testing.T) {
	servants, rep := sync.Build([]sync.Row{with(server("n", ""), func(r *sync.Row) { r.Servant = "" })})
	require.Empty(t, servants)
	require.Empty(t, rep.Dropped)
	require.Empty(t, rep.Rejected)
}

// A rejected row is reported with the row's identity and the reason.
// Text that is not UTF-8 (a column of another character set) is rejected: JSON
// outputs would turn it into U+FFFD and the record would stop matching. Control
// characters in valid UTF-8 are kept and served as the official registry serves
// them; human outputs quote them.
func TestBuild_invalidUTF8(t *testing.T) {
	ep := "tcp -h 10.0.0.1 -p 10015 -t 60000"
	servants, rep := sync.Build([]sync.Row{
		with(server("n", ep), func(r *sync.Row) { r.Servant = "Demo.Hello\xffServer.Obj" }),
		with(server("n", "tcp -h h\xfe -p 1 -t 1"), func(r *sync.Row) { r.Servant = "Demo.X.Obj" }),
		with(server("n\x1b[2J", ep), func(r *sync.Row) { r.Servant = "Demo.Ctl\x07.Obj" }),
	})
	require.Equal(t, map[string]int{sync.DropInvalidUTF8: 2}, rep.Dropped)
	require.ErrorContains(t, rep.Rejected[0].Err, "servant is not valid UTF-8")
	require.ErrorContains(t, rep.Rejected[1].Err, "host is not valid UTF-8")
	require.Len(t, servants, 1)
	require.Equal(t, "Demo.Ctl\x07.Obj", servants[0].ID)
}

func TestBuild_rejectionNamesTheRow(t *testing.T) {
	_, rep := sync.Build([]sync.Row{server("10.0.0.12", "tcp -h 10.0.0.12 -p 80abc -t 3000")})
	require.Len(t, rep.Rejected, 1)
	require.EqualError(t, rep.Rejected[0].Err,
		`sync: t_adapter_conf row Demo.HelloServer@10.0.0.12/Demo.HelloServer.HelloObjAdapter: bad endpoint "tcp -h 10.0.0.12 -p 80abc -t 3000": option -p: "80abc" is not an integer`)
}

// Rows of one servant from several nodes and adapters, and the t_registry_info
// rows, all end up in one record; servant ids are case-sensitive.
func TestBuild_groupsRowsByServant(t *testing.T) {
	rows := []sync.Row{
		server("10.0.0.1", "tcp -h 10.0.0.1 -p 1 -t 1"),
		server("10.0.0.2", "tcp -h 10.0.0.2 -p 1 -t 1"),
		with(server("10.0.0.3", "tcp -h 10.0.0.3 -p 1 -t 1"), func(r *sync.Row) { r.Servant = "demo.helloserver.helloobj" }),
	}
	servants, rep := sync.Build(rows)
	require.Len(t, servants, 2)
	require.Equal(t, "Demo.HelloServer.HelloObj", servants[0].ID)
	require.Len(t, servants[0].Endpoints, 2)
	require.Equal(t, 3, rep.Endpoints)
}
