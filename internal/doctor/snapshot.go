package doctor

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/sync"
)

// registryServant is the servant tarsnode asks for to write every server's locator.
const registryServant = "tars.tarsregistry.QueryObj"

// check is one named check over what was read.
type check struct {
	name string
	run  func(in *input) []Finding
}

// input is what the checks read: always a snapshot, and the rows when the
// registry database was read.
type input struct {
	snap *snapshot.Snapshot
	// groupWarnings are sync.BuildGroups' warnings about the group tables.
	groupWarnings []string
	// db is nil when checking a file.
	db *dbInput
}

// snapshotChecks run on a file and on a database alike.
var snapshotChecks = []check{
	{"endpoint-claimed-twice", claimedTwice},
	{"servant-no-active-endpoint", noActive},
	{"servant-reply-too-large", replyTooLarge},
	{"servant-case-twins", caseTwins},
	{"set-name-invalid", invalidSets},
	{"ip-group-name-unknown", unknownGroupNames},
	{"group-rule-never-matches", groupRules},
	{"station-named-twice", stationTwice},
	{"priority-group-unknown", priorityUnknownGroup},
	{"registry-servant-missing", registryMissing},
	{"subset-rule-rejected", rejectedRulesOfSnapshot},
}

// Snapshot checks what a cache file (or a running server's records) can show.
// source names it in the report.
func Snapshot(snap *snapshot.Snapshot, source string) *Report {
	in := &input{snap: snap, groupWarnings: fileGroupWarnings(snap.Groups())}
	return run(in, source, snapshotChecks)
}

func run(in *input, source string, checks []check) *Report {
	r := &Report{Source: source}
	for _, c := range checks {
		r.Checks = append(r.Checks, c.name)
		r.Findings = append(r.Findings, c.run(in)...)
	}
	r.finish()
	return r
}

// endpointLine names one endpoint of a record for people.
func endpointLine(id string, ep *snapshot.Endpoint) string {
	state := "inactive"
	if ep.Active {
		state = "active"
	}
	return fmt.Sprintf("%s %s %s:%d (%s) from %s", id, protoName(ep.Proto), ep.Host, ep.Port, state, ep.Origin)
}

func protoName(p int32) string {
	switch p {
	case 0:
		return "udp"
	case 2:
		return "ssl"
	}
	return "tcp"
}

// claim is one endpoint of one servant at an address.
type claim struct {
	servant string
	ep      *snapshot.Endpoint
}

// serverOf is the server row an endpoint came from ("App.Server@node"), or "" for
// a t_registry_info row.
func serverOf(ep *snapshot.Endpoint) string {
	if strings.HasPrefix(ep.Origin, sync.TableRegistry) {
		return ""
	}
	server, _, _ := strings.Cut(ep.Origin, "/")
	return server
}

// addressKey is the socket an endpoint names; a loopback or wildcard host is a
// different socket on each node.
func addressKey(ep *snapshot.Endpoint) string {
	k := fmt.Sprintf("%s %s:%d", protoName(ep.Proto), ep.Host, ep.Port)
	if ep.Host == "0.0.0.0" || ep.Host == "*" || ep.Host == "localhost" || strings.HasPrefix(ep.Host, "127.") {
		k += " on " + ep.NodeName
	}
	return k
}

func claimedTwice(in *input) []Finding {
	claims := map[string][]claim{}
	for _, id := range in.snap.IDs() {
		e, _ := in.snap.Stored(id)
		for i := range e.Servant.Endpoints {
			ep := &e.Servant.Endpoints[i]
			k := addressKey(ep)
			claims[k] = append(claims[k], claim{servant: id, ep: ep})
		}
	}
	var out []Finding
	for _, addr := range slices.Sorted(maps.Keys(claims)) {
		if f, ok := conflict(addr, claims[addr]); ok {
			out = append(out, f)
		}
	}
	return out
}

