package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	gosync "sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/internal/endpoint"
	"github.com/tarscache/tarscache/sync"
	"github.com/tarscache/tarscache/tars"
)

// serveOptions are the settings of "tarscache serve".
type serveOptions struct {
	dsns         []string
	data         string
	listen       string
	syncInterval time.Duration
	advertise    cli.StringSlice
	maxStale     time.Duration
	protect      float64
	fullInterval time.Duration
	admin        string
	logFormat    string
	logLevel     string
	allow        cli.StringSlice
	maxConns     int
	maxInFlight  int
	maxBuffered  int // MiB
	idleTimeout  time.Duration
	batchWindow  time.Duration
	adminToken   string // read from --admin-token-file
	rebuild      bool
	peers        cli.StringSlice
	peerToken    string // read from --peer-token-file
	peerTimeout  time.Duration
}

func serveCommand() *cli.Command {
	var o serveOptions
	return &cli.Command{
		Name:  "serve",
		Usage: "serve QueryF from the cache file, syncing it from db_tars in the background",
		Description: `Loads the cache file and answers at once, then syncs from MySQL every --sync-interval.
While MySQL is unreachable it keeps answering from the file and retries with backoff.
SIGTERM or SIGINT stop it cleanly; SIGHUP is logged and ignored, and a closed stderr never stops it.

Several sources: with --dsn repeated (or one DSN a line in --dsn-file) it reads the
first that answers, preferred first, and never applies a source whose GTID position
lags what it serves. With --peer, a replica that starts with nothing to serve while
no MySQL answers boots from a sibling's verified backup (docs/operations.md).

Access: --allow limits QueryF to clients of the given networks, --max-conns and
--max-in-flight bound connections and concurrent requests. The admin API binds
loopback by default; bound elsewhere it requires --admin-token-file.

Examples:
   tarscache serve --dsn-file /etc/tarscache/dsn --data /var/lib/tarscache/tarscache.db --listen 0.0.0.0:17890 --allow 10.0.0.0/8
   tarscache serve --admin 10.0.0.5:17891 --admin-token-file /etc/tarscache/admin-token`,
		Flags: append(dsnFlags(&o.dsns), dataFlag(&o.data),
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:17890", EnvVars: []string{"TARSCACHE_LISTEN"}, Destination: &o.listen,
				Usage: "`HOST:PORT` to serve QueryF (tars.tarsregistry.QueryObj) on"},
			&cli.DurationFlag{Name: "sync-interval", Action: positive("--sync-interval"), Value: 2 * time.Second, EnvVars: []string{"TARSCACHE_SYNC_INTERVAL"}, Destination: &o.syncInterval,
				Usage: "`DURATION` between two syncs from MySQL (500ms, 2s, 1m); each reads only the servers written since the last one"},
			&cli.DurationFlag{Name: "full-sync-interval", Action: positive("--full-sync-interval"), Value: 5 * time.Minute, EnvVars: []string{"TARSCACHE_FULL_SYNC_INTERVAL"}, Destination: &o.fullInterval,
				Usage: "longest `DURATION` between two syncs that read every table (the safety net under incremental syncs)"},
			&cli.StringFlag{Name: "admin", Value: admin.DefaultAddr, EnvVars: []string{"TARSCACHE_ADMIN"}, Destination: &o.admin,
				Usage: "`HOST:PORT` of the admin HTTP API (/healthz, /readyz, /metrics, /v1/servants, /v1/records, /v1/backup, /v1/sources, /v1/held; see README); \"off\" disables it. Without --admin-token-file it has no authentication and binds only a loopback address"},
			&cli.StringSliceFlag{Name: "advertise", EnvVars: []string{"TARSCACHE_ADVERTISE"}, Destination: &o.advertise,
				Usage: "answer lookups of tars.tarsregistry.QueryObj with this `ENDPOINT` (\"tcp -h HOST -p PORT -t MS\"; repeatable) " +
					"instead of the registry's own rows, so that clients and tarsnode are pointed at tarscache"},
			protectFlag(&o.protect),
			&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: []string{"TARSCACHE_LOG_FORMAT"}, Destination: &o.logFormat,
				Usage: "log `FORMAT` on stderr: text (logfmt) or json"},
			&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"TARSCACHE_LOG_LEVEL"}, Destination: &o.logLevel,
				Usage: "lowest `LEVEL` logged: debug, info, warn or error"},
			&cli.DurationFlag{Name: "max-stale", Action: notNegative("--max-stale"), Value: 72 * time.Hour, EnvVars: []string{"TARSCACHE_MAX_STALE"}, Destination: &o.maxStale,
				Usage: "once the last successful sync is older than this `DURATION`, lookups fail (and /readyz answers 503) so that clients keep their own lists (0: answer stale data forever)"},
			&cli.StringSliceFlag{Name: "allow", EnvVars: []string{"TARSCACHE_ALLOW"}, Destination: &o.allow,
				Usage: "serve QueryF only to clients in this `CIDR` (10.0.0.0/8, or one address; repeatable); others are disconnected and counted. Default: everyone"},
			&cli.IntFlag{Name: "max-conns", Value: tars.DefaultMaxConns, EnvVars: []string{"TARSCACHE_MAX_CONNS"}, Destination: &o.maxConns,
				Action: atLeastOne("--max-conns"), Usage: "most QueryF connections (`N`) open at once; more are disconnected at accept and counted"},
			&cli.IntFlag{Name: "max-in-flight", Value: tars.DefaultMaxInFlight, EnvVars: []string{"TARSCACHE_MAX_IN_FLIGHT"}, Destination: &o.maxInFlight,
				Action: atLeastOne("--max-in-flight"), Usage: "most QueryF requests (`N`) answered at once; more wait their turn"},
			&cli.IntFlag{Name: "max-buffered-mib", Value: tars.DefaultMaxBufferedBytes >> 20, EnvVars: []string{"TARSCACHE_MAX_BUFFERED_MIB"}, Destination: &o.maxBuffered,
				Action: atLeastOne("--max-buffered-mib"), Usage: "most `MiB` held across QueryF connections for requests still arriving and replies not yet read " +
					"(beyond 4 KiB each); a connection that needs more is closed and counted"},
			&cli.DurationFlag{Name: "idle-timeout", Value: tars.DefaultIdleTimeout, EnvVars: []string{"TARSCACHE_IDLE_TIMEOUT"}, Destination: &o.idleTimeout,
				Action: positive("--idle-timeout"), Usage: "close a QueryF connection that sends nothing for this `DURATION` (clients reconnect on their next call)"},
			&cli.DurationFlag{Name: "batch-window", Value: tars.DefaultBatchWindow, EnvVars: []string{"TARSCACHE_BATCH_WINDOW"}, Destination: &o.batchWindow,
				Action: batchWindow, Usage: "while QueryF requests come in fast, pause this `DURATION` (at most 1ms) before reading them, so that one wake-up answers " +
					"several: fewer system calls per call for up to the window (plus 50µs of timer slack) of latency (0: never pause)"},
			adminTokenFlag(&o.adminToken),
			&cli.BoolFlag{Name: "rebuild-on-corruption", EnvVars: []string{"TARSCACHE_REBUILD_ON_CORRUPTION"}, Destination: &o.rebuild,
				Usage: "when the cache file is damaged, of another kind or of a newer format, move it aside (FILE.bad-TIME, never deleted) " +
					"and rebuild it from MySQL, instead of refusing to start"},
			&cli.StringSliceFlag{Name: "peer", EnvVars: []string{"TARSCACHE_PEER"}, Destination: &o.peers,
				Usage: "admin `URL` of a sibling replica (http://10.0.0.6:17891; repeatable, tried in order): when the cache file holds no data " +
					"(missing, empty, never initialised, or damaged: then moved aside as --rebuild-on-corruption does) and no --dsn answers, " +
					"boot from the first peer's verified /v1/backup. A file that holds data is never replaced"},
			&cli.StringFlag{Name: "peer-token-file", EnvVars: []string{"TARSCACHE_PEER_TOKEN_FILE"}, Action: secretInto(&o.peerToken, "--peer-token-file"),
				Usage: "bearer token of the peers' admin API, read from `FILE` (the token of their --admin-token-file)"},
			&cli.DurationFlag{Name: "peer-timeout", Action: positive("--peer-timeout"), Value: 2 * time.Minute, EnvVars: []string{"TARSCACHE_PEER_TIMEOUT"},
				Destination: &o.peerTimeout, Usage: "longest `DURATION` one peer's backup may take to download before the next peer is tried"},
		),
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("serve takes no arguments, got %q", c.Args().Slice())
			}
			if err := checkServeFlags(o); err != nil {
				return err
			}
			log, err := newLogger(c.App.ErrWriter, o.logFormat, o.logLevel)
			if err != nil {
				return err
			}
			return serve(c.Context, o, log)
		},
	}
}

