//go:build !race

package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// setFileSizeLimit sets the soft RLIMIT_FSIZE of a running process: a write past
// it fails with EFBIG, as on a full disk. Zero restores the hard limit.
func setFileSizeLimit(t *testing.T, pid int, limit uint64) {
	var cur unix.Rlimit
	require.NoError(t, unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &cur))
	cur.Cur = limit
	if limit == 0 {
		cur.Cur = cur.Max
	}
	require.NoError(t, unix.Prlimit(pid, unix.RLIMIT_FSIZE, &cur, nil))
}

// insertServants adds n servants of one endpoint each to the registry.
func insertServants(t *testing.T, db *testdb.DB, n int) {
	var servers, adapters []string
	for i := range n {
		servers = append(servers, fmt.Sprintf("('Big', 'S%d', '10.9.0.1', 'active', 'active', 'tars_go')", i))
		adapters = append(adapters, fmt.Sprintf("('Big', 'S%d', '10.9.0.1', 'Big.S%[1]d.ObjAdapter', 'Big.S%[1]d.Obj', 'tcp -h 10.9.0.1 -p %d -t 3000')", i, 20000+i))
	}
	db.Exec(t, "INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, server_type) VALUES "+
		strings.Join(servers, ","))
	db.Exec(t, "INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES "+
		strings.Join(adapters, ","))
}

// When the cache file cannot grow (a full disk, here a file size limit), syncs fail
// cleanly: serve keeps answering what it had, says why once in its log and counts
// the failures by stage; once the file can grow again, the next sync catches up and
// the file checks out.
func TestServe_fileCannotBeWritten(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	data := filepath.Join(t.TempDir(), "tarscache.db")
	adm, loc := freeAddr(t), freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", data, "--listen", loc.String(),
		"--admin", adm.String(), "--sync-interval", "50ms")
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { a, _ := lists(t, q, helloObj); return len(a) == 2 },
		10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
	st, err := os.Stat(data)
	require.NoError(t, err)
	setFileSizeLimit(t, serve.cmd.Process.Pid, uint64(st.Size()))

	insertServants(t, db, 3000)
	require.Eventually(t, func() bool { return strings.Contains(serve.output(), "cache file cannot be written") },
		10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
	_, metrics := get(t, "http://"+adm.String()+"/metrics", "")
	require.Regexp(t, `tarscache_sync_failures_total\{stage="write"\} [1-9]`, metrics)
	a, _ := lists(t, q, helloObj)
	require.Len(t, a, 2, "answers go on from memory")
	a, _ = lists(t, q, "Big.S7.Obj")
	require.Empty(t, a, "what could not be written is not served")

	setFileSizeLimit(t, serve.cmd.Process.Pid, 0)
	require.Eventually(t, func() bool { a, _ := lists(t, q, "Big.S2999.Obj"); return len(a) == 1 },
		10*time.Second, 20*time.Millisecond, "never caught up; output:\n%s", serve.output())
	// The log line follows the apply that serves the records.
	require.Eventually(t, func() bool { return strings.Contains(serve.output(), "cache file written again") },
		10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())
	require.Equal(t, 1, strings.Count(serve.output(), "cache file cannot be written"), "logged once:\n%s", serve.output())
	require.NoError(t, serve.stop(t))
	out, err := runBin("check", "--data", data)
	require.NoError(t, err, out)
}
