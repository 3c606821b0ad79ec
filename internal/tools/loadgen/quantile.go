package main

import (
	"slices"
	"time"
)

// quantiles holds the latencies of one measurement, sorted, for reading
// percentiles from.
type quantiles struct{ sorted []time.Duration }

// newQuantiles sorts lat in place and keeps it.
func newQuantiles(lat []time.Duration) quantiles {
	slices.Sort(lat)
	return quantiles{sorted: lat}
}

// at returns the q-quantile (0 ≤ q ≤ 1) by the nearest-rank method: the smallest
// latency that at least q of all latencies do not exceed; 0 when there are none.
func (s quantiles) at(q float64) time.Duration {
	n := len(s.sorted)
	if n == 0 {
		return 0
	}
	rank := int(q*float64(n) + 0.999999999) // ceil without float noise at exact ranks
	return s.sorted[min(max(rank, 1), n)-1]
}

// count is the number of latencies.
func (s quantiles) count() int { return len(s.sorted) }
