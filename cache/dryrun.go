package cache

import (
	"fmt"
	"slices"
)

// Plan is what an Apply of a State would change, computed without writing.
type Plan struct {
	// Added, Changed and Removed name the servants that would be written new,
	// rewritten and deleted, each sorted.
	Added, Changed, Removed []string
	// Unchanged counts the servants whose version would stay.
	Unchanged int
	// GroupsChanged reports that the IDC group configuration would be written.
	GroupsChanged bool
	// RulesChanged and RulesRemoved name the servants whose subset rules would be
	// written (new or changed) and deleted, each sorted.
	RulesChanged, RulesRemoved []string
}

// Plan validates st as Apply does and returns what applying it would change. It
// writes nothing and leaves st's endpoints sorted into canonical order.
func (c *Cache) Plan(st State) (Plan, error) {
	cur := c.snap.Load()
	ch, err := diff(cur, &st)
	if err != nil {
		return Plan{}, fmt.Errorf("cache: plan: %w", err)
	}
	p := Plan{Removed: slices.Sorted(slices.Values(ch.removed)), Unchanged: ch.same, GroupsChanged: ch.groupsChanged}
	for _, e := range ch.put {
		if _, ok := cur.Stored(e.Servant.ID); ok {
			p.Changed = append(p.Changed, e.Servant.ID)
		} else {
			p.Added = append(p.Added, e.Servant.ID)
		}
	}
	slices.Sort(p.Added)
	slices.Sort(p.Changed)
	for _, e := range ch.rules.put {
		p.RulesChanged = append(p.RulesChanged, e.Rule.Servant)
	}
	slices.Sort(p.RulesChanged)
	p.RulesRemoved = slices.Sorted(slices.Values(ch.rules.removed))
	return p, nil
}
