package main

import (
	"os"
	"runtime/debug"

	"github.com/tarscache/tarscache/cache"
)

// gcPercent is the garbage collector's target that tarscache sets for itself
// unless the operator sets GOGC: the heap may grow 50% past what the last
// collection left live, where Go's default lets it double. A full sync builds
// every record anew next to the ones it replaces, so at a million endpoints the
// default would put the peak near 2× the live heap; 50 keeps it near 1.5× for
// about a quarter more CPU during that sync. Serving allocates little, so
// collections stay rare in between.
const gcPercent = 50

// setMemoryPolicy applies gcPercent when GOGC is not set, and then has the cache
// file loaded with the collector off (cache.PauseGCWhileLoading): a load
// allocates little besides what it keeps, so collecting during it costs CPU
// and saves nothing. GOGC and GOMEMLIMIT keep their usual meaning for an
// operator who wants another trade.
func setMemoryPolicy() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
		cache.PauseGCWhileLoading(true)
	}
}
