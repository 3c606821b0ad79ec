package main

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
	"github.com/tarscache/tarscache/tars"
)

// scraperSeries are series Prometheus records itself for every target; the rules
// may use them although tarscache does not export them.
var scraperSeries = map[string]bool{"up": true}

// exportedNames returns every series name /metrics serves, from a registry built
// as serve builds its own (newRegistry, then the QueryF server's and the syncer's
// metrics), histograms with their _bucket, _sum and _count series.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	c := cachetest.Open(t, "")
	reg := newRegistry(c)
	srv, err := tars.Listen("127.0.0.1:0", tars.NewHandler(c, tars.HandlerOptions{}), tars.Options{Registerer: reg})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	sync.New(nil, c, sync.Options{Registerer: reg})
	return gatheredNames(t, reg)
}

func gatheredNames(t *testing.T, g prometheus.Gatherer) map[string]bool {
	families, err := g.Gather()
	require.NoError(t, err)
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+s] = true
			}
		case dto.MetricType_SUMMARY:
			names[f.GetName()+"_sum"], names[f.GetName()+"_count"] = true, true
		}
	}
	return names
}

// selectorNames returns the metric names an expression selects.
func selectorNames(t *testing.T, expr string) []string {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	require.NoError(t, err, expr)
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, vs.Name)
		}
		return nil
	})
	require.NotEmpty(t, names, "%s selects no metric", expr)
	return names
}

func docsFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdb.TestdataDir(), "..", "docs", name))
	require.NoError(t, err)
	return b
}

// docs/alerts.yml parses with Prometheus's own rule parser (model/rulefmt, which
// also parses each expression and template), and every series it names is one
// the binary exports.
func TestMonitoring_alertRules(t *testing.T) {
	exported := exportedNames(t)
	groups, errs := rulefmt.Parse(docsFile(t, "alerts.yml"), false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	require.Empty(t, errs, "docs/alerts.yml")
	var alerts []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			require.NotEmpty(t, r.Annotations["summary"], r.Alert)
			for _, name := range selectorNames(t, r.Expr) {
				require.True(t, exported[name] || scraperSeries[name], "alert %s uses %s, which tarscache does not export", r.Alert, name)
			}
		}
	}
	for _, want := range []string{"TarscacheStale", "TarscacheSyncFailing", "TarscacheSyncHeld", "TarscacheConnectionsRefused", "TarscacheRejectedRows"} {
		require.Contains(t, alerts, want)
	}
}

// grafanaDashboard is the part of docs/grafana-dashboard.json the test reads.
type grafanaDashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// Grafana's variables, replaced by values PromQL parses.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*")

// docs/grafana-dashboard.json is a dashboard whose every query parses as PromQL
// and names only series the binary exports.
func TestMonitoring_grafanaDashboard(t *testing.T) {
	exported := exportedNames(t)
	var d grafanaDashboard
	require.NoError(t, json.Unmarshal(docsFile(t, "grafana-dashboard.json"), &d))
	var used []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		require.NotEmpty(t, p.Targets, p.Title)
		for _, target := range p.Targets {
			for _, name := range selectorNames(t, grafanaVariables.Replace(target.Expr)) {
				require.True(t, exported[name], "panel %q uses %s, which tarscache does not export", p.Title, name)
				used = append(used, name)
			}
		}
	}
	for _, want := range []string{"tarscache_staleness_seconds", "tarscache_queryf_requests_total", "tarscache_sync_duration_seconds_bucket", "tarscache_sync_held"} {
		require.True(t, slices.Contains(used, want), "the dashboard shows %s", want)
	}
}
