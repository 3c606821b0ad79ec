package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/admin"
)

// adminTimeout bounds one request to a running server's admin API.
const adminTimeout = time.Minute

// dumpOptions are the settings of "tarscache dump".
type dumpOptions struct {
	data     string
	admin    string
	token    string // the admin API's bearer token, from --admin-token-file
	format   string
	prefixes []string
	now      func() time.Time
}

// dumped is what dump prints: a snapshot, its last sync and where it came from.
type dumped struct {
	snap     *snapshot.Snapshot
	lastSync time.Time
	source   string
	// origin is where the data comes from (a DSN without its password; for a
	// server, its file or a peer before its first sync) and originSince since
	// when; "" when unknown (an imported file).
	origin      string
	originSince time.Time
	// rules are the servants whose subset rules are printed.
	rules []string
}

func dumpCommand() *cli.Command {
	o := dumpOptions{now: time.Now}
	return &cli.Command{
		Name:      "dump",
		Usage:     "print the stored records, from a cache file or from a running server",
		ArgsUsage: "[SERVANT-PREFIX...]",
		Description: `Prints every stored servant (or those whose id starts with one of the prefixes).
Formats: table (for people: one line per endpoint, with the record version),
json (the tarscache-records/1 document import reads) and tars (one line per servant
in the form a Tars client configuration holds, Servant@endpoint:endpoint, active
endpoints only). table and tars start with "#" lines saying where the records come
from, when they were last synced from the database and how stale that is.

--data reads a file offline; a file held by a running "tarscache serve" is locked,
so ask the server instead with --admin (its admin API, /v1/records).

Examples:
   tarscache dump --data tarscache.db
   tarscache dump --data tarscache.db --format json Demo.HelloServer.
   tarscache dump --admin 127.0.0.1:17891 --format tars Demo.`,
		Flags: []cli.Flag{
			dataFlag(&o.data),
			&cli.StringFlag{Name: "admin", EnvVars: []string{"TARSCACHE_DUMP_ADMIN"}, Destination: &o.admin,
				Usage: "read the records from the running server whose admin API is at `URL` (http://HOST:PORT or HOST:PORT) instead of --data"},
			&cli.StringFlag{Name: "format", Value: "table", EnvVars: []string{"TARSCACHE_FORMAT"}, Destination: &o.format,
				Usage: "output `FORMAT`: table (for people), json (tarscache-records/1, readable by import) or tars (Servant@endpoints)"},
			clientTokenFlag(&o.token),
		},
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			o.prefixes = c.Args().Slice()
			return dump(c.App.Writer, o)
		},
	}
}

// clientTokenFlag is the --admin-token-file of the commands that read a running
// server's admin API (dump, route): the token it was started with.
func clientTokenFlag(dst *string) cli.Flag {
	return &cli.StringFlag{Name: "admin-token-file", EnvVars: []string{"TARSCACHE_ADMIN_TOKEN_FILE"}, Action: secretInto(dst, "--admin-token-file"),
		Usage: "send the bearer token read from `FILE` to --admin (needed when the server was started with --admin-token-file)"}
}

func dump(w io.Writer, o dumpOptions) error {
	write, ok := dumpWriters[o.format]
	if !ok {
		return usageErrorf("--format %q: want table, json or tars", o.format)
	}
	d, err := load(o)
	if err != nil {
		return err
	}
	d.rules = matching(d.snap.RuleIDs(), o.prefixes)
	return write(w, d, matching(d.snap.IDs(), o.prefixes), o.now())
}

// dumpWriters print a dump in each --format.
var dumpWriters = map[string]func(w io.Writer, d *dumped, ids []string, now time.Time) error{
	"table": writeTable,
	"tars":  writeTars,
	"json":  writeJSON,
}

// writeJSON writes the records of ids and the subset rules of d.rules.
func writeJSON(w io.Writer, d *dumped, ids []string, _ time.Time) error {
	return snapshot.WriteJSON(w, d.snap, slices.Compact(slices.Sorted(slices.Values(slices.Concat(ids, d.rules)))))
}

