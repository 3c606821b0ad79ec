//go:build !race

package main_test

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// writeSecret writes content to a file of its own, readable by its owner only.
func writeSecret(t *testing.T, content string) string {
	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, []byte(content+"\n"), 0o600))
	return path
}

// runBin runs the tarscache binary to completion and returns its combined output.
func runBin(args ...string) (string, error) {
	out, err := exec.Command(tarscacheBin, args...).CombinedOutput()
	return string(out), err
}

// ready says whether the admin API at base answers /readyz with 200.
func ready(base string) bool {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// get fetches url with an optional bearer token and returns the status and body.
func get(t *testing.T, url, token string) (int, string) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// The password of a DSN given by --dsn-file (one or several) appears nowhere: not in serve's logs
// (driver messages included), not in its metrics or admin answers, not in the
// errors of sync and db migrate, whether MySQL refuses it or the DSN is malformed.
func TestServe_dsnPasswordNeverShown(t *testing.T) {
	const password = "Pa55-w0rd-NEVER-SHOWN"
	db := testdb.New(t, "sample.sql")
	cfg, err := mysql.ParseDSN(db.DSN)
	require.NoError(t, err)
	cfg.User, cfg.Passwd = "tarscache_nobody", password
	wrong := writeSecret(t, cfg.FormatDSN())
	second := cfg.Clone()
	second.Addr = freeAddr(t).String() // nothing listens there
	wrongTwo := writeSecret(t, cfg.FormatDSN()+"\n"+second.FormatDSN())
	malformed := writeSecret(t, "tarscache:"+password+"@tcp(127.0.0.1:3306/db_tars")

	adm, loc := freeAddr(t), freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn-file", wrongTwo, "--data", filepath.Join(t.TempDir(), "tarscache.db"),
		"--listen", loc.String(), "--admin", adm.String(), "--sync-interval", "50ms", "--log-level", "debug")
	require.Eventually(t, func() bool { return strings.Contains(serve.output(), "database unreachable") },
		10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
	seen := []string{serve.output()}
	for _, path := range []string{"/metrics", "/readyz", "/v1/records", "/v1/held", "/v1/sources"} {
		_, body := get(t, "http://"+adm.String()+path, "")
		seen = append(seen, body)
	}
	for _, args := range [][]string{
		{"sync", "--dsn-file", wrong, "--data", filepath.Join(t.TempDir(), "x.db")},
		{"sync", "--dsn-file", wrongTwo, "--data", filepath.Join(t.TempDir(), "z.db")},
		{"sync", "--dsn-file", malformed, "--data", filepath.Join(t.TempDir(), "y.db")},
		{"db", "migrate", "--dsn-file", wrong},
		{"db", "migrate", "--dsn-file", malformed},
	} {
		out, err := runBin(args...)
		require.Error(t, err, "%v must fail", args)
		seen = append(seen, out)
	}
	require.NoError(t, serve.stop(t))
	seen = append(seen, serve.output())
	for i, text := range seen {
		require.NotContains(t, text, password, "output %d shows the password:\n%s", i, text)
	}
	require.Contains(t, strings.Join(seen, "\n"), "Access denied", "MySQL's refusal itself is reported")
}

// With --admin-token-file (which an admin API bound beyond loopback needs), every request
// but /healthz and /readyz needs the token, and dump --admin sends it.
func TestServe_adminToken(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	token := writeSecret(t, "tok-123")
	adm, loc := freeAddrOn(t, "127.0.0.1"), freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", filepath.Join(t.TempDir(), "tarscache.db"),
		"--listen", loc.String(), "--admin", adm.String(), "--admin-token-file", token)
	base := "http://" + adm.String()
	require.Eventually(t, func() bool { return ready(base) }, 10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
	code, _ := get(t, base+"/healthz", "")
	require.Equal(t, http.StatusOK, code)
	code, body := get(t, base+"/v1/records", "")
	require.Equal(t, http.StatusUnauthorized, code)
	require.NotContains(t, body, "HelloObj")
	code, body = get(t, base+"/v1/records", "tok-123")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "HelloObj")

	out, err := runBin("dump", "--admin", adm.String(), "Demo.")
	require.Error(t, err)
	require.Contains(t, out, "401")
	out, err = runBin("dump", "--admin", adm.String(), "--admin-token-file", token, "Demo.")
	require.NoError(t, err, out)
	require.Contains(t, out, "Demo.HelloServer.HelloObj")
}

// With --allow, a client outside the networks is disconnected before any answer
// and counted in tarscache_queryf_connections_refused_total.
func TestServe_allow(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	adm, loc := freeAddr(t), freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", filepath.Join(t.TempDir(), "tarscache.db"),
		"--listen", loc.String(), "--admin", adm.String(), "--allow", "10.0.0.0/8", "--allow", "192.168.1.7")
	require.Eventually(t, func() bool { return ready("http://" + adm.String()) }, 10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
	q := tarstest.QueryClient(t, loc)
	a, _ := lists(t, q, helloObj)
	require.Empty(t, a, "a client from 127.0.0.1 gets nothing")
	_, metrics := get(t, "http://"+adm.String()+"/metrics", "")
	require.Regexp(t, `tarscache_queryf_connections_refused_total\{reason="not_allowed"\} [1-9]`, metrics)
	require.Contains(t, serve.output(), "QueryF connection refused")
}
