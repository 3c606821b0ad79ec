//go:build !race

// Tests that run a stock TarsGo client in this process. TarsGo v1.4.6 has a data
// race of its own (util/gtime updates a global clock without synchronisation and
// every client call reads it), so these tests are left out of -race builds; make
// test runs them in a second pass without -race. The server itself is covered
// under -race by the raw-packet tests of server_test.go.

package tars_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/tars"
)

// A stock TarsGo client gets every list the official registry would give it.
func TestServer_QueryF_stockTarsGoClient(t *testing.T) {
	srv := serve(t, sampleCache(t))
	q := tarstest.QueryClient(t, srv.Addr())

	active, err := q.FindObjectById("Demo.HelloServer.HelloObj")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"10.0.0.1", "10.0.0.2"}, hostsOf(active))

	type call func(string, *[]endpointf.EndpointF, *[]endpointf.EndpointF, ...map[string]string) (int32, error)
	for name, fn := range map[string]call{"4Any": q.FindObjectById4Any, "4All": q.FindObjectById4All, "SameGroup": q.FindObjectByIdInSameGroup} {
		var a, in []endpointf.EndpointF
		ret, err := fn("Demo.HelloServer.HelloObj", &a, &in)
		require.NoError(t, err, name)
		require.Zero(t, ret, name)
		require.ElementsMatch(t, []string{"10.0.0.1", "10.0.0.2"}, hostsOf(a), name)
		require.Equal(t, []string{"10.0.0.3"}, hostsOf(in), name)
		require.Equal(t, int32(1), a[0].Istcp, name)
		require.Equal(t, int32(-1), a[0].Grouprealid, name)
	}
}

// An unknown servant is not an error: ret 0 and empty lists.
func TestServer_QueryF_unknownServant(t *testing.T) {
	srv := serve(t, sampleCache(t))
	q := tarstest.QueryClient(t, srv.Addr())
	var a, in []endpointf.EndpointF
	ret, err := q.FindObjectById4Any("No.Such.Obj", &a, &in)
	require.NoError(t, err)
	require.Zero(t, ret)
	require.Empty(t, a)
	require.Empty(t, in)
}

// findSubsetConfigById says "no rule"; enterprise methods answer -1.
func TestServer_QueryF_otherMethods(t *testing.T) {
	srv := serve(t, sampleCache(t))
	q := tarstest.QueryClient(t, srv.Addr())

	var conf endpointf.SubsetConf
	ret, err := q.FindSubsetConfigById("Demo.HelloServer.HelloObj", &conf)
	require.NoError(t, err)
	require.Zero(t, ret)
	require.False(t, conf.Enable)

	ret, err = q.RegisterQuery("Demo.HelloServer.HelloObj", "me")
	require.NoError(t, err)
	require.Equal(t, int32(-1), ret)
}

// findSubsetConfigById answers the rule in force, and every answer carries each
// endpoint's subset label (EndpointF tag 15).
func TestServer_QueryF_subsets(t *testing.T) {
	c := cachetest.Open(t, "")
	s := cachetest.Servant("Demo.HelloServer.HelloObj", 10015, "10.0.0.1", "10.0.0.2")
	s.Endpoints[0].Subset, s.Endpoints[1].Subset = "v1", "v2"
	rule := snapshot.SubsetRule{Servant: s.ID, Enable: true, Type: "ratio", Data: `{"v1":20,"v2":80}`}
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{s}, Rules: []snapshot.SubsetRule{rule}})
	require.NoError(t, err)
	q := tarstest.QueryClient(t, serve(t, c).Addr())

	var conf endpointf.SubsetConf
	ret, err := q.FindSubsetConfigById(s.ID, &conf)
	require.NoError(t, err)
	require.Zero(t, ret)
	require.Equal(t, endpointf.SubsetConf{Enable: true, RuleType: "ratio", RuleData: `{"v1":20,"v2":80}`}, conf)

	var a, in []endpointf.EndpointF
	_, err = q.FindObjectByIdInSameGroup(s.ID, &a, &in)
	require.NoError(t, err)
	labels := map[string]string{}
	for _, ep := range a {
		labels[ep.Host] = ep.Subset
	}
	require.Equal(t, map[string]string{"10.0.0.1": "v1", "10.0.0.2": "v2"}, labels)
}

// The stock client's callers share its connection and call at once, so the
// server receives their requests together and, while busy, collects them after
// its batch window: each caller still gets its own answer, whatever the window.
func TestServer_QueryF_concurrentCallersGetTheirOwnAnswers(t *testing.T) {
	for _, window := range []time.Duration{-1, 0, tars.MaxBatchWindow} {
		t.Run(fmt.Sprintf("batch window %v", window), func(t *testing.T) {
			q := tarstest.QueryClient(t, serveOpts(t, sampleCache(t), tars.Options{BatchWindow: window}).Addr())
			var wg sync.WaitGroup
			errs := make(chan error, 32)
			for caller := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- callRepeatedly(q, caller%2 == 0, 200)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
		})
	}
}

// callRepeatedly asks calls times for the sample servant (known) or for one
// that does not exist, and says where an answer was not the one due.
func callRepeatedly(q interface {
	FindObjectById4Any(string, *[]endpointf.EndpointF, *[]endpointf.EndpointF, ...map[string]string) (int32, error)
}, known bool, calls int) error {
	id, want := "No.Such.Obj", 0
	if known {
		id, want = "Demo.HelloServer.HelloObj", 2
	}
	for i := range calls {
		var a, in []endpointf.EndpointF
		if _, err := q.FindObjectById4Any(id, &a, &in); err != nil {
			return fmt.Errorf("call %d for %s: %w", i, id, err)
		}
		if len(a) != want {
			return fmt.Errorf("call %d for %s: %d active endpoints, want %d", i, id, len(a), want)
		}
	}
	return nil
}
