package sync

import (
	"context"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

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