// positive refuses a duration flag that is zero or negative.
func positive(name string) func(*cli.Context, time.Duration) error {
	return func(_ *cli.Context, d time.Duration) error {
		if d <= 0 {
			return usageErrorf("%s %v: want a positive duration", name, d)
		}
		return nil
	}
}

// notNegative refuses a negative duration flag.
func notNegative(name string) func(*cli.Context, time.Duration) error {
	return func(_ *cli.Context, d time.Duration) error {
		if d < 0 {
			return usageErrorf("%s %v: want 0 or a positive duration", name, d)
		}
		return nil
	}
}

// batchWindow refuses a --batch-window below 0 or above tars.MaxBatchWindow.
func batchWindow(_ *cli.Context, d time.Duration) error {
	if d < 0 || d > tars.MaxBatchWindow {
		return usageErrorf("--batch-window %v: want 0 (no pause) up to %v", d, tars.MaxBatchWindow)
	}
	return nil
}

// optionalWindow is --batch-window as tars.Options.BatchWindow: 0 (no pause)
// is negative there.
func optionalWindow(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// atLeastOne refuses an int flag below 1.
func atLeastOne(name string) func(*cli.Context, int) error {
	return func(_ *cli.Context, n int) error {
		if n < 1 {
			return usageErrorf("%s %d: want 1 or more", name, n)
		}
		return nil
	}
}

// adminTokenFlag is --admin-token-file: the bearer token of the admin API.
func adminTokenFlag(dst *string) cli.Flag {
	return &cli.StringFlag{Name: "admin-token-file", EnvVars: []string{"TARSCACHE_ADMIN_TOKEN_FILE"}, Action: secretInto(dst, "--admin-token-file"),
		Usage: "bearer token of the admin API, read from `FILE`: required to bind --admin beyond loopback; with it, every admin request but /healthz and /readyz must carry it"}
}

// secretInto reads the file a flag names into dst: its content, trimmed of white
// space, which must not be empty. Errors name the file, never its content.
func secretInto(dst *string, flag string) func(*cli.Context, string) error {
	return func(c *cli.Context, path string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return usageErrorf("%s: %w", flag, err)
		}
		if *dst = strings.TrimSpace(string(b)); *dst == "" {
			return usageErrorf("%s %s: the file is empty", flag, path)
		}
		warnIfShared(c.App.ErrWriter, flag, path)
		return nil
	}
}

