//go:build !race

package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/mariadbtest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// sourcesAnswer is the body of GET /v1/sources.
type sourcesAnswer struct {
	InUse struct {
		Name     string    `json:"name"`
		Since    time.Time `json:"since"`
		Position string    `json:"position"`
	} `json:"in_use"`
	Sources []struct {
		Name     string `json:"name"`
		State    string `json:"state"`
		Position string `json:"position"`
		Error    string `json:"error"`
	} `json:"sources"`
}

func sourcesOf(base string) (sourcesAnswer, error) {
	var a sourcesAnswer
	resp, err := http.Get(base + "/v1/sources")
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	return a, json.NewDecoder(resp.Body).Decode(&a)
}

// stateOf is the state /v1/sources reports for the source named name.
func stateOf(base, name string) string {
	a, err := sourcesOf(base)
	if err != nil {
		return err.Error()
	}
	for _, s := range a.Sources {
		if s.Name == name {
			return s.State
		}
	}
	return "absent"
}

func inUse(base string) string {
	a, _ := sourcesOf(base)
	return a.InUse.Name
}

// loadSample creates db_tars on s with the sample registry, as testdb.New does.
func loadSample(t *testing.T, s *mariadbtest.Server) {
	s.Exec(t, "", "CREATE DATABASE db_tars CHARACTER SET utf8")
	dir := testdb.TestdataDir()
	for _, f := range []string{filepath.Join(dir, "db_tars.sql"), testdb.SchemaFile(), filepath.Join(dir, "sample.sql")} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		s.Exec(t, "db_tars", string(b))
	}
}

// serve --dsn primary --dsn replica on two private MariaDB servers, the second a
// GTID replica of the first, through the four failures of a primary/replica
// site: the primary stops (the replica takes over), comes back (preferred
// again), stops while the replica lags (its older state is never served), and a
// promotion (the replica's new writes are served; the old primary, behind, is
// not taken back until it has caught up as a replica of the new primary).
func TestServe_primaryReplicaFailover(t *testing.T) {
	primary, replica := mariadbtest.Start(t, 1), mariadbtest.Start(t, 2)
	replica.ReplicateFrom(t, primary)
	loadSample(t, primary)
	replica.WaitCaughtUp(t, primary)
	pName, rName := sync.RedactDSN(primary.DSN("db_tars")), sync.RedactDSN(replica.DSN("db_tars"))

	loc, adm := freeAddr(t), freeAddr(t)
	base := "http://" + adm.String()
	serve := start(t, tarscacheBin, "serve", "--dsn", primary.DSN("db_tars"), "--dsn", replica.DSN("db_tars"),
		"--data", filepath.Join(t.TempDir(), "tarscache.db"), "--listen", loc.String(), "--admin", adm.String(),
		"--sync-interval", "100ms")
	q := tarstest.QueryClient(t, loc)
	active := func() int { a, _ := lists(t, q, helloObj); return len(a) }
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		require.Eventually(t, cond, 30*time.Second, 50*time.Millisecond, "%s; sources: %+v\noutput:\n%s", what,
			must(sourcesOf(base)), serve.output())
	}
	waitFor("never synced from the primary", func() bool { return active() == 2 && inUse(base) == pName })
	waitFor("the replica is never reported as a standby", func() bool { return stateOf(base, rName) == sync.StateStandby })

	// 1. The primary stops: answers keep coming, now from the replica.
	primary.Stop(t)
	waitFor("the replica never took over", func() bool { return inUse(base) == rName })
	require.Equal(t, 2, active())
	require.Equal(t, sync.StateUnreachable, stateOf(base, pName))
	requireSeries(t, base, `tarscache_sync_source_in_use{source="`+rName+`"} 1`, `tarscache_sync_source_up{source="`+pName+`"} 0`)
	requireReadySource(t, base, rName)
	require.Regexp(t, `sync source switched.* to="?`+regexp.QuoteMeta(rName)+`"? .*reason=".*failed`, serve.output())

	// 2. The primary comes back: nothing was written meanwhile, so it is preferred again.
	primary.Start(t)
	waitFor("the primary was never taken back", func() bool { return inUse(base) == pName })
	require.Contains(t, serve.output(), "a source preferred to the one in use answers again")

	// 3. The replica's replication stops, rows change on the primary, the primary
	// stops: the replica's older state is never served.
	replica.WaitCaughtUp(t, primary)
	replica.Exec(t, "", "STOP SLAVE")
	primary.Exec(t, "db_tars", `UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.12'`)
	waitFor("the change on the primary never reached the answers", func() bool { return active() == 1 })
	primary.Stop(t)
	waitFor("the lagging replica was never reported behind", func() bool { return stateOf(base, rName) == sync.StateBehind })
	require.Equal(t, pName, inUse(base), "the lagging replica must not become the source")
	require.Equal(t, 1, active(), "answers must not go back in time")
	require.Contains(t, serve.output(), "sync source behind the data served")
	requireSeries(t, base, `tarscache_sync_source_behind{source="`+rName+`"} 1`, `tarscache_sync_source_in_use{source="`+pName+`"} 1`)
	primary.Start(t)
	replica.Exec(t, "", "START SLAVE")
	replica.WaitCaughtUp(t, primary)
	waitFor("the replica never caught up in the report", func() bool { return stateOf(base, rName) == sync.StateStandby })
	require.Equal(t, pName, inUse(base))
	require.Equal(t, 1, active())

	// 4. Promotion: the primary stops, the replica is promoted and written to; the
	// old primary comes back without that change and is not taken back until it
	// has caught up as a replica of the new primary.
	primary.Stop(t)
	waitFor("the replica never took over", func() bool { return inUse(base) == rName })
	replica.Exec(t, "", "STOP SLAVE; RESET SLAVE ALL")
	written := time.Now()
	replica.Exec(t, "db_tars", `UPDATE t_server_conf SET present_state = 'active' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.12'`)
	waitFor("the write on the promoted replica never reached the answers", func() bool { return active() == 2 })
	t.Logf("a write on the promoted replica reached the answers %v after it (interval 100ms)", time.Since(written).Round(time.Millisecond))
	primary.Start(t)
	waitFor("the old primary was never reported behind", func() bool { return stateOf(base, pName) == sync.StateBehind })
	require.Equal(t, rName, inUse(base), "the old primary lacks the promoted replica's write")
	require.Equal(t, 2, active())
	primary.ReplicateFrom(t, replica)
	primary.WaitCaughtUp(t, replica)
	waitFor("the old primary, caught up, was never taken back", func() bool { return inUse(base) == pName })
	require.Equal(t, 2, active())
	require.NoError(t, serve.stop(t))
	require.NotContains(t, serve.output(), "xxxxx", "no password, not even the redacted mark, since none is set")
}

func must[T any](v T, _ error) T { return v }

// requireSeries checks that /metrics holds each series line.
func requireSeries(t *testing.T, base string, lines ...string) {
	t.Helper()
	_, body := get(t, base+"/metrics", "")
	for _, l := range lines {
		require.Contains(t, body, l+"\n")
	}
}

// requireReadySource checks that /readyz names the source in use.
func requireReadySource(t *testing.T, base, name string) {
	t.Helper()
	var ready struct {
		Source struct {
			Name string `json:"name"`
		} `json:"source"`
	}
	_, body := get(t, base+"/readyz", "")
	require.NoError(t, json.Unmarshal([]byte(body), &ready), body)
	require.Equal(t, name, ready.Source.Name)
}
