package doctor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/doctor"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

func inspect(t *testing.T, opts doctor.Options, files ...string) *doctor.Report {
	t.Helper()
	db := testdb.New(t, files...)
	r, err := doctor.Database(context.Background(), db.SQL, db.Name, opts)
	require.NoError(t, err)
	return r
}

// A registry without mistakes has no finding at all.
func TestDatabase_clean(t *testing.T) {
	r := inspect(t, doctor.Options{}, "doctor/clean.sql")
	require.Empty(t, r.Findings, "findings of a clean registry")
	require.Zero(t, r.Errors)
	require.Contains(t, r.Checks, "clock-skew")
}

// Each mistake of testdata/doctor/mistakes.sql is found by its check, with the
// severity and the rows that name it.
func TestDatabase_mistakes(t *testing.T) {
	r := inspect(t, doctor.Options{}, "doctor/clean.sql", "doctor/mistakes.sql")
	cases := []struct {
		check    string
		severity doctor.Severity
		summary  []string // each in one finding of the check
		row      string   // in the rows of the findings
	}{
		{"endpoint-claimed-twice", doctor.SeverityError, []string{"tcp 10.1.0.2:9100 is claimed by 2 servants and 2 server rows"}, "Doc.OldServer@old-node/OldObjAdapter"},
		{"endpoint-unparsable", doctor.SeverityError, []string{`Doc.BadServer@10.1.0.5/BadObjAdapter`}, `endpoint="tcp -h 10.1.0.5 -p 9300 extra"`},
		{"subset-rule-rejected", doctor.SeverityError, []string{`servant "Doc.SetServer.SetObj"`}, "t_subset_rule"},
		{"adapter-without-server", doctor.SeverityWarning, []string{"Doc.GoneServer@10.1.0.8/GoneObjAdapter has no t_server_conf row"}, "Doc.GoneServer.GoneObj"},
		{"group-rule-never-matches", doctor.SeverityWarning, []string{`"10.2.*" is a wildcard`, `"10.2.0.0/24" looks like a CIDR block`, `"10.2.0.5 " has blanks`, `group_list entry "x" is not a group id`}, "t_server_group_rule group_id=2"},
		{"group-entry-twice", doctor.SeverityWarning, []string{`"10.1.9.9" is in groups 1, 2; group 2 wins`}, "t_server_group_rule group_id=1"},
		{"station-named-twice", doctor.SeverityWarning, []string{`station "south" is named by 2 t_group_priority rows`}, "t_group_priority id=1"},
		{"ip-group-name-unknown", doctor.SeverityWarning, []string{`ip_group_name "nosuchgroup"`}, "10.1.0.3:9200"},
		{"set-name-invalid", doctor.SeverityWarning, []string{`set "*.sz.1" does not validate`, `set "doc.sz.1.2" has a dot`}, "Doc.SetServer@10.1.0.3/SetObjAdapter"},
		{"servant-no-active-endpoint", doctor.SeverityWarning, []string{"Doc.OldServer.OldObj has 1 endpoints and none is active", "Doc.SetServer.SetObj has 2 endpoints"}, "inactive"},
		{"servant-not-served", doctor.SeverityWarning, []string{"Doc.BadServer.BadObj has 1 rows", "Doc.BakServer.BakObj has 1 rows"}, "endpoint does not parse"},
		{"servant-case-twins", doctor.SeverityWarning, []string{"Doc.Twin.Obj, doc.twin.obj differ only in case"}, "doc.twin.obj"},
		{"registry-rows", doctor.SeverityWarning, []string{"1 t_registry_info rows are active with a heartbeat older than 2m30s"}, "locator_id=10.1.0.9:17890"},
		{"node-heartbeat-stale", doctor.SeverityWarning, []string{"1 t_node_info rows are active with a heartbeat older than 5m10s"}, "node_name=10.1.0.9"},
		{"priority-group-unknown", doctor.SeverityInfo, []string{"id=2 lists group ids 0, 77"}, "station=\"south\""},
	}
	for _, c := range cases {
		t.Run(c.check, func(t *testing.T) {
			fs := r.Only(c.check)
			require.Len(t, fs, len(c.summary), "findings of %s: %+v", c.check, fs)
			var summaries []string
			for _, f := range fs {
				require.Equal(t, c.severity, f.Severity)
				require.NotEmpty(t, f.Official, "what the official registry does")
				require.NotEmpty(t, f.Fix)
				summaries = append(summaries, f.Summary)
			}
			for _, want := range c.summary {
				require.Contains(t, strings.Join(summaries, "\n"), want)
			}
			require.Contains(t, rowsOf(fs), c.row)
		})
	}
	require.Equal(t, 3, r.Errors, "errors")
	require.Empty(t, r.Only("clock-skew"))
	require.Empty(t, r.Only("registry-servant-missing"))
}

