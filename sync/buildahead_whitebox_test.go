package sync

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// Rows handed to the build goroutine, in batches and a partial one at the end,
// build exactly the records b.add builds on the caller's goroutine; a restart
// forgets the rows built before it.
func TestBuildAhead_buildsWhatAddBuilds(t *testing.T) {
	rows := make([]Row, 0, 3*buildAheadRows+7)
	for i := range cap(rows) {
		rows = append(rows, Row{Table: TableAdapter, Application: "App", Server: fmt.Sprint("S", i/5), Node: fmt.Sprint("n", i%5),
			Adapter: "A", Servant: fmt.Sprintf("App.S%d.Obj", i/5), Endpoint: fmt.Sprintf("tcp -h 10.0.0.%d -p %d", i%5, 10000+i),
			SettingState: "active", PresentState: "active"})
	}
	direct := newBuilder(true)
	for i := range rows {
		direct.add(&rows[i])
	}
	want, wantRep := direct.result()

	b := newBuilder(true)
	a := startBuildAhead(b)
	a.add(&Row{Table: TableAdapter, Application: "Gone", Server: "S", Node: "n", Servant: "Gone.S.Obj", Endpoint: "tcp -h h -p 1"})
	a.restart()
	for i := range rows {
		a.add(&rows[i])
	}
	a.wait()
	got, gotRep := b.result()
	require.Equal(t, want, got)
	require.Equal(t, wantRep, gotRep)
}

// A panic while building (a bug) is raised again on the goroutine that waits,
// where the command reports it as an internal error, and the join is never
// left blocked.
func TestBuildAhead_panicReachesTheWaiter(t *testing.T) {
	b := newBuilder(true)
	b.stored = func(string) (snapshot.Servant, bool) { panic("stored record lookup failed") }
	a := startBuildAhead(b)
	for i := range 3 * buildAheadRows * buildAheadBatches {
		a.add(&Row{Table: TableAdapter, Application: "App", Server: "S", Node: "n", Servant: fmt.Sprint("App.S.Obj", i), Endpoint: "tcp -h h -p 1"})
	}
	require.PanicsWithValue(t, "stored record lookup failed", a.wait)
}
