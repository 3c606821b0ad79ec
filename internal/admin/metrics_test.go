package admin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// scrape answers GET /metrics of a handler whose registry holds the store collector of store.
func scrape(t *testing.T, store admin.Store) *httptest.ResponseRecorder {
	reg := prometheus.NewRegistry()
	reg.MustRegister(admin.NewStoreCollector(store, now))
	rec := httptest.NewRecorder()
	h := admin.NewHandler(admin.Options{Held: &fakeHeld{}, Store: store, Gatherer: reg, Now: now})
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec
}

// /metrics reports what is served, counted from the snapshot, and how stale it is:
// +Inf for a cache that was never synced.
func TestNewHandler_metrics(t *testing.T) {
	cases := []struct {
		name  string
		store admin.Store
		want  []string
	}{
		{"synced", servantsCache(t), []string{
			"tarscache_servants 3\n",
			`tarscache_endpoints{state="active"} 2` + "\n",
			`tarscache_endpoints{state="inactive"} 2` + "\n",
			"tarscache_staleness_seconds 90\n",
			"tarscache_last_sync_timestamp_seconds 1.735787045e+09\n",
		}},
		{"never synced", cacheStore{cachetest.Open(t, "")}, []string{
			"tarscache_servants 0\n",
			"tarscache_staleness_seconds +Inf\n",
			"tarscache_last_sync_timestamp_seconds 0\n",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := scrape(t, tc.store)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Contains(t, rec.Header().Get("Content-Type"), "text/plain")
			for _, line := range tc.want {
				require.Contains(t, rec.Body.String(), line)
			}
		})
	}
}

// Without a Gatherer there is no /metrics route.
func TestNewHandler_noMetrics(t *testing.T) {
	rec := do(t, servantsCache(t), http.MethodGet, "/metrics")
	require.Equal(t, http.StatusNotFound, rec.Code)
}
