package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/subset"
)

// noRoute is how route names the requests a key rule leaves unfiltered.
const noRoute = "(no hit: all endpoints)"

// routeOptions are the settings of "tarscache route".
type routeOptions struct {
	dumpOptions
	servant string
	key     string
	keys    int
	seed    uint64
}

func routeCommand() *cli.Command {
	o := routeOptions{}
	return &cli.Command{
		Name:      "route",
		Usage:     "show where a servant's subset rule sends a route key, or how it spreads many keys",
		ArgsUsage: "SERVANT",
		Description: `Routes as a client of the servant does: its subset rule in force (findSubsetConfigById)
chooses a subset for the route key, and the servant's active endpoints labelled with
that subset are kept, or all of them when none is. With --key it prints the subset
and those endpoints; with --keys N it routes N random keys (reproducible with --seed)
and prints each subset's share next to its configured weight.

Reads a cache file offline (--data), or a running server through its admin API (--admin).

Examples:
   tarscache route --data tarscache.db Demo.HelloServer.HelloObj --key user-42
   tarscache route --data tarscache.db Demo.HelloServer.HelloObj --keys 100000
   tarscache route --admin 127.0.0.1:17891 Demo.HelloServer.HelloObj --key vip`,
		Flags: []cli.Flag{
			dataFlag(&o.data),
			&cli.StringFlag{Name: "admin", EnvVars: []string{"TARSCACHE_ROUTE_ADMIN"}, Destination: &o.admin,
				Usage: "read the running server whose admin API is at `URL` (http://HOST:PORT or HOST:PORT) instead of --data"},
			&cli.StringFlag{Name: "key", EnvVars: []string{"TARSCACHE_ROUTE_KEY"}, Destination: &o.key,
				Usage: "the route `KEY` of one request (TARS_ROUTE_KEY); empty picks a ratio subset at random"},
			&cli.IntFlag{Name: "keys", EnvVars: []string{"TARSCACHE_ROUTE_KEYS"}, Destination: &o.keys,
				Usage: "route `N` random keys and print each subset's share instead"},
			&cli.Uint64Flag{Name: "seed", Value: 1, EnvVars: []string{"TARSCACHE_ROUTE_SEED"}, Destination: &o.seed,
				Usage: "`SEED` of the random keys of --keys"},
			clientTokenFlag(&o.token),
		},
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("route takes one SERVANT, got %d arguments", c.NArg())
			}
			if c.IsSet("key") && c.IsSet("keys") || o.keys < 0 {
				return usageErrorf("give --key KEY or --keys N (N > 0), not both")
			}
			o.servant = c.Args().First()
			return route(c.App.Writer, o)
		},
	}
}

// routed is what route knows of the servant.
type routed struct {
	id     string
	rule   *subset.Rule // nil: no rule in force, nothing is filtered
	conf   endpointf.SubsetConf
	active []endpointf.EndpointF
}

func route(w io.Writer, o routeOptions) error {
	d, err := load(o.dumpOptions)
	if err != nil {
		return err
	}
	r, err := routedOf(d.snap, o.servant)
	if err != nil {
		return err
	}
	r.describe(w)
	if o.keys > 0 {
		return r.spread(w, o.keys, o.seed)
	}
	return r.one(w, o.key)
}

func routedOf(snap *snapshot.Snapshot, id string) (*routed, error) {
	e, hasRecord := snap.Stored(id)
	rule, hasRule := snap.SubsetRule(id)
	if !hasRecord && !hasRule {
		return nil, fmt.Errorf("route: servant %q has no record and no subset rule in this cache", id)
	}
	r := &routed{id: id}
	if hasRecord {
		r.active = e.AllLists().Active
	}
	if hasRule && rule.Conf.Enable {
		r.rule, r.conf = rule.Compiled, rule.Conf
	}
	return r, nil
}

func (r *routed) describe(w io.Writer) {
	if r.rule == nil {
		fmt.Fprintf(w, "%s: no subset rule in force: requests are not filtered\n", shown(r.id))
		return
	}
	fmt.Fprintf(w, "%s: %s rule %s\n", shown(r.id), shown(r.conf.RuleType), shown(r.conf.RuleData))
}

// one prints the subset key goes to and the endpoints the request may use.
func (r *routed) one(w io.Writer, key string) error {
	sub, ok := r.rule.Route(key)
	eps := r.active
	switch {
	case !ok:
		fmt.Fprintf(w, "key %q: no subset chosen: all %d active endpoints\n", key, len(eps))
	case subset.Count(eps, sub) == 0:
		fmt.Fprintf(w, "key %q: subset %s has no active endpoint: falls back to all %d\n", key, sub, len(eps))
	default:
		eps = subset.Filter(eps, sub)
		fmt.Fprintf(w, "key %q: subset %s, %d of %d active endpoints\n", key, sub, len(eps), len(r.active))
	}
	for _, ep := range eps {
		fmt.Fprintf(w, "  %s -h %s -p %d -t %d  subset=%s node=%s\n", protoName(ep.Istcp), shown(ep.Host), ep.Port, ep.Timeout, dash(shown(ep.Subset)), shown(ep.NodeName))
	}
	return nil
}

// spread routes n random keys and prints each subset's share and weight.
func (r *routed) spread(w io.Writer, n int, seed uint64) error {
	if r.rule == nil {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	counts := map[string]int{}
	for range n {
		sub, ok := r.rule.Route("key-" + strconv.FormatUint(rng.Uint64(), 36))
		if !ok {
			sub = noRoute
		}
		counts[sub]++
	}
	return r.writeShares(w, counts, n)
}

func (r *routed) writeShares(w io.Writer, counts map[string]int, n int) error {
	weights := ratioWeights(r.conf)
	names := slices.Sorted(func(yield func(string) bool) {
		for s := range counts {
			yield(s)
		}
		for s := range weights {
			if _, dup := counts[s]; !dup {
				yield(s)
			}
		}
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "SUBSET\tWEIGHT\tSHARE OF %d KEYS\tACTIVE ENDPOINTS\n", n)
	for _, s := range names {
		fmt.Fprintf(tw, "%s\t%s\t%.2f%%\t%d\n", shown(s), weights.text(s), 100*float64(counts[s])/float64(n), subset.Count(r.active, s))
	}
	return tw.Flush()
}

// shares are a ratio rule's weights as percentages, by subset; nil for a key rule.
type shares map[string]float64

func (s shares) text(name string) string {
	if w, ok := s[name]; ok {
		return fmt.Sprintf("%.2f%%", w)
	}
	return "-"
}

func ratioWeights(conf endpointf.SubsetConf) shares {
	if conf.RuleType != subset.TypeRatio {
		return nil
	}
	var ws map[string]float64
	if json.Unmarshal([]byte(conf.RuleData), &ws) != nil {
		return nil
	}
	total := 0.0
	for _, v := range ws {
		total += v
	}
	out := shares{}
	for k, v := range ws {
		out[k] = 100 * v / total
	}
	return out
}
