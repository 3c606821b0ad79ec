package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
)

// binaries are the built programs.
type binaries struct{ tarscache, baseline string }

// unreachableDSN points at a port nothing listens on: serve answers from its file.
const unreachableDSN = "root@tcp(127.0.0.1:1)/db_tars?timeout=1s"

func build(dir string) (binaries, error) {
	b := binaries{tarscache: filepath.Join(dir, "tarscache"), baseline: filepath.Join(dir, "baseline")}
	for pkg, out := range map[string]string{"./cmd/tarscache": b.tarscache, "./internal/tools/stockserver": b.baseline} {
		step("building %s", pkg)
		if out, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	}
	return b, nil
}

// proc is a started server.
type proc struct {
	cmd *exec.Cmd
	out *syncBuffer
}

func start(bin string, args ...string) (*proc, error) {
	p := newProc(bin, args...)
	return p, p.cmd.Start()
}

// newProc prepares bin with args, its output kept in memory, not yet started.
func newProc(bin string, args ...string) *proc {
	p := &proc{cmd: exec.Command(bin, args...), out: &syncBuffer{}}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	return p
}

// syncBuffer is a bytes.Buffer that a process's output and loadgen may use at once.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stop ends the process with SIGTERM and waits for it; after 15 s it kills it.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.AfterFunc(15*time.Second, func() { _ = p.cmd.Process.Kill() })
	_ = p.cmd.Wait()
	t.Stop()
}

// rss is the process's resident memory, from /proc.
func (p *proc) rss() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// answers waits until t answers one request, or gives up after limit.
func answers(t target, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := askOnce(t)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}

func askOnce(t target) error {
	c, err := dial(t)
	if err != nil {
		return err
	}
	defer c.c.Close()
	if err := c.c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if err := c.send(0); err != nil {
		return err
	}
	_, err = c.receive()
	return err
}

// cacheFile writes a cache file holding servants.
func cacheFile(path string, servants []snapshot.Servant) error {
	c, err := cache.Open(path, cache.Options{})
	if err != nil {
		return err
	}
	_, err = c.Apply(cache.State{Servants: servants})
	return errors.Join(err, c.Close())
}

// startTarscache serves the file at data on a free port, MySQL unreachable.
func startTarscache(bin, data string) (*proc, target, error) {
	addr, err := freePort()
	if err != nil {
		return nil, target{}, err
	}
	p, err := start(bin, "serve", "--data", data, "--listen", addr, "--admin", "off", "--dsn", unreachableDSN, "--log-level", "error")
	return p, target{name: "tarscache", addr: addr, servant: "tars.tarsregistry.QueryObj"}, err
}

// startBaseline runs the baseline TarsGo server with a config file in dir.
func startBaseline(bin, dir string) (*proc, target, error) {
	addr, err := freePort()
	if err != nil {
		return nil, target{}, err
	}
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	conf := tarstest.ServerConfig("Bench", "Baseline", "QueryObj", dir, host, port, "")
	path := filepath.Join(dir, "baseline.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, target{}, err
	}
	p, err := start(bin, "-config", path)
	return p, target{name: "baseline TarsGo server", addr: addr, servant: "Bench.Baseline.QueryObj"}, err
}
