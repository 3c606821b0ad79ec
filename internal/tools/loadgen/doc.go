// Command loadgen measures tarscache as a running process, the figures go test
// benchmarks cannot give, and prints them as a Markdown section ("make bench" puts
// it in docs/benchmarks.md):
//
//		go run ./internal/tools/loadgen [-rounds 3] [-seconds 2]
//
//	  - Query throughput over loopback: findObjectByIdInSameGroup of a servant of 10
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