// warnIfShared warns on w when the secret file at path, a regular file, may be
// read by users other than its owner (group or others have any permission on it).
func warnIfShared(w io.Writer, flag, path string) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o077 == 0 {
		return
	}
	fmt.Fprintf(w, "tarscache: warning: %s %s can be read by other users (mode %04o): it holds a secret; chmod 600 it\n",
		flag, path, st.Mode().Perm())
}

func dataFlag(dst *string) cli.Flag {
	return &cli.StringFlag{Name: "data", Value: "./tarscache.db", EnvVars: []string{"TARSCACHE_DATA"}, Destination: dst,
		Usage: "cache `FILE` (bbolt)"}
}

// serve runs until SIGTERM or SIGINT, then stops the sync, the listener and the
// file, in that order. SIGHUP is logged and otherwise ignored: serve has no
// configuration file to re-read and logs only to stderr. SIGPIPE is ignored, so
// that a closed stderr (a log pipe gone) fails log writes, which slog drops,
// instead of ending the process.
func serve(ctx context.Context, o serveOptions, log *slog.Logger) (err error) {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	signal.Ignore(syscall.SIGPIPE)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	override, err := advertised(o.advertise.Value())
	if err != nil {
		return err
	}
	allow, err := allowed(o.allow.Value())
	if err != nil {
		return err
	}
	if err := checkAdminAccess(o.admin, o.adminToken); err != nil {
		return err
	}
	peers, err := peerURLs(o.peers.Value())
	if err != nil {
		return err
	}
	srcs, err := openSources(o.dsns, log)
	if err != nil {
		return err
	}
	defer closeSources(srcs)
	fitOpenFiles(o.maxConns, log)
	cleanup := createdOnFailure(o.data) // a serve that never started leaves no file
	copts := cache.Options{Logger: log, Override: override}
	c, err := openCache(o, len(peers) > 0, copts, log)
	if err != nil {
		cleanup(err)
		return err
	}
	started := false
	defer func() {
		if c != nil {
			c.Close()
		}
		if !started {
			cleanup(err)
		}
	}()
	initial, since := "cache file "+o.data, time.Now()
	if len(peers) > 0 && blank(c) {
		boot := &peerBoot{peers: peers, token: o.peerToken, timeout: o.peerTimeout, log: log}
		var peer string
		if c, peer, err = bootIfNoSource(ctx, c, boot, o.data, srcs, copts); err != nil {
			return err // c is nil: it was closed, and the booted file did not open
		}
		if peer != "" {
			initial, since = peer, time.Now()
		}
	}
	reg := newRegistry(c)
	srv, err := tars.Listen(o.listen, tars.NewHandler(c, tars.HandlerOptions{MaxStale: o.maxStale}),
		tars.Options{Logger: log, Registerer: reg, Allow: allow, MaxConns: o.maxConns, MaxInFlight: o.maxInFlight,
			IdleTimeout: o.idleTimeout, MaxBufferedBytes: int64(o.maxBuffered) << 20, BatchWindow: optionalWindow(o.batchWindow)})
	if err != nil {
		return portInUse(err, "--listen", o.listen)
	}
	syncer := sync.NewFromSources(srcs, c, sync.Options{Interval: o.syncInterval, FullInterval: o.fullInterval, Logger: log,
		ProtectThreshold: syncerThreshold(o.protect), Registerer: reg, InitialSource: initial, InitialSince: since})
	adm, err := listenAdmin(o.admin, admin.Options{Logger: log, Held: heldView{syncer}, Store: storeView{c}, Gatherer: reg, Token: o.adminToken,
		MaxStale: o.maxStale, Sources: sourcesView{syncer}, Syncs: syncsView{syncer}, Explain: explainPage})
	if err != nil {
		return errors.Join(portInUse(err, "--admin", o.admin), srv.Close())
	}
	started = true
	warnIfStale(log, c.LastSync(), o.maxStale, time.Now())
	log.Info("serving", "listen", srv.Addr().String(), "admin", adminAddr(adm), "data", o.data, "servants", c.Snapshot().Len(),
		"dsn", sourceNames(srcs), "peers", peers, "source", initial, "sync_interval", o.syncInterval, "full_sync_interval", o.fullInterval,
		"max_stale", o.maxStale, "last_sync", c.LastSync(), "advertise", o.advertise.Value(),
		"allow", o.allow.Value(), "max_conns", o.maxConns, "max_in_flight", o.maxInFlight, "max_buffered_mib", o.maxBuffered, "batch_window", o.batchWindow, "admin_token", o.adminToken != "")
	return runUntilDone(ctx, srv, adm, syncer, hup, log)
}

