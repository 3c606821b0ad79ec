package main

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// clientsConfig is what -clients measures and how.
type clientsConfig struct {
	tarscacheBin, label   string // tarscache build under test ("" builds ./cmd/tarscache)
	tarscacheBinB, labelB string // a second build, side by side ("" for none)
	flagsB                string // extra serve flags of tarscache-b, space-separated
	servers               []string
	official              officialSetup
	duration              time.Duration // one closed-loop or open-loop run
	runs                  int           // closed-loop runs per method and server
	conns, callers        int           // closed loop: connections × callers on each
	manyConns, burst      int           // 0 skips that part
	bursts                int
	mysql, out            string
}

// closedStats is one closed-loop run of one method against one server.
type closedStats struct {
	rate     float64 // calls answered per second
	p50, p99 time.Duration
	perCPU   float64 // calls per second of the server's CPU time
	errors   int
}

// openStats is the open-loop run of one server.
type openStats struct {
	rate           float64 // calls answered per second
	p50, p99, p999 time.Duration
	errors         int
}

// clientsResult is everything -clients measured; indexes follow servers.
type clientsResult struct {
	servers  []target
	closed   [][][]closedStats // [method][server][run]
	openRate float64           // calls per second of the open loop
	open     [][]openStats     // [server][run]
	many     []tailStats
	bursts   [][]tailStats // [server][burst]
}

// clientsFigures runs every part of -clients against the started servers.
func clientsFigures(cfg clientsConfig, servers []server) (clientsResult, error) {
	r := clientsResult{}
	for _, s := range servers {
		r.servers = append(r.servers, s.target)
	}
	var err error
	if r.closed, err = closedFigures(cfg, servers); err != nil {
		return r, err
	}
	r.openRate = openRate(cfg, r.closed[0], servers)
	if r.open, err = openFigures(cfg, servers, r.openRate); err != nil {
		return r, err
	}
	// Bursts first: the many connections stay open, idle, until loadgen exits.
	if r.bursts, err = burstFigures(cfg, servers); err != nil {
		return r, err
	}
	r.many, err = manyConnsFigures(cfg, servers)
	return r, err
}

// closedFigures runs each method cfg.runs times on every server, alternating
// between the servers within each round. Each run has connections of its own,
// opened before it starts: the official registry closes a connection idle for
// 10 s, as long as the other servers' runs may last.
func closedFigures(cfg clientsConfig, servers []server) ([][][]closedStats, error) {
	out := make([][][]closedStats, len(methods))
	for mi, m := range methods {
		out[mi] = make([][]closedStats, len(servers))
		for run := range cfg.runs {
			for si, s := range servers {
				st, err := closedRun(cfg, s, m)
				if err != nil {
					return nil, fmt.Errorf("loadgen: %s on %s: %w", m.name, s.target.name, err)
				}
				step("%s run %d: %s %.0f calls/s, p50 %s, p99 %s, %.0f calls per CPU-second, %d errors",
					m.name, run+1, s.target.name, st.rate, ms(st.p50), ms(st.p99), st.perCPU, st.errors)
				out[mi][si] = append(out[mi][si], st)
			}
		}
	}
	return out, nil
}

// closedRun opens cfg.conns connections to s and keeps cfg.callers callers busy
// on each for cfg.duration, each making one call of m at a time, and measures
// s's CPU time meanwhile.
func closedRun(cfg clientsConfig, s server, m method) (closedStats, error) {
	c, err := newStockClient(s.target, cfg.conns)
	if err == nil {
		err = c.warm(m)
	}
	if err != nil {
		return closedStats{}, err
	}
	runtime.GC() // each run starts from a collected heap
	meter, err := startCPU(s.pid())
	if err != nil {
		return closedStats{}, err
	}
	q, errs, took := closedLoad(c, m, cfg.callers, cfg.duration)
	cpu, err := meter.used()
	st := closedStats{rate: float64(q.count()) / took.Seconds(), p50: q.at(.50), p99: q.at(.99), errors: errs}
	if cpu > 0 {
		st.perCPU = float64(q.count()) / cpu.Seconds()
	}
	return st, err
}