// An empty registry has no registry to find and nobody heartbeating.
func TestDatabase_empty(t *testing.T) {
	r := inspect(t, doctor.Options{})
	require.Len(t, r.Only("registry-servant-missing"), 1)
	require.Equal(t, doctor.SeverityError, r.Only("registry-servant-missing")[0].Severity)
	require.Contains(t, r.Only("registry-rows")[0].Summary, "t_registry_info is empty")
}

// This host's clock is compared with the database's: ahead by more than the
// official incremental window is an error, a smaller difference a warning.
func TestDatabase_clockSkew(t *testing.T) {
	cases := []struct {
		offset   time.Duration
		severity doctor.Severity
		summary  string
	}{
		{10 * time.Minute, doctor.SeverityError, "ahead of the database's"},
		{-10 * time.Minute, doctor.SeverityWarning, "behind the database's"},
		{30 * time.Second, doctor.SeverityWarning, "ahead of the database's"},
	}
	db := testdb.New(t, "doctor/clean.sql")
	for _, c := range cases {
		t.Run(c.offset.String(), func(t *testing.T) {
			now := func() time.Time { return time.Now().Add(c.offset) }
			r, err := doctor.Database(context.Background(), db.SQL, db.Name, doctor.Options{Now: now})
			require.NoError(t, err)
			fs := r.Only("clock-skew")
			require.Len(t, fs, 1)
			require.Equal(t, c.severity, fs[0].Severity)
			require.Contains(t, fs[0].Summary, c.summary)
			require.Contains(t, fs[0].Rows[0], "database NOW()")
		})
	}
}

// A cache file shows the mistakes its records, groups and rules hold; those only
// the database knows (unparsable rows, orphaned adapters, clocks) are not checked.
func TestSnapshot_file(t *testing.T) {
	db := testdb.New(t, "doctor/clean.sql", "doctor/mistakes.sql")
	c := cachetest.Open(t, "")
	_, err := sync.New(db.SQL, c, sync.Options{}).SyncOnce(context.Background())
	require.NoError(t, err)
	r := doctor.Snapshot(c.Snapshot(), "file")
	for _, check := range []string{"endpoint-claimed-twice", "group-rule-never-matches", "station-named-twice", "ip-group-name-unknown",
		"set-name-invalid", "servant-no-active-endpoint", "servant-case-twins"} {
		require.NotEmpty(t, r.Only(check), check)
	}
	require.NotContains(t, r.Checks, "clock-skew")
	require.NotContains(t, r.Checks, "endpoint-unparsable")
	require.Len(t, r.Only("subset-rule-rejected"), 1, "the file keeps the rejected row next to the rule in force")
	require.Equal(t, 2, r.Errors, "the claimed address and the rejected rule")
}

// The JSON report carries every field; the text report names severity, check,
// rows, the official behaviour and the fix, then counts.
func TestReport_formats(t *testing.T) {
	r := inspect(t, doctor.Options{}, "doctor/clean.sql", "doctor/mistakes.sql")
	var js bytes.Buffer
	require.NoError(t, r.WriteJSON(&js))
	var back doctor.Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Equal(t, r.Errors, back.Errors)
	require.Equal(t, r.Findings, back.Findings)

	var txt bytes.Buffer
	require.NoError(t, r.WriteText(&txt))
	out := txt.String()
	require.Contains(t, out, "ERROR   endpoint-claimed-twice: tcp 10.1.0.2:9100")
	require.Contains(t, out, "  row: Doc.NewServer.NewObj tcp 10.1.0.2:9100 (active) from Doc.NewServer@10.1.0.2/NewObjAdapter")
	require.Contains(t, out, "  official registry: ")
	require.Contains(t, out, "  fix: ")
	require.Contains(t, out, "3 errors, ")
}

func rowsOf(fs []doctor.Finding) string {
	var rows []string
	for _, f := range fs {
		rows = append(rows, f.Rows...)
	}
	return strings.Join(rows, "\n")
}

// A servant whose answer is larger than Tars clients accept is an error: its
// clients can never learn its endpoints.
func TestSnapshot_replyTooLarge(t *testing.T) {
	big := snapshot.Servant{ID: "Doc.Big.BigObj"}
	host := strings.Repeat("h", 2048)
	for i := range 5200 {
		big.Endpoints = append(big.Endpoints, snapshot.Endpoint{Active: true, Proto: 1, Host: host, Port: int32(10000 + i), Timeout: 3000})
	}
	snap, err := cache.NewSnapshot(cache.State{Servants: []snapshot.Servant{big, cachetest.Servant("Doc.Small.SmallObj", 1, "10.0.0.1")}})
	require.NoError(t, err)
	r := doctor.Snapshot(snap, "file")
	found := r.Only("servant-reply-too-large")
	require.Len(t, found, 1)
	require.Equal(t, doctor.SeverityError, found[0].Severity)
	require.Contains(t, found[0].Summary, "Doc.Big.BigObj: its answer with every endpoint takes")
	require.Equal(t, []string{"Doc.Big.BigObj: 5200 endpoints"}, found[0].Rows)
}
