// Command loadgen measures tarscache as a running process, the figures go test
// benchmarks cannot give, and prints them as a Markdown section ("make bench" puts
// it in docs/benchmarks.md):
//
//		go run ./internal/tools/loadgen [-rounds 3] [-seconds 2]
//
//	  - Query throughput over loopback, pipelined: the ceiling of the server alone, not
//	    how clients call (see -clients). findObjectByIdInSameGroup of a servant of 10
//	    endpoints, closed loop (a fixed number of requests in flight on several
//	    connections), against tarscache serve and against a baseline stock TarsGo
//	    server that answers the same reply as a constant (internal/tools/stockserver),
//	    in alternating rounds of one run; then the latency at half of each one's
//	    maximum throughput, open loop (requests sent on schedule, delays measured from
//	    the schedule).
//	  - Start: from exec to the first answer, with a file of 20,000 servants × 5
//	    endpoints and MySQL unreachable; the resident memory serving them; the file size.
//	  - MySQL load of one replica: statements and rows read per sync, idle and under
//	    churn, from MariaDB's global status (Questions, Handler_read_*) (TARSCACHE_TEST_MYSQL, by default root on
//	    127.0.0.1:3306; a database of its own, dropped at the end).
//
// With -clients (make bench runs it first; make bench-clients alone) it measures the
// query path the way Tars clients call it, side by side, in one run, and rewrites
// its section of -out (docs/benchmarks.md; -out "" only prints it):
//
//	go run ./internal/tools/loadgen -clients [-duration 5s] [-runs 5] [-servers tarscache,official,stock]
//	    [-tarscache-bin A -label a -tarscache-bin-b B -label-b b] [-serve-flags-b=--batch-window=0]
//	    [-many-conns 1000] [-burst 10000]
//
// The servers are tarscache (built from ./cmd/tarscache unless -tarscache-bin names
// a binary; -tarscache-bin-b adds a second build, for before/after, and
// -serve-flags-b a second tarscache serving with those flags, which make bench
// uses to load it once without its batch window), the official C++
// registry and the constant stock TarsGo servant (internal/tools/stockserver). They
// load the same rows, a servant of 10 active endpoints in one set, from a database
// of their own (uniquely named, dropped at the end). The official registry runs
// only when TARSCACHE_OFFICIAL_REGISTRY names its executable and
// TARSCACHE_OFFICIAL_TOOLS the folder of its run.sh and extra-tables.sql
// (/work/shared/tools/official-registry); otherwise its columns are left out with a
// note saying so. The load is the stock TarsGo client of go.mod's version, in this
// process (stockclient.go says how it is given several connections):
//
//   - Closed loop (calls.go): -client-conns connections × -callers callers, each
//     making one call at a time, for findObjectByIdInSameGroup, findObjectById4Any
//     and findObjectByIdInSameSet, -runs runs of -duration per server alternating
//     between the servers; medians of calls/s, p50, p99 and calls per server
//     CPU-second (utime+stime from /proc/PID/stat, procstat.go), with the ratios
//     of each tarscache build to the official registry (and of build b to a).
//   - Open loop: findObjectByIdInSameGroup at half the official registry's median
//     closed-loop rate (without it, half the slowest server's), each call sent at
//     its scheduled time and measured from it, -runs runs per server alternating
//     between the servers: medians of p50, p99 and p99.9, each run's p99.9, and
//     the ratios of each tarscache build's to the official registry's.
//   - Bursts (manyconns.go): -bursts bursts of -burst calls released at once on one
//     connection, as a TarsGo process refreshing its servants, after one unmeasured
//     burst per server: errors and each burst's p99.
//   - Many connections: -many-conns connections each making one call per second
//     for -duration, after one unmeasured second: errors and p99.
//
// -many-conns 0 and -burst 0 skip those parts. With the defaults and four
// servers it takes about 10 minutes (make bench: about 20).
//
// With -scale (make bench-scale) it measures the scale curve instead, at the
// given endpoint counts, and rewrites its section of docs/benchmarks.md (scale.go
// says how each figure is taken):
//
//	go run ./internal/tools/loadgen -scale 10000,100000,1000000 [-out docs/benchmarks.md]
//
// Each size is a database of its own, generated with MariaDB's sequence engine and
// dropped at the end; 1,000,000 endpoints take about 2 GB of it while they exist.
//
// The load generator shares the machine with the servers: absolute rates are the
// machine's, the ratio between the two servers is the figure.
package main
