//go:build !race

package main_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/protocol/endpointf"
)

// Shape of the load test's registry and load.
const (
	loadServants    = 20
	loadNodes       = 3
	loadConns       = 4
	loadGenerations = 150
	loadBasePort    = 20000
	loadRule        = `{"a":50,"b":50}`
)

// loadMethods are the QueryF methods the load mixes, with the tag of their active list.
var loadMethods = []struct {
	name string
	tag  byte
}{{"findObjectById", 0}, {"findObjectById4Any", 2}, {"findObjectByIdInSameGroup", 2}, {"findSubsetConfigById", 2}}

// loadRegistry declares loadServants servants of loadNodes active nodes each, all at
// generation 0 (port loadBasePort), each with a subset rule.
func loadRegistry(t *testing.T, db *testdb.DB) {
	var servers, adapters, rules []string
	for s := range loadServants {
		for n := range loadNodes {
			servers = append(servers, fmt.Sprintf("('Load', 'S%d', '10.8.0.%d', 'active', 'active', 'tars_go')", s, n+1))
			adapters = append(adapters, fmt.Sprintf("('Load', 'S%d', '10.8.0.%d', 'Load.S%[1]d.ObjAdapter', 'Load.S%[1]d.Obj', 'tcp -h 10.8.0.%[2]d -p %d -t 3000')",
				s, n+1, loadBasePort))
		}
		rules = append(rules, fmt.Sprintf("('Load.S%d.Obj', 'Y', 'ratio', '%s')", s, loadRule))
	}
	db.Exec(t, "INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, server_type) VALUES "+strings.Join(servers, ","))
	db.Exec(t, "INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES "+strings.Join(adapters, ","))
	db.Exec(t, "INSERT INTO t_subset_rule (servant, enable, rule_type, rule_data) VALUES "+strings.Join(rules, ","))
}

// loadClient is one raw QueryF connection that checks every answer.
type loadClient struct {
	conn     net.Conn
	r        *bufio.Reader
	rng      *rand.Rand
	lastGen  int           // newest generation this connection has seen
	commited *atomic.Int64 // newest generation written to MySQL (committed or committing)
	requests int
}

// ask sends one request of a random method for a random servant and checks the
// reply: all endpoints of one generation, committed, never older than the last one
// this connection saw.
func (c *loadClient) ask(id int32) error {
	m := loadMethods[c.rng.IntN(len(loadMethods))]
	servant := fmt.Sprintf("Load.S%d.Obj", c.rng.IntN(loadServants))
	rsp, err := c.roundTrip(id, m.name, servant)
	if err != nil {
		return err
	}
	c.requests++
	if m.name == "findSubsetConfigById" {
		return checkConf(rsp)
	}
	return c.checkEndpoints(rsp, m.tag, m.name+" "+servant)
}

func (c *loadClient) roundTrip(id int32, fn, servant string) (*requestf.ResponsePacket, error) {
	buf := codec.NewBuffer()
	_ = buf.WriteString(servant, 1)
	pkt := tarstest.Request(&requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: id,
		SServantName: "tars.tarsregistry.QueryObj", SFuncName: fn, SBuffer: tools.ByteToInt8(buf.ToBytes()), ITimeout: 3000})
	if err := c.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	if _, err := c.conn.Write(pkt); err != nil {
		return nil, err
	}
	var head [4]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(head[:])-4)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return nil, err
	}
	var rsp requestf.ResponsePacket
	if err := rsp.ReadFrom(codec.NewReader(body)); err != nil {
		return nil, err
	}
	if rsp.IRet != 0 || rsp.IRequestId != id {
		return nil, fmt.Errorf("%s %s: ret %d (%s), request id %d for %d", fn, servant, rsp.IRet, rsp.SResultDesc, rsp.IRequestId, id)
	}
	return &rsp, nil
}

func (c *loadClient) checkEndpoints(rsp *requestf.ResponsePacket, tag byte, what string) error {
	eps, err := readEndpoints(tools.Int8ToByte(rsp.SBuffer), tag)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(eps) != loadNodes {
		return fmt.Errorf("%s: %d active endpoints, want %d", what, len(eps), loadNodes)
	}
	gen := int(eps[0].Port) - loadBasePort
	for _, ep := range eps {
		if int(ep.Port)-loadBasePort != gen {
			return fmt.Errorf("%s: endpoints of generations %d and %d in one answer", what, gen, int(ep.Port)-loadBasePort)
		}
	}
	if gen < c.lastGen || int64(gen) > c.commited.Load() {
		return fmt.Errorf("%s: generation %d, after %d on this connection, %d committed", what, gen, c.lastGen, c.commited.Load())
	}
	c.lastGen = gen
	return nil
}

