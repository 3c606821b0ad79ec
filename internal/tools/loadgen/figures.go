package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/tools/loadgen/bench"
)

// queryResult is what one server did under load.
type queryResult struct {
	target target
	rates  []float64 // closed-loop replies per second, one per round
	lat    latencies // open loop at half of the median rate
}

func (q queryResult) median() float64 { return median(q.rates) }

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}

// queryFigures loads tarscache and the baseline in alternating rounds.
func queryFigures(cfg config, bins binaries, dir string) ([]queryResult, error) {
	data := filepath.Join(dir, "query.db")
	if err := cacheFile(data, []snapshot.Servant{bench.Servant()}); err != nil {
		return nil, err
	}
	tp, tt, err := startTarscache(bins.tarscache, data)
	if err != nil {
		return nil, err
	}
	defer tp.stop()
	baseDir := filepath.Join(dir, "baseline-run")
	if err := os.MkdirAll(baseDir, 0o700); err != nil {
		return nil, err
	}
	bp, bt, err := startBaseline(bins.baseline, baseDir)
	if err != nil {
		return nil, err
	}
	defer bp.stop()
	results := []queryResult{{target: tt}, {target: bt}}
	for i, p := range []*proc{tp, bp} {
		if err := answers(results[i].target, 15*time.Second); err != nil {
			return nil, fmt.Errorf("%s never answered: %w\n%s", results[i].target.name, err, p.out)
		}
	}
	return results, measureQueries(cfg, results)
}

func measureQueries(cfg config, results []queryResult) error {
	for i := range results {
		if _, err := closed(results[i].target, cfg.conns, cfg.depth, time.Second); err != nil { // warm-up
			return err
		}
	}
	for round := range cfg.rounds {
		for i := range results {
			rate, err := closed(results[i].target, cfg.conns, cfg.depth, dur(cfg))
			if err != nil {
				return fmt.Errorf("%s: %w", results[i].target.name, err)
			}
			step("round %d: %s %.0f replies/s", round+1, results[i].target.name, rate)
			results[i].rates = append(results[i].rates, rate)
		}
	}
	for i := range results {
		lat, err := open(results[i].target, cfg.conns, results[i].median()/2, dur(cfg))
		if err != nil {
			return fmt.Errorf("%s: %w", results[i].target.name, err)
		}
		results[i].lat = lat
	}
	return nil
}

// startResult is the start-up and memory figures of a large file.
type startResult struct {
	servants, endpoints int
	fileBytes           int64
	starts              []float64 // seconds from exec to the first answer
	rss                 int64
}

// startFigures starts serve on a file of 20,000 servants × 5 endpoints, MySQL
// unreachable, five times.
func startFigures(bins binaries, dir string) (startResult, error) {
	r := startResult{servants: 20000, endpoints: 100000}
	data := filepath.Join(dir, "large.db")
	if err := cacheFile(data, large(r.servants, 5)); err != nil {
		return r, err
	}
	st, err := os.Stat(data)
	if err != nil {
		return r, err
	}
	r.fileBytes = st.Size()
	for range 5 {
		secs, rss, err := timeStart(bins.tarscache, data)
		if err != nil {
			return r, err
		}
		r.starts, r.rss = append(r.starts, secs), max(r.rss, rss)
	}
	step("start %.3f s (median of %d), RSS %d MiB", median(r.starts), len(r.starts), r.rss>>20)
	return r, nil
}

// large returns n servants of m endpoints each, the benchmark servant among them.
func large(n, m int) []snapshot.Servant {
	out := []snapshot.Servant{bench.Servant()}
	for i := range n - 1 {
		s := snapshot.Servant{ID: fmt.Sprintf("App.S%d.Obj", i)}
		for j := range m {
			host := fmt.Sprintf("10.%d.%d.%d", j, i/250, i%250)
			s.Endpoints = append(s.Endpoints, snapshot.Endpoint{Active: true, Proto: 1, Host: host, Port: int32(10000 + i%50000),
				Timeout: 60000, Weight: -1, NodeName: host, Origin: "App.S@" + host + "/ObjAdapter"})
		}
		out = append(out, s)
	}
	return out
}

// timeStart runs serve on data and returns the time from exec to its first answer
// and its resident memory after a second of queries.
func timeStart(bin, data string) (float64, int64, error) {
	start := time.Now()
	p, t, err := startTarscache(bin, data)
	if err != nil {
		return 0, 0, err
	}
	defer p.stop()
	if err := answers(t, 30*time.Second); err != nil {
		return 0, 0, fmt.Errorf("serve never answered: %w\n%s", err, p.out)
	}
	took := time.Since(start).Seconds()
	if _, err := closed(t, 2, 4, time.Second); err != nil {
		return 0, 0, err
	}
	rss, err := p.rss()
	return took, rss, err
}

// mysqlResult is the MySQL load of one replica, per sync.
type mysqlResult struct {
	interval            time.Duration
	idle, churn         load
	fullRows, fullStmts float64
}

// load is MySQL work per sync.
type load struct{ statements, rowsRead float64 }

