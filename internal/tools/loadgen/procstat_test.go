package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestParseStat_fields: utime and stime are fields 14 and 15, counted after the
// command name even when it holds spaces and parentheses.
func TestParseStat_fields(t *testing.T) {
	cases := []struct {
		name, line string
		want       time.Duration
	}{
		{"plain", "4242 (tarscache) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 130 0 0 20 0 9 0 100 0 0", 3800 * time.Millisecond},
		{"spaces and parens", "7 (tars registry) (x)) R 1 7 7 0 -1 0 0 0 0 0 5 1 0 0 20 0 1 0 1 0 0", 60 * time.Millisecond},
	}
	for _, c := range cases {
		got, err := parseStat(c.line)
		require.NoError(t, err, c.name)
		require.Equal(t, c.want, got, c.name)
	}
}

// TestParseStat_bad: a line without a name or with too few or non-numeric fields
// is an error.
func TestParseStat_bad(t *testing.T) {
	for _, line := range []string{"", "1 x S 1", "1 (x) S 1 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 u 1 0"} {
		_, err := parseStat(line)
		require.Error(t, err, line)
	}
}

// TestCPUTime_self: the test process's own CPU time reads and does not go back.
func TestCPUTime_self(t *testing.T) {
	m, err := startCPU(os.Getpid())
	require.NoError(t, err)
	used, err := m.used()
	require.NoError(t, err)
	require.GreaterOrEqual(t, used, time.Duration(0))
}
