package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/tools/loadgen/bench"
	tcsync "github.com/tarscache/tarscache/sync"
)

// The scale curve (make bench-scale): for each registry size, a generated
// db_tars of N/5 servants × 5 nodes (the shape of testdata/bench100k.sql, ports
// in range) plus the 10-endpoint benchmark servant, and these figures:
//
//   - full sync: `serve` on an empty file, exec to the first answer with every
//     endpoint of a servant (the first full sync is one transaction: one servant
//     answered means all are);
//   - peak and steady RSS: VmHWM of that serve from exec through the full sync and
//     30 s of serving, and VmRSS at the end;
//   - unchanged sync: `tarscache sync` on the file that already holds the data,
//     exec to exit, with the records it wrote (0) and its peak RSS;
//   - idle tick and one change: a Syncer in this process over the same database
//     and file, one connection, MySQL's session Handler_read_* counters read
//     around each tick (rows and index entries visited);
//   - offline start: `serve` on the file with MySQL unreachable, exec to the
//     first answer, and its replies/s on the benchmark servant once its CPU is
//     quiet (after the first garbage collection that follows the load).

// scaleServe is how long the full-sync serve keeps serving before its memory is read.
const scaleServe = 30 * time.Second

// scaleRow is the figures of one registry size.
type scaleRow struct {
	endpoints          int
	load               string // /proc/loadavg when the full sync started
	fullSync           time.Duration
	peakRSS, steadyRSS int64
	unchanged          time.Duration
	unchangedWritten   int
	unchangedPeak      int64
	fullReads          int64 // MySQL rows read by a full fetch (the Syncer's first)
	idle               []time.Duration
	idleReads          []int64
	change             []time.Duration
	changeReads        []int64
	offline            []time.Duration
	offlineRSS         int64
	replies            float64
	fileBytes          int64
}

