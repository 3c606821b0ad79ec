package tars

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/protocol/endpointf"
)

// ExplainMethods are the method names Explain takes (those of tarscache query
// --method), with their wire names.
var ExplainMethods = map[string]string{
	"byid": "findObjectById", "any": "findObjectById4Any", "all": "findObjectById4All",
	"samegroup": "findObjectByIdInSameGroup", "station": "findObjectByIdInSameStation", "set": "findObjectByIdInSameSet",
}

// ExplainRequest is one QueryF question to explain.
type ExplainRequest struct {
	// Method is one of ExplainMethods' names.
	Method string `json:"method"`
	// ID is the servant asked for.
	ID string `json:"id"`
	// Arg is the station (method station) or the setId (method set).
	Arg string `json:"arg,omitempty"`
	// Caller is who asks, as the registry knows the client: its request
	// context's node_name, else its IP address.
	Caller string `json:"caller,omitempty"`
}

// Explanation is the answer QueryF gives to an ExplainRequest and how it was
// reached, step by step.
type Explanation struct {
	Request ExplainRequest `json:"request"`
	// RPC is the method's wire name.
	RPC string `json:"rpc"`
	// Ret, Active and Inactive are the answer, exactly as QueryF gives it from
	// the same snapshot (findObjectById has no ret and no inactive list).
	Ret      int32                 `json:"ret"`
	Active   []endpointf.EndpointF `json:"active"`
	Inactive []endpointf.EndpointF `json:"inactive"`
	// Rule names the rule of the official registry that decided the answer.
	Rule string `json:"rule"`
	// Steps say how the answer was reached, in order.
	Steps []string `json:"steps"`
	// Walk is the group-priority walk, when the answer came from one.
	Walk []snapshot.WalkStep `json:"walk,omitempty"`
	// Left are the endpoints of the servant's record that are not in the answer,
	// each with why.
	Left []string `json:"left"`
	// Routes are where a sample of route keys goes when the servant has a subset
	// rule in force.
	Routes []KeyRoute `json:"routes,omitempty"`
}

// KeyRoute is where the subset rule sends sample route keys: Keys of the sample
// go to Subset ("" when a key rule leaves them unfiltered), Key being the first.
type KeyRoute struct {
	Key    string `json:"key"`
	Subset string `json:"subset"`
	Keys   int    `json:"keys"`
	// Endpoints are the active endpoints of the answer a client keeps for the key.
	Endpoints int `json:"endpoints"`
}

// Explain answers req from snap as the Handler does, with the same code, and
// says how: who the caller is for the IDC groups and by which allow_ip_rule entry,
// the priority rows walked and the step that produced the lists, the set or
// station rule taken, the endpoints left out and why, and where sample route keys
// go. It fails only with ErrUnknownMethod. It is not on the QueryF path: it
// replays the walk the snapshot was built with.
func Explain(snap *snapshot.Snapshot, req ExplainRequest) (*Explanation, error) {
	m, ok := methods[ExplainMethods[req.Method]]
	if !ok {
		return nil, fmt.Errorf("%w %q: want byid, any, all, samegroup, station or set", ErrUnknownMethod, req.Method)
	}
	ret, l := decide(snap, m, req.ID, req.Arg, req.Caller)
	x := &Explanation{Request: req, RPC: ExplainMethods[req.Method], Ret: ret, Active: l.Active, Inactive: l.Inactive}
	if req.Method == "byid" {
		x.Inactive = nil
	}
	e, known := snap.Lookup(req.ID)
	x.describe(snap, m, e, known)
	if known {
		x.left(e)
	}
	x.routes(snap)
	return x, nil
}

func (x *Explanation) step(format string, args ...any) {
	x.Steps = append(x.Steps, fmt.Sprintf(format, args...))
}

