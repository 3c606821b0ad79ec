package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// stateOf returns the state the Syncer reports for the source named name.
func stateOf(t *testing.T, s *sync.Syncer, name string) string {
	t.Helper()
	for _, src := range s.Sources().Sources {
		if src.Name == name {
			return src.State
		}
	}
	t.Fatalf("no source %q in %+v", name, s.Sources())
	return ""
}

// Two sources without GTID positions (the shared server has no binary log), so
// the order decides: the preferred one is read while it answers; when it fails
// the next one is read whole at once; the preferred one is asked again after a
// backoff and taken back, read whole, once it answers. Each switch is reported
// with its time.
func TestSyncer_sourcesPreferredFirst(t *testing.T) {
	primary, replica := testdb.New(t, "sample.sql"), testdb.New(t, "sample.sql")
	// The replica differs, so that the answers show which source they come from.
	replica.Exec(t, `UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.12'`)
	px, conn := throughProxy(t, primary)
	c := cachetest.Open(t, "")
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	s := sync.NewFromSources([]sync.Source{{Name: "primary", DB: conn}, {Name: "replica", DB: replica.SQL}}, c,
		sync.Options{Now: func() time.Time { return now }, InitialSource: "cache file x.db", InitialSince: now})
	require.Equal(t, "cache file x.db", s.Sources().Current)
	ctx := context.Background()
	step := func(d time.Duration) (sync.Result, error) { now = now.Add(d); return s.SyncOnce(ctx) }

	res, err := step(time.Second)
	require.NoError(t, err)
	require.Equal(t, sync.FullFirst, res.Full)
	active, _ := hostsOf(t, c, "Demo.HelloServer.HelloObj")
	require.Len(t, active, 2)
	require.Equal(t, "primary", s.Sources().Current)
	require.Equal(t, now, s.Sources().Since)
	require.Equal(t, sync.StateStandby, stateOf(t, s, "replica"), "the standby is probed")

	px.Refuse(true)
	px.CutAll()
	res, err = step(time.Second)
	require.NoError(t, err, "the replica answers")
	require.Equal(t, sync.FullSwitch, res.Full, "a switch reads the new source whole")
	active, _ = hostsOf(t, c, "Demo.HelloServer.HelloObj")
	require.Len(t, active, 1, "the replica's state is served")
	rep := s.Sources()
	require.Equal(t, "replica", rep.Current)
	require.Equal(t, now, rep.Since)
	require.Equal(t, sync.StateUnreachable, stateOf(t, s, "primary"))
	require.Equal(t, sync.StateInUse, stateOf(t, s, "replica"))

	res, err = step(time.Second)
	require.NoError(t, err)
	require.Empty(t, res.Full, "the source in use is read incrementally again")

	px.Heal()
	res, err = step(100 * time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "replica", s.Sources().Current, "the preferred source is not asked before its backoff ends")
	require.Empty(t, res.Full)
	res, err = step(5 * time.Second)
	require.NoError(t, err)
	require.Equal(t, "primary", s.Sources().Current, "the preferred source is taken back once it answers")
	require.Equal(t, sync.FullSwitch, res.Full)
	active, _ = hostsOf(t, c, "Demo.HelloServer.HelloObj")
	require.Len(t, active, 2)

	px.Refuse(true)
	px.CutAll()
	replica.SQL.Close()
	_, err = step(5 * time.Second)
	require.ErrorContains(t, err, "primary: ")
	require.ErrorContains(t, err, "replica: ")
	require.Equal(t, "primary", s.Sources().Current, "with no source answering, the data served stays as it was")
}
