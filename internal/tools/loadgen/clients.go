package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// clientFlags declares the flags of -clients.
func clientFlags(cfg *config) {
	c := &cfg.calls
	flag.BoolVar(&cfg.clients, "clients", false, "measure the query path as the stock TarsGo client calls it, side by side with the official registry and a constant TarsGo servant")
	flag.StringVar(&c.tarscacheBin, "tarscache-bin", "", "with -clients: the tarscache binary to load (default: build ./cmd/tarscache)")
	flag.StringVar(&c.label, "label", "tarscache", "with -clients: the name of -tarscache-bin in the tables")
	flag.StringVar(&c.tarscacheBinB, "tarscache-bin-b", "", "with -clients: a second tarscache binary, loaded side by side (before/after)")
	flag.StringVar(&c.labelB, "label-b", "", "with -clients: the name of tarscache-b in the tables (default: \"tarscache (b)\", or tarscache and its -serve-flags-b)")
	flag.StringVar(&c.flagsB, "serve-flags-b", "", "with -clients: extra flags of tarscache-b's serve, space-separated; with them tarscache-b is -tarscache-bin (or the build) unless -tarscache-bin-b names another (e.g. \"--batch-window=0\")")
	flag.StringVar(&cfg.servers, "servers", "tarscache,tarscache-b,official,stock", "with -clients: the servers to load, of tarscache, tarscache-b (needs -tarscache-bin-b or -serve-flags-b), official (needs "+envOfficialBin+" and "+envOfficialTools+") and stock")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "with -clients: length of one run")
	flag.IntVar(&c.runs, "runs", 5, "with -clients: runs per method and server of the closed loop, and per server of the open loop (their tails move by tens of percent from run to run)")
	flag.IntVar(&c.conns, "client-conns", 4, "with -clients: connections of the closed and open loops")
	flag.IntVar(&c.callers, "callers", 8, "with -clients: callers per connection in the closed loop")
	flag.IntVar(&c.manyConns, "many-conns", 1000, "with -clients: connections making one call per second each (0 skips)")
	flag.IntVar(&c.burst, "burst", 10000, "with -clients: calls of one burst (0 skips)")
	flag.IntVar(&c.bursts, "bursts", 3, "with -clients: bursts per server")
}

// runClients measures the query path as clients call it, prints its Markdown
// section and rewrites that section of cfg.out when the file has it.
func runClients(cfg config, dir string) error {
	// TarsGo's loggers write to os.Stdout, the report's stream: send them to stderr.
	report := os.Stdout
	os.Stdout = os.Stderr
	defer func() { os.Stdout = report }()
	c := cfg.calls
	c.mysql, c.out, c.official = cfg.mysql, cfg.out, officialFromEnv()
	if c.runs < 1 || c.conns < 1 || c.callers < 1 || c.duration <= 0 || c.bursts < 1 {
		return fmt.Errorf("loadgen: -runs, -client-conns, -callers, -bursts and -duration must be positive")
	}
	var err error
	hasB := c.tarscacheBinB != "" || c.flagsB != ""
	if c.servers, err = pickServers(cfg.servers, hasB, c.official); err != nil {
		return err
	}
	if c.labelB == "" {
		c.labelB = labelOfB(c.flagsB)
	}
	if !c.official.enabled() {
		step("%s", officialNote)
	}
	servers, stop, err := startServers(c, dir)
	if err != nil {
		return err
	}
	defer stop()
	r, err := clientsFigures(c, servers)
	if err != nil {
		return err
	}
	section := clientsMarkdown(c, r)
	fmt.Fprint(report, section)
	if c.out == "" {
		return nil
	}
	return writeClientsSection(c.out, section)
}

// labelOfB names tarscache-b in the tables when -label-b does not: tarscache
// and its extra serve flags, or "tarscache (b)".
func labelOfB(flags string) string {
	if flags == "" {
		return "tarscache (b)"
	}
	return "tarscache " + strings.Join(strings.Fields(flags), " ")
}
