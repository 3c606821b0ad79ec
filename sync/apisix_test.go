package sync_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// apisixStep is one scenario of APISIX's tars discovery test (t/tars/discovery/
// tars.t): statements run against db_tars, then the active endpoints each servant
// must answer with ("" for none).
type apisixStep struct {
	name string
	sql  string
	want map[string]string
}

const (
	aFirst  = "A.AServer.FirstObj"
	aSecond = "A.AServer.SecondObj"
	bFirst  = "B.BServer.FirstObj"
	cFirst  = "C.CServer.FirstObj"
)

var apisixSteps = []apisixStep{
	{"create initial server and servant", `
INSERT INTO t_server_conf (application, server_name, node_name, registry_timestamp, template_name, setting_state, present_state, server_type) VALUES
  ('A', 'AServer', '172.16.1.1', NOW(), 'taf-cpp', 'active', 'active', 'tars_cpp'),
  ('B', 'BServer', '172.16.2.1', NOW(), 'taf-cpp', 'active', 'active', 'tars_cpp'),
  ('C', 'CServer', '172.16.3.1', NOW(), 'taf-cpp', 'active', 'active', 'tars_cpp');
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, endpoint, servant) VALUES
  ('A', 'AServer', '172.16.1.1', 'A.AServer.FirstObjAdapter', 'tcp -h 172.16.1.1 -p 10001 -e 0 -t 6000', 'A.AServer.FirstObj'),
  ('B', 'BServer', '172.16.2.1', 'B.BServer.FirstObjAdapter', 'tcp -p 10001 -h 172.16.2.1 -e 0 -t 6000', 'B.BServer.FirstObj'),
  ('C', 'CServer', '172.16.3.1', 'C.CServer.FirstObjAdapter', 'tcp -e 0 -h 172.16.3.1 -t 6000 -p 10001 ', 'C.CServer.FirstObj')`,
		map[string]string{aFirst: "172.16.1.1:10001", aSecond: "", bFirst: "172.16.2.1:10001", cFirst: "172.16.3.1:10001"}},
	{"add servers on other nodes (no adapters yet)", `
INSERT INTO t_server_conf (application, server_name, node_name, registry_timestamp, template_name, setting_state, present_state, server_type) VALUES
  ('A', 'AServer', '172.16.1.2', NOW(), 'taf-cpp', 'active', 'active', 'tars_cpp'),
  ('B', 'BServer', '172.16.2.2', NOW(), 'taf-cpp', 'active', 'active', 'tars_cpp'),
  ('C', 'CServer', '172.16.3.2', NOW(), 'taf-cpp', 'active', 'active', 'tars_cpp')`,
		map[string]string{aFirst: "172.16.1.1:10001", aSecond: "", bFirst: "172.16.2.1:10001", cFirst: "172.16.3.1:10001"}},
	{"add servants", `
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, endpoint, servant) VALUES
  ('A', 'AServer', '172.16.1.2', 'A.AServer.FirstObjAdapter', 'tcp -h 172.16.1.2 -p 10001 -e 0 -t 6000', 'A.AServer.FirstObj'),
  ('A', 'AServer', '172.16.1.2', 'A.AServer.SecondObjAdapter', 'tcp -p 10002 -h 172.16.1.2 -e 0 -t 6000', 'A.AServer.SecondObj')`,
		map[string]string{aFirst: "172.16.1.1:10001 172.16.1.2:10001", aSecond: "172.16.1.2:10002", bFirst: "172.16.2.1:10001", cFirst: "172.16.3.1:10001"}},
	{"setting_state inactive", `
UPDATE t_server_conf SET setting_state = 'inactive' WHERE application = 'A' AND server_name = 'AServer' AND node_name = '172.16.1.2'`,
		map[string]string{aFirst: "172.16.1.1:10001", aSecond: "", bFirst: "172.16.2.1:10001", cFirst: "172.16.3.1:10001"}},
	{"setting_state active, present_state inactive", `
UPDATE t_server_conf SET setting_state = 'active', present_state = 'inactive' WHERE application = 'A' AND server_name = 'AServer' AND node_name = '172.16.1.2'`,
		map[string]string{aFirst: "172.16.1.1:10001", aSecond: "", bFirst: "172.16.2.1:10001", cFirst: "172.16.3.1:10001"}},
	{"both active again", `
UPDATE t_server_conf SET setting_state = 'active', present_state = 'active' WHERE application = 'A' AND server_name = 'AServer' AND node_name = '172.16.1.2'`,
		map[string]string{aFirst: "172.16.1.1:10001 172.16.1.2:10001", aSecond: "172.16.1.2:10002", bFirst: "172.16.2.1:10001", cFirst: "172.16.3.1:10001"}},
	{"endpoint change", `
UPDATE t_adapter_conf SET endpoint = 'tcp -h 172.16.1.2 -p 10003 -e 0 -t 3000'
  WHERE application = 'A' AND server_name = 'AServer' AND node_name = '172.16.1.2' AND servant = 'A.AServer.SecondObj'`,
		map[string]string{aFirst: "172.16.1.1:10001 172.16.1.2:10001", aSecond: "172.16.1.2:10003", bFirst: "172.16.2.1:10001", cFirst: "172.16.3.1:10001"}},
	{"servant delete", `
DELETE FROM t_adapter_conf WHERE application = 'A' AND server_name = 'AServer' AND node_name = '172.16.1.2' AND servant = 'A.AServer.SecondObj'`,
		map[string]string{aFirst: "172.16.1.1:10001 172.16.1.2:10001", aSecond: "", bFirst: "172.16.2.1:10001", cFirst: "172.16.3.1:10001"}},
	{"server delete", `
DELETE FROM t_server_conf WHERE application = 'A' AND server_name = 'AServer' AND node_name = '172.16.1.1'`,
		map[string]string{aFirst: "172.16.1.2:10001", aSecond: "", bFirst: "172.16.2.1:10001", cFirst: "172.16.3.1:10001"}},
}

