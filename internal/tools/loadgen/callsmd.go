package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Markers of the -clients section of docs/benchmarks.md: loadgen -clients -out FILE
// replaces what lies between them when FILE has them.
const (
	clientsBegin = "<!-- bench-clients: written by loadgen -clients (make bench) -->"
	clientsEnd   = "<!-- /bench-clients -->"
)

// clientsMarkdown renders r as the -clients section, markers included.
func clientsMarkdown(cfg clientsConfig, r clientsResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## Query path as clients call it (loadgen -clients)\n\n", clientsBegin)
	fmt.Fprintf(&b, "Measured by `go run ./internal/tools/loadgen -clients` in one run on this %d-core machine, load generator included: "+
		"the stock TarsGo client (the version go.mod pins), %d connections × %d callers each making one call at a time, "+
		"%s per run, %s per server alternating between the servers, medians. The servant has 10 active endpoints; "+
		"tarscache and the official registry load the same rows from one database created for the run. The constant TarsGo servant "+
		"(internal/tools/stockserver) answers the same list without any lookup. Server CPU is utime+stime from `/proc/PID/stat`.\n\n",
		numCPU(), cfg.conns, cfg.callers, cfg.duration, plural(cfg.runs, "run"))
	if !hasServer(r, "official registry") {
		fmt.Fprintf(&b, "%s\n\n", officialNote)
	}
	writeClosed(&b, r)
	writeRatios(&b, r)
	writeOpen(&b, cfg, r)
	writeMany(&b, cfg, r)
	writeBursts(&b, cfg, r)
	fmt.Fprintf(&b, "The pipelined loopback figures below (section *Running process*) are the ceiling of the server alone: "+
		"many requests in flight per connection, which is not how Tars clients call.\n%s\n", clientsEnd)
	return b.String()
}

func hasServer(r clientsResult, name string) bool { return serverIndex(r, name) >= 0 }

func serverIndex(r clientsResult, name string) int {
	for i, t := range r.servers {
		if t.name == name {
			return i
		}
	}
	return -1
}

// closedMedians are the medians of one method's runs on one server.
type closedMedians struct {
	rate, perCPU float64
	p50, p99     time.Duration
	errors       int
}

func mediansOf(runs []closedStats) closedMedians {
	m := closedMedians{
		rate:   medianOf(runs, func(c closedStats) float64 { return c.rate }),
		perCPU: medianOf(runs, func(c closedStats) float64 { return c.perCPU }),
		p50:    time.Duration(medianOf(runs, func(c closedStats) float64 { return float64(c.p50) })),
		p99:    time.Duration(medianOf(runs, func(c closedStats) float64 { return float64(c.p99) })),
	}
	for _, c := range runs {
		m.errors += c.errors
	}
	return m
}

func writeClosed(b *strings.Builder, r clientsResult) {
	fmt.Fprintf(b, "### Closed loop\n\n| method | server | calls/s | p50 | p99 | calls per server CPU-second | errors |\n|---|---|--:|--:|--:|--:|--:|\n")
	for mi, m := range methods {
		for si, t := range r.servers {
			name := ""
			if si == 0 {
				name = m.name
			}
			md := mediansOf(r.closed[mi][si])
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %d |\n", name, t.name, thousands(md.rate), ms(md.p50), ms(md.p99), thousands(md.perCPU), md.errors)
		}
	}
	b.WriteString("\n")
}

// writeRatios compares each tarscache build with the official registry (targets of
// issue 20), and the second build with the first.
func writeRatios(b *strings.Builder, r clientsResult) {
	off := serverIndex(r, "official registry")
	builds := tarscacheIndexes(r)
	if off < 0 && len(builds) < 2 {
		return
	}
	fmt.Fprintf(b, "| method | comparison | calls per server CPU-second | closed-loop p99 |\n|---|---|--:|--:|\n")
	for mi, m := range methods {
		for _, ti := range builds {
			if off >= 0 {
				writeRatio(b, m.name, r.servers[ti].name+" / official (target ≥ 2×, ≤ 1×)", r.closed[mi][ti], r.closed[mi][off])
			}
		}
		if len(builds) == 2 {
			writeRatio(b, m.name, r.servers[builds[1]].name+" / "+r.servers[builds[0]].name, r.closed[mi][builds[1]], r.closed[mi][builds[0]])
		}
	}
	b.WriteString("\n")
}

func writeRatio(b *strings.Builder, method, what string, x, y []closedStats) {
	mx, my := mediansOf(x), mediansOf(y)
	fmt.Fprintf(b, "| %s | %s | %.2f× | %.2f× |\n", method, what, mx.perCPU/my.perCPU, float64(mx.p99)/float64(my.p99))
}

// tarscacheIndexes are the servers that are tarscache builds.
func tarscacheIndexes(r clientsResult) []int {
	var out []int
	for i, t := range r.servers {
		if t.name != "official registry" && t.name != "constant TarsGo servant" {
			out = append(out, i)
		}
	}
	return out
}

