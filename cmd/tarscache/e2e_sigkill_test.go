//go:build !race

package main_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// Shape of the crash test: a registry whose every endpoint carries the generation
// it was written in, moved to the next one by a single statement.
const (
	crashServants = 40
	crashNodes    = 2
	crashKills    = 50
	crashBase     = 30000
)

// crashRegistry declares the registry at generation 0.
func crashRegistry(t *testing.T, db *testdb.DB) {
	var servers, adapters []string
	for s := range crashServants {
		for n := range crashNodes {
			servers = append(servers, fmt.Sprintf("('Crash', 'S%d', '10.7.0.%d', 'active', 'active', 'tars_go')", s, n+1))
			adapters = append(adapters, fmt.Sprintf("('Crash', 'S%d', '10.7.0.%d', 'Crash.S%[1]d.ObjAdapter', 'Crash.S%[1]d.Obj', 'tcp -h 10.7.0.%[2]d -p %d -t 3000')",
				s, n+1, crashBase))
		}
	}
	db.Exec(t, "INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, server_type) VALUES "+strings.Join(servers, ","))
	db.Exec(t, "INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES "+strings.Join(adapters, ","))
}

// fileGeneration opens the cache file read-only and returns the one generation all
// of the registry's endpoints are in (-1 for a file that holds none of them yet),
// failing the test on a mix.
func fileGeneration(t *testing.T, data string) int {
	c, err := cache.Open(data, cache.Options{ReadOnly: true})
	require.NoError(t, err, "the file must always open")
	defer c.Close()
	gen, seen := -1, 0
	for s := range crashServants {
		e, ok := c.Snapshot().Lookup(fmt.Sprintf("Crash.S%d.Obj", s))
		if !ok {
			continue
		}
		seen++
		require.Len(t, e.Servant.Endpoints, crashNodes)
		for _, ep := range e.Servant.Endpoints {
			g := int(ep.Port) - crashBase
			require.True(t, gen == -1 || gen == g, "servants of generations %d and %d in one file", gen, g)
			gen = g
		}
	}
	require.True(t, seen == 0 || seen == crashServants, "the file holds %d of %d servants", seen, crashServants)
	return gen
}

// tarscache serve killed with SIGKILL at random moments while it syncs a registry
// that changes every few milliseconds, fifty times over: the file always opens and
// checks out, and it always holds one generation the database committed, never a
// mix; restarted without MySQL, serve answers that same generation.
func TestServe_sigkillDuringSyncsLosesNothing(t *testing.T) {
	db := testdb.New(t)
	crashRegistry(t, db)
	data := filepath.Join(t.TempDir(), "tarscache.db")
	var written atomic.Int64 // newest generation written (committed or committing)
	ctx, cancel := context.WithCancel(context.Background())
	writer := make(chan error, 1)
	go func() {
		for g := 1; ctx.Err() == nil; g++ {
			written.Store(int64(g))
			if _, err := db.SQL.Exec("UPDATE t_adapter_conf SET endpoint = CONCAT('tcp -h ', node_name, ' -p ', ?, ' -t 3000') WHERE application = 'Crash'", crashBase+g); err != nil {
				writer <- err
				return
			}
			time.Sleep(2 * time.Millisecond) // pacing the writer, not a timing assertion
		}
		writer <- nil
	}()
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	last, generations := -1, map[int]bool{}
	for kill := range crashKills {
		serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", data, "--listen", freeAddr(t).String(),
			"--admin", "off", "--sync-interval", "20ms")
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond) // the random moment of the crash
		serve.kill(t)
		if _, err := os.Stat(data); errors.Is(err, os.ErrNotExist) {
			continue // killed before it created the file: nothing was committed
		}
		out, err := runBin("check", "--data", data)
		require.NoError(t, err, "kill %d: check failed:\n%s\nserve said:\n%s", kill, out, serve.output())
		gen := fileGeneration(t, data)
		require.LessOrEqual(t, int64(gen), written.Load(), "kill %d: a generation never written", kill)
		require.GreaterOrEqual(t, gen, last, "kill %d: the file went back from generation %d to %d", kill, last, gen)
		last, generations[gen] = gen, true
		if kill%10 == 9 {
			requireServedGeneration(t, data, gen)
		}
	}
	cancel()
	require.NoError(t, <-writer)
	t.Logf("%d kills; the file held %d distinct generations, the last %d of %d written", crashKills, len(generations), last, written.Load())
	require.Greater(t, len(generations), crashKills/5, "kills must land while syncs keep applying changes")
}

// requireServedGeneration restarts serve on the file with MySQL unreachable and
// checks that QueryF answers the file's generation.
func requireServedGeneration(t *testing.T, data string, gen int) {
	loc := freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", "root@tcp(127.0.0.1:1)/db_tars?timeout=1s", "--data", data,
		"--listen", loc.String(), "--admin", "off")
	q := tarstest.QueryClient(t, loc)
	want := fmt.Sprintf("10.7.0.1:%d", crashBase+gen)
	require.Eventually(t, func() bool {
		a, _ := lists(t, q, "Crash.S7.Obj")
		return len(a) == crashNodes && (a[0] == want || a[1] == want)
	},
		10*time.Second, 20*time.Millisecond, "serve did not answer generation %d; output:\n%s", gen, serve.output())
	require.NoError(t, serve.stop(t))
}
