package admin_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/promtest"
)

// The data file truncated under the server: /v1/backup is refused with 503 and
// the reason (it used to end the process with SIGBUS), /readyz and the metrics
// report it; once an Apply has rewritten the file from memory, backups work
// again and /readyz counts the rewrite.
func TestNewHandler_fileChangedUnderTheServer(t *testing.T) {
	path := cachetest.Path(t)
	c := cacheStore{cachetest.Open(t, path)}
	_, err := c.Apply(cache.State{FetchedAt: since, Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 1, "10.0.0.1")}})
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	reg.MustRegister(admin.NewStoreCollector(c, now))
	require.NoError(t, os.Truncate(path, 4096))

	rec := do(t, c, http.MethodGet, "/v1/backup")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "5", rec.Header().Get("Retry-After"))
	require.Contains(t, rec.Body.String(), "the cache file was changed under the running server: it was truncated")
	require.Contains(t, rec.Body.String(), "it is rewritten from memory at the next sync")
	rec = do(t, c, http.MethodGet, "/readyz")
	require.Equal(t, http.StatusOK, rec.Code, "records are served from memory")
	require.Contains(t, rec.Body.String(), `"file":{"ok":false,"problem":"the cache file was changed under the running server: it was truncated`)
	require.Equal(t, 1.0, promtest.Value(t, reg, "tarscache_cache_file_changed"))
	require.Equal(t, 1.0, promtest.Value(t, reg, "tarscache_cache_file_changes_total"))

	_, err = c.Apply(cache.State{FetchedAt: since, Servants: []snapshot.Servant{cachetest.Servant("A.S.Obj", 2, "10.0.0.1")}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, do(t, c, http.MethodGet, "/v1/backup").Code)
	require.Contains(t, do(t, c, http.MethodGet, "/readyz").Body.String(), `"file":{"ok":true,"changes":1,"rewrites":1}`)
	require.Equal(t, 0.0, promtest.Value(t, reg, "tarscache_cache_file_changed"))
	require.Equal(t, 1.0, promtest.Value(t, reg, "tarscache_cache_file_rewrites_total"))
}

// blockingStore is a cache whose WriteTo waits, once entered, until release is
// closed: a client that reads slowly.
type blockingStore struct {
	cacheStore
	entered chan struct{}
	release chan struct{}
	calls   atomic.Int32
}

func (b *blockingStore) WriteTo(w io.Writer) (int64, error) {
	b.calls.Add(1)
	b.entered <- struct{}{}
	<-b.release
	return b.cacheStore.WriteTo(w)
}

// At most admin.MaxBackups downloads run at once; one more is answered 503 with
// Retry-After at once, without copying anything; when one ends, the next is
// served. (Without a limit, each slow reader held a copy of the file.)
func TestNewHandler_backupsAtOnceAreLimited(t *testing.T) {
	store := &blockingStore{cacheStore: servantsCache(t), entered: make(chan struct{}), release: make(chan struct{})}
	srv, client := startAPI(t, store, io.Discard)
	done := make(chan int, admin.MaxBackups)
	for range admin.MaxBackups {
		go func() {
			resp, err := client.Get(srv.URL + "/v1/backup")
			if err != nil {
				done <- 0
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		<-store.entered
	}
	resp, err := client.Get(srv.URL + "/v1/backup")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "5", resp.Header.Get("Retry-After"))
	require.True(t, strings.Contains(string(body), "too many backups are being downloaded"), string(body))
	require.Equal(t, int32(admin.MaxBackups), store.calls.Load(), "the refused request copied nothing")

	close(store.release)
	for range admin.MaxBackups {
		require.Equal(t, http.StatusOK, <-done)
	}
	go func() { <-store.entered }()
	resp, err = client.Get(srv.URL + "/v1/backup")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// slowRecords is a ResponseWriter-side stand-in for a slow /v1/records client:
// the handler blocks in its first Write until release is closed.
type slowWriter struct {
	http.ResponseWriter
	entered chan struct{}
	release chan struct{}
	once    atomic.Bool
}

func (s *slowWriter) Write(b []byte) (int, error) {
	if s.once.CompareAndSwap(false, true) {
		s.entered <- struct{}{}
		<-s.release
	}
	return s.ResponseWriter.Write(b)
}

// At most admin.MaxRecordDumps /v1/records answers are written at once (50 in
// parallel took the heap to 1.3 GiB); one more is answered 503 with Retry-After.
func TestNewHandler_recordsAtOnceAreLimited(t *testing.T) {
	c := servantsCache(t)
	h := admin.NewHandler(admin.Options{Held: &fakeHeld{}, Store: c, Now: now})
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan int, admin.MaxRecordDumps)
	for range admin.MaxRecordDumps {
		go func() {
			rec := newRecorder()
			h.ServeHTTP(&slowWriter{ResponseWriter: rec, entered: entered, release: release}, newRequest("/v1/records"))
			done <- rec.Code
		}()
		<-entered
	}
	rec := do(t, c, http.MethodGet, "/v1/records")
	require.Equal(t, http.StatusOK, rec.Code, "another handler has slots of its own")
	rec = newRecorder()
	h.ServeHTTP(rec, newRequest("/v1/records"))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), "too many /v1/records answers are being sent")
	close(release)
	for range admin.MaxRecordDumps {
		require.Equal(t, http.StatusOK, <-done)
	}
	rec = newRecorder()
	h.ServeHTTP(rec, newRequest("/v1/records"))
	require.Equal(t, http.StatusOK, rec.Code)
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newRequest(path string) *http.Request { return httptest.NewRequest(http.MethodGet, path, nil) }
