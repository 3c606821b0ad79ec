package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

type config struct {
	rounds  int
	seconds float64
	conns   int
	depth   int
	mysql   string
}

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 3, "alternating throughput rounds per server")
	flag.Float64Var(&cfg.seconds, "seconds", 2, "length of one measurement")
	flag.IntVar(&cfg.conns, "conns", 8, "load connections")
	flag.IntVar(&cfg.depth, "depth", 16, "requests in flight per connection in the closed loop")
	flag.StringVar(&cfg.mysql, "mysql", envOr("TARSCACHE_TEST_MYSQL", "root@tcp(127.0.0.1:3306)/"), "MySQL server DSN (no database)")
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
	bins, err := build(dir)
	if err != nil {
		return err
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
