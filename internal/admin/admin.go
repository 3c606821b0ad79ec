package admin

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// acceptNote tells the operator when an accepted change takes effect.
const acceptNote = "the held change is applied at the next sync"

// HeldChange is a fetch the sync holds back because it would take away too much
// at once (mass-removal protection), as the API reports it.
type HeldChange struct {
	// Since is when a fetch was first held; Reason says why the latest one is.
	Since  time.Time
	Reason string
	// Servants is the number of servants served now, Removed how many of them the
	// held fetch no longer has; ActiveBefore and ActiveAfter count the active
	// endpoints served now and after the fetch would be applied.
	Servants, Removed, ActiveBefore, ActiveAfter int
}

// Held inspects and accepts the fetch the sync holds back ("tarscache serve"
// adapts its *sync.Syncer). Both methods must be safe to call from any goroutine.
type Held interface {
	// Held returns the fetch currently held, or nil.
	Held() *HeldChange
	// AcceptIfHeld makes the next successful fetch apply whatever it removes,
	// once, and returns the fetch held now; with nothing held it accepts nothing
	// and returns nil.
	AcceptIfHeld() *HeldChange
}

// Store is the cache the API reads records, readiness and backups from;
// *cache.Cache implements it. Every method must be safe to call from any
// goroutine while the cache is being written.
type Store interface {
	// Snapshot returns the snapshot being served, without blocking; the API
	// only reads it.
	Snapshot() *snapshot.Snapshot
	// LastSync returns the time of the last successful sync, or the zero time
	// when the cache was never synced.
	LastSync() time.Time
	// WriteTo writes a consistent copy of the whole cache file to w, as a file
	// that cache.Open reads, and returns the number of bytes written.
	WriteTo(w io.Writer) (int64, error)
	// FileStatus says whether the file is still the one the cache wrote.
	FileStatus() FileStatus
}

// FileStatus is the state of the cache file as its cache last checked it.
type FileStatus struct {
	// Problem describes a change found under the running server and not yet
	// repaired (the file was truncated, overwritten, replaced or deleted); empty
	// while the file is sound. Since is when it was first found.
	Problem string
	Since   time.Time
	// Changes counts the changes found since the start; Rewrites the files
	// rewritten from memory to repair them.
	Changes, Rewrites int
}

// SourceReport says where the records served come from, as the API reports it.
type SourceReport struct {
	// InUse names the source of the data served: a DSN with its password hidden,
	// or before the first sync "cache file PATH" or "peer URL". Since is when it
	// became the source; Position is the data's GTID position, "" when unknown.
	InUse    string
	Since    time.Time
	Position string
	// Sources are the databases, preferred first.
	Sources []SourceState
}

// SourceState is what the sync knows of one database.
type SourceState struct {
	// Name is the DSN with its password hidden; State is in_use, standby,
	// unreachable, behind or untried, since Since (zero when untried).
	Name  string
	State string
	Since time.Time
	// Position is its GTID position at its last read; Err why its last read
	// failed or was not applied.
	Position, Err string
}

// Sources reports where the data served comes from ("tarscache serve" adapts
// its *sync.Syncer). Sources must be safe to call from any goroutine.
type Sources interface {
	Sources() SourceReport
}

// Options configure NewHandler. Held is required; DefaultOptions documents the
// defaults of the other fields.
type Options struct {
	// Logger receives the handler's logs, such as accepted changes and failed
	// backups. Nil discards them.
	Logger *slog.Logger
	// Held is the Syncer whose held fetch the API reports and accepts.
	Held Held
	// Store is the cache behind /readyz, /v1/servants and /v1/backup. Nil
	// leaves the API without one: those routes answer 503.
	Store Store
	// Gatherer is served at /metrics in the Prometheus format; nil leaves the
	// route out.
	Gatherer prometheus.Gatherer
	// Now is the clock used to log how long a change was held, to compute how
	// stale the records are and to name backups. Nil means time.Now.
	Now func() time.Time
	// Sources, when not nil, is reported by /readyz (the source in use),
	// /v1/sources (every source) and /v1/records' headers.
	Sources Sources
	// Token, when not empty, is the bearer token every request but /healthz and
	// /readyz must carry ("Authorization: Bearer TOKEN"); others get 401.
	Token string
	// MaxStale is the serve --max-stale the QueryF handler refuses lookups
	// beyond: once the last sync is older, /readyz answers 503. Zero never does.
	MaxStale time.Duration
}

