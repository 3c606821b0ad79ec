// Package tarstest gives tests stock TarsGo QueryF clients and raw Tars packets.
//
// It is a test helper: _test.go files and the development tools under
// internal/tools import it, never the product.
package tarstest
