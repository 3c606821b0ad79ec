package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/sync"
	"github.com/tarscache/tarscache/tars"
)

// explainOptions are the settings of "tarscache explain".
type explainOptions struct {
	dumpOptions
	req    tars.ExplainRequest
	set    string
	sta    string
	dsn    string
	format string
}

func explainCommand() *cli.Command {
	o := explainOptions{}
	return &cli.Command{
		Name:      "explain",
		Usage:     "show the answer a QueryF request gets and, step by step, how the official rules reach it",
		ArgsUsage: "SERVANT",
		Description: `Answers one QueryF request from the records with the same code the server answers with,
and says how: the caller's IDC group and the allow_ip_rule entry that decided it, the
t_group_priority rows walked and the step that produced the lists, the station or set
rule and its fallbacks, the endpoints of the servant left out of the answer and why,
the subset label of each endpoint and, when the servant has a subset rule, where a
sample of route keys goes. With --dsn it also reads the servant's rows from db_tars and
lists those the load drops (backup servers, endpoints that do not parse).

The method is --method, or set with --set, station with --station, else samegroup.
The caller is the client's node_name (or its IP address when it sends none).
Reads a cache file offline (--data), or a running server's records (--admin).

Examples:
   tarscache explain --data tarscache.db Demo.HelloServer.HelloObj --caller 10.0.0.11
   tarscache explain --data tarscache.db Shop.CartServer.CartObj --set shop.sz.1
   tarscache explain --admin 127.0.0.1:17891 Demo.HelloServer.HelloObj --station south --format json`,
		Flags: []cli.Flag{
			dataFlag(&o.data),
			&cli.StringFlag{Name: "admin", EnvVars: []string{"TARSCACHE_EXPLAIN_ADMIN"}, Destination: &o.admin,
				Usage: "explain from the records of the running server whose admin API is at `URL` instead of --data"},
			adminTokenFlag(&o.token),
			&cli.StringFlag{Name: "caller", EnvVars: []string{"TARSCACHE_EXPLAIN_CALLER"}, Destination: &o.req.Caller, Usage: "the client: its node_name or IP `ADDRESS`"},
			&cli.StringFlag{Name: "method", EnvVars: []string{"TARSCACHE_EXPLAIN_METHOD"}, Destination: &o.req.Method, Usage: "`METHOD`: byid, any, all, samegroup, station or set"},
			&cli.StringFlag{Name: "set", EnvVars: []string{"TARSCACHE_EXPLAIN_SET"}, Destination: &o.set, Usage: "the setId `NAME.AREA.GROUP` of findObjectByIdInSameSet"},
			&cli.StringFlag{Name: "station", EnvVars: []string{"TARSCACHE_EXPLAIN_STATION"}, Destination: &o.sta, Usage: "the `STATION` of findObjectByIdInSameStation"},
			&cli.StringFlag{Name: "dsn", EnvVars: []string{"TARSCACHE_EXPLAIN_DSN"}, Destination: &o.dsn,
				Usage: "also read the servant's rows from db_tars at `DSN` to list the rows the load drops"},
			&cli.StringFlag{Name: "format", Value: "text", EnvVars: []string{"TARSCACHE_FORMAT"}, Destination: &o.format, Usage: "output `FORMAT`: text or json"},
		},
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("explain takes one SERVANT, got %d arguments", c.NArg())
			}
			o.req.ID = c.Args().First()
			if err := o.resolve(); err != nil {
				return err
			}
			return explain(c.Context, c.App.Writer, o)
		},
	}
}

// resolve picks the method and its argument from the flags.
func (o *explainOptions) resolve() error {
	if o.format != "text" && o.format != "json" {
		return usageErrorf("--format %q: want text or json", o.format)
	}
	if o.set != "" && o.sta != "" {
		return usageErrorf("give --set or --station, not both")
	}
	switch {
	case o.req.Method == "" && o.set != "":
		o.req.Method = "set"
	case o.req.Method == "" && o.sta != "":
		o.req.Method = "station"
	case o.req.Method == "":
		o.req.Method = "samegroup"
	}
	if _, ok := tars.ExplainMethods[o.req.Method]; !ok {
		return usageErrorf("--method %q: want byid, any, all, samegroup, station or set", o.req.Method)
	}
	o.req.Arg = map[string]string{"set": o.set, "station": o.sta}[o.req.Method]
	return nil
}

