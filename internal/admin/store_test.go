package admin_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// cacheStore is a *cache.Cache shown to the API as "tarscache serve" shows it
// (cmd/tarscache's storeView): the API links neither bbolt nor package cache.
type cacheStore struct{ *cache.Cache }

func (c cacheStore) FileStatus() admin.FileStatus { return admin.FileStatus(c.Cache.FileStatus()) }

var _ admin.Store = cacheStore{}

// now is the admin API's clock in these tests: 90 seconds after since.
func now() time.Time { return since.Add(90 * time.Second) }

// do sends one request to a handler built on store and returns the answer.
func do(t *testing.T, store admin.Store, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	admin.NewHandler(admin.Options{Held: &fakeHeld{}, Store: store, Now: now}).ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

// requireJSON checks an answer's status and its body, compared as JSON.
func requireJSON(t *testing.T, rec *httptest.ResponseRecorder, status int, want string) {
	t.Helper()
	require.Equal(t, status, rec.Code, rec.Body.String())
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	require.JSONEq(t, want, rec.Body.String())
}

// /readyz answers 200 once a servant is loaded or a sync has completed, with
// how stale the records are, and 503 with a reason before that.
func TestNewHandler_readyz(t *testing.T) {
	tests := []struct {
		name       string
		state      *cache.State // applied to a fresh cache; nil: no Store at all
		wantStatus int
		wantJSON   string
	}{
		{name: "no store", wantStatus: http.StatusServiceUnavailable,
			wantJSON: `{"ready":false,"reason":"no cache is attached to the admin API"}`},
		{name: "empty new file", state: &cache.State{}, wantStatus: http.StatusServiceUnavailable,
			wantJSON: `{"ready":false,"reason":"no servant record loaded and no sync completed yet"}`},
		{name: "imported records, never synced", wantStatus: http.StatusOK,
			state:    &cache.State{Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 1, "10.0.0.1")}},
			wantJSON: `{"ready":true,"servants":1,"last_sync":null,"stale_for_seconds":null,"file":{"ok":true,"changes":0,"rewrites":0}}`},
		{name: "synced an empty registry", state: &cache.State{FetchedAt: since}, wantStatus: http.StatusOK,
			wantJSON: `{"ready":true,"servants":0,"last_sync":"2025-01-02T03:04:05.000000006Z","stale_for_seconds":90,"file":{"ok":true,"changes":0,"rewrites":0}}`},
		{name: "synced records", wantStatus: http.StatusOK,
			state: &cache.State{FetchedAt: since, Servants: []snapshot.Servant{
				cachetest.Servant("A.S.Obj", 1, "10.0.0.1"), cachetest.Servant("B.S.Obj", 2, "10.0.0.2")}},
			wantJSON: `{"ready":true,"servants":2,"last_sync":"2025-01-02T03:04:05.000000006Z","stale_for_seconds":90,"file":{"ok":true,"changes":0,"rewrites":0}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var store admin.Store
			if tt.state != nil {
				c := cachetest.Open(t, "")
				_, err := c.Apply(*tt.state)
				require.NoError(t, err)
				store = cacheStore{c}
			}
			requireJSON(t, do(t, store, http.MethodGet, "/readyz"), tt.wantStatus, tt.wantJSON)
		})
	}
}

// Once the last sync is older than MaxStale (serve --max-stale), QueryF refuses
// lookups as too stale, and /readyz says so with 503; a file never synced (an
// import) is answered whatever its age, and so stays ready.
func TestNewHandler_readyzBeyondMaxStale(t *testing.T) {
	tests := []struct {
		name       string
		state      cache.State
		maxStale   time.Duration
		wantStatus int
		wantJSON   string
	}{
		{name: "synced 90s ago, max stale 1m", maxStale: time.Minute, wantStatus: http.StatusServiceUnavailable,
			state: cache.State{FetchedAt: since, Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 1, "10.0.0.1")}},
			wantJSON: `{"ready":false,"reason":"data too stale: the last sync from the database was 1m30s ago, beyond --max-stale 1m0s: ` +
				`lookups fail until a sync succeeds"}`},
		{name: "synced 90s ago, max stale 2m", maxStale: 2 * time.Minute, wantStatus: http.StatusOK,
			state:    cache.State{FetchedAt: since, Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 1, "10.0.0.1")}},
			wantJSON: `{"ready":true,"servants":1,"last_sync":"2025-01-02T03:04:05.000000006Z","stale_for_seconds":90,"file":{"ok":true,"changes":0,"rewrites":0}}`},
		{name: "imported, never synced", maxStale: time.Second, wantStatus: http.StatusOK,
			state:    cache.State{Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 1, "10.0.0.1")}},
			wantJSON: `{"ready":true,"servants":1,"last_sync":null,"stale_for_seconds":null,"file":{"ok":true,"changes":0,"rewrites":0}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cachetest.Open(t, "")
			_, err := c.Apply(tt.state)
			require.NoError(t, err)
			rec := httptest.NewRecorder()
			admin.NewHandler(admin.Options{Held: &fakeHeld{}, Store: cacheStore{c}, Now: now, MaxStale: tt.maxStale}).
				ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			requireJSON(t, rec, tt.wantStatus, tt.wantJSON)
		})
	}
}

// richEndpoint sets every field of an endpoint, so that each shows in the JSON.
func richEndpoint() snapshot.Endpoint {
	return snapshot.Endpoint{Active: false, Proto: 2, Host: "10.0.0.7", Port: 9000, Timeout: 60000,
		Weight: 50, WeightType: 1, AuthType: 1, BakFlag: 0, NodeName: "node7",
		EnableGroup: true, IPGroupName: "idc-a", EnableSet: true, SetName: "app", SetArea: "sz", SetGroup: "1",
		Subset: "canary", Origin: "Demo.Rich@node7/Demo.Rich.RichObjAdapter"}
}

// servantsCache holds three servants: two of Demo.HelloServer (one with an
// inactive endpoint) and Demo.Rich with one endpoint setting every field.
func servantsCache(t *testing.T) cacheStore {
	hello := cachetest.Servant("Demo.HelloServer.HelloObj", 10000, "10.0.0.1", "10.0.0.2")
	hello.Endpoints[1].Active = false
	c := cachetest.Open(t, "")
	_, err := c.Apply(cache.State{FetchedAt: since, Servants: []snapshot.Servant{
		hello, cachetest.Servant("Demo.HelloServer.AdminObj", 10001, "10.0.0.1"),
		{ID: "Demo.Rich.RichObj", Endpoints: []snapshot.Endpoint{richEndpoint()}},
	}})
	require.NoError(t, err)
	return cacheStore{c}
}

// versionRef matches "<version ID>" in an expected body.
var versionRef = regexp.MustCompile(`<version ([^>]+)>`)

// withVersions replaces each "<version ID>" in want with the version the
// snapshot holds for ID.
func withVersions(t *testing.T, snap *snapshot.Snapshot, want string) string {
	return versionRef.ReplaceAllStringFunc(want, func(ref string) string {
		e, ok := snap.Lookup(versionRef.FindStringSubmatch(ref)[1])
		require.True(t, ok, ref)
		return snapshot.FormatVersion(e.Version)
	})
}

const lastSyncJSON = `"last_sync":"2025-01-02T03:04:05.000000006Z"`

// /v1/servants lists the stored servants in id order, filtered by prefix;
// /v1/servants/{id} answers one record with every endpoint field, or 404.
func TestNewHandler_servants(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantJSON   string // compared as JSON; empty means wantBody
		wantBody   string
	}{
		{name: "list", method: http.MethodGet, path: "/v1/servants", wantStatus: http.StatusOK,
			wantJSON: `{"servants":[
				{"id":"Demo.HelloServer.AdminObj","version":"<version Demo.HelloServer.AdminObj>","active":1,"inactive":0},
				{"id":"Demo.HelloServer.HelloObj","version":"<version Demo.HelloServer.HelloObj>","active":1,"inactive":1},
				{"id":"Demo.Rich.RichObj","version":"<version Demo.Rich.RichObj>","active":0,"inactive":1}],` + lastSyncJSON + `}`},
		{name: "list by prefix", method: http.MethodGet, path: "/v1/servants?prefix=Demo.HelloServer.H",
			wantStatus: http.StatusOK, wantJSON: `{"servants":[
				{"id":"Demo.HelloServer.HelloObj","version":"<version Demo.HelloServer.HelloObj>","active":1,"inactive":1}],` +
				lastSyncJSON + `}`},
		{name: "list by prefix, no match", method: http.MethodGet, path: "/v1/servants?prefix=demo",
			wantStatus: http.StatusOK, wantJSON: `{"servants":[],` + lastSyncJSON + `}`},
		{name: "by id", method: http.MethodGet, path: "/v1/servants/Demo.HelloServer.HelloObj",
			wantStatus: http.StatusOK, wantJSON: `{"id":"Demo.HelloServer.HelloObj",
				"version":"<version Demo.HelloServer.HelloObj>","endpoints":[` +
				plainEndpoint(false, "10.0.0.2") + `,` + plainEndpoint(true, "10.0.0.1") + `]}`}, // canonical order
		{name: "by id, every field", method: http.MethodGet, path: "/v1/servants/Demo.Rich.RichObj",
			wantStatus: http.StatusOK, wantJSON: `{"id":"Demo.Rich.RichObj","version":"<version Demo.Rich.RichObj>",
				"endpoints":[{"active":false,"istcp":2,"host":"10.0.0.7","port":9000,"timeout":60000,
				"weight":50,"weightType":1,"authType":1,"bakFlag":0,"nodeName":"node7",
				"enableGroup":true,"ipGroupName":"idc-a","enableSet":true,
				"setName":"app","setArea":"sz","setGroup":"1","subset":"canary",
				"origin":"Demo.Rich@node7/Demo.Rich.RichObjAdapter"}]}`},
		{name: "unknown id", method: http.MethodGet, path: "/v1/servants/Demo.HelloServer.NoObj",
			wantStatus: http.StatusNotFound, wantJSON: `{"error":"unknown servant \"Demo.HelloServer.NoObj\""}`},
		{name: "ids are case-sensitive", method: http.MethodGet, path: "/v1/servants/demo.helloserver.helloobj",
			wantStatus: http.StatusNotFound, wantJSON: `{"error":"unknown servant \"demo.helloserver.helloobj\""}`},
		{name: "escaped slash stays in the id", method: http.MethodGet, path: "/v1/servants/Demo%2FX",
			wantStatus: http.StatusNotFound, wantJSON: `{"error":"unknown servant \"Demo/X\""}`},
		{name: "no id", method: http.MethodGet, path: "/v1/servants/",
			wantStatus: http.StatusNotFound, wantBody: "404 page not found\n"},
		{name: "POST on list", method: http.MethodPost, path: "/v1/servants",
			wantStatus: http.StatusMethodNotAllowed, wantBody: "Method Not Allowed\n"},
		{name: "DELETE on a servant", method: http.MethodDelete, path: "/v1/servants/Demo.HelloServer.HelloObj",
			wantStatus: http.StatusMethodNotAllowed, wantBody: "Method Not Allowed\n"},
		{name: "POST on readyz", method: http.MethodPost, path: "/readyz",
			wantStatus: http.StatusMethodNotAllowed, wantBody: "Method Not Allowed\n"},
	}
	c := servantsCache(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, c, tt.method, tt.path)
			if tt.wantJSON != "" {
				requireJSON(t, rec, tt.wantStatus, withVersions(t, c.Snapshot(), tt.wantJSON))
				return
			}
			require.Equal(t, tt.wantStatus, rec.Code)
			require.Equal(t, tt.wantBody, rec.Body.String())
		})
	}
}

// plainEndpoint is the JSON of a cachetest.Servant endpoint on port 10000.
func plainEndpoint(active bool, host string) string {
	a := "false"
	if active {
		a = "true"
	}
	return `{"active":` + a + `,"istcp":1,"host":"` + host + `","port":10000,"timeout":3000,"weight":-1,
		"weightType":0,"authType":0,"bakFlag":0,"nodeName":"` + host + `","enableGroup":false,
		"ipGroupName":"","enableSet":false,"setName":"","setArea":"","setGroup":"","subset":"",
		"origin":"Demo.HelloServer.HelloObj@` + host + `"}`
}

// A record the cache answers in place of the stored one (serve --advertise) is
// the one shown, marked "override", in the list and by id.
func TestNewHandler_servantsOverride(t *testing.T) {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	_, err = c.Apply(cache.State{Servants: []snapshot.Servant{cachetest.Servant("tars.tarsregistry.QueryObj", 17890, "10.0.0.1")}})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	c, err = cache.Open(path, cache.Options{Override: []snapshot.Servant{cachetest.Servant("tars.tarsregistry.QueryObj", 17890, "192.168.0.1", "192.168.0.2")}})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, c.Check())
		require.NoError(t, c.Close())
	})

	requireJSON(t, do(t, cacheStore{c}, http.MethodGet, "/v1/servants"), http.StatusOK, withVersions(t, c.Snapshot(),
		`{"servants":[{"id":"tars.tarsregistry.QueryObj","version":"<version tars.tarsregistry.QueryObj>",
		"active":2,"inactive":0,"override":true}],"last_sync":null}`))
	rec := do(t, cacheStore{c}, http.MethodGet, "/v1/servants/tars.tarsregistry.QueryObj")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `"override":true`)
	require.Contains(t, rec.Body.String(), `"host":"192.168.0.2"`)
}

// Without a Store the routes that read the cache answer 503.
func TestNewHandler_noStore(t *testing.T) {
	for _, path := range []string{"/v1/servants", "/v1/servants/A.S.Obj", "/v1/backup"} {
		t.Run(path, func(t *testing.T) {
			requireJSON(t, do(t, nil, http.MethodGet, path), http.StatusServiceUnavailable,
				`{"error":"no cache is attached to the admin API"}`)
		})
	}
}

// /v1/records answers the records document import reads, whole or by prefix,
// with the last sync in a header.
func TestNewHandler_records(t *testing.T) {
	c := servantsCache(t)
	cases := []struct {
		path string
		ids  []string
	}{
		{"/v1/records", []string{"Demo.HelloServer.AdminObj", "Demo.HelloServer.HelloObj", "Demo.Rich.RichObj"}},
		{"/v1/records?prefix=Demo.HelloServer.", []string{"Demo.HelloServer.AdminObj", "Demo.HelloServer.HelloObj"}},
		{"/v1/records?prefix=Nope.", nil},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			rec := do(t, c, http.MethodGet, tc.path)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Equal(t, "2025-01-02T03:04:05.000000006Z", rec.Header().Get(admin.LastSyncHeader))
			st, err := cache.ReadJSON(rec.Body)
			require.NoError(t, err)
			var ids []string
			for _, s := range st.Servants {
				ids = append(ids, s.ID)
			}
			require.Equal(t, tc.ids, ids)
		})
	}
	require.Empty(t, do(t, cacheStore{cachetest.Open(t, "")}, http.MethodGet, "/v1/records").Header().Get(admin.LastSyncHeader),
		"never synced: no header")
}
