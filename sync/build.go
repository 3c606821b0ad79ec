package sync

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/cnum"
	"github.com/tarscache/tarscache/internal/endpoint"
)

// Table names a row's source.
const (
	TableAdapter  = "t_adapter_conf"
	TableRegistry = "t_registry_info"
)

// Row is one result row of the official full-load queries: a t_server_conf row
// joined with one of its t_adapter_conf rows, or a t_registry_info row. SQL NULLs
// arrive as "".
type Row struct {
	// Table is TableAdapter or TableRegistry.
	Table string
	// Servant and Endpoint come from the adapter (or registry) row.
	Servant, Endpoint string
	// The server row's state columns; for t_registry_info rows SettingState and
	// PresentState are both its present_state and FlowState is "active".
	SettingState, PresentState, FlowState string
	// Identity of the row: for t_registry_info rows Node is tars_version and
	// Adapter is locator_id.
	Application, Server, Node, Adapter string
	// Group and set columns of the server row (enable_group also exists in
	// t_registry_info).
	EnableGroup, IPGroupName              string
	EnableSet, SetName, SetArea, SetGroup string
	// BakFlag is t_server_conf.bak_flag as text ("" for t_registry_info).
	BakFlag string
	// Subset is the node's t_server_subset label ("" for none, and for
	// t_registry_info rows).
	Subset string
}

// Origin names the row for people, e.g. "Demo.HelloServer@10.0.0.11/HelloObjAdapter".
func (r *Row) Origin() string {
	if r.Table == TableRegistry {
		return TableRegistry + " " + r.Adapter
	}
	return r.Application + "." + r.Server + "@" + r.Node + "/" + r.Adapter
}

// Drop reasons counted in a Report.
const (
	DropBadEndpoint  = "bad_endpoint"  // the endpoint string does not parse
	DropEmptyServant = "empty_servant" // an endpoint without a servant name
	DropBackup       = "bak_flag"      // a backup server (bak_flag=1), by design
	DropTooLarge     = "too_large"     // a field longer than the cache file stores, or too many endpoints
	DropInvalidUTF8  = "invalid_utf8"  // a text column that is not UTF-8: JSON (admin API, export) cannot carry it
)

// Rejection is a row dropped because of bad data, with the reason.
type Rejection struct {
	Row Row
	Err error
}

// Report says what Build made of a fetch.
type Report struct {
	// Rows is the number of rows read; Endpoints the number that became endpoints.
	Rows, Endpoints int
	// Dropped counts dropped rows by reason (Drop* constants).
	Dropped map[string]int
	// Rejected lists the rows dropped for bad data (not backups), in row order.
	Rejected []Rejection
}

// Build turns fetched rows into servant records as the official full load does.
// Servants come out in the order they first appear in rows.
func Build(rows []Row) ([]snapshot.Servant, Report) {
	b := newBuilder(false)
	for i := range rows {
		b.add(&rows[i])
	}
	return b.result()
}

// endpoint applies the per-row rules to r, recording a drop when r yields nothing.
func (rep *Report) endpoint(r *Row) (snapshot.Endpoint, bool) {
	if r.Servant == "" && r.Endpoint == "" {
		return snapshot.Endpoint{}, false // a server without adapters
	}
	ep, reason, err := rowEndpoint(r)
	if reason != "" {
		rep.reject(r, reason, err)
		return snapshot.Endpoint{}, false
	}
	return ep, true
}

// reject records a dropped row; err, nil for a row dropped by design, says why.
func (rep *Report) reject(r *Row, reason string, err error) {
	rep.Dropped[reason]++
	if err != nil {
		rep.Rejected = append(rep.Rejected, Rejection{Row: *r, Err: err})
	}
}

// invalidUTF8 names the first text of a row that is not valid UTF-8. Such a
// record could not round-trip through JSON (the admin API and export would turn
// its bytes into U+FFFD, so its id would stop matching): the row is rejected.
func invalidUTF8(servant string, ep *snapshot.Endpoint) (string, bool) {
	for _, f := range []struct{ name, v string }{{"servant", servant}, {"host", ep.Host}, {"node_name", ep.NodeName},
		{"set_name", ep.SetName}, {"set_area", ep.SetArea}, {"set_group", ep.SetGroup}, {"ip_group_name", ep.IPGroupName},
		{"subset", ep.Subset}, {"origin", ep.Origin}} {
		if !utf8.ValidString(f.v) {
			return f.name, true
		}
	}
	return "", false
}

// short quotes s for a log line, cut to its first 64 bytes when longer.
func short(s string) string {
	if len(s) <= 64 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:64], len(s))
}

// rowEndpoint builds the endpoint of one row, or says why the row is dropped.
func rowEndpoint(r *Row) (snapshot.Endpoint, string, error) {
	addr, err := endpoint.Parse(r.Endpoint)
	if err != nil {
		return snapshot.Endpoint{}, DropBadEndpoint, fmt.Errorf("sync: %s row %s: %w", r.Table, r.Origin(), err)
	}
	if r.Servant == "" {
		return snapshot.Endpoint{}, DropEmptyServant, fmt.Errorf("sync: %s row %s: endpoint %q has no servant name", r.Table, r.Origin(), r.Endpoint)
	}
	bak := cnum.Int(r.BakFlag)
	if bak == 1 {
		return snapshot.Endpoint{}, DropBackup, nil
	}
	ep := newEndpoint(r, addr, bak)
	if field, ok := invalidUTF8(r.Servant, &ep); ok {
		return snapshot.Endpoint{}, DropInvalidUTF8, fmt.Errorf("sync: %s row %s: %s is not valid UTF-8", r.Table, short(r.Origin()), field)
	}
	if err := cache.CheckEndpoint(r.Servant, &ep); err != nil {
		return snapshot.Endpoint{}, DropTooLarge, fmt.Errorf("sync: %s row %s of servant %s: %w", r.Table, short(r.Origin()), short(r.Servant), err)
	}
	return ep, "", nil
}

func newEndpoint(r *Row, a endpoint.Address, bak int32) snapshot.Endpoint {
	e := a.Endpoint()
	e.Active, e.BakFlag = isActive(r), bak
	e.NodeName = strings.Trim(r.Node, " \t\r\n")
	e.EnableGroup, e.IPGroupName = strings.EqualFold(r.EnableGroup, "y"), r.IPGroupName
	e.EnableSet, e.SetName, e.SetArea, e.SetGroup = strings.EqualFold(r.EnableSet, "y"), r.SetName, r.SetArea, r.SetGroup
	e.Subset, e.Origin = r.Subset, r.Origin()
	return e
}

// isActive is the official rule; the comparisons are exact and case-sensitive.
func isActive(r *Row) bool {
	return r.SettingState == "active" && r.PresentState == "active" && r.FlowState != "inactive"
}