// Every scenario of APISIX's tars discovery test, in its order, against a running
// Syncer: each change is answered within two sync intervals (APISIX allows itself
// a fetch interval plus sleeps of two seconds, and three for deletions). The loop
// is driven tick by tick, so the bound is counted in intervals, not measured, and
// the rows are aged before each step, so that only its own writes are recent.
func TestSyncer_Run_apisixScenarios(t *testing.T) {
	db := testdb.New(t)
	c := cachetest.Open(t, "")
	tk := newTicker()
	s := sync.New(db.SQL, c, sync.Options{Interval: time.Second, After: tk.after})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	<-tk.waits // the first sync, of an empty registry, is done

	for _, step := range apisixSteps {
		db.Exec(t, ageRows) // as if the last step were long past
		db.Exec(t, step.sql)
		ticks := 0
		for ticks < 2 && !equalAnswers(c, step.want) {
			tk.wake <- time.Time{}
			<-tk.waits
			ticks++
		}
		require.Equal(t, step.want, activeAnswers(c, step.want), "%s: not answered within two intervals", step.name)
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func equalAnswers(c *cache.Cache, want map[string]string) bool {
	got := activeAnswers(c, want)
	for id := range want {
		if got[id] != want[id] {
			return false
		}
	}
	return true
}

// activeAnswers returns, for each servant of want, its active endpoints as sorted
// "host:port" words.
func activeAnswers(c *cache.Cache, want map[string]string) map[string]string {
	snap := c.Snapshot()
	out := make(map[string]string, len(want))
	for id := range want {
		e, ok := snap.Lookup(id)
		if !ok {
			out[id] = ""
			continue
		}
		var words []string
		for _, ep := range e.AllLists().Active {
			words = append(words, fmt.Sprintf("%s:%d", ep.Host, ep.Port))
		}
		slices.Sort(words)
		out[id] = strings.Join(words, " ")
	}
	return out
}
