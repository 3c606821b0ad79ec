package admin

import (
	"crypto/subtle"
	"embed"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/protocol/endpointf"
)

// SyncRecord is one recent sync as the status page shows it.
type SyncRecord struct {
	// Start is when the sync began, Duration how long it took.
	Start    time.Time
	Duration time.Duration
	// Result is "applied", "held" or "failed".
	Result string
	// Full says why the sync read every table, "" for an incremental one.
	Full string
	// Written, Deleted and Rejected count the records changed and the rows
	// dropped for bad data.
	Written, Deleted, Rejected int
	// Err is the failure of a failed sync.
	Err string
}

// Syncs reports the recent syncs ("tarscache serve" adapts its *sync.Syncer).
// Recent must be safe to call from any goroutine.
type Syncs interface {
	// Recent returns the latest syncs, the latest first.
	Recent() []SyncRecord
}

// ExplainQuery is a QueryF question the status page explains.
type ExplainQuery struct {
	// Method is byid, any, all, samegroup, station or set.
	Method string
	// ID is the servant; Arg the station or setId; Caller the client's node
	// name or address.
	ID, Arg, Caller string
}

// Explanation is an answer and how it was reached, as the status page shows it.
type Explanation struct {
	// RPC is the method's wire name; Ret, Active and Inactive the answer.
	RPC              string
	Ret              int32
	Active, Inactive []endpointf.EndpointF
	// Rule names the rule that decided the answer; Steps say how, in order.
	Rule  string
	Steps []string
	// Left are the servant's endpoints not in the answer, with why; Routes where
	// sample route keys go.
	Left, Routes []string
}

// Explainer explains a question from the snapshot being served ("tarscache
// serve" passes the QueryF handler's own Explain). It must not modify snap.
type Explainer func(snap *snapshot.Snapshot, q ExplainQuery) (*Explanation, error)

// maxSearchResults bounds the servants one search shows.
const maxSearchResults = 50

//go:embed page/*.html
var pageFiles embed.FS

var pageTemplates = template.Must(template.New("page").Funcs(template.FuncMap{
	"ago":      ago,
	"stamp":    stamp,
	"proto":    protoWord,
	"duration": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"dash":     dash,
}).ParseFS(pageFiles, "page/*.html"))

// page serves the status page routes. It only reads its dependencies.
type page struct {
	h       *handler
	syncs   Syncs
	token   string
	explain Explainer
}

func (p *page) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", p.status)
	mux.HandleFunc("GET /servants", p.servants)
	mux.HandleFunc("GET /explain", p.explainView)
	mux.HandleFunc("GET /held/accept", p.confirm)
	mux.HandleFunc("POST /held/accept", p.accept)
}