// DefaultOptions returns the options NewHandler uses for nil fields.
func DefaultOptions() Options {
	return Options{Logger: slog.New(slog.DiscardHandler), Now: time.Now}
}

func withDefaults(opts Options) Options {
	def := DefaultOptions()
	if opts.Logger == nil {
		opts.Logger = def.Logger
	}
	if opts.Now == nil {
		opts.Now = def.Now
	}
	return opts
}

// handler serves the routes; it keeps no state besides its dependencies.
type handler struct {
	held     Held
	store    Store   // nil when the API has no cache
	srcs     Sources // nil when the API reports no source
	logger   *slog.Logger
	now      func() time.Time
	maxStale time.Duration
	// backups and dumps bound the /v1/backup and /v1/records answers at once.
	backups, dumps slots
}

// NewHandler returns the admin API's handler: every route of the package
// documentation in one ServeMux, behind protection against cross-origin browser
// requests. It panics if opts.Held is nil. The handler is safe for concurrent use.
func NewHandler(opts Options) http.Handler {
	if opts.Held == nil {
		panic("admin: NewHandler: Options.Held is nil")
	}
	opts = withDefaults(opts)
	h := &handler{held: opts.Held, store: opts.Store, srcs: opts.Sources, logger: opts.Logger, now: opts.Now, maxStale: opts.MaxStale,
		backups: make(slots, MaxBackups), dumps: make(slots, MaxRecordDumps)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.HandleFunc("GET /v1/held", h.getHeld)
	mux.HandleFunc("POST /v1/held/accept", h.acceptHeld)
	mux.HandleFunc("GET /v1/servants", h.withStore(h.listServants))
	mux.HandleFunc("GET /v1/servants/{id}", h.withStore(h.getServant))
	mux.HandleFunc("GET /v1/records", h.withStore(h.limited(h.dumps,
		"too many /v1/records answers are being sent; retry later", h.records)))
	mux.HandleFunc("GET /v1/backup", h.withStore(h.limited(h.backups,
		"too many backups are being downloaded; retry later", h.backup)))
	mux.HandleFunc("GET /v1/sources", h.sources)
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", metricsHandler(opts.Gatherer))
	}
	return h.csrf(h.auth(opts.Token, mux))
}

// open are the routes answered without a token: liveness and readiness, which
// load balancers probe and which disclose no record.
var open = map[string]bool{"/healthz": true, "/readyz": true}

// auth wraps next so that, with a token, every route but the open ones needs it.
func (h *handler) auth(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if !open[r.URL.Path] && subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tarscache"`)
			h.writeJSON(w, http.StatusUnauthorized, errorJSON{Error: "a bearer token is required (--admin-token-file)"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// csrf wraps next so that state-changing requests from another origin get 403.
func (h *handler) csrf(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h.writeJSON(w, http.StatusForbidden, errorJSON{Error: "cross-origin request refused"})
	}))
	return p.Handler(next)
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (h *handler) getHeld(w http.ResponseWriter, _ *http.Request) {
	h.writeJSON(w, http.StatusOK, heldResponse(h.held.Held()))
}

// acceptHeld accepts the held fetch, if any: the check and the acceptance are one
// call.
func (h *handler) acceptHeld(w http.ResponseWriter, r *http.Request) {
	held := h.held.AcceptIfHeld()
	if held == nil {
		h.writeJSON(w, http.StatusConflict, errorJSON{Error: "nothing is held"})
		return
	}
	h.logAccept(r, held)
	h.writeJSON(w, http.StatusAccepted, acceptJSON{Accepted: true, Reason: held.Reason, Note: acceptNote})
}

func (h *handler) logAccept(r *http.Request, held *HeldChange) {
	h.logger.Warn("admin: held change accepted; the next sync applies it",
		"reason", held.Reason, "held_for", h.now().Sub(held.Since), "remote", r.RemoteAddr,
		"servants", held.Servants, "removed", held.Removed,
		"active_before", held.ActiveBefore, "active_after", held.ActiveAfter)
}

// writeJSON writes v as the JSON body of a status answer. A failed write means
// the client is gone; it is logged at debug level only.
func (h *handler) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		h.logger.Debug("admin: write response", "err", err)
	}
}
