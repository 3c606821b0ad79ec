package snapshot

import (
	"fmt"
	"strconv"
	"strings"
)

// The functions of this file explain answers for people (tarscache explain, the
// status page). They run the same code that built the answers, on demand; nothing
// here is on the QueryF path.

// GroupRule returns the allow_ip_rule entry by which the registry's getGroupId
// puts client in its group (GroupOf): the client's own name or address, or the
// "a.b.c.*" wildcard derived from it; "" when the client is in no group.
func (s *Snapshot) GroupRule(client string) string {
	x := s.index
	if _, ok := x.groups.Addresses[client]; ok {
		return client
	}
	k := starKey(client)
	if _, ok := x.wild[k]; ok {
		return fmt.Sprintf("%d.%d.%d.*", k[0], k[1], k[2])
	}
	return ""
}

// StationRow returns the priority row findObjectByIdInSameStation uses for
// station: the first by list_order that names it.
func (s *Snapshot) StationRow(station string) (Priority, bool) {
	i, ok := s.index.stations[station]
	if !ok {
		return Priority{}, false
	}
	return s.index.groups.Priorities[i], true
}

// WalkStep is one step of the group-priority walk for one servant and client
// group, as WalkOf reports it.
type WalkStep struct {
	// Step names the step: "own group 3", "t_group_priority id=2 (groups 3, 4)",
	// "endpoints without a group (-1)" or "every endpoint".
	Step string
	// Active and Inactive count the endpoints the step keeps.
	Active, Inactive int
	// Decides marks the step whose lists are the answer: the first with an
	// active endpoint, else the last.
	Decides bool
}

// WalkOf replays, for the entry of servant id and a client in group g, the walk
// its InGroup answer was built with, step by step, and returns the steps and the
// lists they lead to. It returns false when the snapshot has no entry for id.
func (s *Snapshot) WalkOf(id string, g int32) ([]WalkStep, Lists, bool) {
	e, ok := s.Lookup(id)
	if !ok {
		return nil, Lists{}, false
	}
	b := newBuilder(&e.Servant, s.index)
	steps := b.walkSteps(g)
	decides := b.decidingStep(steps)
	out := make([]WalkStep, 0, len(steps))
	for i, st := range steps {
		l := b.pick(st.keep)
		out = append(out, WalkStep{Step: s.stepName(st, g), Active: len(l.Active), Inactive: len(l.Inactive), Decides: i == decides})
		if i == decides {
			return out, l, true
		}
	}
	return out, Lists{}, true // not reached: the last step always decides
}

func (s *Snapshot) stepName(st walkStep, g int32) string {
	switch st.kind {
	case stepOwnGroup:
		return "own group " + strconv.Itoa(int(g))
	case stepPriority:
		p := s.index.groups.Priorities[st.priority]
		return fmt.Sprintf("t_group_priority id=%d (groups %s)", p.ID, joinIDs(p.Groups))
	case stepNoGroup:
		return "endpoints without a group (-1)"
	}
	return "every endpoint"
}

func joinIDs(ids []int32) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(int(id))
	}
	return strings.Join(parts, ", ")
}

// SetGroupUsed names the set group whose endpoints InSet answers for name, area
// and group when it finds some: group itself, "*" when the area's wildcard group
// stands in for a group without endpoints, or "" when group is "*" (the whole area).
func (e *Entry) SetGroupUsed(name, area, group string) string {
	if group == "*" {
		return ""
	}
	if a, ok := e.sets[name][area]; ok {
		if _, ok := a.groups[group]; !ok {
			return "*"
		}
	}
	return group
}

// HasSetName reports whether the entry has endpoints in the set index under name.
func (e *Entry) HasSetName(name string) bool {
	_, ok := e.sets[name]
	return ok
}
