package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tars "github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/current"

	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
	"github.com/tarscache/tarscache/subset"
)

// Request status keys that carry the route key, in the order Bind reads them.
const (
	StatusRouteKey    = "TARS_ROUTE_KEY"   // TarsGo and TarsJava subset prototypes
	StatusRouteKeyCpp = "STATUS_ROUTE_KEY" // TarsCpp subset prototype
)

// LocatorServant is the locator's object name.
const LocatorServant = "tars.tarsregistry.QueryObj"

// ErrNoLocator is returned by New when neither Options.Locator nor the
// communicator's "locator" property names a locator.
var ErrNoLocator = errors.New("client: no locator")

// Options configure a Router. The zero value is usable.
type Options struct {
	// Locator is the locator's object string, e.g.
	// "tars.tarsregistry.QueryObj@tcp -h 10.0.0.5 -p 17890"; empty means the
	// communicator's "locator" property.
	Locator string
	// Refresh is the time between two background refreshes; zero means 10 s. A
	// negative value disables the background refresh (call Refresh yourself).
	Refresh time.Duration
	// Timeout bounds one refresh; zero means 3 s.
	Timeout time.Duration
	// Logger receives refresh failures and recoveries; nil discards them.
	Logger *slog.Logger
}

// Router routes the calls of one servant by subset. See the package documentation.
type Router struct {
	comm    *tars.Communicator
	servant string
	query   *queryf.QueryF
	opts    Options
	all     *tars.ServantProxy // the servant through the locator: the fall-back
	// rules keeps the compiled rule of each version, so that a refresh that finds
	// the rule unchanged keeps the same *subset.Rule and its hash ring.
	rules *subset.Compiler

	// view is what Bind reads: stored by Refresh under refreshMu, loaded lock-free.
	view atomic.Pointer[view]
	// refreshMu serialises Refresh calls and guards failing.
	refreshMu sync.Mutex
	failing   bool // the last refresh failed (logged once per run of failures)

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// view is one refresh's rule and per-subset proxies. It never changes.
type view struct {
	rule    *subset.Rule // nil: no rule in force
	conf    endpointf.SubsetConf
	objects map[string]string             // subset → object string of its active endpoints
	proxies map[string]*tars.ServantProxy // subset → proxy over them
}

// New returns a Router for servant, which has already asked the locator once; if
// that failed (logged), calls go to the whole servant until a refresh succeeds. It
// starts the background refresh unless opts.Refresh is negative.
func New(comm *tars.Communicator, servant string, opts Options) (*Router, error) {
	opts = withDefaults(comm, opts)
	if servant == "" {
		return nil, errors.New("client: empty servant name")
	}
	if opts.Locator == "" {
		return nil, ErrNoLocator
	}
	r := &Router{comm: comm, servant: servant, query: new(queryf.QueryF), opts: opts, rules: subset.NewCompiler(4),
		all: tars.NewServantProxy(comm, servant), stop: make(chan struct{}), done: make(chan struct{})}
	comm.StringToProxy(opts.Locator, r.query)
	r.view.Store(&view{})
	r.refreshAndLog()
	if opts.Refresh < 0 {
		close(r.done)
		return r, nil
	}
	go r.loop()
	return r, nil
}

func withDefaults(comm *tars.Communicator, opts Options) Options {
	if opts.Locator == "" {
		opts.Locator, _ = comm.GetProperty("locator")
	}
	if opts.Refresh == 0 {
		opts.Refresh = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return opts
}

// RouteKey returns the route key of the request ctx carries: its request status's
// TARS_ROUTE_KEY, else STATUS_ROUTE_KEY, else "".
func RouteKey(ctx context.Context) string {
	for _, k := range []string{StatusRouteKey, StatusRouteKeyCpp} {
		if v, ok := current.GetReqStatusValue(ctx, k); ok && v != "" {
			return v
		}
	}
	return ""
}

// Bind points p at the endpoints of the subset the route key of ctx (RouteKey)
// chooses, and returns that subset, or "" when p was pointed at the whole servant.
func (r *Router) Bind(ctx context.Context, p tars.ProxyPrx) string {
	return r.BindKey(RouteKey(ctx), p)
}

// BindKey is Bind with the route key given. It never blocks.
func (r *Router) BindKey(key string, p tars.ProxyPrx) string {
	v := r.view.Load()
	if sub, ok := v.rule.Route(key); ok {
		if sp, found := v.proxies[sub]; found {
			p.SetServant(sp)
			return sub
		}
	}
	p.SetServant(r.all)
	return ""
}

// Rule returns the rule in force as the locator last answered it (enable false when
// there is none).
func (r *Router) Rule() endpointf.SubsetConf { return r.view.Load().conf }

// Subsets returns, by subset, the object string ("Servant@endpoint:endpoint") of its
// active endpoints as last refreshed. The map is the caller's.
func (r *Router) Subsets() map[string]string { return maps.Clone(r.view.Load().objects) }

// Refresh asks the locator for the rule and the endpoints now and swaps them in. On
// error, or when the locator answers no active endpoint, the previous view stays.
func (r *Router) Refresh(ctx context.Context) error {
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	v, err := r.fetch(ctx)
	if err != nil {
		return fmt.Errorf("client: refresh %s: %w", r.servant, err)
	}
	r.view.Store(v)
	return nil
}

// fetch asks the locator and builds the next view, reusing the proxies of subsets
// whose endpoints did not change.
func (r *Router) fetch(ctx context.Context) (*view, error) {
	var conf endpointf.SubsetConf
	if _, err := r.query.FindSubsetConfigByIdWithContext(ctx, r.servant, &conf); err != nil {
		return nil, fmt.Errorf("findSubsetConfigById: %w", err)
	}
	var rule *subset.Rule
	if conf.Enable {
		var err error
		if rule, err = r.rules.Get(conf.RuleType, conf.RuleData); err != nil {
			return nil, err
		}
	}
	var active, inactive []endpointf.EndpointF
	ret, err := r.query.FindObjectByIdInSameGroupWithContext(ctx, r.servant, &active, &inactive)
	switch {
	case err != nil:
		return nil, fmt.Errorf("findObjectByIdInSameGroup: %w", err)
	case ret != 0 || len(active) == 0:
		return nil, fmt.Errorf("findObjectByIdInSameGroup: ret %d, %d active endpoints", ret, len(active))
	}
	return r.build(rule, conf, active), nil
}

// build groups the active endpoints by subset label into one proxy per subset.
func (r *Router) build(rule *subset.Rule, conf endpointf.SubsetConf, active []endpointf.EndpointF) *view {
	prev := r.view.Load()
	v := &view{rule: rule, conf: conf, objects: objects(r.servant, active), proxies: map[string]*tars.ServantProxy{}}
	for sub, obj := range v.objects {
		if prev.objects[sub] == obj {
			v.proxies[sub] = prev.proxies[sub]
			continue
		}
		v.proxies[sub] = tars.NewServantProxy(r.comm, obj)
	}
	return v
}

// objects returns, by subset label, the direct object string of its endpoints.
func objects(servant string, active []endpointf.EndpointF) map[string]string {
	eps := map[string][]string{}
	for i := range active {
		if sub := active[i].Subset; sub != "" {
			eps[sub] = append(eps[sub], endpointString(&active[i]))
		}
	}
	out := make(map[string]string, len(eps))
	for sub, list := range eps {
		slices.Sort(list)
		out[sub] = servant + "@" + strings.Join(slices.Compact(list), ":")
	}
	return out
}

// endpointString renders an EndpointF in the Tars endpoint grammar.
func endpointString(e *endpointf.EndpointF) string {
	proto := "tcp"
	switch e.Istcp {
	case 0:
		proto = "udp"
	case 2:
		proto = "ssl"
	}
	return fmt.Sprintf("%s -h %s -p %d -t %d", proto, e.Host, e.Port, e.Timeout)
}

// loop refreshes every Options.Refresh until Close.
func (r *Router) loop() {
	defer close(r.done)
	t := time.NewTicker(r.opts.Refresh)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.refreshAndLog()
		}
	}
}

// refreshAndLog refreshes with the Timeout and logs the first failure of a run of
// failures and the recovery after it.
func (r *Router) refreshAndLog() {
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.Timeout)
	defer cancel()
	err := r.Refresh(ctx)
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	switch {
	case err != nil && !r.failing:
		r.opts.Logger.Warn("subset refresh failed: routing as before", "servant", r.servant, "err", err)
	case err == nil && r.failing:
		r.opts.Logger.Info("subset refresh works again", "servant", r.servant)
	}
	r.failing = err != nil
}

// Close stops the background refresh and waits for it. It is idempotent; Bind keeps
// working with the last view.
func (r *Router) Close() {
	r.closeOnce.Do(func() {
		if r.opts.Refresh >= 0 {
			close(r.stop)
		}
		<-r.done
	})
}
