package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	loadbench "github.com/tarscache/tarscache/internal/tools/loadgen/bench"
	tcsync "github.com/tarscache/tarscache/sync"
)

// large selects the 100,000-row sync benchmarks, which the first go test
// invocation skips; heavy (the full syncs, about a second each) and ticks (the
// incremental ones, tens of milliseconds) run them with fixed iteration counts.
const (
	large = "SyncOnce_100k"
	heavy = "SyncOnce_100kRows_(intoEmpty|unchanged)"
	ticks = "SyncOnce_100kRows_(idleTick|oneChange)"
)

// packages are the benchmarked packages, in report order.
var packages = []string{"./cache", "./sync", "./tars", "./subset"}

const modulePath = "github.com/tarscache/tarscache/"

type config struct {
	out, benchtime, heavyBenchtime, tickBenchtime string
	clientsFlags                                  string // extra flags of loadgen -clients, space-separated
	count                                         int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.out, "out", "docs/benchmarks.md", "Markdown file to write")
	flag.IntVar(&cfg.count, "count", 5, "runs of each benchmark (go test -count)")
	flag.StringVar(&cfg.benchtime, "benchtime", "1s", "go test -benchtime of the fast benchmarks")
	flag.StringVar(&cfg.heavyBenchtime, "heavy-benchtime", "3x", "go test -benchtime of the 100,000-row full sync benchmarks")
	flag.StringVar(&cfg.tickBenchtime, "tick-benchtime", "30x", "go test -benchtime of the 100,000-row incremental sync benchmarks")
	flag.StringVar(&cfg.clientsFlags, "clients-flags", "", "extra flags of loadgen -clients, space-separated (e.g. \"-tarscache-bin-b bin/old -label-b before\")")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	cmds := commands(cfg)
	res := newResults()
	for _, args := range cmds {
		out, err := goTest(args)
		if err != nil {
			return err
		}
		res.parse(out)
	}
	if len(res.order) == 0 {
		return fmt.Errorf("go test printed no benchmark results")
	}
	calls, err := runLoadgen(clientsArgs(cfg))
	if err != nil {
		return err
	}
	process, err := runLoadgen(loadgenArgs)
	if err != nil {
		return err
	}
	md := report(cfg, cmds, res, machineInfo()) + "\n" + calls + "\n" + process + keptScaleSection(cfg.out)
	if err := os.WriteFile(cfg.out, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "benchreport: wrote %s (%d benchmarks)\n", cfg.out, len(res.order))
	return nil
}

// keptScaleSection returns the scale section of the file at path (written by
// make bench-scale, which takes long), to be kept as it is; "" when it has none.
func keptScaleSection(path string) string {
	old, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	doc := string(old)
	i, j := strings.Index(doc, loadbench.ScaleBegin), strings.Index(doc, loadbench.ScaleEnd)
	if i < 0 || j < i {
		return ""
	}
	return "\n" + doc[i:j+len(loadbench.ScaleEnd)] + "\n"
}

// loadgenArgs runs internal/tools/loadgen, the figures of a running process
// (its query figures are the pipelined ceiling).
var loadgenArgs = []string{"run", "./internal/tools/loadgen"}

// clientsArgs runs internal/tools/loadgen -clients, the query path as the stock
// TarsGo client calls it (its section goes to stdout only: this program writes
// the file).
func clientsArgs(cfg config) []string {
	return append([]string{"run", "./internal/tools/loadgen", "-clients", "-out", ""}, strings.Fields(cfg.clientsFlags)...)
}

// runLoadgen runs go with args (internal/tools/loadgen) and returns the Markdown
// section it prints.
func runLoadgen(args []string) (string, error) {
	fmt.Fprintf(os.Stderr, "benchreport: running %s\n", shellLine(args))
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s failed: %w", shellLine(args), err)
	}
	return string(out), nil
}

