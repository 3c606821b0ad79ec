package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type config struct {
	rounds  int
	seconds float64
	conns   int
	depth   int
	mysql   string
	scale   string // sizes of the scale curve; "" for the usual figures
	out     string // file whose scale section -scale (or -clients section -clients) rewrites
	clients bool   // measure the query path as the stock TarsGo client calls it
	calls   clientsConfig
	servers string // -servers, before pickServers
}

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 3, "alternating throughput rounds per server")
	flag.Float64Var(&cfg.seconds, "seconds", 2, "length of one measurement")
	flag.IntVar(&cfg.conns, "conns", 8, "load connections")
	flag.IntVar(&cfg.depth, "depth", 16, "requests in flight per connection in the closed loop")
	flag.StringVar(&cfg.mysql, "mysql", envOr("TARSCACHE_TEST_MYSQL", "root@tcp(127.0.0.1:3306)/"), "MySQL server DSN (no database)")
	flag.StringVar(&cfg.scale, "scale", "", "measure the scale curve at these comma-separated endpoint counts (e.g. 10000,100000,1000000) instead of the usual figures")
	flag.StringVar(&cfg.out, "out", "docs/benchmarks.md", "with -scale or -clients: the Markdown file whose section is rewritten (\"\" for none)")
	clientFlags(&cfg)
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(cfg config) error {
	dir, err := os.MkdirTemp("", "tarscache-loadgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if cfg.clients {
		return runClients(cfg, dir)
	}
	bins, err := build(dir)
	if err != nil {
		return err
	}
	if cfg.scale != "" {
		return runScale(cfg, bins, dir)
	}
	q, err := queryFigures(cfg, bins, dir)
	if err != nil {
		return err
	}
	s, err := startFigures(bins, dir)
	if err != nil {
		return err
	}
	m, err := mysqlFigures(cfg, bins, dir)
	if err != nil {
		return err
	}
	fmt.Print(markdown(cfg, q, s, m))
	return nil
}

// step logs progress on stderr; stdout is the report.
func step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
}

func dur(cfg config) time.Duration { return time.Duration(cfg.seconds * float64(time.Second)) }

func numCPU() int { return runtime.NumCPU() }

// runScale measures the scale curve and rewrites its section of cfg.out.
func runScale(cfg config, bins binaries, dir string) error {
	var sizes []int
	for _, f := range strings.Split(cfg.scale, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 5 || n%5 != 0 {
			return fmt.Errorf("-scale %q: want endpoint counts that are multiples of 5", cfg.scale)
		}
		sizes = append(sizes, n)
	}
	rows, err := scaleFigures(cfg, bins, dir, sizes)
	if err != nil {
		return err
	}
	section := scaleMarkdown(rows)
	fmt.Print(section)
	return writeScaleSection(cfg.out, section)
}
