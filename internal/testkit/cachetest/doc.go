// Package cachetest opens tarscache files for tests and checks them when the test ends.
//
// It is a test helper: only _test.go files import it.
package cachetest
