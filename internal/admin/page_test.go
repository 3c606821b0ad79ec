package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/protocol/endpointf"
)

type fakeSyncs []admin.SyncRecord

func (f fakeSyncs) Recent() []admin.SyncRecord { return f }

// pageStore is a cache holding one labelled servant.
func pageStore(t *testing.T) *cache.Cache {
	c := cachetest.Open(t, "")
	s := cachetest.Servant("Demo.HelloServer.HelloObj", 10015, "10.0.0.11", "10.0.0.12")
	s.Endpoints[0].Subset = "canary"
	s.Endpoints[1].Active = false
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{s, cachetest.Servant("Shop.CartServer.CartObj", 9100, "10.0.1.1")},
		FetchedAt: time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)})
	require.NoError(t, err)
	return c
}

func pageHandler(t *testing.T, held *fakeHeld, opts admin.Options) http.Handler {
	opts.Held, opts.Store = held, cacheStore{pageStore(t)}
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Date(2025, 1, 2, 3, 5, 0, 0, time.UTC) }
	}
	return admin.NewHandler(opts)
}

func getPage(t *testing.T, h http.Handler, path string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec, rec.Body.String()
}

// The status page shows the serving state, the source, the recent syncs and the
// held change, as self-contained HTML (no script, no outside resource).
func TestPage_status(t *testing.T) {
	syncs := fakeSyncs{
		{Start: time.Date(2025, 1, 2, 3, 4, 50, 0, time.UTC), Duration: 3 * time.Millisecond, Result: "failed", Err: "sync: read: connection refused"},
		{Start: time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC), Duration: 12 * time.Millisecond, Result: "applied", Full: "first", Written: 2},
	}
	h := pageHandler(t, &fakeHeld{held: massRemoval()}, admin.Options{Syncs: syncs,
		Sources: fakeSources{admin.SourceReport{InUse: "root@tcp(db:3306)/db_tars", Since: time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC), Sources: []admin.SourceState{
			{Name: "root@tcp(db:3306)/db_tars", State: "in_use"}, {Name: "root@tcp(db2:3306)/db_tars", State: "unreachable", Err: "dial tcp: refused"}}}}})
	rec, body := getPage(t, h, "/")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Contains(t, rec.Header().Get("Content-Security-Policy"), "default-src 'none'")
	for _, want := range []string{
		`<span class="badge stale" id="state">stale</span> 1 sync failed in a row`,
		"2025-01-02 03:04:00Z (1 min ago)",
		"root@tcp(db:3306)/db_tars (since 2025-01-02 03:00:00Z)",
		"root@tcp(db2:3306)/db_tars</td><td>unreachable",
		"dial tcp: refused",
		`<dd id="servant-count">2</dd>`,
		"it would remove all 10 servants",
		`href="/held/accept"`,
		"sync: read: connection refused",
		"full (first)",
		`<meta name="viewport"`,
	} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, "<script")
	require.NotContains(t, body, "http://")
	require.NotContains(t, body, "https://")
}

// A search lists the matching servants with their endpoints, states and subset
// labels.
func TestPage_search(t *testing.T) {
	h := pageHandler(t, &fakeHeld{}, admin.Options{})
	rec, body := getPage(t, h, "/servants?q=hello")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, body, "1 of 2 servants match")
	require.Contains(t, body, "Demo.HelloServer.HelloObj")
	require.NotContains(t, body, "Shop.CartServer.CartObj")
	require.Contains(t, body, `<td class="mono subset">canary</td>`)
	require.Contains(t, body, `<span class="badge inactive">inactive</span>`)
	require.Contains(t, body, "tcp 10.0.0.12:10015")
}

// The explain view shows what the Explainer says; without one it says so.
func TestPage_explain(t *testing.T) {
	var asked admin.ExplainQuery
	explain := func(_ *snapshot.Snapshot, q admin.ExplainQuery) (*admin.Explanation, error) {
		asked = q
		return &admin.Explanation{RPC: "findObjectByIdInSameGroup", Rule: "group walk: own group 1", Steps: []string{"caller in group 1"},
			Active: []endpointf.EndpointF{{Host: "10.0.0.11", Port: 10015, Istcp: 1, Subset: "canary"}}}, nil
	}
	h := pageHandler(t, &fakeHeld{}, admin.Options{Explain: explain})
	rec, body := getPage(t, h, "/explain?id=Demo.HelloServer.HelloObj&caller=10.0.0.11&method=samegroup")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, admin.ExplainQuery{Method: "samegroup", ID: "Demo.HelloServer.HelloObj", Caller: "10.0.0.11"}, asked)
	require.Contains(t, body, `<strong id="rule">group walk: own group 1</strong>`)
	require.Contains(t, body, "10.0.0.11:10015")

	rec, body = getPage(t, pageHandler(t, &fakeHeld{}, admin.Options{}), "/explain?id=X")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, body, "this server cannot explain answers")
}

// accept posts the acceptance form as a browser would, with basic
// authentication when password is set.
func accept(t *testing.T, h http.Handler, password, token string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/held/accept", strings.NewReader(url.Values{"token": {token}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if password != "" {
		r.SetBasicAuth("admin", password)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec, rec.Body.String()
}

// The held change is accepted from the page only with the admin token typed into
// the confirmation form; without a token configured the page refuses and says how.
func TestPage_accept(t *testing.T) {
	held := &fakeHeld{held: massRemoval()}
	h := pageHandler(t, held, admin.Options{Token: "s3cret"})

	rec, _ := getPage(t, h, "/")
	require.Equal(t, http.StatusUnauthorized, rec.Code, "the page needs the token too")
	require.Contains(t, rec.Header().Values("WWW-Authenticate"), `Basic realm="tarscache", charset="UTF-8"`)

	r := httptest.NewRequest(http.MethodGet, "/held/accept", nil)
	r.SetBasicAuth("", "s3cret")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `<form action="/held/accept" method="post"`)
	require.Contains(t, rec.Body.String(), `<dd id="removed">10</dd>`)

	rec, body := accept(t, h, "s3cret", "wrong")
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, body, "wrong token: nothing was accepted")
	require.Zero(t, held.acceptCount())

	rec, body = accept(t, h, "s3cret", "s3cret")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, body, "accepted: the held change is applied at the next sync")
	require.Equal(t, 1, held.acceptCount())

	open := &fakeHeld{held: massRemoval()}
	rec, body = accept(t, pageHandler(t, open, admin.Options{}), "", "")
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, body, "accepting from this page needs an admin token")
	require.Zero(t, open.acceptCount())
}
