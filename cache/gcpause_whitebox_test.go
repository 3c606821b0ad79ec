package cache

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// gcPercent reads the collector's target without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// Loads pause the collector only when asked; concurrent loads keep it off until
// the last is done, which restores the target it had before the first.
func TestPauseGC_nestedLoadsRestoreTheTarget(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(73))
	defer PauseGCWhileLoading(false)

	pauseGC()()
	require.Equal(t, 73, gcPercent(), "off by default")

	PauseGCWhileLoading(true)
	first := pauseGC()
	require.Equal(t, -1, gcPercent())
	second := pauseGC()
	first()
	require.Equal(t, -1, gcPercent(), "a load still runs")
	second()
	require.Equal(t, 73, gcPercent())
}

// Open with the pause on loads the file and leaves the collector's target as
// it found it.
func TestOpen_pausesGCAndRestoresIt(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	PauseGCWhileLoading(true)
	defer PauseGCWhileLoading(false)
	c, err := Open(t.TempDir()+"/tarscache.db", Options{})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.Equal(t, 50, gcPercent())
}