func writeOpen(b *strings.Builder, cfg clientsConfig, r clientsResult) {
	fmt.Fprintf(b, "### Open loop\n\n`%s` at %s calls/s (half the %s's median closed-loop rate) for %s on %d connections, "+
		"each call sent at its scheduled time whatever the answers do and measured from that time; %d runs per server alternating "+
		"between the servers, medians, and the p99.9 of each run.\n\n",
		methods[0].name, thousands(r.openRate), openBasis(r), cfg.duration, cfg.conns, cfg.runs)
	fmt.Fprintf(b, "| server | calls/s | p50 | p99 | p99.9 | p99.9 of each run | errors |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for si, t := range r.servers {
		runs := r.open[si]
		at := func(f func(openStats) time.Duration) string { return ms(time.Duration(openMedian(runs, f))) }
		var each []string
		errors := 0
		for _, o := range runs {
			each = append(each, ms(o.p999))
			errors += o.errors
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %d |\n", t.name, thousands(medianOf(runs, func(o openStats) float64 { return o.rate })),
			at(func(o openStats) time.Duration { return o.p50 }), at(func(o openStats) time.Duration { return o.p99 }),
			at(func(o openStats) time.Duration { return o.p999 }), strings.Join(each, ", "), errors)
	}
	writeOpenRatios(b, r)
	b.WriteString("\n")
}

func openBasis(r clientsResult) string {
	if hasServer(r, "official registry") {
		return "official registry"
	}
	return "slowest server"
}

func writeMany(b *strings.Builder, cfg clientsConfig, r clientsResult) {
	if r.many == nil {
		return
	}
	fmt.Fprintf(b, "### Many connections\n\n%s connections (one stock client proxy each), each making one `%s` call per second for %s, "+
		"the calls spread evenly over each second, measured from their scheduled time, after one unmeasured second of the same.\n\n", thousands(float64(cfg.manyConns)), methods[0].name, cfg.duration)
	fmt.Fprintf(b, "| server | calls | errors | p50 | p99 | max |\n|---|--:|--:|--:|--:|--:|\n")
	for si, t := range r.servers {
		m := r.many[si]
		fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s |\n", t.name, thousands(float64(m.calls)), m.errors, ms(m.p50), ms(m.p99), ms(m.max))
	}
	b.WriteString("\n")
}

func writeBursts(b *strings.Builder, cfg clientsConfig, r clientsResult) {
	if r.bursts == nil {
		return
	}
	fmt.Fprintf(b, "### Bursts\n\n%s of %s `%s` calls released at once on one connection (a TarsGo process refreshing its servants), "+
		"alternating between the servers after one unmeasured burst to each, each call measured from the release.\n\n", plural(cfg.bursts, "burst"), thousands(float64(cfg.burst)), methods[0].name)
	fmt.Fprintf(b, "| server | errors | p99 of each burst | max |\n|---|--:|--:|--:|\n")
	for si, t := range r.servers {
		errs, p99s, worst := 0, []string{}, time.Duration(0)
		for _, s := range r.bursts[si] {
			errs += s.errors
			p99s = append(p99s, ms(s.p99))
			worst = max(worst, s.max)
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s |\n", t.name, errs, strings.Join(p99s, ", "), ms(worst))
	}
	b.WriteString("\n")
}

// plural is "1 run", "3 runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// thousands formats v rounded to an integer with comma separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// runningProcess is the heading of loadgen's other section, which the -clients
// section precedes.
const runningProcess = "## Running process"

// writeClientsSection replaces the -clients section of the file at path with
// section; a file without one gets it before the running-process section, or at
// its end.
func writeClientsSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(withClientsSection(string(old), section)), 0o644)
}

// withClientsSection returns doc with its -clients section replaced by section
// (see writeClientsSection).
func withClientsSection(doc, section string) string {
	section = strings.TrimSuffix(section, "\n")
	i, j := strings.Index(doc, clientsBegin), strings.Index(doc, clientsEnd)
	switch {
	case i >= 0 && j > i:
		return doc[:i] + section + doc[j+len(clientsEnd):]
	case strings.Contains(doc, "\n"+runningProcess):
		k := strings.Index(doc, "\n"+runningProcess) + 1
		return doc[:k] + section + "\n\n" + doc[k:]
	}
	return strings.TrimSuffix(doc, "\n") + "\n\n" + section + "\n"
}

// writeOpenRatios compares each tarscache build's median open-loop p99 and
// p99.9 with the official registry's (targets of issue 20: ≤ 1×).
func writeOpenRatios(b *strings.Builder, r clientsResult) {
	off := serverIndex(r, "official registry")
	if off < 0 {
		return
	}
	p99 := func(o openStats) time.Duration { return o.p99 }
	p999 := func(o openStats) time.Duration { return o.p999 }
	var parts []string
	for _, ti := range tarscacheIndexes(r) {
		parts = append(parts, fmt.Sprintf("%s %.2f× / %.2f×", r.servers[ti].name,
			openMedian(r.open[ti], p99)/openMedian(r.open[off], p99), openMedian(r.open[ti], p999)/openMedian(r.open[off], p999)))
	}
	fmt.Fprintf(b, "\nMedian p99 / p99.9 against the official registry's (target ≤ 1×): %s.\n", strings.Join(parts, "; "))
}

// openMedian is the median over open-loop runs of the duration f picks.
func openMedian(runs []openStats, f func(openStats) time.Duration) float64 {
	return medianOf(runs, func(o openStats) float64 { return float64(f(o)) })
}
