// Command echoserver is a stock TarsGo server (tars.Run with a config file) for
// tarscache's end-to-end tests. Its servant E2E.EchoServer.EchoObj speaks the QueryF
// interface, only because that interface is already generated in this repository:
// findObjectById answers one endpoint whose host is "echo:" followed by the id and
// whose port is the server's own, so that a test sees which server answered.
package main

import (
	"context"

	"github.com/TarsCloud/TarsGo/tars"

	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
	tarscache "github.com/tarscache/tarscache/tars"
)

type echo struct {
	*tarscache.Handler
	port int32
}

func (e echo) FindObjectById(_ context.Context, id string) ([]endpointf.EndpointF, error) {
	return []endpointf.EndpointF{{Host: "echo:" + id, Port: e.port}}, nil
}

func main() {
	cfg := tars.GetServerConfig()
	obj := cfg.App + "." + cfg.Server + ".EchoObj"
	servant := new(queryf.QueryF)
	servant.AddServantWithContext(echo{port: cfg.Adapters[obj+"Adapter"].Endpoint.Port}, obj)
	tars.Run()
}
