package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/promtest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// What /metrics says about the sync loop follows what the syncs did: the first
// sync reads everything and writes every record, an idle one writes nothing, a
// mass removal is held until accepted, and rows dropped are counted by reason.
func TestSyncer_metrics(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	reg := prometheus.NewRegistry()
	s := sync.New(db.SQL, cachetest.Open(t, ""), sync.Options{Registerer: reg})
	value := func(name string, labels ...string) float64 { return promtest.Value(t, reg, name, labels...) }
	syncOnce := func() {
		_, err := s.SyncOnce(context.Background())
		require.NoError(t, err)
	}

	syncOnce()
	require.Equal(t, 1.0, value("tarscache_sync_duration_seconds", "result", "applied"))
	require.Equal(t, 1.0, value("tarscache_sync_full_total", "reason", "first"))
	require.Equal(t, 10.0, value("tarscache_sync_records_written_total"))
	require.Equal(t, 1.0, value("tarscache_sync_rows_dropped_total", "reason", sync.DropBadEndpoint))
	require.Equal(t, 1.0, value("tarscache_sync_rows_dropped_total", "reason", sync.DropBackup))
	require.Equal(t, 1.0, value("tarscache_sync_rejected_rows"))

	syncOnce()
	require.Equal(t, 2.0, value("tarscache_sync_duration_seconds", "result", "applied"))
	require.Equal(t, 10.0, value("tarscache_sync_records_written_total"), "an idle sync writes nothing")
	require.Equal(t, 1.0, value("tarscache_sync_rejected_rows"), "the bad row stays dropped")

	db.Exec(t, `DELETE FROM t_adapter_conf`)
	syncOnce()
	require.Equal(t, 1.0, value("tarscache_sync_held"))
	require.Equal(t, 1.0, value("tarscache_sync_duration_seconds", "result", "held"))
	require.Equal(t, 1.0, value("tarscache_sync_full_total", "reason", "deleted"))

	s.AcceptHeld()
	syncOnce()
	require.Equal(t, 0.0, value("tarscache_sync_held"))
	require.Equal(t, 1.0, value("tarscache_sync_full_total", "reason", "held"))
	require.Equal(t, 9.0, value("tarscache_sync_records_deleted_total"))
	require.Equal(t, 0.0, value("tarscache_sync_rejected_rows"))
}

// A failed sync counts as failed, and the run of failures shows as a gauge.
func TestSyncer_metricsCountFailures(t *testing.T) {
	c, db := unreachable(t)
	reg, tk := prometheus.NewRegistry(), newTicker()
	s := sync.New(db, c, sync.Options{Interval: time.Second, After: tk.after, Registerer: reg})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	<-tk.waits
	tk.wake <- time.Time{}
	<-tk.waits
	require.Equal(t, 2.0, promtest.Value(t, reg, "tarscache_sync_consecutive_failures"))
	require.Equal(t, 2.0, promtest.Value(t, reg, "tarscache_sync_duration_seconds", "result", "failed"))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