// openCache opens the cache file; with --rebuild-on-corruption, or peers to boot
// from, a file it refuses as damaged is moved aside and a new one is started,
// which the first sync (or a peer's backup) fills.
func openCache(o serveOptions, peers bool, opts cache.Options, log *slog.Logger) (*cache.Cache, error) {
	c, err := openData(o.data, opts)
	if err == nil || !isDamaged(err) {
		return c, err
	}
	if !o.rebuild && !peers {
		return nil, fmt.Errorf("%w (start with --rebuild-on-corruption to move it aside and rebuild it from MySQL)", err)
	}
	aside, moveErr := cache.MoveAside(o.data, time.Now())
	if moveErr != nil {
		return nil, errors.Join(err, moveErr)
	}
	log.Error("cache file refused: moved aside, rebuilding it from MySQL or a peer; lookups answer nothing until then",
		"file", o.data, "moved_to", aside, "err", err)
	return openData(o.data, opts)
}

func isDamaged(err error) bool {
	return errors.Is(err, cache.ErrCorrupt) || errors.Is(err, cache.ErrNotCache) || errors.Is(err, cache.ErrNewerFormat)
}

// allowed parses the --allow networks: CIDR blocks or single addresses.
func allowed(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, usageErrorf("--allow %q: want a CIDR block (10.0.0.0/8) or an address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// checkAdminAccess refuses an admin API bound beyond loopback without a token.
func checkAdminAccess(addr, token string) error {
	if addr == "off" || addr == "" || token != "" || isLoopback(addr) {
		return nil
	}
	return usageErrorf("--admin %s is not a loopback address: the admin API shows the whole registry and accepts held changes, "+
		"so bound elsewhere it needs --admin-token-file", addr)
}

// isLoopback reports whether a HOST:PORT names a loopback address.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// newRegistry returns the registry /metrics serves: the Go runtime's and the
// process's metrics and the cache's; the server and the syncer add theirs.
func newRegistry(c *cache.Cache) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		admin.NewStoreCollector(storeView{c}, nil))
	return reg
}

