package admin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// fakeSources reports a fixed SourceReport.
type fakeSources struct{ r admin.SourceReport }

func (f fakeSources) Sources() admin.SourceReport { return f.r }

func failover() admin.SourceReport {
	return admin.SourceReport{InUse: "tars:xxxxx@tcp(10.0.1.20:3306)/db_tars", Since: since, Position: "0-1-42",
		Sources: []admin.SourceState{
			{Name: "tars:xxxxx@tcp(10.0.1.21:3306)/db_tars", State: "unreachable", Since: since, Position: "0-1-40", Err: "dial tcp: connection refused"},
			{Name: "tars:xxxxx@tcp(10.0.1.20:3306)/db_tars", State: "in_use", Since: since, Position: "0-1-42"},
			{Name: "tars:xxxxx@tcp(10.0.1.22:3306)/db_tars", State: "untried"},
		}}
}

// The source of the data served is in /readyz, /v1/sources and the headers of
// /v1/records; /v1/sources answers 503 without a sync loop.
func TestNewHandler_sources(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(cache.State{FetchedAt: since, Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 1, "10.0.0.1")}})
	require.NoError(t, err)
	h := admin.NewHandler(admin.Options{Held: &fakeHeld{}, Store: cacheStore{c}, Now: now, Sources: fakeSources{failover()}})
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	requireJSON(t, get("/readyz"), http.StatusOK, `{"ready":true,"servants":1,"last_sync":"2025-01-02T03:04:05.000000006Z",
		"stale_for_seconds":90,"file":{"ok":true,"changes":0,"rewrites":0},"source":{"name":"tars:xxxxx@tcp(10.0.1.20:3306)/db_tars","since":"2025-01-02T03:04:05.000000006Z","position":"0-1-42"}}`)
	requireJSON(t, get("/v1/sources"), http.StatusOK, `{
		"in_use":{"name":"tars:xxxxx@tcp(10.0.1.20:3306)/db_tars","since":"2025-01-02T03:04:05.000000006Z","position":"0-1-42"},
		"sources":[
			{"name":"tars:xxxxx@tcp(10.0.1.21:3306)/db_tars","state":"unreachable","since":"2025-01-02T03:04:05.000000006Z","position":"0-1-40","error":"dial tcp: connection refused"},
			{"name":"tars:xxxxx@tcp(10.0.1.20:3306)/db_tars","state":"in_use","since":"2025-01-02T03:04:05.000000006Z","position":"0-1-42"},
			{"name":"tars:xxxxx@tcp(10.0.1.22:3306)/db_tars","state":"untried","since":null,"position":""}]}`)
	rec := get("/v1/records")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "tars:xxxxx@tcp(10.0.1.20:3306)/db_tars", rec.Header().Get(admin.SourceHeader))
	require.Equal(t, "2025-01-02T03:04:05.000000006Z", rec.Header().Get(admin.SourceSinceHeader))

	requireJSON(t, do(t, cacheStore{c}, http.MethodGet, "/v1/sources"), http.StatusServiceUnavailable,
		`{"error":"no sync loop is attached to the admin API"}`)
}
