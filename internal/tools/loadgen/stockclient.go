package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/TarsCloud/TarsGo/tars"

	"github.com/tarscache/tarscache/internal/tools/loadgen/bench"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
)

// How the stock TarsGo client (v1.4.6) is made to use n connections to one server:
// a QueryF proxy talks through the endpoint manager that GetManager keeps per
// object string and communicator settings, process-wide, and that manager holds one
// adapter proxy, thus one TCP connection, per endpoint. Every caller of one proxy
// string is multiplexed on that one connection, as in a real client process. So
// each connection is a proxy of its own object string: the same servant and
// address with a different endpoint timeout (-t), which only names the manager.
// A string is never used twice in the process, so each stockClient opens fresh
// connections, and managers of finished clients stay idle until loadgen exits.

// clientConfig keeps TarsGo from parsing loadgen's own flags (it reads -config from
// os.Args when no file is set) and keeps its logs to errors.
const clientConfig = `<tars>
  <application>
    <server>
      logLevel=ERROR
    </server>
    <client>
      async-invoke-timeout=3000
    </client>
  </application>
</tars>
`

var (
	configOnce sync.Once
	configErr  error
	// proxySerial makes every proxy string unique (see above).
	proxySerial atomic.Int64
)

// configureTars points TarsGo at clientConfig before its first use in this process.
func configureTars() error {
	configOnce.Do(func() {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("tarscache-loadgen-client-%d.conf", os.Getpid()))
		if configErr = os.WriteFile(path, []byte(clientConfig), 0o600); configErr != nil {
			return
		}
		tars.ServerConfigPath = path
		tars.GetClientConfig()
		configErr = os.Remove(path)
	})
	return configErr
}

// method is a QueryF lookup a client makes.
type method struct {
	name string
	call func(q *queryf.QueryF, active, inactive *[]endpointf.EndpointF) (int32, error)
}

// benchSet is the set the benchmark servant's servers are in (benchRows).
const benchSet = "bench.s.1"

var methods = []method{
	{"findObjectByIdInSameGroup", func(q *queryf.QueryF, a, i *[]endpointf.EndpointF) (int32, error) {
		return q.FindObjectByIdInSameGroup(bench.ServantID, a, i)
	}},
	{"findObjectById4Any", func(q *queryf.QueryF, a, i *[]endpointf.EndpointF) (int32, error) {
		return q.FindObjectById4Any(bench.ServantID, a, i)
	}},
	{"findObjectByIdInSameSet", func(q *queryf.QueryF, a, i *[]endpointf.EndpointF) (int32, error) {
		return q.FindObjectByIdInSameSet(bench.ServantID, benchSet, a, i)
	}},
}

// stockClient is n connections of the stock TarsGo client to one server.
type stockClient struct {
	proxies []*queryf.QueryF
}

// newStockClient returns a client of n connections to t; they are opened by the
// first call on each.
func newStockClient(t target, n int) (*stockClient, error) {
	if err := configureTars(); err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(t.addr)
	if err != nil {
		return nil, err
	}
	comm := tars.NewCommunicator()
	c := &stockClient{}
	for range n {
		q := new(queryf.QueryF)
		comm.StringToProxy(fmt.Sprintf("%s@tcp -h %s -p %s -t %d", t.servant, host, port, 60000+proxySerial.Add(1)), q)
		c.proxies = append(c.proxies, q)
	}
	return c, nil
}

// errAnswer is returned when a lookup answers other than 10 active endpoints.
var errAnswer = errors.New("loadgen: unexpected answer")

// call makes one lookup with m on connection i and checks its answer.
func (c *stockClient) call(m method, i int) error {
	var active, inactive []endpointf.EndpointF
	ret, err := m.call(c.proxies[i%len(c.proxies)], &active, &inactive)
	switch {
	case err != nil:
		return err
	case ret != 0 || len(active) != 10:
		return fmt.Errorf("%w: %s returned %d with %d active endpoints", errAnswer, m.name, ret, len(active))
	}
	return nil
}

// warm makes one call on every connection, which opens it.
func (c *stockClient) warm(m method) error {
	for i := range c.proxies {
		if err := c.call(m, i); err != nil {
			return err
		}
	}
	return nil
}
