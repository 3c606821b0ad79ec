package doctor

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/endpoint"
	"github.com/tarscache/tarscache/subset"
	"github.com/tarscache/tarscache/sync"
)

// Options configure Database. Zero fields take DefaultOptions' values.
type Options struct {
	// Now is this host's clock, compared with the database's. Nil means time.Now.
	Now func() time.Time
	// SkewWarn is the clock difference, either way, reported as a warning.
	SkewWarn time.Duration
	// SkewError is how far ahead of the database this host's clock may be before
	// the official registry's incremental loads miss changes: its window
	// (LeastChangedTime1, 150 s by default) less its period (10 s).
	SkewError time.Duration
	// RegistryTimeout is the official registryTimeout: an active t_registry_info row
	// whose heartbeat is older than this was not refreshed by a running registry.
	RegistryTimeout time.Duration
	// NodeTimeout is the official nodeTimeout plus nodeTimeoutInterval: an active
	// t_node_info row whose heartbeat is older than this should have been marked
	// inactive by the registry.
	NodeTimeout time.Duration
}

// DefaultOptions returns the options Database uses for zero fields.
func DefaultOptions() Options {
	return Options{Now: time.Now, SkewWarn: 5 * time.Second, SkewError: 140 * time.Second,
		RegistryTimeout: 150 * time.Second, NodeTimeout: 310 * time.Second}
}

func withDefaults(o Options) Options {
	def := DefaultOptions()
	if o.Now == nil {
		o.Now = def.Now
	}
	if o.SkewWarn <= 0 {
		o.SkewWarn = def.SkewWarn
	}
	if o.SkewError <= 0 {
		o.SkewError = def.SkewError
	}
	if o.RegistryTimeout <= 0 {
		o.RegistryTimeout = def.RegistryTimeout
	}
	if o.NodeTimeout <= 0 {
		o.NodeTimeout = def.NodeTimeout
	}
	return o
}

// dbInput is what only the database shows.
type dbInput struct {
	opts          Options
	db            *sql.DB
	fetch         *sync.Fetch
	report        sync.Report
	built         map[string]bool
	rejectedRules []error
}

// Database reads the registry database db (opened as sync.OpenDB opens it) and runs
// every check; source names it in the report. It fails only when the database
// cannot be read.
func Database(ctx context.Context, db *sql.DB, source string, opts Options) (*Report, error) {
	in, err := readDatabase(ctx, db, withDefaults(opts))
	if err != nil {
		return nil, err
	}
	checks := slices.Concat(snapshotChecks, []check{
		{"endpoint-unparsable", unparsable},
		{"servant-not-served", notServed},
		{"group-entry-twice", entryTwice},
	})
	r := run(in, source, checks)
	for _, c := range dbChecks {
		fs, err := c.run(ctx, in.db)
		if err != nil {
			return nil, fmt.Errorf("doctor: %s: %w", c.name, err)
		}
		r.Checks = append(r.Checks, c.name)
		r.Findings = append(r.Findings, fs...)
	}
	r.finish()
	return r, nil
}

