//go:build !race

package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/faultproxy"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

const helloObj = "Demo.HelloServer.HelloObj"

// A running serve whose MySQL goes away (live connections cut, new ones refused)
// keeps answering what it had, reports the outage once with the time of its last
// good sync, and after the outage converges on what changed meanwhile, reporting
// how long it was stale.
func TestServe_databaseOutage(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	cfg, err := mysql.ParseDSN(db.DSN)
	require.NoError(t, err)
	px, err := faultproxy.Start(cfg.Addr)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, px.Close()) })
	cfg.Addr = px.Addr()
	loc := freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", cfg.FormatDSN(), "--data", filepath.Join(t.TempDir(), "tarscache.db"),
		"--listen", loc.String(), "--sync-interval", "100ms")
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { a, _ := lists(t, q, helloObj); return len(a) == 2 },
		10*time.Second, 50*time.Millisecond, "never synced; output:\n%s", serve.output())

	px.CutAll()
	px.Refuse(true)
	db.Exec(t, `UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.12'`)
	require.Eventually(t, func() bool { return strings.Contains(serve.output(), "database unreachable") },
		10*time.Second, 50*time.Millisecond, "the outage was never reported; output:\n%s", serve.output())
	require.Regexp(t, `database unreachable.* last_sync=\S+`, serve.output(), "the report says since when the answers are stale")
	refused := px.Stats().Refused
	require.Eventually(t, func() bool { return px.Stats().Refused >= refused+2 },
		15*time.Second, 50*time.Millisecond, "serve stopped retrying")
	a, _ := lists(t, q, helloObj)
	require.Len(t, a, 2, "answers unchanged after two failed retries")

	px.Heal()
	require.Eventually(t, func() bool { a, _ := lists(t, q, helloObj); return len(a) == 1 },
		15*time.Second, 50*time.Millisecond, "never converged after the outage; output:\n%s", serve.output())
	// The sync swaps the answers in before it logs the recovery: wait for the line.
	recovered := regexp.MustCompile(`database reachable again.* was_stale_for=\S+`)
	require.Eventually(t, func() bool { return recovered.MatchString(serve.output()) },
		10*time.Second, 50*time.Millisecond, "the recovery was never reported; output:\n%s", serve.output())
	require.NoError(t, serve.stop(t))
	require.Equal(t, 1, strings.Count(serve.output(), "database unreachable"), "%s", serve.output())
}

// A change that would take away most of what is served (a truncated
// t_adapter_conf) is held by the running server: answers stay, the admin API shows
// it, and accepting it there applies it at the next sync.
func TestServe_heldChangeAcceptedOverAdmin(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	loc, adm := freeAddr(t), freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", filepath.Join(t.TempDir(), "tarscache.db"),
		"--listen", loc.String(), "--admin", adm.String(), "--sync-interval", "100ms")
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { a, _ := lists(t, q, helloObj); return len(a) == 2 },
		10*time.Second, 50*time.Millisecond, "never synced; output:\n%s", serve.output())
	base := "http://" + adm.String()
	require.Equal(t, http.StatusConflict, post(t, base+"/v1/held/accept"), "nothing to accept yet")

	db.Exec(t, `DELETE FROM t_adapter_conf`)
	var held struct {
		Held   bool   `json:"held"`
		Reason string `json:"reason"`
	}
	require.Eventually(t, func() bool { getJSON(t, base+"/v1/held", &held); return held.Held },
		10*time.Second, 50*time.Millisecond, "never held; output:\n%s", serve.output())
	require.Contains(t, held.Reason, "servants")
	a, _ := lists(t, q, helloObj)
	require.Len(t, a, 2, "a held change is not served")

	require.Equal(t, http.StatusAccepted, post(t, base+"/v1/held/accept"))
	require.Eventually(t, func() bool { a, in := lists(t, q, helloObj); return len(a)+len(in) == 0 },
		10*time.Second, 50*time.Millisecond, "the accepted change was never applied; output:\n%s", serve.output())
	getJSON(t, base+"/v1/held", &held)
	require.False(t, held.Held)
	require.NoError(t, serve.stop(t))
}

func post(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, fmt.Sprintf("GET %s", url))
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// requireMetrics asks the server at listen once over QueryF and checks that
// /metrics counts the call and the records served.
func requireMetrics(t *testing.T, base string, listen net.Addr) {
	t.Helper()
	locator := fmt.Sprintf("tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p %d", listen.(*net.TCPAddr).Port)
	out, err := exec.Command(tarscacheBin, "query", "--locator", locator, helloObj).CombinedOutput()
	require.NoError(t, err, "%s", out)
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	for _, want := range []string{"tarscache_servants 10\n", `tarscache_endpoints{state="active"} `,
		`tarscache_queryf_requests_total{method="findObjectById4Any",result="ok"} 1` + "\n",
		`tarscache_sync_full_total{reason="first"} 1` + "\n", "tarscache_sync_duration_seconds_bucket{result=\"applied\"",
		"tarscache_queryf_connections ", "go_goroutines ", "process_resident_memory_bytes "} {
		require.Contains(t, string(body), want)
	}
}

// --log-format json writes one JSON object per line, for log shippers.
func TestServe_jsonLogs(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", filepath.Join(t.TempDir(), "tarscache.db"),
		"--listen", freeAddr(t).String(), "--log-format", "json", "--log-level", "debug")
	require.Eventually(t, func() bool { return strings.Contains(serve.output(), `"msg":"sync applied"`) },
		10*time.Second, 50*time.Millisecond, "output:\n%s", serve.output())
	require.NoError(t, serve.stop(t))
	for _, line := range strings.Split(strings.TrimSpace(serve.output()), "\n") {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &v), "not JSON: %s", line)
		require.Contains(t, v, "level")
	}
}

// The admin API of a running serve says when it is ready, shows a record, counts
// what it serves and answers in /metrics, and hands out a hot copy of the file
// that tarscache check accepts.
func TestServe_adminReadyServantsBackup(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	adm, listen := freeAddr(t), freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", filepath.Join(t.TempDir(), "tarscache.db"),
		"--listen", listen.String(), "--admin", adm.String())
	base := "http://" + adm.String()
	var ready struct {
		Ready    bool `json:"ready"`
		Servants int  `json:"servants"`
	}
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&ready) == nil && ready.Servants == 10
	}, 10*time.Second, 50*time.Millisecond, "never ready; output:\n%s", serve.output())

	var rec struct {
		Endpoints []struct {
			Host   string `json:"host"`
			Active bool   `json:"active"`
		} `json:"endpoints"`
	}
	getJSON(t, base+"/v1/servants/"+helloObj, &rec)
	require.Len(t, rec.Endpoints, 3)
	requireMetrics(t, base, listen)

	resp, err := http.Get(base + "/v1/backup")
	require.NoError(t, err)
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, os.WriteFile(copyPath, body, 0o600))
	out, err := exec.Command(tarscacheBin, "check", "--data", copyPath).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "ok, 10 servants, last sync 20")
	require.NoError(t, serve.stop(t))
}
