package snapshot

import (
	"slices"

	"github.com/tarscache/tarscache/protocol/endpointf"
)

// Lists is one QueryF answer: the active and the inactive endpoints, and (in a
// Snapshot's entries) their Tars encoding, built on first use (Wire).
type Lists struct {
	Active, Inactive []endpointf.EndpointF

	// wire is the encoding's cell, shared by the copies of an Entry's Lists; nil
	// for a Lists built elsewhere.
	wire *lazyWire
}

// Empty reports whether both lists are empty.
func (l Lists) Empty() bool { return len(l.Active) == 0 && len(l.Inactive) == 0 }

// SetMatch says how Entry.InSet resolved a set id.
type SetMatch int

const (
	// SetUnknown: the servant has no endpoint in a set of that name; the
	// registry answers with the IDC group logic instead.
	SetUnknown SetMatch = iota
	// SetFound: endpoints of the set were found (active, inactive or both).
	SetFound
	// SetEmpty: the set name is known but nothing matches the area and group.
	SetEmpty
)

// setArea holds a servant's set endpoints of one set_name and set_area.
type setArea struct {
	// all is every endpoint of the area, the answer to a "name.area.*" query.
	all Lists
	// groups holds the endpoints of each set_group ("*" included).
	groups map[string]Lists
}

// InGroup is the findObjectByIdInSameGroup answer for a client in IDC group g
// (Snapshot.GroupOf): the result of the registry's group-priority walk, computed
// when the entry was built. A client in no group (-1) gets All.
func (e *Entry) InGroup(g int32) Lists {
	if g == -1 {
		return e.AllLists() // also when a rule's group_id itself reads as -1
	}
	if l, ok := e.byGroup[g]; ok {
		return l
	}
	return e.AllLists()
}

// InStation is the findObjectByIdInSameStation answer for a station the snapshot
// knows (Snapshot.HasStation): the endpoints whose grouprealid is in the station's
// first priority row. It may be empty.
func (e *Entry) InStation(station string) Lists { return e.byStation[station] }

// InSet resolves a set id already split into name, area and group (group "*"
// asks for the whole area): the endpoints of that set group, else of the area's
// wildcard group "*" when the exact group has none at all.
func (e *Entry) InSet(name, area, group string) (Lists, SetMatch) {
	areas, ok := e.sets[name]
	if !ok {
		return Lists{}, SetUnknown
	}
	a, ok := areas[area]
	if !ok {
		return Lists{}, SetEmpty
	}
	if group == "*" {
		return a.all, SetFound
	}
	if l, ok := a.groups[group]; ok {
		return l, SetFound
	}
	if l, ok := a.groups["*"]; ok {
		return l, SetFound
	}
	return Lists{}, SetEmpty
}

// wired is one endpoint on its way into an Entry: the record's endpoint and its
// EndpointF in the entry's All lists.
type wired struct {
	ep     *Endpoint
	f      *endpointf.EndpointF
	active bool
}

// builder computes the precomputed answers of one entry.
type builder struct {
	eps []wired
	all Lists
	x   *Index
}

// newBuilder builds the EndpointF of every endpoint of s into All, sized exactly.
func newBuilder(s *Servant, x *Index) *builder {
	b := &builder{eps: make([]wired, len(s.Endpoints)), x: x}
	b.all = allLists(s, x, b.eps)
	return b
}

// allLists builds the All lists of s with x, sized exactly, and, when eps is not
// nil, records each endpoint there with its EndpointF.
func allLists(s *Servant, x *Index, eps []wired) Lists {
	active := s.CountActive()
	all := Lists{Active: make([]endpointf.EndpointF, 0, active), Inactive: make([]endpointf.EndpointF, 0, len(s.Endpoints)-active)}
	for i := range s.Endpoints {
		ep := &s.Endpoints[i]
		real := x.realGroup(ep)
		list := &all.Inactive
		if ep.Active {
			list = &all.Active
		}
		*list = append(*list, wireEndpoint(ep, real, x.workGroup(ep, real)))
		if eps != nil {
			eps[i] = wired{ep: ep, f: &(*list)[len(*list)-1], active: ep.Active}
		}
	}
	return all
}

func (l *Lists) add(w *wired) {
	if w.active {
		l.Active = append(l.Active, *w.f)
	} else {
		l.Inactive = append(l.Inactive, *w.f)
	}
}

// pick returns the endpoints that match keep, sharing b.all when all do.
func (b *builder) pick(keep func(*wired) bool) Lists {
	n := 0
	for i := range b.eps {
		if keep(&b.eps[i]) {
			n++
		}
	}
	if n == len(b.eps) {
		return b.all
	}
	var l Lists
	for i := range b.eps {
		if keep(&b.eps[i]) {
			l.add(&b.eps[i])
		}
	}
	return l
}

// activeAny reports whether an active endpoint matches keep.
func (b *builder) activeAny(keep func(*wired) bool) bool {
	for i := range b.eps {
		if b.eps[i].active && keep(&b.eps[i]) {
			return true
		}
	}
	return false
}

