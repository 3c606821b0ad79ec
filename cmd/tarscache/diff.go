package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
)

// diffOptions are the settings of "tarscache diff". Its lookup holds the
// station, set and node name sent with every call; the id is set per servant.
type diffOptions struct {
	locators, methods []string
	servants, format  string
	timeout           time.Duration
	args              []string
	lookup
}

// diffReport is everything one diff found, as --format json prints it.
type diffReport struct {
	LocatorA    string       `json:"locatorA"`
	LocatorB    string       `json:"locatorB"`
	Methods     []string     `json:"methods"`
	Compared    int          `json:"compared"`
	Differ      int          `json:"differ"`
	Differences []difference `json:"differences"`
}

// difference is how the answers of A and B to one method for one servant differ.
type difference struct {
	Servant  string   `json:"servant"`
	Method   string   `json:"method"`
	RetA     int32    `json:"retA"`
	RetB     int32    `json:"retB"`
	Active   listDiff `json:"active,omitzero"`
	Inactive listDiff `json:"inactive,omitzero"`
}

// listDiff holds the endpoints of one list that only one locator answered, with
// repeats: the lists are compared as multisets.
type listDiff struct {
	OnlyA []endpointf.EndpointF `json:"onlyA,omitempty"`
	OnlyB []endpointf.EndpointF `json:"onlyB,omitempty"`
}

// diffCommand is "tarscache diff": it compares the QueryF answers of two locators.
func diffCommand() *cli.Command {
	var o diffOptions
	return &cli.Command{
		Name:      "diff",
		Usage:     "list the servants whose QueryF answers differ between two locators",
		ArgsUsage: "[SERVANT...]",
		Description: `Asks both locators (A is the first --locator, B the second) the same QueryF
methods for each servant, named as arguments or one per line in --servants FILE
("#" starts a comment, "-" reads standard input), and prints the servants whose
answers differ. Use it to check tarscache against the official registry before
moving a fleet.

Answers are equal when ret is equal and the active and the inactive lists hold
the same endpoints, in any order (the official registry promises none), repeats
counted. Endpoints are compared on every EndpointF field a stock client decodes:
istcp, host, port, timeout, grid, groupworkid, grouprealid, setId, qos, bakFlag,
weight, weightType, authType and nodeName; tarscache fills them all as the
registry does. subset (tag 15) is ignored: it is tarscache's extension and the
official registry never sends it. docs/compatibility.md lists the answers that
differ by design (e.g. tars.tarsregistry.QueryObj under serve --advertise).

Methods (--method, repeatable or comma-separated; default any): byid, any, all,
samegroup, station (needs --station), set (needs --set), as for "query".
samegroup and all depend on the caller's IDC group: both locators see this
host's address, or --node-name.

Exit status: 0 when every answer is equal, 1 when some differ or a call fails
(naming the locator and the servant), 2 for usage errors.

Example:
   tarscache diff --locator "tars.tarsregistry.QueryObj@tcp -h 10.0.5.1 -p 17890" \
     --locator "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890" \
     --method any,samegroup --servants servants.txt`,
		Flags:        diffFlags(&o),
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			o.locators, o.methods, o.args = c.StringSlice("locator"), c.StringSlice("method"), c.Args().Slice()
			return diff(c.App.Writer, c.App.Reader, o)
		},
	}
}