// conflict reports an address claimed by two servants or by two server rows.
func conflict(addr string, cs []claim) (Finding, bool) {
	servants, servers := map[string]bool{}, map[string]bool{}
	var rows []string
	for _, c := range cs {
		servants[c.servant] = true
		if s := serverOf(c.ep); s != "" {
			servers[s] = true
		}
		rows = append(rows, endpointLine(c.servant, c.ep))
	}
	if len(servants) < 2 && len(servers) < 2 {
		return Finding{}, false
	}
	return Finding{
		Check: "endpoint-claimed-twice", Severity: SeverityError,
		Summary: fmt.Sprintf("%s is claimed by %d servants and %d server rows", addr, len(servants), len(servers)),
		Rows:    rows,
		Official: "answers every row as an endpoint of its servant, so clients of one servant may reach the other's process " +
			"(typically a server moved off a reused IP whose old row comes back active)",
		Fix: "delete or undeploy the stale server row (or give one adapter another port), so that each host:port belongs to one server and one servant",
	}, true
}

func noActive(in *input) []Finding {
	var out []Finding
	for _, id := range in.snap.IDs() {
		e, _ := in.snap.Stored(id)
		if e.Servant.CountActive() > 0 {
			continue
		}
		var rows []string
		for i := range e.Servant.Endpoints {
			rows = append(rows, endpointLine(id, &e.Servant.Endpoints[i]))
		}
		out = append(out, Finding{
			Check: "servant-no-active-endpoint", Severity: SeverityWarning,
			Summary: fmt.Sprintf("%s has %d endpoints and none is active", id, len(e.Servant.Endpoints)),
			Rows:    rows,
			Official: "answers an empty active list (ret 0); TarsCpp clients keep their old list and ask again every 10 s, " +
				"new clients cannot call the servant",
			Fix: "start the servers (setting_state and present_state active, flow_state not inactive) or undeploy the servant",
		})
	}
	return out
}

// replyTooLarge finds servants whose every-endpoint answer is larger than Tars
// clients accept.
func replyTooLarge(in *input) []Finding {
	var out []Finding
	for _, id := range in.snap.IDs() {
		e, _ := in.snap.Stored(id)
		if n := e.ReplyBytes(snapshot.MaxReplyBytes); n > snapshot.MaxReplyBytes {
			out = append(out, Finding{
				Check: "servant-reply-too-large", Severity: SeverityError,
				Summary: fmt.Sprintf("%s: its answer with every endpoint takes %d bytes, more than the %d bytes Tars clients accept",
					id, n, snapshot.MaxReplyBytes),
				Rows: []string{fmt.Sprintf("%s: %d endpoints", id, len(e.Servant.Endpoints))},
				Official: "sends the packet anyway; TarsGo clients drop it and time out, so they never learn the servant's endpoints " +
					"(tarscache answers it with a Tars error saying why)",
				Fix: "remove the servant's inactive or stale adapter rows, or split the servant: fewer endpoints per servant",
			})
		}
	}
	return out
}

func caseTwins(in *input) []Finding {
	byLower := map[string][]string{}
	for _, id := range in.snap.IDs() {
		byLower[strings.ToLower(id)] = append(byLower[strings.ToLower(id)], id)
	}
	var out []Finding
	for _, k := range slices.Sorted(maps.Keys(byLower)) {
		ids := byLower[k]
		if len(ids) < 2 {
			continue
		}
		out = append(out, Finding{
			Check: "servant-case-twins", Severity: SeverityWarning,
			Summary:  fmt.Sprintf("servant ids %s differ only in case", strings.Join(ids, ", ")),
			Rows:     ids,
			Official: "looks servant ids up case-sensitively, while MySQL compares them case-insensitively: each id answers only its own rows",
			Fix:      "rename the adapters' servant column to one spelling",
		})
	}
	return out
}