func readDatabase(ctx context.Context, db *sql.DB, opts Options) (*input, error) {
	f, err := sync.FetchAll(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	servants, rep := sync.Build(f.Rows)
	groups, warns := sync.BuildGroups(f.GroupRules, f.Priorities)
	_, rejected := sync.BuildRules(f.Rules, subset.NewCompiler(0))
	snap, err := cache.NewSnapshot(cache.State{Servants: servants, Groups: groups})
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	built := map[string]bool{}
	for _, s := range servants {
		built[s.ID] = true
	}
	d := &dbInput{opts: opts, db: db, fetch: f, report: rep, built: built, rejectedRules: rejected}
	return &input{snap: snap, groupWarnings: warns, db: d}, nil
}

func unparsable(in *input) []Finding {
	var out []Finding
	for _, rej := range in.db.report.Rejected {
		out = append(out, Finding{
			Check: "endpoint-unparsable", Severity: SeverityError,
			Summary: strings.TrimPrefix(rej.Err.Error(), "sync: "),
			Rows:    []string{fmt.Sprintf("%s %s servant=%q endpoint=%q", rej.Row.Table, rej.Row.Origin(), rej.Row.Servant, rej.Row.Endpoint)},
			Official: "drops the row (TC_Endpoint::parse fails): the server is deployed and running but no client is told about it; " +
				"the registry logs nothing a client sees",
			Fix: "write the endpoint as \"tcp -h HOST -p PORT -t TIMEOUT\" (options of two characters, integer arguments, port 0..65535) and give it a servant name",
		})
	}
	return out
}

// notServed reports servants whose every row was dropped.
func notServed(in *input) []Finding {
	rows := map[string][]string{}
	for i := range in.db.fetch.Rows {
		r := &in.db.fetch.Rows[i]
		if r.Servant == "" || in.db.built[r.Servant] {
			continue
		}
		why := "endpoint does not parse"
		if _, err := endpoint.Parse(r.Endpoint); err == nil {
			why = "bak_flag=" + r.BakFlag
		}
		rows[r.Servant] = append(rows[r.Servant], fmt.Sprintf("%s %s endpoint=%q: %s", r.Table, r.Origin(), r.Endpoint, why))
	}
	var out []Finding
	for _, id := range slices.Sorted(maps.Keys(rows)) {
		out = append(out, Finding{
			Check: "servant-not-served", Severity: SeverityWarning,
			Summary:  fmt.Sprintf("%s has %d rows and none reaches clients", id, len(rows[id])),
			Rows:     rows[id],
			Official: "drops backup rows (bak_flag=1) and rows whose endpoint does not parse; a servant left with none is unknown to clients (ret 0, empty lists)",
			Fix:      "deploy a non-backup server for the servant with a valid endpoint, or remove its adapters",
		})
	}
	return out
}

// entryTwice reports allow_ip_rule entries listed by two group rules.
func entryTwice(in *input) []Finding {
	groups := map[string][]string{}
	for _, r := range in.db.fetch.GroupRules {
		for _, tok := range strings.FieldsFunc(r.AllowIPRule, func(c rune) bool { return c == '|' }) {
			if !slices.Contains(groups[tok], r.ID) {
				groups[tok] = append(groups[tok], r.ID)
			}
		}
	}
	var out []Finding
	for _, tok := range slices.Sorted(maps.Keys(groups)) {
		ids := groups[tok]
		if len(ids) < 2 {
			continue
		}
		out = append(out, Finding{
			Check: "group-entry-twice", Severity: SeverityWarning,
			Summary:  fmt.Sprintf("allow_ip_rule entry %q is in groups %s; group %s wins", tok, strings.Join(ids, ", "), ids[len(ids)-1]),
			Rows:     rowsOfIDs("t_server_group_rule group_id=", ids),
			Official: "loads the rules by group_id and lets a later rule overwrite an entry, so the entry belongs to the last group only",
			Fix:      "keep the entry in one rule",
		})
	}
	return out
}

func rowsOfIDs(prefix string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prefix + id
	}
	return out
}

// dbCheck is a check that asks the database itself.
type dbCheck struct {
	name string
	run  func(ctx context.Context, d *dbInput) ([]Finding, error)
}

var dbChecks = []dbCheck{
	{"clock-skew", clockSkew},
	{"adapter-without-server", adapterWithoutServer},
	{"registry-rows", registryRows},
	{"node-heartbeat-stale", nodeHeartbeats},
}

// wallLayout is how both clocks are written to be compared: wall-clock time, as
// the official registry formats its incremental bound.
const wallLayout = "2006-01-02 15:04:05.000000"

// clockSkew compares the database's NOW() in its session time zone with this
// host's local wall clock, as the official registry does implicitly: its
// incremental bound is its local time, compared with TIMESTAMP columns.
func clockSkew(ctx context.Context, d *dbInput) ([]Finding, error) {
	before := d.opts.Now()
	var dbNow, zone string
	err := d.db.QueryRowContext(ctx, `SELECT DATE_FORMAT(NOW(6), '%Y-%m-%d %H:%i:%s.%f'), @@session.time_zone`).Scan(&dbNow, &zone)
	if err != nil {
		return nil, fmt.Errorf("read the database clock: %w", err)
	}
	after := d.opts.Now()
	local := before.Add(after.Sub(before) / 2)
	theirs, err := time.Parse(wallLayout, dbNow)
	if err != nil {
		return nil, fmt.Errorf("read the database clock %q: %w", dbNow, err)
	}
	ours, _ := time.Parse(wallLayout, local.Local().Format(wallLayout))
	return skewFindings(ours.Sub(theirs), dbNow, local.Local().Format(wallLayout), zone, d.opts), nil
}

func skewFindings(skew time.Duration, dbNow, local, zone string, o Options) []Finding {
	abs := max(skew, -skew)
	if abs < o.SkewWarn {
		return nil
	}
	f := Finding{
		Check: "clock-skew", Severity: SeverityWarning,
		Rows: []string{fmt.Sprintf("database NOW() %s (session time_zone %s)", dbNow, zone), "this host " + local},
		Official: "bounds each incremental load by its own local time less LeastChangedTime1 (150 s, 600 s in the install config), " +
			"compared with registry_timestamp in the database's time zone: a registry host ahead by more than that window misses changes until the next full load (up to an hour)",
		Fix: "run NTP on the registry hosts and the database host, and give them one time zone (tarscache itself bounds its fetches by the database's clock)",
	}
	direction := "ahead of"
	if skew < 0 {
		direction = "behind"
	}
	f.Summary = fmt.Sprintf("this host's clock is %s %s the database's", abs.Round(time.Millisecond), direction)
	if skew >= o.SkewError {
		f.Severity = SeverityError
	}
	return []Finding{f}
}

