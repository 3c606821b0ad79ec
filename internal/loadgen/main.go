// Command loadgen measures tarscache as a running process, the figures go test
// benchmarks cannot give, and prints them as a Markdown section ("make bench" puts
// it in docs/benchmarks.md):
//
//		go run ./internal/loadgen [-rounds 3] [-seconds 2]
//
//	  - Query throughput over loopback: findObjectByIdInSameGroup of a servant of 10
//	    endpoints, closed loop (a fixed number of requests in flight on several
//	    connections), against tarscache serve and against a baseline stock TarsGo
//	    server that answers the same reply as a constant (internal/loadgen/baseline),
//	    in alternating rounds of one run; then the latency at half of each one's
//	    maximum throughput, open loop (requests sent on schedule, delays measured from
//	    the schedule).
//	  - Start: from exec to the first answer, with a file of 20,000 servants × 5
//	    endpoints and MySQL unreachable; the resident memory serving them; the file size.
//	  - MySQL load of one replica: statements and rows read per sync, idle and under
//	    churn, from MariaDB's global status (Questions, Handler_read_*) (TARSCACHE_TEST_MYSQL, by default root on
//	    127.0.0.1:3306; a database of its own, dropped at the end).
//
// The load generator shares the machine with the servers: absolute rates are the
// machine's, the ratio between the two servers is the figure.
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
