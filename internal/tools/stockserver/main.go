package main

import (
	"context"
	"fmt"
	"os"

	"github.com/TarsCloud/TarsGo/tars"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/tools/loadgen/bench"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
	tarscache "github.com/tarscache/tarscache/tars"
)

// stock is the servant of one adapter.
type stock struct {
	*tarscache.Handler
	port     int32
	constant snapshot.Lists
}

func (s stock) FindObjectById(_ context.Context, id string) ([]endpointf.EndpointF, error) {
	return []endpointf.EndpointF{{Host: "echo:" + id, Port: s.port}}, nil
}

func (s stock) FindObjectByIdInSameGroup(_ context.Context, _ string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	*active, *inactive = s.constant.Active, s.constant.Inactive
	return 0, nil
}

func (s stock) FindObjectById4Any(_ context.Context, _ string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	*active, *inactive = s.constant.Active, s.constant.Inactive
	return 0, nil
}

func (s stock) FindObjectByIdInSameSet(_ context.Context, _, _ string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	*active, *inactive = s.constant.Active, s.constant.Inactive
	return 0, nil
}

func main() {
	snap, err := cache.NewSnapshot(cache.State{Servants: []snapshot.Servant{bench.Servant()}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "stockserver:", err)
		os.Exit(1)
	}
	e, _ := snap.Lookup(bench.ServantID)
	for _, a := range tars.GetServerConfig().Adapters {
		if a.Obj == "" || a.Obj == "AdminObj" { // TarsGo's own admin adapter
			continue
		}
		servant := new(queryf.QueryF)
		servant.AddServantWithContext(stock{port: a.Endpoint.Port, constant: e.AllLists()}, a.Obj)
	}
	tars.Run()
}