// listenAdmin binds the admin API, or returns nil when addr is "off".
func listenAdmin(addr string, opts admin.Options) (*admin.Server, error) {
	if addr == "off" || addr == "" {
		return nil, nil
	}
	return admin.Listen(addr, admin.NewHandler(opts), opts.Logger)
}

func adminAddr(adm *admin.Server) string {
	if adm == nil {
		return "off"
	}
	return adm.Addr().String()
}

// advertised turns the --advertise endpoints into the record that answers for the
// locator's own servant, or nil when there are none.
func advertised(endpoints []string) ([]snapshot.Servant, error) {
	if len(endpoints) == 0 {
		return nil, nil
	}
	s := snapshot.Servant{ID: tars.ServantName}
	for _, text := range endpoints {
		a, err := endpoint.Parse(text)
		if err != nil {
			return nil, usageErrorf("--advertise %q: %v", text, err)
		}
		e := a.Endpoint()
		e.Active, e.Origin = true, "--advertise"
		s.Endpoints = append(s.Endpoints, e)
	}
	return []snapshot.Servant{s}, nil
}

// runUntilDone owns the server, admin and syncer goroutines and returns when ctx
// ends or a server fails; each signal on hup is logged and changes nothing.
func runUntilDone(ctx context.Context, srv *tars.Server, adm *admin.Server, syncer *sync.Syncer, hup <-chan os.Signal, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg gosync.WaitGroup
	wg.Go(func() { _ = syncer.Run(ctx) })
	served := make(chan error, 2)
	go func() { served <- srv.Serve() }()
	if adm != nil {
		go func() { served <- adminServe(adm) }()
	}
	var err error
	for done := false; !done; {
		select {
		case <-ctx.Done():
			log.Info("stopping")
			done = true
		case err = <-served:
			err = fmt.Errorf("serve: %w", err)
			done = true
		case <-hup:
			log.Info("SIGHUP ignored: serve re-reads nothing; restart it to change its flags or files (SIGTERM stops it cleanly)")
		}
	}
	cancel()
	wg.Wait()
	return errors.Join(err, closeAdmin(adm), srv.Close())
}

// adminServe runs the admin API; it returns only when it fails or is closed.
func adminServe(adm *admin.Server) error {
	if err := adm.Serve(); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	return errors.New("admin API stopped")
}

func closeAdmin(adm *admin.Server) error {
	if adm == nil {
		return nil
	}
	return adm.Close()
}
