package cache

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

// Impact computes what applying st would remove. It reads the current snapshot
// only and writes nothing.
func (c *Cache) Impact(st *State) Impact {
	cur := c.Snapshot()
	imp := Impact{Servants: cur.Len()}
	ids := make(map[string]struct{}, len(st.Servants))
	for i := range st.Servants {
		ids[st.Servants[i].ID] = struct{}{}
		for j := range st.Servants[i].Endpoints {
			if st.Servants[i].Endpoints[j].Active {
				imp.ActiveAfter++
			}
		}
	}
	for id, e := range cur.entries {
		imp.ActiveBefore += len(e.All.Active)
		if _, ok := ids[id]; !ok {
			imp.Removed++
		}
	}
	return imp
}
