package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestQuantiles_at_nearestRank: a percentile is the smallest value at least that
// share of the values do not exceed.
func TestQuantiles_at_nearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1000; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, time.Duration(i)*time.Microsecond)
	}
	q := newQuantiles(lat)
	cases := []struct {
		q    float64
		want time.Duration
	}{
		{0, time.Microsecond},
		{0.5, 500 * time.Microsecond},
		{0.99, 990 * time.Microsecond},
		{0.999, 999 * time.Microsecond},
		{1, 1000 * time.Microsecond},
	}
	for _, c := range cases {
		require.Equal(t, c.want, q.at(c.q), "q=%v", c.q)
	}
	require.Equal(t, 1000, q.count())
}

// TestQuantiles_at_smallSets: with few values the tail is the largest one, and no
// values give 0.
func TestQuantiles_at_smallSets(t *testing.T) {
	require.Equal(t, time.Duration(0), newQuantiles(nil).at(0.99))
	q := newQuantiles([]time.Duration{3, 1, 2})
	require.Equal(t, time.Duration(2), q.at(0.5))
	require.Equal(t, time.Duration(3), q.at(0.99))
	require.Equal(t, time.Duration(3), q.at(0.999))
}
