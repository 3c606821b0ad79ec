package sync

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Which fetches are held, and why.
func TestProtection_reason(t *testing.T) {
	cases := []struct {
		name      string
		threshold float64
		imp       Impact
		want      string
	}{
		{"first sync into an empty file", 50, Impact{ActiveAfter: 10}, ""},
		{"half the servants is not more than half", 50, Impact{Servants: 10, Removed: 5, ActiveBefore: 10, ActiveAfter: 5}, ""},
		{"more than half the servants", 50, Impact{Servants: 10, Removed: 6, ActiveBefore: 10, ActiveAfter: 10},
			"it would remove 6 of 10 servants (60%, more than 50%)"},
		{"more than half the active endpoints", 50, Impact{Servants: 10, ActiveBefore: 40, ActiveAfter: 10},
			"it would take away 30 of 40 active endpoints (75%, more than 50%)"},
		{"more active endpoints is fine", 50, Impact{Servants: 10, ActiveBefore: 4, ActiveAfter: 40}, ""},
		{"every servant, whatever the threshold", -1, Impact{Servants: 1, Removed: 1, ActiveBefore: 1},
			"it would remove all 1 servants"},
		{"a negative threshold keeps only the every-servant rule", -1, Impact{Servants: 10, Removed: 9, ActiveBefore: 10}, ""},
	}
	for _, tc := range cases {
		p := protection{threshold: tc.threshold}
		require.Equal(t, tc.want, p.reason(tc.imp), tc.name)
	}
}

// A held fetch keeps the time it was first held; acceptance applies the next
// fetch once and clears it.
func TestProtection_checkAndAccept(t *testing.T) {
	p := protection{threshold: 50}
	mass := Impact{Servants: 10, Removed: 9}
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	h := p.check(mass, t0)
	require.NotNil(t, h)
	again := p.check(Impact{Servants: 10, Removed: 8}, t0.Add(time.Minute))
	require.Equal(t, t0, again.Since)
	p.accept = true
	require.Nil(t, p.check(mass, t0.Add(2*time.Minute)))
	require.Nil(t, p.held)
	require.NotNil(t, p.check(mass, t0.Add(3*time.Minute)), "acceptance is for one fetch")
}
