package main

import (
	"fmt"
	"strings"
	"time"
)

// markdown renders the figures as a section of docs/benchmarks.md.
func markdown(cfg config, q []queryResult, s startResult, m mysqlResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Running process (internal/loadgen)\n\n")
	fmt.Fprintf(&b, "Measured by `go run ./internal/tools/loadgen` (part of `make bench`): real processes over loopback, the load generator on the same %d-core machine.\n\n", numCPU())
	writeQuery(&b, cfg, q)
	writeStart(&b, s)
	writeMySQL(&b, m)
	return b.String()
}

func writeQuery(b *strings.Builder, cfg config, q []queryResult) {
	fmt.Fprintf(b, "### Query throughput and latency, pipelined: the ceiling\n\n")
	fmt.Fprintf(b, "loadgen's own load generator keeps many requests in flight per connection, which no Tars client does: these figures are the ceiling of the server alone, not how clients see it (section *Query path as clients call it*).\n\n")
	fmt.Fprintf(b, "`findObjectByIdInSameGroup` of a servant with 10 endpoints; closed loop, %d connections × %d requests in flight, %d alternating rounds of %.0f s per server (median); then open loop at half of that server's median rate, %.0f s, delays measured from each request's scheduled time.\n\n",
		cfg.conns, cfg.depth, cfg.rounds, cfg.seconds, cfg.seconds)
	fmt.Fprintf(b, "| server | replies/s (median) | rounds | p50 at half | p99 at half | max at half |\n|---|---|---|---|---|---|\n")
	for _, r := range q {
		fmt.Fprintf(b, "| %s | %.0f | %s | %s | %s | %s |\n", r.target.name, r.median(), rounds(r.rates),
			ms(r.lat.p50), ms(r.lat.p99), ms(r.lat.max))
	}
	if len(q) == 2 {
		fmt.Fprintf(b, "\ntarscache reaches **%.0f%%** of the baseline's throughput (target ≥ 90%%). The baseline is a stock TarsGo server answering a constant list of the same size without any lookup.\n\n",
			100*q[0].median()/q[1].median())
	}
}

func writeStart(b *strings.Builder, s startResult) {
	fmt.Fprintf(b, "### Start and memory\n\n")
	fmt.Fprintf(b, "| what | figure | target |\n|---|---|---|\n")
	fmt.Fprintf(b, "| exec to first answer, file of %d servants × 5 endpoints, MySQL unreachable (median of %d; runs %s) | %.0f ms | ≤ 1 s |\n",
		s.servants, len(s.starts), secondsList(s.starts), 1000*median(s.starts))
	fmt.Fprintf(b, "| resident memory serving %d endpoints (largest of the runs) | %d MiB | ≤ 300 MB |\n", s.endpoints, s.rss>>20)
	fmt.Fprintf(b, "| file size | %.1f MiB | |\n\n", float64(s.fileBytes)/(1<<20))
}

func writeMySQL(b *strings.Builder, m mysqlResult) {
	fmt.Fprintf(b, "### MySQL load of one replica\n\n")
	fmt.Fprintf(b, "One `serve` against the 100,000-row registry (testdata/bench100k.sql), `--sync-interval %s`, read from MariaDB's global `Questions` and the sum of its `Handler_read_*` counters (rows and index entries visited) over 10 s; churn is one server row updated every 100 ms (its own statements and rows left out).\n\n", m.interval)
	fmt.Fprintf(b, "| phase | statements | rows read |\n|---|---|---|\n")
	fmt.Fprintf(b, "| first (full) sync, once | %.0f | %.0f |\n", m.fullStmts, m.fullRows)
	fmt.Fprintf(b, "| idle, per sync | %.1f | %.0f |\n", m.idle.statements, m.idle.rowsRead)
	fmt.Fprintf(b, "| churn, per sync | %.1f | %.0f |\n\n", m.churn.statements, m.churn.rowsRead)
	perSec := time.Second.Seconds() / 2
	fmt.Fprintf(b, "At the default `--sync-interval 2s` an idle replica thus costs MySQL about %.1f statements/s and %.0f rows read/s; N replicas cost N times that.\n\n",
		m.idle.statements*perSec, m.idle.rowsRead*perSec)
}

func rounds(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, ", ")
}

func secondsList(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.0f", 1000*x)
	}
	return strings.Join(parts, ", ") + " ms"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