// scaleFigures measures every size in sizes (endpoints).
func scaleFigures(cfg config, bins binaries, dir string, sizes []int) ([]scaleRow, error) {
	var rows []scaleRow
	for _, n := range sizes {
		step("scale: %d endpoints", n)
		r, err := scaleOne(cfg, bins, dir, n)
		if err != nil {
			return nil, fmt.Errorf("%d endpoints: %w", n, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func scaleOne(cfg config, bins binaries, dir string, n int) (scaleRow, error) {
	r := scaleRow{endpoints: n}
	db, dsn, drop, err := scaleDatabase(cfg.mysql, n/5)
	if err != nil {
		return r, err
	}
	defer drop()
	data := filepath.Join(dir, fmt.Sprintf("scale%d.db", n))
	if err := r.measureFullSync(bins.tarscache, dsn, data); err != nil {
		return r, err
	}
	st, err := os.Stat(data)
	if err != nil {
		return r, err
	}
	r.fileBytes = st.Size()
	if err := r.measureUnchanged(bins.tarscache, dsn, data); err != nil {
		return r, err
	}
	if err := r.measureTicks(db, dsn, data); err != nil {
		return r, err
	}
	for range 3 {
		secs, rss, err := timeStart(bins.tarscache, data)
		if err != nil {
			return r, err
		}
		r.offline, r.offlineRSS = append(r.offline, time.Duration(secs*float64(time.Second))), max(r.offlineRSS, rss)
	}
	r.replies, err = scaleReplies(bins.tarscache, data)
	step("scale %d: full %s (load %s), peak %d MiB, steady %d MiB, unchanged %s, idle %s / %d reads, change %s, offline %s, file %d MiB",
		n, r.fullSync, r.load, r.peakRSS>>20, r.steadyRSS>>20, r.unchanged, medianDur(r.idle), medianInt(r.idleReads),
		medianDur(r.change), medianDur(r.offline), r.fileBytes>>20)
	return r, err
}

// measureFullSync runs serve on an empty file until it answers the registry's
// servants, then serves for scaleServe and reads its memory.
func (r *scaleRow) measureFullSync(bin, dsn, data string) error {
	addr, err := freePort()
	if err != nil {
		return err
	}
	r.load = loadAvg()
	began := time.Now()
	p, err := start(bin, "serve", "--dsn", dsn, "--data", data, "--listen", addr, "--admin", "off", "--log-level", "error")
	if err != nil {
		return err
	}
	defer p.stop()
	t := target{name: "tarscache", addr: addr, servant: "tars.tarsregistry.QueryObj"}
	if err := waitCount(t, "App.S1.Obj", 5, 5*time.Minute); err != nil {
		return fmt.Errorf("%w\n%s", err, p.out)
	}
	r.fullSync = time.Since(began)
	time.Sleep(scaleServe)
	r.peakRSS, r.steadyRSS, err = memory(p.cmd.Process.Pid)
	return err
}

// measureUnchanged runs `tarscache sync` on the synced file.
func (r *scaleRow) measureUnchanged(bin, dsn, data string) error {
	began := time.Now()
	cmd := exec.Command(bin, "sync", "--dsn", dsn, "--data", data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("tarscache sync: %w\n%s", err, out)
	}
	r.unchanged = time.Since(began)
	m := regexp.MustCompile(`(\d+) servants written`).FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("tarscache sync printed no count: %s", out)
	}
	r.unchangedWritten, _ = strconv.Atoi(string(m[1]))
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.unchangedPeak = ru.Maxrss << 10
	}
	return nil
}

// measureTicks runs a Syncer over the file: its first fetch (full) and then idle
// ticks and ticks after one change, reading MySQL's session counters around each.
func (r *scaleRow) measureTicks(admin *sql.DB, dsn, data string) error {
	c, err := cache.Open(data, cache.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	db, err := tcsync.OpenDB(dsn, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the session counters are those of the Syncer's one connection
	s := tcsync.New(db, c, tcsync.Options{FetchTimeout: 10 * time.Minute})
	ctx := context.Background()
	before, err := sessionReads(ctx, db)
	if err != nil {
		return err
	}
	if _, err := s.SyncOnce(ctx); err != nil {
		return err
	}
	after, err := sessionReads(ctx, db)
	if err != nil {
		return err
	}
	r.fullReads = after - before
	tick := func() (time.Duration, int64, tcsync.Result, error) {
		before, err := sessionReads(ctx, db)
		if err != nil {
			return 0, 0, tcsync.Result{}, err
		}
		t0 := time.Now()
		res, err := s.SyncOnce(ctx)
		took := time.Since(t0)
		if err != nil {
			return 0, 0, res, err
		}
		after, err := sessionReads(ctx, db)
		return took, after - before, res, err
	}
	for range 20 {
		took, reads, res, err := tick()
		if err != nil {
			return err
		}
		if res.Full != "" || res.Apply.Written != 0 {
			return fmt.Errorf("an idle tick read everything (%q) or wrote %d", res.Full, res.Apply.Written)
		}
		r.idle, r.idleReads = append(r.idle, took), append(r.idleReads, reads)
	}
	states := [2]string{"inactive", "active"}
	for i := range 10 {
		if _, err := admin.Exec("UPDATE t_server_conf SET present_state = ? WHERE application = 'App' AND server_name = 'S77' AND node_name = '10.0.0.3'", states[i%2]); err != nil {
			return err
		}
		took, reads, res, err := tick()
		if err != nil {
			return err
		}
		if res.Full != "" || res.Apply.Written != 1 {
			return fmt.Errorf("one change: full %q, %d written", res.Full, res.Apply.Written)
		}
		r.change, r.changeReads = append(r.change, took), append(r.changeReads, reads)
	}
	return nil
}

// sessionReads is the sum of the connection's Handler_read_* counters.
func sessionReads(ctx context.Context, db *sql.DB) (int64, error) {
	rows, err := db.QueryContext(ctx, "SHOW SESSION STATUS LIKE 'Handler\\_read\\_%'")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var sum int64
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, rows.Err()
}

// scaleReplies serves the file with MySQL unreachable and measures the closed
// loop on the benchmark servant.
func scaleReplies(bin, data string) (float64, error) {
	p, t, err := startTarscache(bin, data)
	if err != nil {
		return 0, err
	}
	defer p.stop()
	if err := answers(t, time.Minute); err != nil {
		return 0, err
	}
	if err := settle(p.cmd.Process.Pid, 30*time.Second); err != nil {
		return 0, err
	}
	if _, err := closed(t, 8, 16, time.Second); err != nil { // warm-up
		return 0, err
	}
	var rates []float64
	for range 3 {
		rate, err := closed(t, 8, 16, 2*time.Second)
		if err != nil {
			return 0, err
		}
		rates = append(rates, rate)
	}
	return median(rates), nil
}

// settle waits, up to limit, until process pid uses less than a tenth of a core
// over half a second: the replies/s are a steady state's, not those of the first
// garbage collection after a start (at 1M endpoints it marks about 400 MiB for
// about 0.8 s, a core's worth, while the load would run).
func settle(pid int, limit time.Duration) error {
	const window = 500 * time.Millisecond
	for end := time.Now().Add(limit); time.Now().Before(end); {
		before, err := cpuTime(pid)
		if err != nil {
			return err
		}
		time.Sleep(window)
		after, err := cpuTime(pid)
		if err != nil {
			return err
		}
		if after-before < window/10 {
			return nil
		}
	}
	return fmt.Errorf("process %d still busy after %s", pid, limit)
}

// waitCount waits until t answers servant id with want active endpoints.
func waitCount(t target, id string, want int32, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if n, err := activeOf(t, id); err == nil && n == want {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("serve did not answer %s with %d endpoints within %s", id, want, limit)
}

// activeOf asks t for servant id and returns the number of active endpoints in
// the answer.
func activeOf(t target, id string) (int32, error) {
	c, err := dial(t)
	if err != nil {
		return 0, err
	}
	defer c.c.Close()
	if err := c.c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return 0, err
	}
	if _, err := c.c.Write(bench.RequestFor(t.servant, 1, id)); err != nil {
		return 0, err
	}
	return c.activeCount()
}

// memory returns a process's VmHWM and VmRSS.
func memory(pid int) (peak, rss int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		for prefix, dst := range map[string]*int64{"VmHWM:": &peak, "VmRSS:": &rss} {
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err != nil {
					return 0, 0, err
				}
				*dst = kb << 10
			}
		}
	}
	return peak, rss, nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// scaleDatabase creates a database of its own holding servants × 5 nodes and the
// benchmark servant, and returns it, its DSN and how to drop it.
func scaleDatabase(server string, servants int) (*sql.DB, string, func(), error) {
	name := fmt.Sprintf("tc_scale_%d_%d", os.Getpid(), servants)
	return ownDatabase(server, name, func(db *sql.DB) error {
		step("scale: loading %d servants × 5 nodes into %s", servants, name)
		if err := loadFiles(db, "testdata/db_tars.sql", "sync/schema/subset.sql"); err != nil {
			return err
		}
		if _, err := db.Exec(scaleRows(servants)); err != nil {
			return err
		}
		return flushLoaded(db)
	})
}

// flushLoaded writes the freshly loaded tables' pages to disk (FLUSH TABLES ... FOR
// EXPORT, on this database's own tables) so that MariaDB is not flushing
// millions of rows' worth of dirty pages in the background while the figures
// are taken: a registry an operator syncs was not bulk-loaded seconds before
// (the unchanged sync at 1M measured 5.4 s right after such a load, 4.6-4.8 s
// once MariaDB was quiet).
func flushLoaded(db *sql.DB) error {
	ctx := context.Background()
	conn, err := db.Conn(ctx) // the lock and its release must share a session
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "FLUSH TABLES t_server_conf, t_adapter_conf FOR EXPORT"); err != nil {
		return fmt.Errorf("flush the loaded tables: %w", err)
	}
	_, err = conn.ExecContext(ctx, "UNLOCK TABLES")
	return err
}

// scaleRows generates the registry with MariaDB's sequence engine (seq_1_to_N),
// dated an hour back as a registry nobody touched for a while.
func scaleRows(servants int) string {
	return fmt.Sprintf(`INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, bak_flag, enable_group, enable_set, registry_timestamp)
  SELECT 'App', CONCAT('S', s.seq), CONCAT('10.0.', n.seq DIV 250, '.', n.seq MOD 250), 'active', 'active', 'active', 0, 'N', 'N', NOW() - INTERVAL 1 HOUR
  FROM seq_1_to_%[1]d s, seq_1_to_5 n;
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, registry_timestamp)
  SELECT 'App', CONCAT('S', s.seq), CONCAT('10.0.', n.seq DIV 250, '.', n.seq MOD 250),
    CONCAT('App.S', s.seq, '.ObjAdapter'), CONCAT('App.S', s.seq, '.Obj'),
    CONCAT('tcp -h 10.0.', n.seq DIV 250, '.', n.seq MOD 250, ' -p ', 10000 + s.seq MOD 50000, ' -t 60000'), NOW() - INTERVAL 1 HOUR
  FROM seq_1_to_%[1]d s, seq_1_to_5 n;
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, bak_flag, enable_group, enable_set, registry_timestamp)
  SELECT 'Bench', 'LoadServer', CONCAT('10.0.1.', seq), 'active', 'active', 'active', 0, 'N', 'N', NOW() - INTERVAL 1 HOUR FROM seq_1_to_10;
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, registry_timestamp)
  SELECT 'Bench', 'LoadServer', CONCAT('10.0.1.', seq), 'Bench.LoadServer.LoadObjAdapter', '%[2]s',
    CONCAT('tcp -h 10.0.1.', seq, ' -p 10015 -t 60000'), NOW() - INTERVAL 1 HOUR FROM seq_1_to_10;`, servants, bench.ServantID)
}

func medianDur(v []time.Duration) time.Duration {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}

func medianInt(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}