// describe fills Rule and Steps for the method.
func (x *Explanation) describe(snap *snapshot.Snapshot, m listMethod, e *snapshot.Entry, known bool) {
	req := x.Request
	switch m {
	case methodSameStation:
		x.station(snap, e, known)
		return
	case methodSameSet:
		x.set(snap, e, known)
		return
	}
	if !known {
		x.unknown()
		return
	}
	if m == methodSameGroup {
		if req.Method == "all" {
			x.step("findObjectById4All is, despite its name, findObjectByIdInSameGroup: the IDC group walk (registry-semantics 1.1, 1.4)")
		} else {
			x.step("findObjectByIdInSameGroup walks the IDC groups from the caller's (registry-semantics 1.4)")
		}
		x.group(snap, e)
		return
	}
	x.Rule = "every endpoint, no group filtering (registry-semantics 1.1)"
	if req.Method == "byid" {
		x.Rule = "every active endpoint, no group filtering (registry-semantics 1.1)"
	}
	x.step("%s ignores the caller: %s", x.RPC, x.Rule)
}

func (x *Explanation) unknown() {
	x.Rule = "unknown servant: ret 0, empty lists"
	x.step("%q is not a servant of the registry (ids are case-sensitive): ret 0 with empty lists", x.Request.ID)
}

// group explains the group walk for the caller.
func (x *Explanation) group(snap *snapshot.Snapshot, e *snapshot.Entry) {
	caller := x.Request.Caller
	g := snap.GroupOf(caller)
	if rule := snap.GroupRule(caller); g == -1 && rule != "" {
		x.step("caller %q matches the allow_ip_rule entry %q of a rule whose group_id reads as -1: it is in no IDC group", caller, rule)
	} else if g == -1 {
		x.step("caller %q matches no allow_ip_rule entry, exactly or as its a.b.c.* wildcard: it is in no IDC group (-1)", caller)
	}
	if g == -1 {
		x.Rule = "caller in no IDC group: every endpoint (registry-semantics 1.4 step 1)"
		x.step("a caller in no group gets every active and inactive endpoint")
		return
	}
	x.step("caller %q is in IDC group %d by the allow_ip_rule entry %q", caller, g, snap.GroupRule(caller))
	walk, _, _ := snap.WalkOf(x.Request.ID, g)
	x.Walk = walk
	for _, st := range walk {
		verdict := "no active endpoint, next step"
		if st.Decides {
			verdict = "decides the answer"
			x.Rule = "group walk: " + st.Step
		}
		x.step("walk: %s keeps %d active and %d inactive endpoints: %s", st.Step, st.Active, st.Inactive, verdict)
	}
}

func (x *Explanation) station(snap *snapshot.Snapshot, e *snapshot.Entry, known bool) {
	st := x.Request.Arg
	row, ok := snap.StationRow(st)
	if !ok {
		x.Rule = "unknown station: ret -1"
		x.step("no t_group_priority row names station %q (stations are case-sensitive): ret -1 with empty lists, whatever the servant", st)
		return
	}
	x.step("station %q is t_group_priority id=%d, the first row naming it by list_order, with groups %v", st, row.ID, row.Groups)
	if !known {
		x.unknown()
		return
	}
	x.Rule = fmt.Sprintf("station %q: endpoints whose grouprealid is in t_group_priority id=%d (registry-semantics 1.5)", st, row.ID)
	x.step("the answer is the endpoints whose grouprealid (enable_group does not matter) is in %v, with no fallback: %d active, %d inactive",
		row.Groups, len(x.Active), len(x.Inactive))
}

func (x *Explanation) set(snap *snapshot.Snapshot, e *snapshot.Entry, known bool) {
	name, area, group, ok := splitSetID(x.Request.Arg)
	if !ok {
		x.Rule = "malformed setId: ret -1"
		x.step("setId %q does not split into name.area.group (empty parts dropped) with name and area other than \"*\": ret -1", x.Request.Arg)
		return
	}
	x.step("setId %q reads as set name %q, area %q, group %q", x.Request.Arg, name, area, group)
	if !known || !e.HasSetName(name) {
		x.step("the servant has no endpoint in the set index under set name %q: the registry answers with the group walk instead (registry-semantics 1.6)", name)
		if !known {
			x.unknown()
			return
		}
		x.group(snap, e)
		x.Rule = "set name unknown, so the group walk answers: " + x.Rule
		return
	}
	x.setFound(e, name, area, group)
}

