package sync_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

// ticker hands the loop one wake-up per tick and records the waits it asked for.
type ticker struct {
	waits chan time.Duration
	wake  chan time.Time
}

func newTicker() *ticker {
	return &ticker{waits: make(chan time.Duration), wake: make(chan time.Time)}
}

func (tk *ticker) after(d time.Duration) <-chan time.Time {
	tk.waits <- d
	return tk.wake
}

// unreachable returns a cache holding A.S.Obj and a database that never answers.
func unreachable(t *testing.T) (*cache.Cache, *sql.DB) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 1, "10.0.0.1")}})
	require.NoError(t, err)
	db, err := sync.OpenDB("root@tcp(127.0.0.1:1)/db_tars?timeout=1s", nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return c, db
}

// A run of failed syncs is logged once, each retry waits longer (with backoff),
// the cache keeps what it had, and cancelling the context ends the loop.
func TestSyncer_Run_outageLoggedOnceWithBackoff(t *testing.T) {
	c, db := unreachable(t)
	logs, tk := &logBuffer{}, newTicker()
	s := sync.New(db, c, sync.Options{Interval: time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil)), After: tk.after})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	var waits []time.Duration
	for range 4 {
		waits = append(waits, <-tk.waits)
		tk.wake <- time.Time{}
	}
	waits = append(waits, <-tk.waits)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	require.Equal(t, 1, logs.count("database unreachable"))
	for i := 1; i < len(waits); i++ {
		require.Greater(t, waits[i], waits[i-1], "backoff must grow: %v", waits)
	}
	require.Equal(t, []string{"A.S.Obj"}, c.Snapshot().IDs())
}

// While the database answers, the loop syncs at once and then every Interval.
func TestSyncer_Run_syncsEveryInterval(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	c := cachetest.Open(t, "")
	tk := newTicker()
	s := sync.New(db.SQL, c, sync.Options{Interval: 3 * time.Second, After: tk.after})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	require.Equal(t, 3*time.Second, <-tk.waits)
	require.Equal(t, 10, c.Snapshot().Len(), "the first sync happens before the first wait")
	db.Exec(t, `DELETE FROM t_adapter_conf WHERE servant='Demo.TimerServer.ReportObj'`)
	tk.wake <- time.Time{}
	require.Equal(t, 3*time.Second, <-tk.waits)
	require.Equal(t, 9, c.Snapshot().Len())
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

// A malformed row is logged once, with the row's identity, however many syncs
// keep finding it; a row that is fixed and broken again is logged again.
func TestSyncer_SyncOnce_rejectedRowLoggedOnce(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	c := cachetest.Open(t, "")
	logs := &logBuffer{}
	s := sync.New(db.SQL, c, sync.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	sync3 := func() {
		for range 3 {
			_, err := s.SyncOnce(context.Background())
			require.NoError(t, err)
		}
	}
	sync3()
	require.Equal(t, 1, logs.count("row dropped"))
	require.Equal(t, 1, logs.count(`application=Demo server=HelloServer node=10.0.0.12 adapter=Demo.HelloServer.AdminObjAdapter`))

	db.Exec(t, `UPDATE t_adapter_conf SET endpoint='tcp -h 10.0.0.12 -p 10016 -t 3000' WHERE endpoint LIKE '%80abc%'`)
	sync3()
	db.Exec(t, `UPDATE t_adapter_conf SET endpoint='tcp -h 10.0.0.12 -p 10016 -t 3000 extra' WHERE adapter_name='Demo.HelloServer.AdminObjAdapter' AND node_name='10.0.0.12'`)
	sync3()
	require.Equal(t, 2, logs.count("row dropped"))
}

// A group rule the registry cannot match as written is logged once while it stands;
// a group rule edit reaches the answers at the next sync.
func TestSyncer_SyncOnce_groupRules(t *testing.T) {
	db := testdb.New(t, "conformance/groups.sql")
	c := cachetest.Open(t, "")
	logs := &logBuffer{}
	s := sync.New(db.SQL, c, sync.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	for range 3 {
		_, err := s.SyncOnce(context.Background())
		require.NoError(t, err)
	}
	require.Equal(t, 3, logs.count("IDC group rule will not match as written"), "the fixture has three such rules")
	require.Equal(t, 1, logs.count(`allow_ip_rule entry \"10.5.5.0/24\"`))
	require.Equal(t, int32(5), c.Snapshot().GroupOf("10.5.5.0/24"))
	require.Equal(t, int32(-1), c.Snapshot().GroupOf("10.5.5.5"))

	db.Exec(t, `UPDATE t_server_group_rule SET allow_ip_rule='10.5.5.*' WHERE group_id=5`)
	res, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.True(t, res.Apply.GroupsChanged)
	require.Zero(t, res.Apply.Written)
	require.Len(t, res.GroupWarnings, 2)
	require.NotContains(t, strings.Join(res.GroupWarnings, "\n"), "10.5.5")
	require.Equal(t, int32(5), c.Snapshot().GroupOf("10.5.5.5"))
}

// Each successful sync stamps the cache's LastSync with the start of its fetch,
// by the syncer's own clock; an idle sync moves it without writing to the file.
func TestSyncer_SyncOnce_stampsLastSync(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	c := cachetest.Open(t, "")
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	s := sync.New(db.SQL, c, sync.Options{Now: func() time.Time { return now }})
	_, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, now, c.LastSync().UTC())
	tx, err := c.TxID()
	require.NoError(t, err)

	now = now.Add(2 * time.Second)
	res, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.False(t, res.Apply.Changed())
	require.False(t, res.Apply.LastSyncWritten)
	require.Equal(t, now, c.LastSync().UTC())
	after, err := c.TxID()
	require.NoError(t, err)
	require.Equal(t, tx, after, "an idle sync writes nothing")
}
