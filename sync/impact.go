package sync

import (
	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
)

// Impact says how much of what is served a State would take away: the numbers
// a caller needs to refuse a fetch that looks like a database accident rather
// than a change (a truncated table, a mass timeout).
type Impact struct {
	// Servants is the number of servants served now; Removed how many of them the
	// State no longer has.
	Servants, Removed int
	// ActiveBefore and ActiveAfter count the active endpoints served now and
	// after the State is applied.
	ActiveBefore, ActiveAfter int
}

// impactOf computes what applying st over the snapshot cur would remove: the
// numbers mass-removal protection (protect.go) decides on.
func impactOf(cur *snapshot.Snapshot, st *cache.State) Impact {
	imp := Impact{Servants: cur.Len(), ActiveBefore: cur.ActiveEndpoints()}
	if st.Partial {
		return partialImpact(cur, st, imp)
	}
	// A fetch names each servant once (the builder keys them by id): the
	// stored servants it does not name are those removed.
	kept := 0
	for i := range st.Servants {
		if _, ok := cur.Stored(st.Servants[i].ID); ok {
			kept++
		}
		imp.ActiveAfter += st.Servants[i].CountActive()
	}
	imp.Removed = imp.Servants - kept
	return imp
}

// partialImpact is Impact for an incremental fetch: the servants it does not
// name keep their endpoints.
func partialImpact(cur *snapshot.Snapshot, st *cache.State, imp Impact) Impact {
	imp.ActiveAfter = imp.ActiveBefore
	gone := make(map[string]struct{}, len(st.Removed))
	for _, id := range st.Removed {
		if e, ok := cur.Stored(id); ok {
			if _, dup := gone[id]; !dup {
				imp.Removed++
				imp.ActiveAfter -= e.Servant.CountActive()
			}
			gone[id] = struct{}{}
		}
	}
	for i := range st.Servants {
		if e, ok := cur.Stored(st.Servants[i].ID); ok {
			imp.ActiveAfter -= e.Servant.CountActive()
		}
		imp.ActiveAfter += st.Servants[i].CountActive()
	}
	return imp
}
