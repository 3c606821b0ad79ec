package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tarscache/tarscache/internal/tools/loadgen/bench"
)

// The scale section's markers (bench.ScaleBegin, bench.ScaleEnd).
const (
	ScaleBegin = bench.ScaleBegin
	ScaleEnd   = bench.ScaleEnd
)

// scaleMarkdown renders the scale figures as the section between the markers.
func scaleMarkdown(rows []scaleRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## Scale: 10k to 1M endpoints (make bench-scale)\n\n", ScaleBegin)
	fmt.Fprintf(&b, "Written by `make bench-scale` (`go run ./internal/tools/loadgen -scale %s`) on %s, %d CPUs, MariaDB on the same machine. "+
		"Each size is a generated db_tars of N/5 servants × 5 nodes (the shape of testdata/bench100k.sql) plus the 10-endpoint benchmark servant, its tables written to disk (FLUSH TABLES … FOR EXPORT) before any figure is taken, so that MariaDB is not still flushing the bulk load. "+
		"Wall-clock figures on a shared machine are noisy: the load average when the full sync started is given with each row.\n\n",
		sizesFlag(rows), time.Now().UTC().Format("2006-01-02 15:04 UTC"), numCPU())
	fmt.Fprintf(&b, "| endpoints | full sync, exec to answer | unchanged sync, exec to exit | idle tick | MySQL rows read per idle tick | one change | rows read, one change | peak RSS | steady RSS | offline start | file | replies/s | load avg |\n")
	fmt.Fprintf(&b, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s (%d written, peak %s) | %s | %d | %s | %d | %s | %s | %s | %s (%d B/endpoint) | %.0f | %s |\n",
			count(r.endpoints), secs(r.fullSync), secs(r.unchanged), r.unchangedWritten, mib(r.unchangedPeak),
			msDur(medianDur(r.idle)), medianInt(r.idleReads), msDur(medianDur(r.change)), medianInt(r.changeReads),
			mib(r.peakRSS), mib(r.steadyRSS), msDur(medianDur(r.offline)), mibDec(r.fileBytes), r.fileBytes/int64(r.endpoints),
			r.replies, r.load)
	}
	fmt.Fprintf(&b, "\nMySQL rows read by one full fetch (first sync, and every `--full-sync-interval`): %s.\n\n%s\n\n", fullReads(rows), growth(rows))
	fmt.Fprintf(&b, "How each figure is taken: *full sync* is `serve` on an empty file, from exec to the first reply that lists every endpoint of a servant "+
		"(the first sync is one transaction); *peak RSS* is that process's VmHWM from exec through the full sync and %s of serving, *steady RSS* its VmRSS then; "+
		"*unchanged sync* is `tarscache sync` on the file that already holds the data (its peak is getrusage's maxrss); "+
		"*idle tick* and *one change* are medians of 20 and 10 ticks of a Syncer over the same database with one connection, MySQL's session "+
		"`Handler_read_*` counters read around each (rows and index entries visited); *offline start* is `serve` on the file with MySQL unreachable, "+
		"exec to the first answer (median of 3); *replies/s* is the closed loop (8 connections × 16 in flight) on the benchmark servant of that server, once its CPU is quiet (the first garbage collection after a load marks the whole snapshot: about 0.8 s at 1M). "+
		"tarscache runs with its own GOGC of 50 (cmd/tarscache/memory.go); nothing is tuned by environment.\n%s\n", scaleServe, ScaleEnd)
	return b.String()
}

// growth states how time and memory grow from one size to the next.
func growth(rows []scaleRow) string {
	var parts []string
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		k := float64(b.endpoints) / float64(a.endpoints)
		perRow := (b.fullSync.Seconds() / float64(b.endpoints)) / (a.fullSync.Seconds() / float64(a.endpoints))
		parts = append(parts, fmt.Sprintf("%s → %s endpoints (×%.0f): full sync ×%.1f (time per row ×%.2f), peak RSS ×%.1f, steady RSS ×%.1f, idle tick ×%.1f, file ×%.1f.",
			count(a.endpoints), count(b.endpoints), k, b.fullSync.Seconds()/a.fullSync.Seconds(), perRow,
			float64(b.peakRSS)/float64(a.peakRSS), float64(b.steadyRSS)/float64(a.steadyRSS),
			medianDur(b.idle).Seconds()/medianDur(a.idle).Seconds(), float64(b.fileBytes)/float64(a.fileBytes)))
	}
	return "Growth: " + strings.Join(parts, " ")
}

func fullReads(rows []scaleRow) string {
	var s []string
	for _, r := range rows {
		s = append(s, fmt.Sprintf("%d at %s", r.fullReads, count(r.endpoints)))
	}
	return strings.Join(s, ", ")
}

func sizesFlag(rows []scaleRow) string {
	var s []string
	for _, r := range rows {
		s = append(s, fmt.Sprint(r.endpoints))
	}
	return strings.Join(s, ",")
}

func count(n int) string {
	switch {
	case n >= 1000000 && n%1000000 == 0:
		return fmt.Sprintf("%dM", n/1000000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func secs(d time.Duration) string  { return fmt.Sprintf("%.2f s", d.Seconds()) }
func msDur(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
func mib(n int64) string           { return fmt.Sprintf("%d MiB", n>>20) }
func mibDec(n int64) string        { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// writeScaleSection puts section in place of the scale section of the file at
// path, or at its end when it has none.
func writeScaleSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(old)
	if i, j := strings.Index(doc, ScaleBegin), strings.Index(doc, ScaleEnd); i >= 0 && j > i {
		doc = doc[:i] + strings.TrimSuffix(section, "\n") + doc[j+len(ScaleEnd):]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