// explained is what explain prints: the explanation and, with --dsn, the
// servant's rows the load drops.
type explained struct {
	*tars.Explanation
	Source  string   `json:"source"`
	Dropped []string `json:"dropped_rows,omitempty"`
}

func explain(ctx context.Context, w io.Writer, o explainOptions) error {
	o.prefixes = []string{o.req.ID}
	d, err := load(o.dumpOptions)
	if err != nil {
		return err
	}
	x, err := tars.Explain(d.snap, o.req)
	if err != nil {
		return usageErrorf("%v", err)
	}
	out := explained{Explanation: x, Source: d.source}
	if o.dsn != "" {
		if out.Dropped, err = droppedRows(ctx, o.dsn, o.req.ID); err != nil {
			return err
		}
	}
	if o.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return writeExplanation(w, &out, o.dsn != "")
}

// droppedRows reads db_tars and returns the servant's rows that the load drops,
// each with the reason sync.Build gives.
func droppedRows(ctx context.Context, dsn, id string) ([]string, error) {
	db, err := sync.OpenDB(dsn, nil)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	f, err := sync.FetchAll(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	out := []string{}
	for _, row := range f.Rows {
		if row.Servant != id {
			continue
		}
		if _, rep := sync.Build([]sync.Row{row}); rep.Endpoints == 0 {
			out = append(out, fmt.Sprintf("%s %s endpoint=%q: %s", row.Table, row.Origin(), row.Endpoint, dropReason(rep)))
		}
	}
	return out, nil
}

func dropReason(rep sync.Report) string {
	if len(rep.Rejected) > 0 {
		return strings.TrimPrefix(rep.Rejected[0].Err.Error(), "sync: ")
	}
	if rep.Dropped[sync.DropBackup] > 0 {
		return "a backup server (bak_flag=1): never answered to clients"
	}
	return "dropped"
}

func writeExplanation(w io.Writer, x *explained, withDB bool) error {
	req := x.Request
	fmt.Fprintf(w, "# source: %s\n", x.Source)
	fmt.Fprintf(w, "%s(%q", x.RPC, req.ID)
	if req.Arg != "" || req.Method == "station" || req.Method == "set" {
		fmt.Fprintf(w, ", %q", req.Arg)
	}
	fmt.Fprintf(w, ") asked by %q\n", req.Caller)
	fmt.Fprintf(w, "decided by: %s\n\nhow:\n", x.Rule)
	for i, s := range x.Steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	fmt.Fprintln(w)
	if err := writeAnswer(w, answer{Method: x.RPC, ID: req.ID, Ret: x.Ret, Active: x.Active, Inactive: x.Inactive}); err != nil {
		return err
	}
	writeList(w, "left out of the answer", x.Left, "none")
	if withDB {
		writeList(w, "rows the load drops (db_tars)", x.Dropped, "none")
	} else {
		fmt.Fprintln(w, "\nrows the load drops (backups, unparsable endpoints) are not in the records: add --dsn to list them")
	}
	if len(x.Routes) > 0 {
		fmt.Fprintln(w, "\nsubset routes of 1000 sample keys (key-0 ... key-999):")
		for _, r := range x.Routes {
			sub := r.Subset
			if sub == "" {
				sub = noRoute
			}
			fmt.Fprintf(w, "  %s: %d keys (e.g. %q), %d active endpoints kept\n", sub, r.Keys, r.Key, r.Endpoints)
		}
	}
	return nil
}

func writeList(w io.Writer, title string, lines []string, none string) {
	fmt.Fprintf(w, "\n%s:\n", title)
	if len(lines) == 0 {
		fmt.Fprintf(w, "  %s\n", none)
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}
