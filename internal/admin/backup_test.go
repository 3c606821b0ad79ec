package admin_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// wantDisposition names a backup taken at now(), 2025-01-02 03:05:35 UTC.
const wantDisposition = `attachment; filename="tarscache-20250102T030535Z.db"`

// startAPI serves a handler built on store and logging to log over loopback
// until the test ends; the client it returns keeps no idle connection.
func startAPI(t *testing.T, store admin.Store, log io.Writer) (*httptest.Server, *http.Client) {
	t.Helper()
	srv := httptest.NewServer(admin.NewHandler(admin.Options{Held: &fakeHeld{}, Store: store, Now: now,
		Logger: slog.New(slog.NewTextHandler(log, nil))}))
	t.Cleanup(srv.Close)
	return srv, &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

// GET /v1/backup streams a copy of the cache file that opens as a sound cache
// with the same servants, offered under a name with the request's UTC time.
func TestNewHandler_backup(t *testing.T) {
	c := servantsCache(t)
	srv, client := startAPI(t, c, io.Discard)

	resp, err := client.Get(srv.URL + "/v1/backup")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
	require.Equal(t, wantDisposition, resp.Header.Get("Content-Disposition"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	path := filepath.Join(t.TempDir(), "backup.db")
	require.NoError(t, os.WriteFile(path, body, 0o600))
	cp := cachetest.Open(t, path)
	require.NoError(t, cp.Check())
	require.Equal(t, c.Snapshot().IDs(), cp.Snapshot().IDs())
	require.Equal(t, c.LastSync(), cp.LastSync())
}

// HEAD /v1/backup answers the headers of a backup without copying anything.
func TestNewHandler_backupHead(t *testing.T) {
	store := &failingStore{Store: servantsCache(t), err: errors.New("must not copy")}
	rec := do(t, store, http.MethodHead, "/v1/backup")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, wantDisposition, rec.Header().Get("Content-Disposition"))
	require.Zero(t, rec.Body.Len())
	require.Equal(t, http.StatusMethodNotAllowed, do(t, store, http.MethodPost, "/v1/backup").Code)
}

// failingStore is a cache whose WriteTo writes the first after bytes of the
// real copy, then fails with err.
type failingStore struct {
	admin.Store
	after int64
	err   error
}

func (f *failingStore) WriteTo(w io.Writer) (int64, error) {
	if f.after == 0 {
		return 0, f.err
	}
	n, err := f.Store.WriteTo(&limitWriter{w: w, left: f.after, err: f.err})
	if err == nil {
		panic("failingStore: the copy is shorter than after")
	}
	return n, f.err
}

// limitWriter passes the first left bytes to w, then fails with err.
type limitWriter struct {
	w    io.Writer
	left int64
	err  error
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		n, _ := l.w.Write(p[:l.left])
		l.left = 0
		return n, l.err
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}

// A copy that fails before its first byte answers 500 with the error, logged
// at Error level.
func TestNewHandler_backupFailsBeforeSending(t *testing.T) {
	var log bytes.Buffer
	store := &failingStore{Store: servantsCache(t), err: errors.New("cache: back up x.db: database not open")}
	srv, client := startAPI(t, store, &log)

	resp, err := client.Get(srv.URL + "/v1/backup")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Content-Disposition"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.JSONEq(t, `{"error":"cache: back up x.db: database not open"}`, string(body))

	srv.Close() // waits for the handler, which logs
	require.Contains(t, log.String(), `level=ERROR msg="admin: backup failed" err="cache: back up x.db: database not open"`)
}

// A copy that fails part-way aborts the connection: the client gets a transfer
// error, never a complete-looking truncated file, and the failure is logged at
// Error level.
func TestNewHandler_backupFailsMidTransfer(t *testing.T) {
	var log bytes.Buffer
	store := &failingStore{Store: servantsCache(t), after: 6000, err: errors.New("disk read error")}
	srv, client := startAPI(t, store, &log)

	resp, err := client.Get(srv.URL + "/v1/backup")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the headers were sent with the first bytes")
	body, err := io.ReadAll(resp.Body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.LessOrEqual(t, len(body), 6000, "what was sent before the failure, less what was still buffered")

	srv.Close()
	line := log.String()
	require.Equal(t, 1, strings.Count(line, "\n"), line)
	require.Contains(t, line, "level=ERROR")
	require.Contains(t, line, `err="disk read error" bytes_sent=6000`)
}
