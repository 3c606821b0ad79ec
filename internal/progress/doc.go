// Package progress shows on a terminal what a long command is doing: one line,
// redrawn in place a few times a second, with what is being done, how far it
// got and how long it has taken, erased when the step ends.
//
// It does not draw anywhere but a terminal: on a pipe, a file or a test buffer a
// Line writes nothing, so scripts and logs never see it. It does not estimate
// remaining time.
//
// # Concurrency
//
// Each Line owns one goroutine, started by Start and ended by Stop,
// which must be called exactly once. The status function runs on that goroutine
// and must be safe to call while the step runs (read counters atomically).
package progress