// mysqlFigures runs one serve against the 100,000-row registry and reads
// MariaDB's global counters around it.
func mysqlFigures(cfg config, bins binaries, dir string) (mysqlResult, error) {
	r := mysqlResult{interval: 500 * time.Millisecond}
	db, dsn, drop, err := benchDatabase(cfg.mysql)
	if err != nil {
		return r, err
	}
	defer drop()
	addr, err := freePort()
	if err != nil {
		return r, err
	}
	before, err := counters(db)
	if err != nil {
		return r, err
	}
	p, err := start(bins.tarscache, "serve", "--dsn", dsn, "--data", filepath.Join(dir, "mysql.db"), "--listen", addr,
		"--admin", "off", "--sync-interval", r.interval.String(), "--log-level", "error")
	if err != nil {
		return r, err
	}
	defer p.stop()
	t := target{name: "tarscache", addr: addr, servant: "tars.tarsregistry.QueryObj"}
	if err := waitSynced(t, p); err != nil {
		return r, err
	}
	after, err := counters(db)
	if err != nil {
		return r, err
	}
	r.fullStmts, r.fullRows = after.statements-before.statements, after.rowsRead-before.rowsRead
	if r.idle, err = perSync(db, r.interval, 10*time.Second, nil); err != nil {
		return r, err
	}
	r.churn, err = perSync(db, r.interval, 10*time.Second, func(i int) error {
		_, err := db.Exec("UPDATE t_server_conf SET present_state = IF(present_state = 'active', 'inactive', 'active') WHERE id = ?", 1+i%100000)
		return err
	})
	step("MySQL per sync: idle %.1f statements, %.0f rows; churn %.1f statements, %.0f rows", r.idle.statements, r.idle.rowsRead, r.churn.statements, r.churn.rowsRead)
	return r, err
}

// waitSynced waits until serve answers a servant of the registry with endpoints:
// its first (full) sync is done.
func waitSynced(t target, p *proc) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		c, err := dial(t)
		if err == nil {
			_ = c.c.SetDeadline(time.Now().Add(time.Second))
			_, err = c.c.Write(bench.RequestFor(t.servant, 1, "App.S1.Obj"))
			var n int32
			if err == nil {
				n, err = c.activeCount()
			}
			if err == nil && n == 0 {
				err = errors.New("not synced yet")
			}
			c.c.Close()
			if err == nil {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("serve never synced the registry\n%s", p.out)
}

// perSync measures the statements and rows MySQL serves per sync over window, with
// churn (if any) called every 100 ms; churn's own statements are left out.
func perSync(db *sql.DB, interval, window time.Duration, churn func(int) error) (load, error) {
	before, err := counters(db)
	if err != nil {
		return load{}, err
	}
	writes := 0
	for end := time.Now().Add(window); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if churn != nil {
			if err := churn(writes); err != nil {
				return load{}, err
			}
			writes++
		}
	}
	after, err := counters(db)
	if err != nil {
		return load{}, err
	}
	syncs := window.Seconds() / interval.Seconds()
	// Each counters call is one statement; each churn write one statement and one row.
	return load{statements: (after.statements - before.statements - 1 - float64(writes)) / syncs,
		rowsRead: (after.rowsRead - before.rowsRead - float64(writes)) / syncs}, nil
}

// counters reads MariaDB's global statement counter and its rows read: the sum of
// the Handler_read_* counters (every row or index entry a statement visited).
func counters(db *sql.DB) (load, error) {
	var l load
	rows, err := db.Query("SHOW GLOBAL STATUS WHERE Variable_name = 'Questions' OR Variable_name LIKE 'Handler\\_read\\_%'")
	if err != nil {
		return l, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v float64
		if err := rows.Scan(&name, &v); err != nil {
			return l, err
		}
		if name == "Questions" {
			l.statements = v
		} else {
			l.rowsRead += v
		}
	}
	return l, rows.Err()
}

// benchDatabase creates a database of its own with the db_tars schema and the
// 100,000-row registry, and returns it, its DSN and how to drop it.
func benchDatabase(server string) (*sql.DB, string, func(), error) {
	return ownDatabase(server, fmt.Sprintf("tc_loadgen_%d", os.Getpid()), func(db *sql.DB) error {
		return loadFiles(db, "testdata/db_tars.sql", "sync/schema/subset.sql", "testdata/bench100k.sql")
	})
}

// ownDatabase creates the database name on server, fills it with load (run with
// several statements per query allowed), and returns it, its DSN and how to drop
// it. On failure it drops what it created.
func ownDatabase(server, name string, load func(*sql.DB) error) (*sql.DB, string, func(), error) {
	cfg, err := mysql.ParseDSN(server)
	if err != nil {
		return nil, "", nil, err
	}
	cfg.MultiStatements = true
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, "", nil, err
	}
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8"); err != nil {
		return nil, "", nil, errors.Join(err, admin.Close())
	}
	drop := func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"); admin.Close() }
	cfg.DBName = name
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err == nil {
		err = load(db)
	}
	if err != nil {
		drop()
		return nil, "", nil, err
	}
	cfg.MultiStatements = false
	return db, cfg.FormatDSN(), func() { db.Close(); drop() }, nil
}

func loadFiles(db *sql.DB, files ...string) error {
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(context.Background(), string(b)); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}
