package subset

import "github.com/tarscache/tarscache/protocol/endpointf"

// Filter returns the endpoints of eps whose Subset is subset. When none is, or subset
// is "" (no subset was chosen), it returns eps itself: a request is never routed into a
// black hole. It also returns eps itself when every endpoint is in subset, and
// otherwise a new slice; it never modifies eps, so callers must not modify the result
// either when eps is shared.
func Filter(eps []endpointf.EndpointF, subset string) []endpointf.EndpointF {
	if subset == "" {
		return eps
	}
	n := Count(eps, subset)
	if n == 0 || n == len(eps) {
		return eps
	}
	kept := make([]endpointf.EndpointF, 0, n)
	for i := range eps {
		if eps[i].Subset == subset {
			kept = append(kept, eps[i])
		}
	}
	return kept
}

// Count returns how many endpoints of eps are labelled subset: when it is 0, Filter
// falls back to all of eps.
func Count(eps []endpointf.EndpointF, subset string) int {
	n := 0
	for i := range eps {
		if eps[i].Subset == subset {
			n++
		}
	}
	return n
}