// diffFlags returns the flags of diff, writing the plain ones into o.
func diffFlags(o *diffOptions) []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "locator", EnvVars: []string{"TARSCACHE_DIFF_LOCATORS"},
			Usage: "`LOCATOR` string of a QueryObj to ask, OBJ@ENDPOINTS; give exactly two (A, then B)"},
		&cli.StringSliceFlag{Name: "method", Value: cli.NewStringSlice("any"), EnvVars: []string{"TARSCACHE_DIFF_METHODS"},
			Usage: "QueryF `METHOD`s to compare: byid, any, all, samegroup, station or set"},
		&cli.StringFlag{Name: "servants", EnvVars: []string{"TARSCACHE_SERVANTS"}, Destination: &o.servants,
			Usage: "read the servant ids from `FILE` (one a line, - for stdin) instead of arguments"},
		&cli.StringFlag{Name: "station", EnvVars: []string{"TARSCACHE_STATION"}, Destination: &o.station, Usage: "`STATION` for --method station"},
		&cli.StringFlag{Name: "set", EnvVars: []string{"TARSCACHE_SET"}, Destination: &o.set, Usage: "`SET` id name.area.group for --method set"},
		&cli.StringFlag{Name: "node-name", EnvVars: []string{"TARSCACHE_NODE_NAME"}, Destination: &o.nodeName,
			Usage: "client `NODE` name sent in the request context as node_name (IDC group selection)"},
		&cli.StringFlag{Name: "format", Value: "table", EnvVars: []string{"TARSCACHE_FORMAT"}, Destination: &o.format, Usage: "output `FORMAT`: table or json"},
		&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, EnvVars: []string{"TARSCACHE_TIMEOUT"}, Destination: &o.timeout,
			Usage: "give up on a call after this `DURATION`"},
	}
}

// diff compares the answers of the two locators of o for the servants of o,
// reading them from stdin for --servants -, and writes the report to w. It
// returns an error when some answers differ, so that the exit status says so.
func diff(w io.Writer, stdin io.Reader, o diffOptions) error {
	methods, err := o.check()
	if err != nil {
		return err
	}
	ids, err := diffServants(o, stdin)
	if err != nil {
		return err
	}
	qs, err := queryProxies(o.timeout, o.locators...)
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	rep, err := compareAll(qs, o, methods, ids)
	if err != nil {
		return callError(err, o.timeout)
	}
	return writeDiff(w, o.format, rep)
}

// check validates o and returns the methods to compare, or a usage error.
func (o diffOptions) check() ([]queryMethod, error) {
	if err := checkLocators(o.locators); err != nil {
		return nil, err
	}
	switch {
	case o.format != "table" && o.format != "json":
		return nil, usageErrorf("--format %q: want table or json", o.format)
	case o.timeout <= 0:
		return nil, usageErrorf("--timeout %s: want a positive duration", o.timeout)
	case len(o.args) == 0 && o.servants == "":
		return nil, usageErrorf("diff needs SERVANT arguments or --servants FILE")
	case len(o.args) > 0 && o.servants != "":
		return nil, usageErrorf("diff takes SERVANT arguments or --servants FILE, not both")
	}
	return diffMethods(o.methods, o.lookup)
}

// checkLocators accepts exactly two locators in a form parseLocator reads, and
// turns them into the locator strings TarsGo takes.
func checkLocators(locators []string) error {
	if len(locators) != 2 {
		return usageErrorf("diff needs exactly two --locator, got %d", len(locators))
	}
	for i, l := range locators {
		var err error
		if locators[i], err = parseLocator("--locator", l); err != nil {
			return err
		}
	}
	return nil
}

