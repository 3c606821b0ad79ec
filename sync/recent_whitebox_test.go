package sync

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The history keeps the last recentSyncs syncs, the latest first, each with its
// result.
func TestSyncer_Recent_keepsTheLatest(t *testing.T) {
	s := &Syncer{}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range recentSyncs + 5 {
		var err error
		res := &Result{}
		switch i % 3 {
		case 1:
			err = errors.New("sync: read: connection refused")
		case 2:
			res.Held = &Held{}
		}
		s.record(t0.Add(time.Duration(i)*time.Second), time.Millisecond, res, err)
	}
	got := s.Recent()
	require.Len(t, got, recentSyncs)
	require.Equal(t, t0.Add(time.Duration(recentSyncs+4)*time.Second), got[0].Start, "latest first")
	require.Equal(t, t0.Add(5*time.Second), got[recentSyncs-1].Start, "the oldest kept")
	require.Equal(t, resultHeld, got[1].Result)   // i = 23
	require.Equal(t, resultFailed, got[2].Result) // i = 22
	require.Equal(t, "sync: read: connection refused", got[2].Err)
	require.Equal(t, resultApplied, got[3].Result)
}
