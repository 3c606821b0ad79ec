package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tarscache/tarscache/internal/tools/loadgen/bench"
)

// Names of the servers -servers picks from.
const (
	serverTarscache  = "tarscache"
	serverTarscacheB = "tarscache-b"
	serverOfficial   = "official"
	serverStock      = "stock"
)

// server is a running server under load.
type server struct {
	key    string // its -servers name
	target target
	proc   *proc
}

// pid is the server's process id, whose CPU time is measured.
func (s server) pid() int { return s.proc.cmd.Process.Pid }

// startServers builds what is missing, creates the database, starts the servers
// cfg picks and waits until each answers the benchmark servant; stop ends them
// and drops the database.
func startServers(cfg clientsConfig, dir string) (servers []server, stop func(), err error) {
	bins, err := build(dir)
	if err != nil {
		return nil, nil, err
	}
	dsn, drop, err := callsDatabase(cfg.mysql, cfg.official)
	if err != nil {
		return nil, nil, err
	}
	stop = func() {
		for _, s := range servers {
			s.proc.stop()
		}
		drop()
	}
	for _, key := range cfg.servers {
		s, err := startServer(cfg, key, bins, dsn, dir)
		if err == nil {
			servers = append(servers, s)
			err = waitServant(s)
		}
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("loadgen: start %s: %w", key, err)
		}
		step("%s answers on %s (pid %d)", s.target.name, s.target.addr, s.pid())
	}
	return servers, stop, nil
}

func startServer(cfg clientsConfig, key string, bins binaries, dsn, dir string) (server, error) {
	var p *proc
	var t target
	var err error
	switch key {
	case serverTarscache, serverTarscacheB:
		bin, label, extra := cfg.tarscacheBin, cfg.label, []string(nil)
		if key == serverTarscacheB {
			label, extra = cfg.labelB, strings.Fields(cfg.flagsB)
			if cfg.tarscacheBinB != "" {
				bin = cfg.tarscacheBinB
			}
		}
		if bin == "" {
			bin = bins.tarscache
		}
		p, t, err = startTarscacheDB(bin, dsn, filepath.Join(dir, key+".db"), extra...)
		t.name = label
	case serverOfficial:
		var name string
		if name, err = dbName(dsn); err == nil {
			p, t, err = startOfficial(cfg.official, name, dir)
		}
	case serverStock:
		stockDir := filepath.Join(dir, "stock-run")
		if err = os.MkdirAll(stockDir, 0o700); err == nil {
			p, t, err = startBaseline(bins.baseline, stockDir)
			t.name = "constant TarsGo servant"
		}
	default:
		err = fmt.Errorf("unknown server %q", key)
	}
	return server{key: key, target: t, proc: p}, err
}

func dbName(dsn string) (string, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	return c.DBName, nil
}

// startTarscacheDB serves the database of dsn, its file at data, on a free
// port, with extra flags of serve.
func startTarscacheDB(bin, dsn, data string, extra ...string) (*proc, target, error) {
	addr, err := freePort()
	if err != nil {
		return nil, target{}, err
	}
	p, err := start(bin, append([]string{"serve", "--dsn", dsn, "--data", data, "--listen", addr, "--admin", "off", "--log-level", "error"}, extra...)...)
	return p, target{addr: addr, servant: "tars.tarsregistry.QueryObj"}, err
}

// waitServant waits until s answers the benchmark servant with its 10 active
// endpoints (a registry answers it once it has loaded the database).
func waitServant(s server) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := askServant(s.target)
		if err == nil && n == 10 {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("%d active endpoints, want 10", n)
		}
		if s.proc.cmd.ProcessState != nil || time.Now().After(deadline) {
			return fmt.Errorf("never answered: %w\n%s", err, s.proc.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func askServant(t target) (int32, error) { return activeOf(t, bench.ServantID) }

// pickServers returns the servers of list (comma-separated -servers names) that
// can run: tarscache-b only when hasB (-tarscache-bin-b or -serve-flags-b),
// official only with its environment.
func pickServers(list string, hasB bool, off officialSetup) ([]string, error) {
	var out []string
	for _, key := range strings.Split(list, ",") {
		key = strings.TrimSpace(key)
		switch {
		case key == "":
		case !slices.Contains([]string{serverTarscache, serverTarscacheB, serverOfficial, serverStock}, key):
			return nil, fmt.Errorf("loadgen: -servers: unknown server %q (want %s, %s, %s or %s)", key, serverTarscache, serverTarscacheB, serverOfficial, serverStock)
		case key == serverTarscacheB && !hasB, key == serverOfficial && !off.enabled():
		default:
			out = append(out, key)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("loadgen: -servers: no server to load")
	}
	return out, nil
}
