package cache

import (
	"runtime/debug"
	"sync"
)

// loadGC is the process-wide switch of PauseGCWhileLoading and the count of
// loads that hold the collector off.
var loadGC struct {
	// mu guards on, loading and saved.
	mu sync.Mutex
	// on is PauseGCWhileLoading's setting.
	on bool
	// loading counts the Opens loading with the collector off; the first saves
	// the collector's target and the last restores it.
	loading int
	saved   int
}

// PauseGCWhileLoading makes every later Open in the process turn Go's garbage
// collector off (debug.SetGCPercent(-1)) while it decodes the file, and restore
// the previous target when it is done (when the last of several concurrent Opens
// is done). Decoding allocates little besides what the snapshot keeps, so the
// collector would walk a growing heap again and again for nothing: at a million
// endpoints it was a third of Open's CPU. The heap's peak during a load is then
// what the snapshot holds plus a few percent, below the 1.5× the process's own
// target (GOGC 50) would allow. It is process-wide, like the collector's target:
// the tarscache command calls it for every subcommand when the operator has not
// set GOGC (cmd/tarscache/memory.go), so that an
// operator's GOGC is obeyed as set (a GOMEMLIMIT still applies while the
// collector is off). Off by default.
func PauseGCWhileLoading(on bool) {
	loadGC.mu.Lock()
	defer loadGC.mu.Unlock()
	loadGC.on = on
}

// pauseGC turns the collector off for a load when PauseGCWhileLoading asked for
// it, and returns the function that turns it back on.
func pauseGC() (resume func()) {
	loadGC.mu.Lock()
	defer loadGC.mu.Unlock()
	if !loadGC.on {
		return func() {}
	}
	if loadGC.loading == 0 {
		loadGC.saved = debug.SetGCPercent(-1)
	}
	loadGC.loading++
	return func() {
		loadGC.mu.Lock()
		defer loadGC.mu.Unlock()
		loadGC.loading--
		if loadGC.loading == 0 {
			debug.SetGCPercent(loadGC.saved)
		}
	}
}
