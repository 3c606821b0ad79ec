package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// Building the rows as they arrive gives the records and the report that
// building them after reading them all gives, rejections included; interning
// changes no value.
func TestFetchBuilt_sameAsBuildingFetchedRows(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	db.Exec(t, `INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, bak_flag)
		VALUES ('Bad', 'Server', '10.9.0.1', 'active', 'active', 0), ('Bak', 'Server', '10.9.0.2', 'active', 'active', 1);
	INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
		('Bad', 'Server', '10.9.0.1', 'Bad.Server.ObjAdapter', 'Bad.Server.Obj', 'tcp -h 10.9.0.1 -p 99999'),
		('Bak', 'Server', '10.9.0.2', 'Bak.Server.ObjAdapter', 'Bak.Server.Obj', 'tcp -h 10.9.0.2 -p 10000')`)
	ctx := context.Background()
	all, err := FetchAll(ctx, db.SQL)
	require.NoError(t, err)
	wantServants, wantReport := Build(all.Rows)

	f, b, err := fetchBuilt(ctx, db.SQL)
	require.NoError(t, err)
	servants, report := b.result()
	require.Equal(t, wantServants, servants)
	require.Equal(t, wantReport, report)
	require.NotEmpty(t, report.Rejected)
	require.Positive(t, report.Dropped[DropBackup])
	require.Equal(t, registryOnly(all.Rows), f.Rows)
	require.Equal(t, all.GroupRules, f.GroupRules)
	require.Equal(t, all.Priorities, f.Priorities)
	require.Equal(t, all.Rules, f.Rules)
}

func registryOnly(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		if r.Table == TableRegistry {
			out = append(out, r)
		}
	}
	return out
}

// The interner hands out one string per value and keeps the empty string empty.
func TestInterner(t *testing.T) {
	in := interner{}
	a := in.bytes([]byte("10.0.0.1"))
	b := in.str(string([]byte("10.0.0.1")))
	require.Equal(t, "10.0.0.1", b)
	require.Same(t, unsafe.StringData(a), unsafe.StringData(b), "one string for both")
	require.Equal(t, 1, len(in))
	require.Equal(t, "", in.bytes(nil))
	require.Equal(t, "", in.str(""))
	require.Equal(t, 1, len(in), "empty strings are not stored")
}

// A servant whose rebuilt endpoints equal its stored record, in whatever order
// the rows came, is handed back as the stored record itself, which Apply keeps
// without encoding or writing it; a changed servant gets a record of its own.
func TestBuilder_keepsTheStoredRecordOfAnUnchangedServant(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	c := cachetest.Open(t, "")
	s := New(db.SQL, c, Options{})
	ctx := context.Background()
	_, err := s.SyncOnce(ctx)
	require.NoError(t, err)
	all, err := FetchAll(ctx, db.SQL)
	require.NoError(t, err)
	rows := all.Rows
	slices.Reverse(rows)
	const changed = "Demo.HelloServer.HelloObj"
	i := slices.IndexFunc(rows, func(r Row) bool { return r.Servant == changed })
	rows[i].Endpoint = strings.Replace(rows[i].Endpoint, "-t 60000", "-t 30000", 1)

	b := newBuilder(true)
	b.stored = storedRecords(c.Snapshot())
	for i := range rows {
		b.add(&rows[i])
	}
	servants, _ := b.result()
	snap := c.Snapshot()
	for _, sv := range servants {
		e, ok := snap.Stored(sv.ID)
		require.True(t, ok, sv.ID)
		require.Equal(t, sv.ID != changed, &e.Servant.Endpoints[0] == &sv.Endpoints[0], "%s shares its stored endpoints", sv.ID)
	}
	st, err := c.Apply(cache.State{Servants: servants})
	require.NoError(t, err)
	require.Equal(t, 1, st.Written)
	require.Equal(t, len(servants)-1, st.Unchanged)
}

