package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/cache"
)

// dumpOptions are the settings of "tarscache dump".
type dumpOptions struct {
	data     string
	format   string
	prefixes []string
}

func dumpCommand() *cli.Command {
	var o dumpOptions
	return &cli.Command{
		Name:      "dump",
		Usage:     "print the records of a cache file with their versions",
		ArgsUsage: "[SERVANT-PREFIX...]",
		Description: `Prints every stored servant (or those whose id starts with one of the prefixes) with
its version and endpoints. The file must not be held by a running "tarscache serve".

Examples:
   tarscache dump --data tarscache.db
   tarscache dump --data tarscache.db --format json Demo.HelloServer.`,
		Flags: []cli.Flag{
			dataFlag(&o.data),
			&cli.StringFlag{Name: "format", Value: "table", EnvVars: []string{"TARSCACHE_FORMAT"}, Destination: &o.format,
				Usage: "output `FORMAT`: table (for people) or json (tarscache-records/1, readable by import)"},
		},
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			o.prefixes = c.Args().Slice()
			return dump(c.App.Writer, o)
		},
	}
}

func dump(w io.Writer, o dumpOptions) error {
	if o.format != "table" && o.format != "json" {
		return usageErrorf("--format %q: want table or json", o.format)
	}
	c, err := cache.Open(o.data, cache.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()
	snap := c.Snapshot()
	ids := matching(snap.IDs(), o.prefixes)
	if o.format == "json" {
		return cache.WriteJSON(w, snap, ids)
	}
	return writeTable(w, snap, ids)
}

// matching returns the ids that start with any of prefixes (all ids when none).
func matching(ids, prefixes []string) []string {
	if len(prefixes) == 0 {
		return ids
	}
	out := []string{}
	for _, id := range ids {
		for _, p := range prefixes {
			if strings.HasPrefix(id, p) {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// writeTable prints one line per endpoint, aligned.
func writeTable(w io.Writer, snap *cache.Snapshot, ids []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVANT\tVERSION\tSTATE\tENDPOINT\tNODE\tSET\tORIGIN")
	for _, id := range ids {
		e, _ := snap.Lookup(id)
		for _, ep := range e.Servant.Endpoints {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, cache.FormatVersion(e.Version), state(ep.Active),
				endpointString(&ep), ep.NodeName, dash(ep.SetID()), ep.Origin)
		}
	}
	fmt.Fprintf(tw, "\n%d servants, %d endpoints\n", len(ids), countEndpoints(snap, ids))
	return tw.Flush()
}

func state(active bool) string {
	if active {
		return "active"
	}
	return "inactive"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func countEndpoints(snap *cache.Snapshot, ids []string) int {
	n := 0
	for _, id := range ids {
		e, _ := snap.Lookup(id)
		n += len(e.Servant.Endpoints)
	}
	return n
}

// endpointString renders an endpoint in the Tars endpoint grammar.
func endpointString(ep *cache.Endpoint) string {
	s := fmt.Sprintf("%s -h %s -p %d -t %d", [...]string{"udp", "tcp", "ssl"}[ep.Proto], ep.Host, ep.Port, ep.Timeout)
	if ep.WeightType != 0 {
		s += fmt.Sprintf(" -v %d -w %d", ep.WeightType, ep.Weight)
	} else if ep.Weight != -1 {
		s += fmt.Sprintf(" -w %d", ep.Weight)
	}
	if ep.AuthType != 0 {
		s += fmt.Sprintf(" -e %d", ep.AuthType)
	}
	return s
}
