// Command baseline is the reference server of tarscache's load test: a stock TarsGo
// server (tars.Run with a config file) whose QueryF servant answers
// findObjectByIdInSameGroup with a constant list, the very endpoints tarscache
// answers for the benchmark servant (package loadgen's Servant), without any
// lookup. It measures what TarsGo's own transport and codec cost for the same reply.
package main

import (
	"context"

	"github.com/TarsCloud/TarsGo/tars"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/loadgen/bench"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
	tarscache "github.com/tarscache/tarscache/tars"
)

// constant answers every servant with the benchmark servant's lists.
type constant struct {
	*tarscache.Handler
	answer cache.Lists
}

func (c constant) FindObjectByIdInSameGroup(_ context.Context, _ string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	*active, *inactive = c.answer.Active, c.answer.Inactive
	return 0, nil
}

func main() {
	snap, err := cache.NewSnapshot(cache.State{Servants: []cache.Servant{bench.Servant()}})
	if err != nil {
		panic(err)
	}
	e, _ := snap.Lookup(bench.ServantID)
	cfg := tars.GetServerConfig()
	servant := new(queryf.QueryF)
	servant.AddServantWithContext(constant{answer: e.All}, cfg.App+"."+cfg.Server+".QueryObj")
	tars.Run()
}
