//go:build !race

package main_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars/util/current"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/protocol/queryf"
	"github.com/tarscache/tarscache/subset/client"
)

const echoObj = "E2E.EchoServer.EchoObj"

// registerEchoNode declares E2E.EchoServer on node with its EchoObj adapter on addr,
// in subset label (none when "").
func registerEchoNode(t *testing.T, db *testdb.DB, node string, addr *net.TCPAddr, label string) {
	db.Exec(t, `INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, server_type)
		VALUES ('E2E', 'EchoServer', ?, 'active', 'active', 'tars_go')`, node)
	db.Exec(t, `INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint)
		VALUES ('E2E', 'EchoServer', ?, 'E2E.EchoServer.EchoObjAdapter', ?, ?)`, node, echoObj,
		fmt.Sprintf("tcp -h %s -p %d -t 60000", addr.IP, addr.Port))
	if label != "" {
		db.Exec(t, `INSERT INTO t_server_subset (application, server_name, node_name, subset) VALUES ('E2E', 'EchoServer', ?, ?)`, node, label)
	}
}

func listening(addr *net.TCPAddr) bool {
	c, err := net.Dial("tcp", addr.String())
	if err == nil {
		c.Close()
	}
	return err == nil
}

// portsReached makes n calls through a proxy bound by bind and returns the ports
// of the echo servers that answered, sorted and without repeats.
func portsReached(t *testing.T, n int, bind func(p *queryf.QueryF)) []int32 {
	t.Helper()
	ports, err := tryPorts(n, bind)
	require.NoError(t, err)
	return ports
}

// tryPorts is portsReached, failing with the first failed call.
func tryPorts(n int, bind func(p *queryf.QueryF)) ([]int32, error) {
	var ports []int32
	for i := range n {
		p := new(queryf.QueryF)
		bind(p)
		got, err := p.FindObjectById(fmt.Sprint("call-", i))
		if err != nil || len(got) != 1 {
			return nil, fmt.Errorf("call %d: %v answers, err %v", i, len(got), err)
		}
		ports = append(ports, got[0].Port)
	}
	slices.Sort(ports)
	return slices.Compact(ports), nil
}

// A stock TarsGo client routes each call by its route key through tarscache: the
// rule and the subset labels registered in MariaDB send it only to the servers of
// the chosen subset, and to every server when that subset has none.
func TestRouter_endToEndWithStockTarsGo(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	// One loopback address per server: TarsGo's round robin tells endpoints apart by host only.
	a, b, c, loc := freeAddrOn(t, "127.0.0.11"), freeAddrOn(t, "127.0.0.12"), freeAddrOn(t, "127.0.0.13"), freeAddr(t)
	registerEchoNode(t, db, "node-a", a, "v1")
	registerEchoNode(t, db, "node-b", b, "v1")
	registerEchoNode(t, db, "node-c", c, "v2")
	db.Exec(t, `INSERT INTO t_subset_rule (servant, enable, rule_type, rule_data) VALUES (?, 'Y', 'key', ?)`, echoObj,
		`[{"equal":"vip","route":"v2"},{"equal":"ghost","route":"v9"},{"default":"v1"}]`)
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", t.TempDir()+"/tarscache.db",
		"--listen", loc.String(), "--sync-interval", "200ms")
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { a, _ := lists(t, q, echoObj); return len(a) == 3 },
		10*time.Second, 50*time.Millisecond, "tarscache never served the echo servers; output:\n%s", serve.output())
	locator := tarstest.Locator(loc)
	for _, addr := range []*net.TCPAddr{a, b, c} {
		startEchoOn(t, addr, locator)
	}
	for _, addr := range []*net.TCPAddr{a, b, c} {
		// A TarsGo client that meets a refused connection leaves that endpoint
		// aside for a while: call only once every server listens.
		require.Eventually(t, func() bool { return listening(addr) }, 15*time.Second, 50*time.Millisecond)
	}

	comm := tarstest.NewCommunicator(t)
	comm.SetProperty("locator", locator)
	router, err := client.New(comm, echoObj, client.Options{Refresh: -1})
	require.NoError(t, err)
	defer router.Close()
	require.NoError(t, router.Refresh(context.Background()))
	require.True(t, router.Rule().Enable)

	v1 := slices.Sorted(slices.Values([]int32{int32(a.Port), int32(b.Port)}))
	all := slices.Sorted(slices.Values([]int32{int32(a.Port), int32(b.Port), int32(c.Port)}))
	require.Equal(t, v1, portsReached(t, 20, func(p *queryf.QueryF) { router.BindKey("bob", p) }),
		"calls with key bob reach v1's two servers, and only them")
	require.Equal(t, []int32{int32(c.Port)}, portsReached(t, 20, func(p *queryf.QueryF) { router.BindKey("vip", p) }))

	ctx := current.ContextWithTarsCurrent(context.Background())
	current.SetRequestStatus(ctx, map[string]string{client.StatusRouteKeyCpp: "vip"})
	require.Equal(t, []int32{int32(c.Port)}, portsReached(t, 10, func(p *queryf.QueryF) { router.Bind(ctx, p) }),
		"the route key is read from the request status")

	require.Equal(t, all, portsReached(t, 30, func(p *queryf.QueryF) { router.BindKey("ghost", p) }),
		"a subset without servers falls back to all of them")

	db.Exec(t, `UPDATE t_server_subset SET subset = 'v3' WHERE node_name = 'node-c'`)
	require.Eventually(t, func() bool {
		_, hasV2 := router.Subsets()["v2"]
		return router.Refresh(context.Background()) == nil && !hasV2
	}, 10*time.Second, 100*time.Millisecond, "the label change never reached the router")
	require.Equal(t, all, portsReached(t, 30, func(p *queryf.QueryF) { router.BindKey("vip", p) }),
		"once v2 is empty, vip calls reach every server")
}