// commands returns the arguments of the go test invocations.
func commands(cfg config) [][]string {
	count := strconv.Itoa(cfg.count)
	fast := append([]string{"test", "-run", "^$", "-bench", ".", "-skip", large,
		"-benchtime", cfg.benchtime, "-benchmem", "-count", count}, packages...)
	slow := []string{"test", "-run", "^$", "-bench", heavy,
		"-benchtime", cfg.heavyBenchtime, "-benchmem", "-count", count, "./sync"}
	tick := []string{"test", "-run", "^$", "-bench", ticks,
		"-benchtime", cfg.tickBenchtime, "-benchmem", "-count", count, "./sync"}
	return [][]string{fast, slow, tick}
}

// goTest runs go with args and returns its output; on failure the error holds it.
func goTest(args []string) ([]byte, error) {
	fmt.Fprintf(os.Stderr, "benchreport: running %s\n", shellLine(args))
	start := time.Now()
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s failed: %w\n%s", shellLine(args), err, out)
	}
	fmt.Fprintf(os.Stderr, "benchreport: done in %s\n", time.Since(start).Round(time.Second))
	return out, nil
}

// shellLine renders go's arguments as a command line to paste into a shell.
func shellLine(args []string) string {
	parts := []string{"go"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, "^$*?|()[] '\"\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// sample is one benchmark result line.
type sample struct{ ns, bytes, allocs float64 }

// bench is every run of one benchmark.
type bench struct {
	pkg, name string
	samples   []sample
}

// results collects benchmarks in the order go test first printed them.
type results struct {
	order   []*bench
	byKey   map[string]*bench
	pending string // a benchmark name whose figures a log line pushed to a later line
}

func newResults() *results { return &results{byKey: map[string]*bench{}} }

var (
	pkgLine   = regexp.MustCompile(`^pkg: (\S+)`)
	benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?(?:\s+(\d+\s+.*?))?\s*$`)
	figures   = regexp.MustCompile(`^\s*\d+\s+.*\bns/op\b`)
)

// parse reads go test's output: "pkg:" headers and benchmark lines.
func (r *results) parse(out []byte) {
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := pkgLine.FindStringSubmatch(line); m != nil {
			pkg = strings.TrimPrefix(m[1], modulePath)
			continue
		}
		name, rest := r.split(line)
		if name == "" || rest == "" {
			continue
		}
		if s, ok := parseFigures(rest); ok {
			r.add(pkg, name, s)
		}
	}
}

// split returns the benchmark name and the figures of line, remembering a name
// printed without figures (output of the benchmark came between them).
func (r *results) split(line string) (name, rest string) {
	if m := benchLine.FindStringSubmatch(line); m != nil {
		if m[2] == "" {
			r.pending = m[1]
			return "", ""
		}
		r.pending = ""
		return m[1], m[2]
	}
	if r.pending != "" && figures.MatchString(line) {
		name, r.pending = r.pending, ""
		return name, line
	}
	return "", ""
}

// parseFigures reads "N 123 ns/op 45 B/op 6 allocs/op" (other units ignored).
func parseFigures(rest string) (sample, bool) {
	f := strings.Fields(rest)
	var s sample
	seen := false
	for i := 1; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return sample{}, false
		}
		switch f[i+1] {
		case "ns/op":
			s.ns, seen = v, true
		case "B/op":
			s.bytes = v
		case "allocs/op":
			s.allocs = v
		}
	}
	return s, seen
}

func (r *results) add(pkg, name string, s sample) {
	key := pkg + "." + name
	b := r.byKey[key]
	if b == nil {
		b = &bench{pkg: pkg, name: name}
		r.byKey[key] = b
		r.order = append(r.order, b)
	}
	b.samples = append(b.samples, s)
}

// find returns the benchmark called name, or nil.
func (r *results) find(name string) *bench {
	for _, b := range r.order {
		if b.name == name {
			return b
		}
	}
	return nil
}

// median returns the median of the field get picks over b's samples.
func (b *bench) median(get func(sample) float64) float64 {
	v := make([]float64, len(b.samples))
	for i, s := range b.samples {
		v[i] = get(s)
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func nsOf(s sample) float64     { return s.ns }
func bytesOf(s sample) float64  { return s.bytes }
func allocsOf(s sample) float64 { return s.allocs }

// machine describes where the benchmarks ran.
type machine struct {
	cpu, memory, goVersion, database, date string
	cpus, maxProcs                         int
}

func machineInfo() machine {
	return machine{
		cpu: procField("/proc/cpuinfo", "model name"), memory: totalMemory(),
		goVersion: goVersion(), database: databaseVersion(), date: time.Now().Format("2006-01-02 15:04 MST"),
		cpus: runtime.NumCPU(), maxProcs: runtime.GOMAXPROCS(0),
	}
}

// procField returns the value of the first "key : value" line of a /proc file.
func procField(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func totalMemory() string {
	f := strings.Fields(procField("/proc/meminfo", "MemTotal"))
	if len(f) != 2 || f[1] != "kB" {
		return "unknown"
	}
	kb, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", kb/(1<<20))
}

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

// databaseVersion asks the benchmarks' database server for its version.
func databaseVersion() string {
	dsn := os.Getenv("TARSCACHE_TEST_MYSQL")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/"
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "unknown"
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return "unknown"
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var v string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return "unknown"
	}
	return v
}

// invocation is the command line that ran this program, as make bench writes it.
func invocation() string {
	return strings.Join(append([]string{"go run ./internal/tools/benchreport"}, os.Args[1:]...), " ")
}

// report renders the Markdown file.
func report(cfg config, cmds [][]string, res *results, m machine) string {
	var w strings.Builder
	writeIntro(&w, cfg, cmds, m)
	for _, pkg := range packages {
		writeTable(&w, strings.TrimPrefix(pkg, "./"), res)
	}
	writeMeaning(&w, res)
	return w.String()
}

func writeIntro(w *strings.Builder, cfg config, cmds [][]string, m machine) {
	fmt.Fprintf(w, "# tarscache benchmarks\n\n")
	fmt.Fprintf(w, "Generated by `internal/tools/benchreport` on %s. Do not edit by hand: run `make bench`.\n\n", m.date)
	fmt.Fprintf(w, "## How to reproduce\n\n")
	fmt.Fprintf(w, "Run `make bench`. This file was written by `%s`, which ran:\n\n", invocation())
	for _, args := range append(cmds, clientsArgs(cfg), loadgenArgs) {
		fmt.Fprintf(w, "    %s\n", shellLine(args))
	}
	fmt.Fprintf(w, "\nThe 100,000-row sync benchmarks (`%s`) load 200,000 rows as setup, so they run a fixed\n", large)
	fmt.Fprintf(w, "number of iterations: few for the full syncs (about a second each), more for the incremental ticks.\n")
	fmt.Fprintf(w, "The database benchmarks need MySQL/MariaDB (`TARSCACHE_TEST_MYSQL`, default\n")
	fmt.Fprintf(w, "`root@tcp(127.0.0.1:3306)/`); each creates and drops its own database through `internal/testkit/testdb`.\n")
	fmt.Fprintf(w, "Setup (loading rows, creating and removing files) is not timed.\n\n")
	fmt.Fprintf(w, "## Machine\n\n")
	fmt.Fprintf(w, "- CPU: %s, %d logical CPUs (GOMAXPROCS %d)\n", m.cpu, m.cpus, m.maxProcs)
	fmt.Fprintf(w, "- Memory: %s\n- Go: %s\n- Database: %s, on the same machine\n- Date: %s\n\n", m.memory, m.goVersion, m.database, m.date)
	fmt.Fprintf(w, "Absolute times on a small shared machine (here %d CPUs, database server included) are noisy:\n", m.cpus)
	fmt.Fprintf(w, "each figure is the **median of %d runs** (`-count %d`); compare figures between runs\n", cfg.count, cfg.count)
	fmt.Fprintf(w, "on the same machine rather than with other machines. Allocation counts are stable.\n\n")
	fmt.Fprintf(w, "## Results\n")
}

func writeTable(w *strings.Builder, pkg string, res *results) {
	fmt.Fprintf(w, "\n### %s\n\n", pkg)
	fmt.Fprintf(w, "| Benchmark | Median time/op | Median B/op | Median allocs/op | Runs |\n")
	fmt.Fprintf(w, "|---|--:|--:|--:|--:|\n")
	for _, b := range res.order {
		if b.pkg != pkg {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d |\n", b.name, humanTime(b.median(nsOf)),
			humanBytes(b.median(bytesOf)), thousands(b.median(allocsOf)), len(b.samples))
	}
}

// meaning is one operator-facing figure and the benchmark it comes from.
type meaning struct{ what, bench, note string }

var meanings = []meaning{
	{"Full sync of the sample registry into an empty file", "BenchmarkSyncOnce_sampleIntoEmptyFile", "fetch, build, write and commit every record"},
	{"Idle tick over the sample registry, nothing changed", "BenchmarkSyncOnce_sample", "paid every sync interval, 2 s by default"},
	{"Full sync of 100,000 adapter rows, 20,000 servants × 5 nodes, into an empty file", "BenchmarkSyncOnce_100kRows_intoEmpty", "first start against a large registry"},
	{"Full reconcile of the same 100,000 rows into a file that already holds them, nothing written", "BenchmarkSyncOnce_100kRows_unchanged", "every --full-sync-interval (5 min) and after deletions"},
	{"…of which building the records from the rows, no database, no file", "BenchmarkBuild_100kRows", ""},
	{"…of which comparing 20,000 servants with the file: Apply, nothing written", "BenchmarkApply_unchanged", ""},
	{"Idle tick over the same 100,000 rows: clock, table fingerprints, no changed server, nothing written", "BenchmarkSyncOnce_100kRows_idleTick", "paid every --sync-interval (2 s)"},
	{"One server changed among 100,000 rows: the UPDATE, then the incremental tick that serves it", "BenchmarkSyncOnce_100kRows_oneChange", "a change is answered after the wait for the next tick plus this"},
	{"One servant changed among 20,000, complete State (full reconcile): Apply only", "BenchmarkApply_oneChanged", "one record written and committed"},
	{"One servant changed among 20,000, partial State (incremental tick): Apply only", "BenchmarkApply_partialOneChanged", "one record written and committed"},
	{"Query path: one findObjectByIdInSameGroup answered, decode + lookup + encode, network excluded", "BenchmarkDispatch_sameGroup10", "servant of 10 endpoints"},
	{"Lookup plus reply building, findObjectByIdInSameGroup (caller in IDC group 1), from the decoded request", "BenchmarkReply_sameGroup10", "issue 8: ≤ 1 µs, ≤ 2 allocations"},
	{"Lookup plus reply building, findObjectByIdInSameSet", "BenchmarkReply_sameSet10", "issue 8: ≤ 1 µs, ≤ 2 allocations"},
	{"Lookup plus reply building, findObjectById4Any", "BenchmarkReply_4Any10", "issue 8: ≤ 1 µs, ≤ 2 allocations"},
	{"Query path end to end: stock TarsGo client over loopback, GOMAXPROCS callers at once", "BenchmarkServer_loopback_sameGroup10", "client and server in one process; each call waits for the batch window"},
	{"…the same without the batch window (--batch-window 0)", "BenchmarkServer_loopback_sameGroup10_noWindow", "what the window costs a client with 2 calls in flight"},
	{"…the same with 16 callers per GOMAXPROCS on the client's one connection, batch window on", "BenchmarkServer_loopback_sameGroup10_32callers", "wall time per call: its inverse is the calls/s of client and server together"},
	{"Start-up: Open of a file holding 20,000 servants × 5 endpoints until it can answer", "BenchmarkCache_Open20k", ""},
	{"findSubsetConfigById in the handler: the rule in force of a servant", "BenchmarkHandler_subsetConf", "a map read; clients may ask on every call"},
	{"Subset routing in a client: a route key on a ratio rule (weighted hash ring)", "BenchmarkRoute_ratio", "ring built once per rule version"},
	{"Subset routing in a client: a route key on a key rule (one exact match, three regexes)", "BenchmarkRoute_key", ""},
	{"Subset routing in a client: keeping one subset's endpoints out of 10", "BenchmarkFilter_10", ""},
	{"Subset routing in a client: a compiled rule found again for an unchanged rule version", "BenchmarkCompiler_hit", ""},
}

func writeMeaning(w *strings.Builder, res *results) {
	fmt.Fprintf(w, "\n## What these mean\n\n")
	fmt.Fprintf(w, "| Operator-facing figure | Median | Allocated | From |\n|---|--:|--:|---|\n")
	for _, m := range meanings {
		t, mem := "n/a", "n/a"
		if b := res.find(m.bench); b != nil {
			t, mem = humanTime(b.median(nsOf)), humanBytes(b.median(bytesOf))
		}
		what := m.what
		if m.note != "" {
			what += "; " + m.note
		}
		fmt.Fprintf(w, "| %s | %s | %s | `%s` |\n", what, t, mem, m.bench)
	}
	fmt.Fprintf(w, "\nThe sync figures include the database's own work (the server runs on the same machine);\n")
	fmt.Fprintf(w, "the difference between the two full 100,000-row syncs is the cost of writing and committing\n")
	fmt.Fprintf(w, "20,000 new records. The idle tick reads MySQL's clock, its deletion counter and the tables'\n")
	fmt.Fprintf(w, "largest ids; it counts a large table only when a deletion may have happened (the deletion gate,\n")
	fmt.Fprintf(w, "docs/operations.md). The loopback figure is wall time per\n")
	fmt.Fprintf(w, "call with GOMAXPROCS callers at once, so its inverse approximates the calls per second one\n")
	fmt.Fprintf(w, "server answers on this machine.\n")
	writeTickShare(w, res)
}

// writeTickShare says what share of each default interval the idle tick takes, and
// how long a change takes to be answered.
func writeTickShare(w *strings.Builder, res *results) {
	interval := tcsync.DefaultOptions().Interval
	if b := res.find("BenchmarkSyncOnce_100kRows_idleTick"); b != nil {
		share := b.median(nsOf) / float64(interval.Nanoseconds()) * 100
		fmt.Fprintf(w, "At the default %s sync interval, the idle tick over 100,000 rows takes %.1f%% of each interval\n", interval, share)
		fmt.Fprintf(w, "(wall time, the database's work included).\n")
	}
	if b := res.find("BenchmarkSyncOnce_100kRows_oneChange"); b != nil {
		tick := time.Duration(b.median(nsOf))
		fmt.Fprintf(w, "A change written to MySQL is answered after the wait for the next tick (0 to %s, %s on\n", interval, interval/2)
		fmt.Fprintf(w, "average) plus %s: %s on average and at most %s at the default interval.\n",
			humanTime(float64(tick)), humanTime(float64(interval/2+tick)), humanTime(float64(interval+tick)))
	}
}

// humanTime renders nanoseconds with three significant digits in ns, µs, ms or s.
func humanTime(ns float64) string {
	units := []struct {
		div  float64
		name string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}}
	for _, u := range units {
		if ns >= u.div {
			return sig3(ns/u.div) + " " + u.name
		}
	}
	return sig3(ns) + " ns"
}

// humanBytes renders a byte count in B, KiB or MiB.
func humanBytes(b float64) string {
	switch {
	case b >= 1<<20:
		return sig3(b/(1<<20)) + " MiB"
	case b >= 1<<10:
		return sig3(b/(1<<10)) + " KiB"
	}
	return strconv.FormatFloat(b, 'f', 0, 64) + " B"
}

// sig3 formats v (>= 0) with three significant digits, at least as an integer.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// thousands formats a count with comma separators.
func thousands(v float64) string {
	s := strconv.FormatFloat(v, 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