// Endpoints equal in any order are the same endpoints; a difference in any
// one of them, or in their number, is not.
func TestSameEndpoints(t *testing.T) {
	eps := func(ports ...int32) []snapshot.Endpoint {
		var out []snapshot.Endpoint
		for _, p := range ports {
			out = append(out, snapshot.Endpoint{Host: "h", Port: p})
		}
		return out
	}
	many := make([]int32, 40)
	for i := range many {
		many[i] = int32(i % 7)
	}
	reversed := slices.Clone(many)
	slices.Reverse(reversed)
	for _, tc := range []struct {
		name          string
		stored, built []snapshot.Endpoint
		same          bool
	}{
		{"same order", eps(1, 2, 3), eps(1, 2, 3), true},
		{"other order", eps(1, 2, 3), eps(3, 1, 2), true},
		{"repeated", eps(1, 1, 2), eps(1, 2, 1), true},
		{"repeated differently", eps(1, 1, 2), eps(1, 2, 2), false},
		{"one more", eps(1, 2), eps(1, 2, 3), false},
		{"none", nil, nil, false},
		{"many, other order", eps(many...), eps(reversed...), true},
		{"many, one changed", eps(many...), append(eps(reversed[1:]...), eps(9)...), false},
	} {
		require.Equal(t, tc.same, sameEndpoints(tc.stored, tc.built), tc.name)
	}
}

// scratchRow is an active t_adapter_conf row of servant App.<s>.Obj on node n
// listening on port p.
func scratchRow(s string, n, p int) Row {
	return Row{Table: TableAdapter, Servant: "App." + s + ".Obj", Endpoint: fmt.Sprintf("tcp -h 10.0.0.%d -p %d", n, p),
		SettingState: "active", PresentState: "active", FlowState: "active",
		Application: "App", Server: s, Node: fmt.Sprintf("10.0.0.%d", n), Adapter: "App." + s + ".ObjAdapter",
		EnableGroup: "N", EnableSet: "N", BakFlag: "0"}
}

// buildRows builds rows with the stored records of stored (none when nil).
func buildRows(rows []Row, stored map[string]snapshot.Servant) []snapshot.Servant {
	b := newBuilder(false)
	if stored != nil {
		b.stored = func(id string) (snapshot.Servant, bool) { s, ok := stored[id]; return s, ok }
	}
	for i := range rows {
		b.add(&rows[i])
	}
	out, _ := b.result()
	return out
}

// A servant's endpoints are built in one scratch slice while its rows come
// together: whatever the order of the rows, each servant ends with the endpoints
// its rows give, as the stored record itself exactly when they are the stored
// ones, and a changed servant's endpoints are its own (the next servant built in
// the scratch does not overwrite them).
func TestBuilder_scratch(t *testing.T) {
	a1, a2, a3, b1, c1 := scratchRow("A", 1, 1), scratchRow("A", 2, 1), scratchRow("A", 3, 1), scratchRow("B", 1, 2), scratchRow("C", 1, 3)
	stored := map[string]snapshot.Servant{}
	for _, s := range buildRows([]Row{a1, a2, a3, b1, c1}, nil) {
		stored[s.ID] = s
	}
	tests := []struct {
		name   string
		rows   []Row
		shared []string
	}{
		{"unchanged, each servant's rows together", []Row{a1, a2, a3, b1, c1}, []string{"App.A.Obj", "App.B.Obj", "App.C.Obj"}},
		{"unchanged, rows interleaved", []Row{a1, b1, a2, c1, a3}, []string{"App.A.Obj", "App.B.Obj", "App.C.Obj"}},
		{"a row after its servant looked unchanged", []Row{a1, a2, a3, b1, c1, scratchRow("A", 4, 1)}, []string{"App.B.Obj", "App.C.Obj"}},
		{"a changed servant, then unchanged ones", []Row{a1, a2, scratchRow("A", 3, 9), b1, c1}, []string{"App.B.Obj", "App.C.Obj"}},
		{"a servant with fewer rows, then a new one", []Row{a1, a2, scratchRow("D", 1, 4), b1}, []string{"App.B.Obj"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := buildRows(tt.rows, nil)
			got := buildRows(tt.rows, stored)
			require.Len(t, got, len(want))
			for i := range want {
				require.Equal(t, want[i].ID, got[i].ID)
				require.True(t, sameEndpoints(want[i].Endpoints, got[i].Endpoints), "%s: %v, want %v", got[i].ID, got[i].Endpoints, want[i].Endpoints)
				prev, ok := stored[got[i].ID]
				isShared := ok && &prev.Endpoints[0] == &got[i].Endpoints[0]
				require.Equal(t, slices.Contains(tt.shared, got[i].ID), isShared, "%s is the stored record", got[i].ID)
			}
		})
	}
}
