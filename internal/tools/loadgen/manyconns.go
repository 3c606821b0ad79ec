package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// tailStats is a load that many clients put on a server at once: its calls,
// errors and latency tail.
type tailStats struct {
	calls, errors int
	p50, p99, max time.Duration
}

func tailOf(lats []time.Duration, failed []bool) tailStats {
	ok, errors := succeeded(lats, failed)
	st := tailStats{calls: len(lats), errors: errors}
	q := newQuantiles(ok)
	st.p50, st.p99, st.max = q.at(.50), q.at(.99), q.at(1)
	return st
}

// manyConnsFigures runs manyConns on every server in turn; nil when
// cfg.manyConns is 0.
func manyConnsFigures(cfg clientsConfig, servers []server) ([]tailStats, error) {
	if cfg.manyConns == 0 {
		return nil, nil
	}
	var out []tailStats
	for _, s := range servers {
		st, err := manyConns(s, cfg.manyConns, cfg.duration)
		if err != nil {
			return nil, fmt.Errorf("loadgen: %d connections to %s: %w", cfg.manyConns, s.target.name, err)
		}
		step("%d connections, one call per second each: %s %d calls, %d errors, p99 %s", cfg.manyConns, s.target.name, st.calls, st.errors, ms(st.p99))
		out = append(out, st)
	}
	return out, nil
}

// manyConns opens n connections to s (one stock client proxy each) and makes one
// findObjectByIdInSameGroup call per second on each for d, the connections'
// calls spread evenly over each second; each call is measured from its scheduled
// time. A first second of the same calls, not measured, lets the client settle
// (the first server measured otherwise pays for loadgen's own start).
func manyConns(s server, n int, d time.Duration) (tailStats, error) {
	c, err := newStockClient(s.target, n)
	if err == nil {
		err = c.warm(methods[0])
	}
	if err != nil {
		return tailStats{}, err
	}
	runtime.GC()
	per := max(1, int(d.Seconds()))
	lats := make([]time.Duration, n*per)
	failed := make([]bool, n*per)
	begin := time.Now().Add(10 * time.Millisecond)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for j := range per + 1 {
				at := begin.Add(time.Duration(j)*time.Second + time.Duration(i)*time.Second/time.Duration(n))
				time.Sleep(time.Until(at))
				err := c.call(methods[0], i)
				if j > 0 {
					k := i*per + j - 1
					failed[k], lats[k] = err != nil, time.Since(at)
				}
			}
		})
	}
	wg.Wait()
	return tailOf(lats, failed), nil
}

// burstFigures sends cfg.bursts bursts of cfg.burst calls to every server,
// alternating between them, after one unmeasured burst to each; nil when
// cfg.burst is 0.
func burstFigures(cfg clientsConfig, servers []server) ([][]tailStats, error) {
	if cfg.burst == 0 {
		return nil, nil
	}
	out := make([][]tailStats, len(servers))
	for _, s := range servers { // unmeasured: the first burst of a process pays for its goroutines' stacks
		if _, err := burst(s, cfg.burst); err != nil {
			return nil, fmt.Errorf("loadgen: burst on %s: %w", s.target.name, err)
		}
	}
	for b := range cfg.bursts {
		for si, s := range servers {
			st, err := burst(s, cfg.burst)
			if err != nil {
				return nil, fmt.Errorf("loadgen: burst on %s: %w", s.target.name, err)
			}
			step("burst %d of %d calls: %s %d errors, p99 %s, max %s", b+1, cfg.burst, s.target.name, st.errors, ms(st.p99), ms(st.max))
			out[si] = append(out[si], st)
		}
	}
	return out, nil
}

// burst releases n findObjectByIdInSameGroup calls at once on one connection, as
// a TarsGo process does when it refreshes its servants, and measures each from
// the release.
func burst(s server, n int) (tailStats, error) {
	c, err := newStockClient(s.target, 1)
	if err == nil {
		err = c.warm(methods[0])
	}
	if err != nil {
		return tailStats{}, err
	}
	lats := make([]time.Duration, n)
	failed := make([]bool, n)
	gate := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(n)
	var begin time.Time
	for k := range n {
		wg.Go(func() {
			ready.Done()
			<-gate
			failed[k] = c.call(methods[0], 0) != nil
			lats[k] = time.Since(begin)
		})
	}
	ready.Wait()
	runtime.GC()
	begin = time.Now()
	close(gate)
	wg.Wait()
	return tailOf(lats, failed), nil
}

// succeeded returns the latencies of the calls that did not fail and the number
// that did.
func succeeded(lats []time.Duration, failed []bool) ([]time.Duration, int) {
	ok := make([]time.Duration, 0, len(lats))
	for k, l := range lats {
		if !failed[k] {
			ok = append(ok, l)
		}
	}
	return ok, len(lats) - len(ok)
}
