package sync_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/promtest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// A servant with so many endpoints that its answer is larger than clients
// accept (here MaxReplyBytes is 64 KiB; TarsGo's limit is 10 MiB) is logged once
// at the sync that makes it so and gauged; once it shrinks, that is logged and
// the gauge drops. It used to go unnoticed until clients timed out.
func TestSyncOnce_warnsOfAnswersTooLargeForClients(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	db.Exec(t, `INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, server_type)
		SELECT 'Big', 'Server', CONCAT('10.1.', seq DIV 256, '.', seq MOD 256), 'active', 'active', 'tars_go' FROM seq_1_to_2000`)
	db.Exec(t, `INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint)
		SELECT 'Big', 'Server', node_name, 'Big.Server.ObjAdapter', 'Big.Server.Obj',
			CONCAT('tcp -h ', node_name, '.some-long-domain-name.example -p 10000 -t 60000') FROM t_server_conf WHERE application = 'Big'`)
	var logs logBuffer
	reg := prometheus.NewRegistry()
	s := sync.New(db.SQL, cachetest.Open(t, ""), sync.Options{MaxReplyBytes: 64 << 10, Registerer: reg, ProtectThreshold: -1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	_, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, logs.count(`msg="servant's answer is larger than Tars clients accept`), logs.buf.String())
	require.Equal(t, 1, logs.count(`servant=Big.Server.Obj`))
	require.Equal(t, 1.0, promtest.Value(t, reg, "tarscache_sync_oversized_servants"))

	db.Exec(t, `UPDATE t_server_conf SET posttime = NOW() WHERE application = 'Big'`)
	_, err = s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, logs.count("larger than Tars clients accept"), "logged once")

	db.Exec(t, `DELETE FROM t_adapter_conf WHERE application = 'Big' AND node_name NOT LIKE '10.1.0.%'`)
	for range 3 { // deletions are found by the idle syncs' row counts, one table a turn
		_, err = s.SyncOnce(context.Background())
		require.NoError(t, err)
	}
	require.Equal(t, 1, logs.count("answer fits in a reply again"), logs.buf.String())
	require.Zero(t, promtest.Value(t, reg, "tarscache_sync_oversized_servants"))
}
