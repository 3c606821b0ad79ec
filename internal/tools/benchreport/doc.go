// Command benchreport runs tarscache's benchmarks and writes their medians to a
// Markdown file ("make bench" writes docs/benchmarks.md):
//
//	go run ./internal/tools/benchreport -out docs/benchmarks.md [-count 5]
//
// It runs go test twice: once for every benchmark of ./cache, ./sync and ./tars
// except the 100,000-row syncs, then for those, which are slow to set up and take
// about half a second per iteration, with a fixed iteration count. Each benchmark
// runs -count times; the report gives the median ns/op, B/op and allocs/op. When
// a go test run fails, benchreport prints its output and exits 1. The benchmarks
// that need a database use internal/testkit/testdb (TARSCACHE_TEST_MYSQL, by default root
// on 127.0.0.1:3306).
//
// Then it runs internal/tools/loadgen twice and appends what each prints: with
// -clients (the query path as the stock TarsGo client calls it, side by side with
// the official registry when TARSCACHE_OFFICIAL_REGISTRY and
// TARSCACHE_OFFICIAL_TOOLS name it; -clients-flags adds flags), then without (a
// running process: the pipelined ceiling, start-up, MySQL load). The scale section
// that make bench-scale wrote is kept.
package main
