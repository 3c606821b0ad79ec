package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/rogger"
	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
)

// queryOptions are the settings of "tarscache query".
type queryOptions struct {
	locator, method, format string
	timeout                 time.Duration
	lookup
}

// lookup is one QueryF question: the servant id and the arguments some methods
// also send (station, set id, and the node_name request context).
type lookup struct {
	id, station, set, nodeName string
}

// answer is what one QueryF call returned.
type answer struct {
	Method   string                `json:"method"`
	ID       string                `json:"id"`
	Ret      int32                 `json:"ret"`
	Active   []endpointf.EndpointF `json:"active"`
	Inactive []endpointf.EndpointF `json:"inactive"`
	// Subset is the findSubsetConfigById answer (--method subset only).
	Subset *endpointf.SubsetConf `json:"subset,omitempty"`
}

// queryCommand is "tarscache query": it prints one QueryF answer of a locator.
func queryCommand() *cli.Command {
	var o queryOptions
	return &cli.Command{
		Name:      "query",
		Usage:     "ask a locator (tarscache or the official registry) for a servant's endpoints over QueryF",
		ArgsUsage: "SERVANT",
		Description: `Methods: byid (findObjectById), any (findObjectById4Any), all (findObjectById4All),
samegroup (findObjectByIdInSameGroup), station (findObjectByIdInSameStation, needs --station),
set (findObjectByIdInSameSet, needs --set), subset (findSubsetConfigById: the servant's subset
rule; tarscache only).

Example:
   tarscache query --locator "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890" --method samegroup Demo.HelloServer.HelloObj`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "locator", Value: "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890", EnvVars: []string{"TARSCACHE_LOCATOR"},
				Destination: &o.locator, Usage: "`LOCATOR` string of the QueryObj to ask"},
			&cli.StringFlag{Name: "method", Value: "any", EnvVars: []string{"TARSCACHE_METHOD"}, Destination: &o.method,
				Usage: "QueryF `METHOD`: byid, any, all, samegroup, station, set or subset (see below)"},
			&cli.StringFlag{Name: "station", EnvVars: []string{"TARSCACHE_STATION"}, Destination: &o.station, Usage: "`STATION` for --method station"},
			&cli.StringFlag{Name: "set", EnvVars: []string{"TARSCACHE_SET"}, Destination: &o.set, Usage: "`SET` id name.area.group for --method set"},
			&cli.StringFlag{Name: "node-name", EnvVars: []string{"TARSCACHE_NODE_NAME"}, Destination: &o.nodeName,
				Usage: "client `NODE` name sent in the request context as node_name (IDC group selection)"},
			&cli.StringFlag{Name: "format", Value: "table", EnvVars: []string{"TARSCACHE_FORMAT"}, Destination: &o.format, Usage: "output `FORMAT`: table or json"},
			&cli.DurationFlag{Name: "timeout", Value: 3 * time.Second, EnvVars: []string{"TARSCACHE_TIMEOUT"}, Destination: &o.timeout,
				Action: positive("--timeout"), Usage: "give up after this `DURATION`"},
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

// query asks the locator of o one QueryF method and writes the answer to w as
// a table or JSON.
func query(w io.Writer, o queryOptions) error {
	if o.format != "table" && o.format != "json" {
		return usageErrorf("--format %q: want table or json", o.format)
	}
	m, ok := queryMethods[o.method]
	switch {
	case !ok:
		return usageErrorf("--method %q: want byid, any, all, samegroup, station, set or subset", o.method)
	case o.method == "station" && o.station == "":
		return usageErrorf("--method station needs --station")
	case o.method == "set" && o.set == "":
		return usageErrorf("--method set needs --set NAME.AREA.GROUP")
	}
	locator, err := parseLocator("--locator", o.locator)
	if err != nil {
		return err
	}
	qs, err := queryProxies(o.timeout, locator)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	a, err := m.ask(qs[0], o.lookup)
	if err != nil {
		return fmt.Errorf("query %s of %s via %q: %w", m.wire, o.id, locator, callError(err, o.timeout))
	}
	write := writeAnswer
	if o.format == "json" {
		write = writeAnswerJSON
	}
	if err := write(w, a); err != nil {
		return err
	}
	return answerError(a)
}

func writeAnswerJSON(w io.Writer, a answer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}

// answerError fails an answer a client could not use: a non-zero ret, or no
// endpoint at all, which is also how QueryF answers a servant it does not know.
func answerError(a answer) error {
	switch {
	case a.Ret != 0:
		return fmt.Errorf("query: %s(%q) answered ret=%d: the lookup failed (a client keeps its old list)", a.Method, a.ID, a.Ret)
	case a.Subset == nil && len(a.Active) == 0 && len(a.Inactive) == 0:
		return fmt.Errorf("query: no endpoint for %q: the registry does not know this servant or has none for it "+
			"(ids are case-sensitive: Application.Server.Servant; \"tarscache dump\" lists them)", a.ID)
	}
	return nil
}

// queryMethod is one QueryF method as "tarscache query --method" names it.
type queryMethod struct {
	wire string
	call func(q *queryf.QueryF, l lookup, a *answer, ctx map[string]string) (int32, error)
}

// ask calls the method on q for l and returns the answer. It blocks for at most
// the proxy's timeout.
func (m queryMethod) ask(q *queryf.QueryF, l lookup) (answer, error) {
	a := answer{Method: m.wire, ID: l.id}
	var err error
	// A fresh context map per call: the generated proxy overwrites the one it gets.
	a.Ret, err = m.call(q, l, &a, map[string]string{"node_name": l.nodeName})
	return a, err
}

// queryMethods are the QueryF methods by their --method names.
var queryMethods = map[string]queryMethod{
	"byid": {"findObjectById", func(q *queryf.QueryF, l lookup, a *answer, ctx map[string]string) (int32, error) {
		var err error
		a.Active, err = q.FindObjectById(l.id, ctx)
		return 0, err
	}},
	"any": {"findObjectById4Any", func(q *queryf.QueryF, l lookup, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectById4Any(l.id, &a.Active, &a.Inactive, ctx)
	}},
	"all": {"findObjectById4All", func(q *queryf.QueryF, l lookup, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectById4All(l.id, &a.Active, &a.Inactive, ctx)
	}},
	"samegroup": {"findObjectByIdInSameGroup", func(q *queryf.QueryF, l lookup, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectByIdInSameGroup(l.id, &a.Active, &a.Inactive, ctx)
	}},
	"station": {"findObjectByIdInSameStation", func(q *queryf.QueryF, l lookup, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectByIdInSameStation(l.id, l.station, &a.Active, &a.Inactive, ctx)
	}},
	"set": {"findObjectByIdInSameSet", func(q *queryf.QueryF, l lookup, a *answer, ctx map[string]string) (int32, error) {
		return q.FindObjectByIdInSameSet(l.id, l.set, &a.Active, &a.Inactive, ctx)
	}},
	"subset": {"findSubsetConfigById", func(q *queryf.QueryF, l lookup, a *answer, ctx map[string]string) (int32, error) {
		a.Subset = &endpointf.SubsetConf{}
		return q.FindSubsetConfigById(l.id, a.Subset, ctx)
	}},
}

// queryProxies returns one TarsGo QueryF proxy per locator, in order. Each call
// through them gives up after timeout (zero: TarsGo's default of 3 s).
func queryProxies(timeout time.Duration, locators ...string) ([]*queryf.QueryF, error) {
	comm, err := quietCommunicator()
	if err != nil {
		return nil, err
	}
	qs := make([]*queryf.QueryF, len(locators))
	for i, l := range locators {
		qs[i] = new(queryf.QueryF)
		comm.StringToProxy(l, qs[i])
		if timeout > 0 {
			qs[i].TarsSetTimeout(int(timeout.Milliseconds()))
		}
	}
	return qs, nil
}

// quietCommunicator returns a TarsGo communicator with its logs off. TarsGo reads
// its own configuration file, once per process; a minimal one keeps it quiet and
// away from our arguments.
func quietCommunicator() (*tars.Communicator, error) {
	dir, err := os.MkdirTemp("", "tarscache-query-")
	if err != nil {
		return nil, fmt.Errorf("tars client config: %w", err)
	}
	defer os.RemoveAll(dir)
	conf := filepath.Join(dir, "client.conf")
	const quiet = "<tars>\n<application>\n<server>\nlogLevel=ERROR\n</server>\n</application>\n</tars>\n"
	if err := os.WriteFile(conf, []byte(quiet), 0o600); err != nil {
		return nil, fmt.Errorf("tars client config: %w", err)
	}
	tars.ServerConfigPath = conf
	comm := tars.NewCommunicator()
	rogger.SetLevel(rogger.OFF) // failures reach the user as our one-line error
	return comm, nil
}

// writeAnswer writes a as a header line and a table of its endpoints.
func writeAnswer(w io.Writer, a answer) error {
	if c := a.Subset; c != nil {
		_, err := fmt.Fprintf(w, "%s(%q) ret=%d: enable=%t ruleType=%q ruleData=%s\n", a.Method, a.ID, a.Ret, c.Enable, c.RuleType, shown(c.RuleData))
		return err
	}
	fmt.Fprintf(w, "%s(%q) ret=%d: %d active, %d inactive\n", a.Method, a.ID, a.Ret, len(a.Active), len(a.Inactive))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tPROTO\tHOST\tPORT\tTIMEOUT\tWEIGHT\tWEIGHTTYPE\tNODE\tSET\tGROUP\tSUBSET")
	for _, list := range []struct {
		state string
		eps   []endpointf.EndpointF
	}{{"active", a.Active}, {"inactive", a.Inactive}} {
		for _, e := range list.eps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%s\n", list.state, protoName(e.Istcp), shown(e.Host), e.Port,
				e.Timeout, e.Weight, e.WeightType, dash(shown(e.NodeName)), dash(shown(e.SetId)), e.Groupworkid, dash(shown(e.Subset)))
		}
	}
	return tw.Flush()
}

// protoName names an EndpointF istcp value: udp, tcp or ssl.
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