// groupAnswers runs the group-priority walk for every group a client can be in
// and keeps the answers that differ from All.
func (b *builder) groupAnswers() map[int32]Lists {
	var out map[int32]Lists
	for _, g := range b.x.clientGroups {
		if g == -1 {
			continue // the registry answers everything to a client in group -1
		}
		l := b.pick(b.walk(g))
		if len(l.Active) != len(b.all.Active) || len(l.Inactive) != len(b.all.Inactive) {
			if out == nil {
				out = map[int32]Lists{}
			}
			out[g] = l
		}
	}
	return out
}

// walkStep is one step of the registry's group-priority walk: which endpoints it
// keeps, and what it is (a priority row's index in Groups.Priorities, or one of
// the step kinds below) so that an explanation can name it.
type walkStep struct {
	kind     int
	priority int
	keep     func(*wired) bool
}

// The kinds of walkStep.
const (
	stepOwnGroup = iota
	stepPriority
	stepNoGroup
	stepEverything
)

// walkSteps are the steps of the walk for a client in group g, in order: the
// client's own group, each priority row holding it in list order, the endpoints
// without a group, then everything.
func (b *builder) walkSteps(g int32) []walkStep {
	steps := []walkStep{{kind: stepOwnGroup, keep: func(w *wired) bool { return w.f.Groupworkid == g }}}
	for i, p := range b.x.groups.Priorities {
		if _, ok := slices.BinarySearch(p.Groups, g); ok {
			steps = append(steps, walkStep{kind: stepPriority, priority: i, keep: inGroups(p.Groups, false)})
		}
	}
	steps = append(steps, walkStep{kind: stepNoGroup, keep: func(w *wired) bool { return w.f.Groupworkid == -1 }})
	return append(steps, walkStep{kind: stepEverything, keep: func(*wired) bool { return true }})
}

// walk returns the filter of the first step of the registry's walk whose active
// list is not empty, or of the last (everything).
func (b *builder) walk(g int32) func(*wired) bool {
	steps := b.walkSteps(g)
	return steps[b.decidingStep(steps)].keep
}

// decidingStep is the index of the step whose lists answer: the first with an
// active endpoint, else the last.
func (b *builder) decidingStep(steps []walkStep) int {
	for i, s := range steps[:len(steps)-1] {
		if b.activeAny(s.keep) {
			return i
		}
	}
	return len(steps) - 1
}

// inGroups matches endpoints whose groupworkid (or grouprealid) is in ids.
func inGroups(ids []int32, real bool) func(*wired) bool {
	return func(w *wired) bool {
		id := w.f.Groupworkid
		if real {
			id = w.f.Grouprealid
		}
		_, ok := slices.BinarySearch(ids, id)
		return ok
	}
}

// stationAnswers computes the answer of every station, keeping the non-empty ones.
func (b *builder) stationAnswers() map[string]Lists {
	var out map[string]Lists
	for station, i := range b.x.stations {
		l := b.pick(inGroups(b.x.groups.Priorities[i].Groups, true))
		if !l.Empty() {
			if out == nil {
				out = map[string]Lists{}
			}
			out[station] = l
		}
	}
	return out
}

// setAnswers indexes the endpoints of valid sets by name, area and group.
func (b *builder) setAnswers() map[string]map[string]*setArea {
	var out map[string]map[string]*setArea
	for i := range b.eps {
		w := &b.eps[i]
		if !inSetIndex(w.ep) {
			continue
		}
		if out == nil {
			out = map[string]map[string]*setArea{}
		}
		areaOf(out, w.ep).addTo(w)
	}
	return out
}

func areaOf(sets map[string]map[string]*setArea, ep *Endpoint) *setArea {
	areas := sets[ep.SetName]
	if areas == nil {
		areas = map[string]*setArea{}
		sets[ep.SetName] = areas
	}
	a := areas[ep.SetArea]
	if a == nil {
		a = &setArea{groups: map[string]Lists{}}
		areas[ep.SetArea] = a
	}
	return a
}

func (a *setArea) addTo(w *wired) {
	a.all.add(w)
	l := a.groups[w.ep.SetGroup]
	l.add(w)
	a.groups[w.ep.SetGroup] = l
}

// anyInSetIndex reports whether an endpoint of s is in the set index.
func anyInSetIndex(s *Servant) bool {
	for i := range s.Endpoints {
		if inSetIndex(&s.Endpoints[i]) {
			return true
		}
	}
	return false
}

// inSetIndex is the registry's rule for the set index: enable_set on, name, area
// and group not empty, and neither name nor area the wildcard "*".
func inSetIndex(ep *Endpoint) bool {
	return ep.EnableSet && ep.SetName != "" && ep.SetArea != "" && ep.SetGroup != "" &&
		ep.SetName != "*" && ep.SetArea != "*"
}