// errorPause is how long a caller waits after a failed call before the next.
const errorPause = time.Millisecond

// closedLoad runs callers callers on each connection of c for d, each making one
// call of m at a time, and returns the answered calls' latencies, the failed
// calls and how long it took until every caller was done.
func closedLoad(c *stockClient, m method, callers int, d time.Duration) (quantiles, int, time.Duration) {
	var stop atomic.Bool
	var errs atomic.Int64
	n := len(c.proxies) * callers
	lats := make([][]time.Duration, n)
	var wg sync.WaitGroup
	begin := time.Now()
	for i := range n {
		wg.Go(func() {
			for !stop.Load() {
				t0 := time.Now()
				if c.call(m, i) != nil {
					errs.Add(1)
					time.Sleep(errorPause) // a refusing server must not turn the callers into a spin
					continue
				}
				lats[i] = append(lats[i], time.Since(t0))
			}
		})
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	return newQuantiles(slices.Concat(lats...)), int(errs.Load()), time.Since(begin)
}

// openRate is the open loop's rate: half the official registry's median
// closed-loop rate of the first method, or, without it, half the slowest server's.
func openRate(cfg clientsConfig, first [][]closedStats, servers []server) float64 {
	rate := 0.0
	for si, s := range servers {
		med := medianOf(first[si], func(c closedStats) float64 { return c.rate })
		if s.key == serverOfficial {
			return med / 2
		}
		if rate == 0 || med < rate {
			rate = med
		}
	}
	return rate / 2
}

// openFigures runs the open loop cfg.runs times on every server at rate,
// alternating between the servers within each round: a tail quantile of one
// run moves by tens of percent with what else the machine does meanwhile.
func openFigures(cfg clientsConfig, servers []server, rate float64) ([][]openStats, error) {
	out := make([][]openStats, len(servers))
	for run := range cfg.runs {
		for si, s := range servers {
			o, err := openLoop(cfg, s, rate)
			if err != nil {
				return nil, err
			}
			step("open loop run %d: %s at %.0f calls/s: p50 %s p99 %s p99.9 %s, %d errors",
				run+1, s.target.name, rate, ms(o.p50), ms(o.p99), ms(o.p999), o.errors)
			out[si] = append(out[si], o)
		}
	}
	return out, nil
}

// openLoop sends findObjectByIdInSameGroup calls at rate for cfg.duration on
// cfg.conns connections, each at its scheduled time whatever the answers do, and
// measures each call from that time (so a stall counts for every call it delays).
func openLoop(cfg clientsConfig, s server, rate float64) (openStats, error) {
	c, err := newStockClient(s.target, cfg.conns)
	if err == nil {
		err = c.warm(methods[0])
	}
	if err != nil {
		return openStats{}, fmt.Errorf("loadgen: open loop on %s: %w", s.target.name, err)
	}
	n := int(rate * cfg.duration.Seconds())
	lats := make([]time.Duration, n)
	failed := make([]bool, n)
	runtime.GC()
	var wg sync.WaitGroup
	begin := time.Now()
	for k := range n {
		at := begin.Add(time.Duration(float64(k) / rate * float64(time.Second)))
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		wg.Go(func() {
			failed[k] = c.call(methods[0], k) != nil
			lats[k] = time.Since(at)
		})
	}
	wg.Wait()
	took := time.Since(begin)
	ok, errors := succeeded(lats, failed)
	st := openStats{errors: errors}
	q := newQuantiles(ok)
	st.rate, st.p50, st.p99, st.p999 = float64(q.count())/took.Seconds(), q.at(.50), q.at(.99), q.at(.999)
	return st, nil
}

// medianOf is the median of f over runs (the upper one of an even count).
func medianOf[T any](runs []T, f func(T) float64) float64 {
	if len(runs) == 0 {
		return 0
	}
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return median(v)
}
