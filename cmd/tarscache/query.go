package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	tarsgo "github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/rogger"
	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
)

// queryOptions are the settings of "tarscache query".
type queryOptions struct {
	locator, method, station, set, nodeName, format string
	id                                              string
}

// answer is what one QueryF call returned.
type answer struct {
	Method   string                `json:"method"`
	ID       string                `json:"id"`
	Ret      int32                 `json:"ret"`
	Active   []endpointf.EndpointF `json:"active"`
	Inactive []endpointf.EndpointF `json:"inactive"`
}

func queryCommand() *cli.Command {
	var o queryOptions
	return &cli.Command{
		Name:      "query",
		Usage:     "ask a locator (tarscache or the official registry) for a servant's endpoints over QueryF",
		ArgsUsage: "SERVANT",
		Description: `Methods: byid (findObjectById), any (findObjectById4Any), all (findObjectById4All),
samegroup (findObjectByIdInSameGroup), station (findObjectByIdInSameStation, needs --station),
set (findObjectByIdInSameSet, needs --set).

Example:
   tarscache query --locator "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890" --method samegroup Demo.HelloServer.HelloObj`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "locator", Value: "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890", EnvVars: []string{"TARSCACHE_LOCATOR"},
				Destination: &o.locator, Usage: "`LOCATOR` string of the QueryObj to ask"},
			&cli.StringFlag{Name: "method", Value: "samegroup", EnvVars: []string{"TARSCACHE_METHOD"}, Destination: &o.method,
				Usage: "QueryF `METHOD`: byid, any, all, samegroup, station or set"},
			&cli.StringFlag{Name: "station", EnvVars: []string{"TARSCACHE_STATION"}, Destination: &o.station, Usage: "station for --method station"},
			&cli.StringFlag{Name: "set", EnvVars: []string{"TARSCACHE_SET"}, Destination: &o.set, Usage: "set id name.area.group for --method set"},
			&cli.StringFlag{Name: "node-name", EnvVars: []string{"TARSCACHE_NODE_NAME"}, Destination: &o.nodeName,
				Usage: "client node_name sent in the request context (IDC group selection)"},
			&cli.StringFlag{Name: "format", Value: "table", EnvVars: []string{"TARSCACHE_FORMAT"}, Destination: &o.format, Usage: "table or json"},
		},
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("query takes one SERVANT argument, got %d", c.NArg())
			}
			o.id = c.Args().First()
			return query(c.App.Writer, o)
		},
	}
}

func query(w io.Writer, o queryOptions) error {
	if o.format != "table" && o.format != "json" {
		return usageErrorf("--format %q: want table or json", o.format)
	}
	m, ok := queryMethods[o.method]
	if !ok {
		return usageErrorf("--method %q: want byid, any, all, samegroup, station or set", o.method)
	}
	q, err := queryProxy(o.locator)
	if err != nil {
		return err
	}
	a := answer{Method: m.wire, ID: o.id}
	// A fresh context map per call: the generated proxy overwrites the one it gets.
	a.Ret, err = m.call(q, o, &a, map[string]string{"node_name": o.nodeName})
	if err != nil {
		return fmt.Errorf("query %s of %s via %q: %w", a.Method, o.id, o.locator, err)
	}
	if o.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(a)
	}
	return writeAnswer(w, a)
}

// queryMethod is one QueryF method as "tarscache query --method" names it.
type queryMethod struct {
	wire string
	call func(q *queryf.QueryF, o queryOptions, a *answer, ctx map[string]string) (int32, error)
}

var queryMethods = map[string]queryMethod{
	"byid": {"findObjectById", func(q *queryf.QueryF, o queryOptions, a *answer, ctx map[string]string) (int32, error) {
		var err error
		a.Active, err = q.FindObjectById(o.id, ctx)
		return 0, err
	}},
	"any": {"findObjectById4Any", func(q *queryf.QueryF, o queryOptions, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectById4Any(o.id, &a.Active, &a.Inactive, ctx)
	}},
	"all": {"findObjectById4All", func(q *queryf.QueryF, o queryOptions, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectById4All(o.id, &a.Active, &a.Inactive, ctx)
	}},
	"samegroup": {"findObjectByIdInSameGroup", func(q *queryf.QueryF, o queryOptions, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectByIdInSameGroup(o.id, &a.Active, &a.Inactive, ctx)
	}},
	"station": {"findObjectByIdInSameStation", func(q *queryf.QueryF, o queryOptions, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectByIdInSameStation(o.id, o.station, &a.Active, &a.Inactive, ctx)
	}},
	"set": {"findObjectByIdInSameSet", func(q *queryf.QueryF, o queryOptions, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectByIdInSameSet(o.id, o.set, &a.Active, &a.Inactive, ctx)
	}},
}

// queryProxy returns a TarsGo QueryF proxy on locator. TarsGo reads its own
// configuration file; a minimal one keeps it quiet and away from our arguments.
func queryProxy(locator string) (*queryf.QueryF, error) {
	dir, err := os.MkdirTemp("", "tarscache-query-")
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer os.RemoveAll(dir)
	conf := filepath.Join(dir, "client.conf")
	const quiet = "<tars>\n<application>\n<server>\nlogLevel=ERROR\n</server>\n</application>\n</tars>\n"
	if err := os.WriteFile(conf, []byte(quiet), 0o600); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	tarsgo.ServerConfigPath = conf
	comm := tarsgo.NewCommunicator()
	rogger.SetLevel(rogger.OFF) // failures reach the user as our one-line error
	q := new(queryf.QueryF)
	comm.StringToProxy(locator, q)
	return q, nil
}

func writeAnswer(w io.Writer, a answer) error {
	fmt.Fprintf(w, "%s(%q) ret=%d: %d active, %d inactive\n", a.Method, a.ID, a.Ret, len(a.Active), len(a.Inactive))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tPROTO\tHOST\tPORT\tTIMEOUT\tWEIGHT\tWEIGHTTYPE\tNODE\tSET\tGROUP")
	for _, list := range []struct {
		state string
		eps   []endpointf.EndpointF
	}{{"active", a.Active}, {"inactive", a.Inactive}} {
		for _, e := range list.eps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%d\n", list.state, protoName(e.Istcp), e.Host, e.Port,
				e.Timeout, e.Weight, e.WeightType, dash(e.NodeName), dash(e.SetId), e.Groupworkid)
		}
	}
	return tw.Flush()
}

func protoName(istcp int32) string {
	switch istcp {
	case 0:
		return "udp"
	case 1:
		return "tcp"
	case 2:
		return "ssl"
	}
	return fmt.Sprint(istcp)
}