// load reads the records from the running server at --admin, else from --data.
func load(o dumpOptions) (*dumped, error) {
	if o.admin != "" {
		return loadAdmin(adminURL(o.admin), onlyPrefix(o.prefixes), o.token)
	}
	return loadFile(o.data)
}

func loadFile(path string) (*dumped, error) {
	c, err := openData(path, cache.Options{ReadOnly: true})
	if errors.Is(err, cache.ErrLocked) {
		return nil, fmt.Errorf("%w; read the running server with --admin HOST:PORT instead", err)
	}
	if err != nil {
		return nil, err
	}
	defer c.Close()
	src := c.Source()
	return &dumped{snap: c.Snapshot(), lastSync: c.LastSync(), source: path, origin: src.Name, originSince: src.Since}, nil
}

// adminURL turns --admin's HOST:PORT or URL into the URL of the admin API.
func adminURL(s string) string {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	return strings.TrimRight(s, "/")
}

// onlyPrefix is the prefix the server can filter by: the one prefix given, else
// none (every record is fetched and filtered here).
func onlyPrefix(prefixes []string) string {
	if len(prefixes) == 1 {
		return prefixes[0]
	}
	return ""
}

// loadAdmin fetches /v1/records from the admin API at base, with the bearer token
// when there is one.
func loadAdmin(base, prefix, token string) (*dumped, error) {
	u := base + "/v1/records"
	if prefix != "" {
		u += "?prefix=" + url.QueryEscape(prefix)
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("admin API %s: %w", base, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: adminTimeout}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask the running server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ask the running server: GET %s: %s", u, statusText(resp))
	}
	return recordsAnswer(resp, base)
}

// recordsAnswer turns the admin API's records answer into a dump.
func recordsAnswer(resp *http.Response, base string) (*dumped, error) {
	st, err := cache.ReadJSON(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("records from %s: %w", base, err)
	}
	snap, err := cache.NewSnapshot(st)
	if err != nil {
		return nil, fmt.Errorf("records from %s: %w", base, err)
	}
	d := &dumped{snap: snap, source: base, origin: resp.Header.Get(admin.SourceHeader)}
	if h := resp.Header.Get(admin.SourceSinceHeader); h != "" {
		if d.originSince, err = time.Parse(time.RFC3339Nano, h); err != nil {
			return nil, fmt.Errorf("dump: %s header %q from %s: %w", admin.SourceSinceHeader, h, base, err)
		}
	}
	if h := resp.Header.Get(admin.LastSyncHeader); h != "" {
		if d.lastSync, err = time.Parse(time.RFC3339Nano, h); err != nil {
			return nil, fmt.Errorf("%s header %q from %s: %w", admin.LastSyncHeader, h, base, err)
		}
	}
	return d, nil
}

// statusText is an error answer's status and the first line of its body.
func statusText(resp *http.Response) string {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	first, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	return strings.TrimSpace(resp.Status + " " + first)
}

// writeHeader writes the "#" lines that say where a dump comes from and how old it is.
func writeHeader(w io.Writer, d *dumped, now time.Time) {
	fmt.Fprintf(w, "# source: %s\n", shown(d.source))
	if d.origin != "" {
		fmt.Fprintf(w, "# data from: %s (since %s)\n", shown(d.origin), d.originSince.UTC().Format(time.RFC3339))
	}
	if d.lastSync.IsZero() {
		fmt.Fprintln(w, "# last sync: never (a new or imported file)")
		return
	}
	fmt.Fprintf(w, "# last sync: %s (stale for %s)\n", d.lastSync.UTC().Format(time.RFC3339),
		now.Sub(d.lastSync).Round(time.Second))
}

