//go:build !race && scale

// The boot from a sibling at scale: go test -tags scale -run TestServe_bootFromPeerAtScale ./cmd/tarscache
// (.ci/run runs it). TARSCACHE_SCALE_SERVANTS sets the registry's size: servants of
// 5 endpoints each, 20,000 (100,000 endpoints) by default; 200,000 is 1,000,000.

package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// scaleRegistry is testdata/bench100k.sql for n servants of 5 nodes each.
func scaleRegistry(n int) string {
	return fmt.Sprintf(`INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, bak_flag, enable_group, enable_set, registry_timestamp)
  SELECT 'App', CONCAT('S', s.seq), CONCAT('10.0.', n.seq DIV 250, '.', n.seq MOD 250), 'active', 'active', 'active', 0, 'N', 'N', NOW() - INTERVAL 1 HOUR
  FROM seq_1_to_%[1]d s, seq_1_to_5 n;
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, registry_timestamp)
  SELECT 'App', CONCAT('S', s.seq), CONCAT('10.0.', n.seq DIV 250, '.', n.seq MOD 250),
    CONCAT('App.S', s.seq, '.ObjAdapter'), CONCAT('App.S', s.seq, '.Obj'),
    CONCAT('tcp -h 10.0.', n.seq DIV 250, '.', n.seq MOD 250, ' -p ', 10000 + s.seq %% 50000, ' -t 60000'), NOW() - INTERVAL 1 HOUR
  FROM seq_1_to_%[1]d s, seq_1_to_5 n`, n)
}

// Replica B boots from replica A's backup with every DSN unreachable, and then
// answers every QueryF method as A does; the test reports how long B took from
// its start to its first answer.
func TestServe_bootFromPeerAtScale(t *testing.T) {
	servants := 20000
	if v := os.Getenv("TARSCACHE_SCALE_SERVANTS"); v != "" {
		var err error
		servants, err = strconv.Atoi(v)
		require.NoError(t, err, "TARSCACHE_SCALE_SERVANTS")
	}
	db := testdb.New(t)
	db.Exec(t, scaleRegistry(servants))
	a := startSiblingWithin(t, db, servants, 10*time.Minute)

	loc := freeAddr(t)
	started := time.Now()
	b := start(t, tarscacheBin, "serve", "--dsn", closedPortDSN(t), "--data", filepath.Join(t.TempDir(), "b.db"),
		"--listen", loc.String(), "--peer", a.base, "--peer-token-file", a.tokenFile)
	q := tarstest.QueryClient(t, loc)
	last := fmt.Sprintf("App.S%d.Obj", servants)
	require.Eventually(t, func() bool { act, _ := lists(t, q, last); return len(act) == 5 },
		10*time.Minute, 10*time.Millisecond, "B never answered; output:\n%s", b.output())
	took := time.Since(started)
	t.Logf("%d endpoints: B answered %v after it started\n%s", 5*servants, took.Round(time.Millisecond), b.output())
	requireSameAnswers(t, a, loc.String())
	require.NoError(t, b.stop(t))
}