func checkConf(rsp *requestf.ResponsePacket) error {
	r := codec.NewReader(tools.Int8ToByte(rsp.SBuffer))
	var conf endpointf.SubsetConf
	if err := conf.ReadBlock(r, 2, true); err != nil {
		return err
	}
	if !conf.Enable || conf.RuleType != "ratio" || conf.RuleData != loadRule {
		return fmt.Errorf("findSubsetConfigById: %+v", conf)
	}
	return nil
}

// readEndpoints decodes the vector<EndpointF> at tag of a reply buffer.
func readEndpoints(buf []byte, tag byte) ([]endpointf.EndpointF, error) {
	r := codec.NewReader(buf)
	_, ty, err := r.SkipToNoCheck(tag, true)
	if err != nil || ty != codec.LIST {
		return nil, fmt.Errorf("no list at tag %d: %v", tag, err)
	}
	var n int32
	if err := r.ReadInt32(&n, 0, true); err != nil {
		return nil, err
	}
	eps := make([]endpointf.EndpointF, n)
	for i := range eps {
		if err := eps[i].ReadBlock(r, 0, true); err != nil {
			return nil, err
		}
	}
	return eps, nil
}

// rssBytes is a process's resident memory, from /proc.
func rssBytes(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// Several connections keep asking mixed QueryF methods while every servant moves
// to a new generation 150 times, a sync applying each: no request fails, every
// answer is one committed generation (never a mix, never going back on one
// connection), and serve's memory stays flat.
func TestServe_loadDuringSyncs(t *testing.T) {
	db := testdb.New(t)
	loadRegistry(t, db)
	loc := freeAddr(t)
	serve := start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", filepath.Join(t.TempDir(), "tarscache.db"),
		"--listen", loc.String(), "--admin", "off", "--sync-interval", "20ms")
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { a, _ := lists(t, q, "Load.S0.Obj"); return len(a) == loadNodes },
		10*time.Second, 20*time.Millisecond, "output:\n%s", serve.output())

	var committed atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clients := make([]*loadClient, loadConns)
	errs := make(chan error, loadConns)
	var wg sync.WaitGroup
	for i := range clients {
		conn, err := net.Dial("tcp", loc.String())
		require.NoError(t, err)
		defer conn.Close()
		clients[i] = &loadClient{conn: conn, r: bufio.NewReader(conn), rng: rand.New(rand.NewPCG(uint64(i), 7)), commited: &committed}
		wg.Go(func() {
			for id := int32(1); ctx.Err() == nil; id++ {
				if err := clients[i].ask(id); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	warm := rssBytes(t, serve.cmd.Process.Pid)
	for g := 1; g <= loadGenerations; g++ {
		committed.Store(int64(g)) // before the commit: an answer may show it as soon as it lands
		db.Exec(t, "UPDATE t_adapter_conf SET endpoint = CONCAT('tcp -h ', node_name, ' -p ', ?, ' -t 3000') WHERE application = 'Load'", loadBasePort+g)
		time.Sleep(10 * time.Millisecond) // pacing the writer, not a timing assertion
	}
	require.Eventually(t, func() bool {
		a, _ := lists(t, q, "Load.S0.Obj")
		return len(a) > 0 && a[0] == fmt.Sprintf("10.8.0.1:%d", loadBasePort+loadGenerations)
	},
		10*time.Second, 20*time.Millisecond, "the last generation was never served")
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	total, lastSeen := 0, 0
	for _, c := range clients {
		total += c.requests
		lastSeen = max(lastSeen, c.lastGen)
	}
	t.Logf("%d requests on %d connections; newest generation seen %d; RSS %d MiB warm, %d MiB at the end",
		total, loadConns, lastSeen, warm>>20, rssBytes(t, serve.cmd.Process.Pid)>>20)
	require.Greater(t, lastSeen, loadGenerations/2, "answers followed the syncs")
	require.Less(t, rssBytes(t, serve.cmd.Process.Pid), warm+64<<20, "memory grew under load")
	require.NoError(t, serve.stop(t))
}