// matching returns the ids that start with any of prefixes (all ids when none).
func matching(ids, prefixes []string) []string {
	if len(prefixes) == 0 {
		return ids
	}
	out := []string{}
	for _, id := range ids {
		for _, p := range prefixes {
			if strings.HasPrefix(id, p) {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// writeTable prints one line per endpoint, aligned.
func writeTable(w io.Writer, d *dumped, ids []string, now time.Time) error {
	writeHeader(w, d, now)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVANT\tVERSION\tSTATE\tENDPOINT\tNODE\tSET\tSUBSET\tORIGIN")
	for _, id := range ids {
		e, _ := d.snap.Stored(id)
		for _, ep := range e.Servant.Endpoints {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", shown(id), snapshot.FormatVersion(e.Version), state(ep.Active),
				endpointString(&ep), shown(ep.NodeName), dash(shown(ep.SetID())), dash(shown(ep.Subset)), shown(ep.Origin))
		}
	}
	fmt.Fprintf(tw, "\n%d servants, %d endpoints\n", len(ids), countEndpoints(d.snap, ids))
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeRules(w, d)
}

// writeRules prints the subset rules of d.rules, each rejected row under its rule.
func writeRules(w io.Writer, d *dumped) error {
	if len(d.rules) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSUBSET RULE\tVERSION\tENABLE\tTYPE\tRULE IN FORCE")
	var rejected []snapshot.SubsetRule
	for _, id := range d.rules {
		e, _ := d.snap.SubsetRule(id)
		r := e.Rule
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", shown(id), snapshot.FormatVersion(e.Version), yesNo(r.Enable), dash(shown(r.Type)), dash(shown(r.Data)))
		if r.Rejected != nil {
			rejected = append(rejected, r)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rejected {
		x := r.Rejected
		fmt.Fprintf(w, "\nREJECTED %s (the rule in force above stays): %s\n  row: enable=%s rule_type=%s rule_data=%s\n",
			shown(r.Servant), shown(x.Reason), shown(x.Enable), shown(x.Type), shown(x.Data))
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// writeTars prints each servant as a Tars client configuration names it without a
// locator: Servant@endpoint:endpoint, active endpoints only. A servant with none
// is a comment.
func writeTars(w io.Writer, d *dumped, ids []string, now time.Time) error {
	writeHeader(w, d, now)
	for _, id := range ids {
		e, _ := d.snap.Stored(id)
		var eps []string
		hostsOK := true
		for _, ep := range e.Servant.Endpoints {
			if ep.Active {
				eps = append(eps, endpointString(&ep))
				hostsOK = hostsOK && printable(ep.Host)
			}
		}
		switch {
		case !printable(id):
			fmt.Fprintf(w, "# %s: left out, the id has characters a Tars configuration cannot hold\n", shown(id))
		case len(eps) == 0:
			fmt.Fprintf(w, "# %s: no active endpoint\n", id)
		case !hostsOK:
			fmt.Fprintf(w, "# %s: left out, a host has characters a Tars configuration cannot hold\n", id)
		default:
			fmt.Fprintf(w, "%s@%s\n", id, strings.Join(eps, ":"))
		}
	}
	return nil
}

func state(active bool) string {
	if active {
		return "active"
	}
	return "inactive"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func countEndpoints(snap *snapshot.Snapshot, ids []string) int {
	n := 0
	for _, id := range ids {
		e, _ := snap.Stored(id)
		n += len(e.Servant.Endpoints)
	}
	return n
}

// endpointString renders an endpoint in the Tars endpoint grammar.
func endpointString(ep *snapshot.Endpoint) string {
	s := fmt.Sprintf("%s -h %s -p %d -t %d", [...]string{"udp", "tcp", "ssl"}[ep.Proto], shown(ep.Host), ep.Port, ep.Timeout)
	if ep.WeightType != 0 {
		s += fmt.Sprintf(" -v %d -w %d", ep.WeightType, ep.Weight)
	} else if ep.Weight != -1 {
		s += fmt.Sprintf(" -w %d", ep.Weight)
	}
	if ep.AuthType != 0 {
		s += fmt.Sprintf(" -e %d", ep.AuthType)
	}
	return s
}