const queryOrphanAdapters = `SELECT a.id, a.application, a.server_name, a.node_name, a.adapter_name, COALESCE(a.servant, ''), COALESCE(a.endpoint, '')
 FROM t_adapter_conf AS a LEFT JOIN t_server_conf AS s USING (application, server_name, node_name)
 WHERE s.id IS NULL ORDER BY a.id`

func adapterWithoutServer(ctx context.Context, d *dbInput) ([]Finding, error) {
	rs, err := d.db.QueryContext(ctx, queryOrphanAdapters)
	if err != nil {
		return nil, fmt.Errorf("read adapters without a server: %w", err)
	}
	defer rs.Close()
	var out []Finding
	for rs.Next() {
		var id, app, server, node, adapter, servant, endpoint string
		if err := rs.Scan(&id, &app, &server, &node, &adapter, &servant, &endpoint); err != nil {
			return nil, fmt.Errorf("read adapters without a server: %w", err)
		}
		out = append(out, Finding{
			Check: "adapter-without-server", Severity: SeverityWarning,
			Summary:  fmt.Sprintf("adapter %s.%s@%s/%s has no t_server_conf row", app, server, node, adapter),
			Rows:     []string{fmt.Sprintf("t_adapter_conf id=%s servant=%q endpoint=%q", id, servant, endpoint)},
			Official: "joins adapters to servers with a RIGHT JOIN on (application, server_name, node_name): an adapter without its server row is never loaded",
			Fix:      "delete the leftover adapter, or restore its server's t_server_conf row",
		})
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read adapters without a server: %w", err)
	}
	return out, nil
}

func registryRows(ctx context.Context, d *dbInput) ([]Finding, error) {
	var total int
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM t_registry_info`).Scan(&total); err != nil {
		return nil, fmt.Errorf("count t_registry_info: %w", err)
	}
	if total == 0 {
		return []Finding{{
			Check: "registry-rows", Severity: SeverityWarning,
			Summary: "t_registry_info is empty: no official registry heartbeats into this database",
			Rows:    []string{"t_registry_info"},
			Official: "each running registry upserts its QueryObj and RegistryObj rows every loadObjectsInterval1 (unless heartbeatoff=Y), and its other threads " +
				"keep the present_state of nodes and servers current; tarscache answers QueryF only and relies on them",
			Fix: "keep at least one official tarsregistry running against this database",
		}}, nil
	}
	return staleRows(ctx, d.db, `SELECT CONCAT('t_registry_info locator_id=', locator_id, ' servant=', servant, ' last_heartbeat=', COALESCE(last_heartbeat, 'NULL'))
 FROM t_registry_info WHERE present_state = 'active' AND (last_heartbeat IS NULL OR last_heartbeat < NOW() - INTERVAL ? SECOND) ORDER BY id`,
		d.opts.RegistryTimeout, Finding{
			Check: "registry-rows", Severity: SeverityWarning,
			Official: "a running registry marks rows whose heartbeat is older than registryTimeout (150 s) inactive; active rows this old mean no registry runs",
			Fix:      "start the official tarsregistry, or delete the rows of registries that are gone",
		}, "t_registry_info rows are active with a heartbeat older than %s")
}

func nodeHeartbeats(ctx context.Context, d *dbInput) ([]Finding, error) {
	return staleRows(ctx, d.db, `SELECT CONCAT('t_node_info node_name=', node_name, ' last_heartbeat=', COALESCE(last_heartbeat, 'NULL'))
 FROM t_node_info WHERE present_state = 'active' AND (last_heartbeat IS NULL OR last_heartbeat < NOW() - INTERVAL ? SECOND) ORDER BY id`,
		d.opts.NodeTimeout, Finding{
			Check: "node-heartbeat-stale", Severity: SeverityWarning,
			Official: "a running registry marks a node whose heartbeat is older than nodeTimeout (250 s, checked every 60 s) inactive, with all its servers; " +
				"until then clients are sent to the node's servers",
			Fix: "restart tarsnode on the node, or check that an official registry runs (its CheckNodeThread marks dead nodes)",
		}, "t_node_info rows are active with a heartbeat older than %s")
}

// staleRows runs query with the age bound and reports the rows it returns in one
// finding built from tmpl.
func staleRows(ctx context.Context, db *sql.DB, query string, age time.Duration, tmpl Finding, summary string) ([]Finding, error) {
	rs, err := db.QueryContext(ctx, query, int64(age/time.Second))
	if err != nil {
		return nil, fmt.Errorf("read heartbeats: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var row string
		if err := rs.Scan(&row); err != nil {
			return nil, fmt.Errorf("read heartbeats: %w", err)
		}
		tmpl.Rows = append(tmpl.Rows, row)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read heartbeats: %w", err)
	}
	if len(tmpl.Rows) == 0 {
		return nil, nil
	}
	tmpl.Summary = strconv.Itoa(len(tmpl.Rows)) + " " + fmt.Sprintf(summary, age)
	return []Finding{tmpl}, nil
}