// diffMethods returns the methods names call for, without repeats, checking that
// l carries what station and set need.
func diffMethods(names []string, l lookup) ([]queryMethod, error) {
	var ms []queryMethod
	for _, name := range uniq(trimAll(names)) {
		m, ok := queryMethods[name]
		switch {
		case !ok:
			return nil, usageErrorf("--method %q: want byid, any, all, samegroup, station or set", name)
		case name == "station" && l.station == "":
			return nil, usageErrorf("--method station needs --station")
		case name == "set" && l.set == "":
			return nil, usageErrorf("--method set needs --set")
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// trimAll returns ss with the spaces around each string removed.
func trimAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

// diffServants returns the servant ids to compare, without repeats, in the order
// given: the arguments of o, else the lines of its --servants file.
func diffServants(o diffOptions, stdin io.Reader) ([]string, error) {
	if len(o.args) > 0 {
		return uniq(o.args), nil
	}
	ids, err := readServants(o.servants, stdin)
	if err != nil {
		return nil, fmt.Errorf("diff --servants: %w", err)
	}
	return uniq(ids), nil
}

// readServants reads the servant ids in the file name, or stdin for "-".
func readServants(name string, stdin io.Reader) ([]string, error) {
	if name == "-" {
		return parseServants(stdin, "stdin")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseServants(f, name)
}

// parseServants reads one servant id a line from r, named name in errors. A "#"
// starts a comment; blank lines are skipped. r must name at least one servant.
func parseServants(r io.Reader, name string) ([]string, error) {
	var ids []string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		switch line = strings.TrimSpace(line); {
		case line == "":
		case strings.ContainsAny(line, " \t"):
			return nil, fmt.Errorf("%s line %d: %q is not one servant id", name, n, line)
		default:
			ids = append(ids, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s names no servant", name)
	}
	return ids, nil
}

// uniq returns ids without repeats, keeping the first of each.
func uniq(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// compareAll asks qs (A, B) each method for each servant and reports the
// differences. It stops at the first call that fails.
func compareAll(qs []*queryf.QueryF, o diffOptions, methods []queryMethod, ids []string) (diffReport, error) {
	rep := newDiffReport(o.locators, methods)
	for _, id := range ids {
		l := o.lookup
		l.id = id
		ds, err := compareServant(qs, o.locators, methods, l)
		if err != nil {
			return rep, err
		}
		rep.add(ds)
	}
	return rep, nil
}

// newDiffReport returns the report of comparing methods between locators (A, B),
// before any servant is compared.
func newDiffReport(locators []string, methods []queryMethod) diffReport {
	rep := diffReport{LocatorA: locators[0], LocatorB: locators[1], Differences: []difference{}}
	for _, m := range methods {
		rep.Methods = append(rep.Methods, m.wire)
	}
	return rep
}

// add counts one compared servant with its differences (none when equal).
func (r *diffReport) add(ds []difference) {
	r.Compared++
	if len(ds) > 0 {
		r.Differ++
		r.Differences = append(r.Differences, ds...)
	}
}

// compareServant compares the answers of qs to each method for l.
func compareServant(qs []*queryf.QueryF, locators []string, methods []queryMethod, l lookup) ([]difference, error) {
	var ds []difference
	for _, m := range methods {
		d, err := compareMethod(qs, locators, m, l)
		if err != nil {
			return nil, err
		}
		if !d.equal() {
			ds = append(ds, d)
		}
	}
	return ds, nil
}

// compareMethod asks A then B the method m for l and compares the answers. A
// failed call is an error naming the locator and the servant, never a difference.
func compareMethod(qs []*queryf.QueryF, locators []string, m queryMethod, l lookup) (difference, error) {
	var as [2]answer
	for i, q := range qs {
		a, err := m.ask(q, l)
		if err != nil {
			return difference{}, fmt.Errorf("diff: %s of %s via locator %c %q: %w", m.wire, l.id, 'A'+i, locators[i], err)
		}
		as[i] = a
	}
	return compareAnswers(as[0], as[1]), nil
}

// compareAnswers returns how b differs from a.
func compareAnswers(a, b answer) difference {
	return difference{Servant: a.ID, Method: a.Method, RetA: a.Ret, RetB: b.Ret,
		Active: compareLists(a.Active, b.Active), Inactive: compareLists(a.Inactive, b.Inactive)}
}

// equal reports whether the two answers were the same.
func (d difference) equal() bool {
	return d.RetA == d.RetB && d.Active.equal() && d.Inactive.equal()
}

// equal reports whether the two lists held the same endpoints.
func (l listDiff) equal() bool { return len(l.OnlyA) == 0 && len(l.OnlyB) == 0 }

// compareLists returns the endpoints of a missing from b and those of b missing
// from a, as multisets, in the order answered.
func compareLists(a, b []endpointf.EndpointF) listDiff {
	count := make(map[endpointf.EndpointF]int, len(a))
	for _, e := range a {
		count[comparedFields(e)]++
	}
	for _, e := range b {
		count[comparedFields(e)]--
	}
	var d listDiff
	d.OnlyA = surplus(a, count, 1)
	d.OnlyB = surplus(b, count, -1)
	return d
}

// surplus returns the endpoints of list whose count has sign's sign, each as
// many times as the count says, moving the counts toward zero.
func surplus(list []endpointf.EndpointF, count map[endpointf.EndpointF]int, sign int) []endpointf.EndpointF {
	var out []endpointf.EndpointF
	for _, e := range list {
		e = comparedFields(e)
		if count[e]*sign > 0 {
			out = append(out, e)
			count[e] -= sign
		}
	}
	return out
}

// comparedFields returns e without the fields diff does not compare (subset).
func comparedFields(e endpointf.EndpointF) endpointf.EndpointF {
	e.Subset = ""
	return e
}

// writeDiff writes rep to w as format "table" or "json", then fails when some
// servants differ.
func writeDiff(w io.Writer, format string, rep diffReport) error {
	write := writeDiffTable
	if format == "json" {
		write = writeDiffJSON
	}
	if err := write(w, rep); err != nil {
		return fmt.Errorf("diff: write report: %w", err)
	}
	if rep.Differ > 0 {
		return fmt.Errorf("%d of %d servants differ", rep.Differ, rep.Compared)
	}
	return nil
}

// writeDiffJSON writes rep as an indented JSON document.
func writeDiffJSON(w io.Writer, rep diffReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeDiffTable writes which locator is A and B, one line per differing
// servant and method, and the totals.
func writeDiffTable(w io.Writer, rep diffReport) error {
	fmt.Fprintf(w, "A: %s\nB: %s\n", rep.LocatorA, rep.LocatorB)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, d := range rep.Differences {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", shown(d.Servant), d.Method, d.summary())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d servants compared, %d differ\n", rep.Compared, rep.Differ)
	return err
}

// summary says in one line how the answers differ.
func (d difference) summary() string {
	var parts []string
	if d.RetA != d.RetB {
		parts = append(parts, fmt.Sprintf("ret %d vs %d", d.RetA, d.RetB))
	}
	parts = append(parts, d.Active.summary("active")...)
	parts = append(parts, d.Inactive.summary("inactive")...)
	return strings.Join(parts, "; ")
}

// summary describes the endpoints of the state list only one side answered.
func (l listDiff) summary(state string) []string {
	var parts []string
	if len(l.OnlyA) > 0 {
		parts = append(parts, state+" only in A: "+endpointsText(l.OnlyA))
	}
	if len(l.OnlyB) > 0 {
		parts = append(parts, state+" only in B: "+endpointsText(l.OnlyB))
	}
	return parts
}

// endpointsText renders eps with endpointText, comma-separated.
func endpointsText(eps []endpointf.EndpointF) string {
	texts := make([]string, len(eps))
	for i, e := range eps {
		texts[i] = endpointText(e)
	}
	return strings.Join(texts, ", ")
}

// endpointText renders e in the Tars endpoint grammar, followed by the other
// compared fields that are not at their usual value, so that two endpoints that
// differ never read the same.
func endpointText(e endpointf.EndpointF) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -h %s -p %d -t %d", protoName(e.Istcp), shown(e.Host), e.Port, e.Timeout)
	if e.WeightType != 0 || e.Weight != -1 {
		fmt.Fprintf(&b, " -v %d -w %d", e.WeightType, e.Weight)
	}
	for _, f := range []struct {
		format   string
		v, usual int32
	}{{" -e %d", e.AuthType, 0}, {" grid=%d", e.Grid, 0}, {" qos=%d", e.Qos, 0}, {" bakFlag=%d", e.BakFlag, 0},
		{" groupworkid=%d", e.Groupworkid, -1}, {" grouprealid=%d", e.Grouprealid, -1}} {
		if f.v != f.usual {
			fmt.Fprintf(&b, f.format, f.v)
		}
	}
	for _, f := range [][2]string{{" setId=", e.SetId}, {" nodeName=", e.NodeName}} {
		if f[1] != "" {
			b.WriteString(f[0] + shown(f[1]))
		}
	}
	return b.String()
}
