package sync

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// A table's fingerprint is spared only when a signal read on the same server
// says no row of it can have been deleted since it was last taken.
func TestGate_spares(t *testing.T) {
	last := gate{known: true, deletes: 100, boot: 1000, updated: [2]int64{5000, 0}, maxIDs: [2]string{"7", "9"}}
	with := func(edit func(*gate)) gate {
		g := last
		edit(&g)
		return g
	}
	cases := []struct {
		name  string
		now   gate
		table int
		want  bool
	}{
		{"nothing moved", last, 1, true},
		{"deletions elsewhere, this table not written since", with(func(g *gate) { g.deletes = 150 }), 0, true},
		{"deletions, and this table's write time unknown", with(func(g *gate) { g.deletes = 150 }), 1, false},
		{"deletions, and this table written since", with(func(g *gate) { g.deletes = 150; g.updated[0] = 5003 }), 0, false},
		{"this table written since, no deletion anywhere", with(func(g *gate) { g.updated[0] = 5003 }), 0, true},
		{"write time NULL now (evicted), no deletion", with(func(g *gate) { g.updated[0] = 0 }), 0, true},
		{"write time NULL now, deletions", with(func(g *gate) { g.updated[0] = 0; g.deletes = 101 }), 0, false},
		{"new ids", with(func(g *gate) { g.maxIDs[1] = "10" }), 1, false},
		{"counter reset (FLUSH STATUS)", with(func(g *gate) { g.deletes = 0; g.updated[0] = 0 }), 0, false},
		{"server restarted", with(func(g *gate) { g.boot = 9000 }), 0, false},
		{"start time read a second apart", with(func(g *gate) { g.boot = 1001 }), 1, true},
		{"signals unreadable now", gate{}, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.now.spares(last, tc.table))
		})
	}
	require.False(t, last.spares(gate{}, 0), "nothing spared against an unknown reading")
}

// On the real server: the gate reads its signals, and a deletion from a table
// opens that table's gate.
func TestGate_readOnMariaDB(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	ctx := context.Background()
	read := func() gate {
		tx, err := beginRead(ctx, db.SQL)
		require.NoError(t, err)
		defer tx.Rollback() //nolint:errcheck // read-only
		g, err := readGate(ctx, tx)
		require.NoError(t, err)
		require.NoError(t, g.readMaxIDs(ctx, tx))
		return g
	}
	before := read()
	require.True(t, before.known, "Handler_delete and Uptime read")
	require.Positive(t, before.boot)
	require.NotEqual(t, "0", before.maxIDs[1], "t_adapter_conf has rows")
	require.True(t, before.spares(before, 0))

	db.Exec(t, `DELETE FROM t_adapter_conf WHERE servant = 'Demo.TimerServer.ReportObj'`)
	after := read()
	require.Greater(t, after.deletes, before.deletes)
	require.False(t, after.spares(before, 1), "t_adapter_conf lost a row")
}