func (x *Explanation) setFound(e *snapshot.Entry, name, area, group string) {
	if x.Ret != 0 {
		x.Rule = fmt.Sprintf("set %s.%s has no endpoint in group %q nor in the wildcard group \"*\": ret -1", name, area, group)
		x.step("%s", x.Rule)
		return
	}
	switch used := e.SetGroupUsed(name, area, group); used {
	case "":
		x.Rule = fmt.Sprintf("set group \"*\": every endpoint of set %s.%s", name, area)
	case "*":
		x.Rule = fmt.Sprintf("set %s.%s.%s has no endpoint at all: its area's wildcard group %s.%s.* answers", name, area, group, name, area)
	default:
		x.Rule = fmt.Sprintf("set %s.%s.%s: its own endpoints", name, area, group)
	}
	x.step("%s (%d active, %d inactive)", x.Rule, len(x.Active), len(x.Inactive))
}

// left lists the record's endpoints the answer does not hold, and why.
func (x *Explanation) left(e *snapshot.Entry) {
	in := map[string]int{}
	for _, f := range slices.Concat(x.Active, x.Inactive) {
		in[endpointKey(&f)]++
	}
	x.Left = []string{}
	for i := range e.Servant.Endpoints {
		ep := &e.Servant.Endpoints[i]
		k := fmt.Sprintf("%s:%d/%s", ep.Host, ep.Port, ep.NodeName)
		if in[k] > 0 {
			in[k]--
			continue
		}
		x.Left = append(x.Left, fmt.Sprintf("%s:%d from %s: %s", ep.Host, ep.Port, ep.Origin, x.whyLeft(ep)))
	}
}

func endpointKey(f *endpointf.EndpointF) string {
	return fmt.Sprintf("%s:%d/%s", f.Host, f.Port, f.NodeName)
}

func (x *Explanation) whyLeft(ep *snapshot.Endpoint) string {
	switch {
	case !ep.Active && x.Request.Method == "byid":
		return "inactive (findObjectById answers active endpoints only)"
	case x.Ret != 0:
		return "the method failed (ret -1)"
	}
	var parts []string
	if !ep.Active {
		parts = append(parts, "inactive")
	}
	if ep.EnableSet {
		parts = append(parts, "set "+ep.SetID())
	}
	if ep.EnableGroup {
		parts = append(parts, "enable_group Y")
	}
	if ep.IPGroupName != "" {
		parts = append(parts, "ip_group_name "+ep.IPGroupName)
	}
	return "not selected by the rule above (" + strings.Join(append(parts, "host "+ep.Host), ", ") + ")"
}

// SampleKeys is how many route keys ("key-0", "key-1", ...) Explain routes.
const SampleKeys = 1000

// routes routes sample keys by the servant's subset rule in force, if any: one
// KeyRoute per subset reached, with the first key that reached it.
func (x *Explanation) routes(snap *snapshot.Snapshot) {
	r, ok := snap.SubsetRule(x.Request.ID)
	if !ok || r.Compiled == nil || !r.Conf.Enable {
		return
	}
	x.step("subset rule in force: %s %s; a client keeps the active endpoints labelled with the subset its request's route key goes to, or all of them when none is", r.Conf.RuleType, r.Conf.RuleData)
	at := map[string]int{}
	for i := range SampleKeys {
		key := "key-" + strconv.Itoa(i)
		sub, _ := r.Compiled.Route(key)
		j, seen := at[sub]
		if !seen {
			j = len(x.Routes)
			at[sub] = j
			x.Routes = append(x.Routes, KeyRoute{Key: key, Subset: sub, Endpoints: keptFor(x.Active, sub)})
		}
		x.Routes[j].Keys++
	}
}

// keptFor is how many active endpoints a client keeps for subset sub.
func keptFor(eps []endpointf.EndpointF, sub string) int {
	if n := countSubset(eps, sub); sub != "" && n > 0 {
		return n
	}
	return len(eps)
}

func countSubset(eps []endpointf.EndpointF, sub string) int {
	n := 0
	for i := range eps {
		if eps[i].Subset == sub {
			n++
		}
	}
	return n
}