// render writes a page, or a plain 500 when the template fails.
func (p *page) render(w http.ResponseWriter, status int, name string, data any) {
	var b strings.Builder
	if err := pageTemplates.ExecuteTemplate(&b, name, data); err != nil {
		p.h.logger.Error("admin: render page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// snap is the snapshot served, or an empty one without a store.
func (p *page) snap() *snapshot.Snapshot {
	if p.h.store == nil {
		return snapshot.Empty()
	}
	return p.h.store.Snapshot()
}

// statusData is what the status page shows.
type statusData struct {
	Title    string
	Now      time.Time
	State    string // fresh, held, stale or unsynced
	Detail   string
	LastSync time.Time
	Source   string
	// SourceSince is when Source became the source; Sources are every database.
	SourceSince time.Time
	Sources     []SourceState
	Servants    int
	Active      int
	Syncs       []SyncRecord
	HasSyncs    bool
	Held        *HeldChange
}

func (p *page) status(w http.ResponseWriter, _ *http.Request) {
	d := statusData{Title: "tarscache", Now: p.h.now(), Held: p.h.held.Held()}
	if p.h.srcs != nil {
		rep := p.h.srcs.Sources()
		d.Source, d.SourceSince, d.Sources = rep.InUse, rep.Since, rep.Sources
	}
	if p.syncs != nil {
		d.Syncs, d.HasSyncs = p.syncs.Recent(), true
	}
	snap := p.snap()
	d.Servants, d.Active = snap.Len(), snap.ActiveEndpoints()
	if p.h.store != nil {
		d.LastSync = p.h.store.LastSync()
	}
	d.State, d.Detail = servingState(d.Syncs, d.LastSync)
	p.render(w, http.StatusOK, "status.html", d)
}

// servingState says whether the records are fresh: the latest sync succeeded.
func servingState(syncs []SyncRecord, last time.Time) (string, string) {
	switch {
	case len(syncs) > 0 && syncs[0].Result == "held":
		return "held", "the latest sync read the database but was held: answers come from the records before it"
	case len(syncs) > 0 && syncs[0].Result != "failed":
		return "fresh", "the latest sync succeeded"
	case len(syncs) > 0:
		failed := 0
		for _, s := range syncs {
			if s.Result != "failed" {
				break
			}
			failed++
		}
		return "stale", plural(failed, "sync") + " failed in a row; answers come from the last good snapshot"
	case last.IsZero():
		return "unsynced", "never synced: serving the records of a new or imported file"
	}
	return "stale", "no sync has run yet in this process: serving the records of the file"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// servantView is one servant of a search.
type servantView struct {
	ID        string
	Version   string
	Endpoints []endpointView
	Rule      string
}

// endpointView is one endpoint as the page shows it.
type endpointView struct {
	Active bool
	Ep     snapshot.Endpoint
	Group  string
}

type searchData struct {
	Title    string
	Query    string
	Total    int
	Matches  int
	Servants []servantView
}

func (p *page) servants(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	snap := p.snap()
	d := searchData{Title: "Servants", Query: q, Total: snap.Len()}
	for _, id := range snap.IDs() {
		if !strings.Contains(strings.ToLower(id), strings.ToLower(q)) {
			continue
		}
		d.Matches++
		if len(d.Servants) < maxSearchResults {
			d.Servants = append(d.Servants, servantOf(snap, id))
		}
	}
	p.render(w, http.StatusOK, "servants.html", d)
}

func servantOf(snap *snapshot.Snapshot, id string) servantView {
	e, _ := snap.Lookup(id)
	v := servantView{ID: id, Version: snapshot.FormatVersion(e.Version)}
	for _, ep := range e.Servant.Endpoints {
		v.Endpoints = append(v.Endpoints, endpointView{Active: ep.Active, Ep: ep})
	}
	slices.SortStableFunc(v.Endpoints, func(a, b endpointView) int {
		if a.Active == b.Active {
			return 0
		}
		if a.Active {
			return -1
		}
		return 1
	})
	if r, ok := snap.SubsetRule(id); ok && r.Conf.Enable {
		v.Rule = r.Conf.RuleType + " " + r.Conf.RuleData
	}
	return v
}

type explainData struct {
	Title   string
	Query   ExplainQuery
	Methods []string
	Asked   bool
	Err     string
	X       *Explanation
}

var explainMethods = []string{"samegroup", "all", "any", "byid", "station", "set"}

func (p *page) explainView(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := ExplainQuery{Method: v.Get("method"), ID: strings.TrimSpace(v.Get("id")), Arg: v.Get("arg"), Caller: strings.TrimSpace(v.Get("caller"))}
	if q.Method == "" {
		q.Method = "samegroup"
	}
	d := explainData{Title: "Explain", Query: q, Methods: explainMethods, Asked: q.ID != ""}
	status := http.StatusOK
	switch {
	case !d.Asked:
	case p.explain == nil:
		d.Err, status = "this server cannot explain answers", http.StatusServiceUnavailable
	default:
		x, err := p.explain(p.snap(), q)
		if err != nil {
			d.Err, status = err.Error(), http.StatusBadRequest
		}
		d.X = x
	}
	p.render(w, status, "explain.html", d)
}

type heldData struct {
	Title    string
	Held     *HeldChange
	Now      time.Time
	HasToken bool
	Message  string
	Accepted bool
}

// confirm is the confirmation step of an acceptance: what the held change
// removes, and the form that accepts it with the token.
func (p *page) confirm(w http.ResponseWriter, _ *http.Request) {
	p.render(w, http.StatusOK, "held.html", heldData{Title: "Held change", Held: p.h.held.Held(), Now: p.h.now(), HasToken: p.token != ""})
}

// maxFormBytes bounds the acceptance form.
const maxFormBytes = 4 << 10

// accept accepts the held change when the form carries the admin token.
func (p *page) accept(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	d := heldData{Title: "Held change", Now: p.h.now(), HasToken: p.token != ""}
	status := http.StatusForbidden
	switch {
	case r.ParseForm() != nil:
		d.Message, status = "the form could not be read", http.StatusBadRequest
	case p.token == "":
		d.Message = "accepting from this page needs an admin token: start serve with --admin-token-file, or POST /v1/held/accept from this host"
	case subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(p.token)) != 1:
		d.Message = "wrong token: nothing was accepted"
	default:
		d, status = p.acceptHeld(r, d)
	}
	if d.Held == nil && !d.Accepted {
		d.Held = p.h.held.Held()
	}
	p.render(w, status, "held.html", d)
}

func (p *page) acceptHeld(r *http.Request, d heldData) (heldData, int) {
	held := p.h.held.AcceptIfHeld()
	if held == nil {
		d.Message = "nothing is held any more: nothing was accepted"
		return d, http.StatusConflict
	}
	p.h.logAccept(r, held)
	d.Held, d.Accepted, d.Message = held, true, "accepted: "+acceptNote
	return d, http.StatusOK
}

// ago is how long before now t was, for people.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h ago"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days ago"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func protoWord(p int32) string {
	switch p {
	case 0:
		return "udp"
	case 2:
		return "ssl"
	}
	return "tcp"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
