// Package promtest reads single values out of a Prometheus registry in tests.
//
// It does not compare whole expositions (prometheus/testutil does); it answers
// "what is this series now", which is what most tests of metrics ask.
// Concurrency: Value gathers on each call and is safe from any goroutine.
//
// It is a test helper: only _test.go files import it.
package promtest