func invalidSets(in *input) []Finding {
	var out []Finding
	for _, id := range in.snap.IDs() {
		e, _ := in.snap.Stored(id)
		for i := range e.Servant.Endpoints {
			if f, ok := invalidSet(id, &e.Servant.Endpoints[i]); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// invalidSet checks the set columns of an endpoint with enable_set on.
func invalidSet(id string, ep *snapshot.Endpoint) (Finding, bool) {
	if !ep.EnableSet {
		return Finding{}, false
	}
	f := Finding{Check: "set-name-invalid", Severity: SeverityWarning, Rows: []string{endpointLine(id, ep)}}
	switch {
	case ep.SetName == "" || ep.SetArea == "" || ep.SetGroup == "" || ep.SetName == "*" || ep.SetArea == "*":
		f.Summary = fmt.Sprintf("%s: enable_set is on but set %q does not validate (name, area and group must be set; name and area not \"*\")", ep.Origin, ep.SetID())
		f.Official = "answers the endpoint to every non-set query with setId " + strconv.Quote(ep.SetID()) +
			", but leaves it out of the set index: a client asking for the set falls back to the IDC group walk"
		f.Fix = "fill set_name, set_area and set_group (name and area other than \"*\"), or turn enable_set off"
	case strings.Contains(ep.SetName+ep.SetArea+ep.SetGroup, "."):
		f.Summary = fmt.Sprintf("%s: set %q has a dot inside a part", ep.Origin, ep.SetID())
		f.Official = "splits a client's setId at every dot and refuses any that does not give exactly name, area and group (ret -1): no client can ask for this set"
		f.Fix = "remove the dots from set_name, set_area and set_group"
	default:
		return Finding{}, false
	}
	return f, true
}

func unknownGroupNames(in *input) []Finding {
	names := in.snap.Groups().Names
	var out []Finding
	for _, id := range in.snap.IDs() {
		e, _ := in.snap.Stored(id)
		for i := range e.Servant.Endpoints {
			ep := &e.Servant.Endpoints[i]
			name := strings.Trim(ep.IPGroupName, " \r\n\t")
			if _, ok := names[name]; name == "" || ok {
				continue
			}
			out = append(out, Finding{
				Check: "ip-group-name-unknown", Severity: SeverityWarning,
				Summary:  fmt.Sprintf("%s: ip_group_name %q names no t_server_group_rule group_name", ep.Origin, name),
				Rows:     []string{endpointLine(id, ep)},
				Official: "gives the endpoint group -1 (it does not fall back to the endpoint's address), so it is in no IDC group",
				Fix:      "set ip_group_name to an existing group_name, or clear it to group the endpoint by its address",
			})
		}
	}
	return out
}

func groupRules(in *input) []Finding {
	var out []Finding
	for _, w := range in.groupWarnings {
		out = append(out, Finding{
			Check: "group-rule-never-matches", Severity: SeverityWarning,
			Summary: strings.TrimPrefix(w, "sync: "),
			Rows:    []string{groupRow(w)},
			Official: "matches a client's node name or address against allow_ip_rule entries exactly, then as \"a.b.c.*\"; " +
				"CIDR blocks, other wildcards and entries with blanks match only a client named exactly so, and group_list entries are read with atoi",
			Fix: "write exact addresses or \"a.b.c.*\" wildcards separated by |, and plain group ids in group_list",
		})
	}
	return out
}

// groupRow is the table and row part of a group warning ("t_server_group_rule group_id=3").
func groupRow(w string) string {
	w = strings.TrimPrefix(w, "sync: ")
	row, _, _ := strings.Cut(w, ":")
	return row
}

// fileGroupWarnings re-reads a stored group configuration as rule rows, so that
// sync.BuildGroups warns about its entries as it does at sync.
func fileGroupWarnings(g snapshot.Groups) []string {
	var rules []sync.GroupRuleRow
	for _, tok := range slices.Sorted(maps.Keys(g.Addresses)) {
		rules = append(rules, sync.GroupRuleRow{ID: strconv.Itoa(int(g.Addresses[tok])), AllowIPRule: tok})
	}
	_, warns := sync.BuildGroups(rules, nil)
	return warns
}

func stationTwice(in *input) []Finding {
	rows := map[string][]string{}
	for _, p := range in.snap.Groups().Priorities {
		if p.Station != "" {
			rows[p.Station] = append(rows[p.Station], fmt.Sprintf("t_group_priority id=%d station=%q groups %v", p.ID, p.Station, p.Groups))
		}
	}
	var out []Finding
	for _, st := range slices.Sorted(maps.Keys(rows)) {
		if len(rows[st]) < 2 {
			continue
		}
		out = append(out, Finding{
			Check: "station-named-twice", Severity: SeverityWarning,
			Summary:  fmt.Sprintf("station %q is named by %d t_group_priority rows", st, len(rows[st])),
			Rows:     rows[st],
			Official: "findObjectByIdInSameStation uses only the first row by list_order; the others are never used for the station",
			Fix:      "merge the rows' group_list into one row per station",
		})
	}
	return out
}

func priorityUnknownGroup(in *input) []Finding {
	g := in.snap.Groups()
	known := map[int32]bool{-1: true}
	for _, id := range g.Addresses {
		known[id] = true
	}
	for _, id := range g.Names {
		known[id] = true
	}
	var out []Finding
	for _, p := range g.Priorities {
		var unknown []string
		for _, id := range p.Groups {
			if !known[id] {
				unknown = append(unknown, strconv.Itoa(int(id)))
			}
		}
		if len(unknown) == 0 || len(known) == 1 {
			continue
		}
		out = append(out, Finding{
			Check: "priority-group-unknown", Severity: SeverityInfo,
			Summary:  fmt.Sprintf("t_group_priority id=%d lists group ids %s that no t_server_group_rule row defines", p.ID, strings.Join(unknown, ", ")),
			Rows:     []string{fmt.Sprintf("t_group_priority id=%d station=%q groups %v", p.ID, p.Station, p.Groups)},
			Official: "walks the row like any other; no endpoint can be in those groups, so they add nothing",
			Fix:      "remove the ids from group_list, or add the missing group rules",
		})
	}
	return out
}

func registryMissing(in *input) []Finding {
	e, ok := in.snap.Stored(registryServant)
	if ok && e.Servant.CountActive() > 0 {
		return nil
	}
	return []Finding{{
		Check: "registry-servant-missing", Severity: SeverityError,
		Summary: registryServant + " has no active endpoint",
		Rows:    []string{registryServant},
		Official: "tarsnode asks findObjectById4All(" + registryServant + ") and writes the active endpoints into the locator of every server " +
			"it starts; with none, new servers get no locator and cannot find anything",
		Fix: "keep the official tarsregistry running (it heartbeats into t_registry_info), or deploy its t_adapter_conf row",
	}}
}

func rejectedRulesOfSnapshot(in *input) []Finding {
	if in.db != nil {
		return rejectedRuleFindings(in.db.rejectedRules)
	}
	var out []Finding
	for _, id := range in.snap.RuleIDs() {
		r, _ := in.snap.SubsetRule(id)
		if r.Rule.Rejected == nil {
			continue
		}
		out = append(out, rejectedRule(id, r.Rule.Rejected.Reason,
			fmt.Sprintf("t_subset_rule servant=%q enable=%q rule_type=%q rule_data=%q", id, r.Rule.Rejected.Enable, r.Rule.Rejected.Type, r.Rule.Rejected.Data)))
	}
	return out
}

func rejectedRuleFindings(errs []error) []Finding {
	var out []Finding
	for _, err := range errs {
		msg := strings.TrimPrefix(err.Error(), "sync: ")
		row, reason, _ := strings.Cut(msg, ": ")
		out = append(out, rejectedRule(row, reason, row))
	}
	return out
}

func rejectedRule(what, reason, row string) Finding {
	return Finding{
		Check: "subset-rule-rejected", Severity: SeverityError,
		Summary:  fmt.Sprintf("%s: %s", what, reason),
		Rows:     []string{row},
		Official: "has no subset routing; tarscache refuses the row and keeps the servant's previous valid rule (or none), so the change has no effect",
		Fix:      "correct rule_type and rule_data (docs: subset rules), then check with tarscache route",
	}
}
