package admin_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/admin"
)

// fakeHeld is a Syncer's held state: a fixed held fetch (or none) and a count of
// the acceptances that armed something.
type fakeHeld struct {
	held *admin.HeldChange

	// mu guards accepts.
	mu      gosync.Mutex
	accepts int
}

func (f *fakeHeld) Held() *admin.HeldChange {
	if f.held == nil {
		return nil
	}
	h := *f.held
	return &h
}

func (f *fakeHeld) AcceptIfHeld() *admin.HeldChange {
	if f.held == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accepts++
	return f.Held()
}

func (f *fakeHeld) acceptCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepts
}

var since = time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)

func massRemoval() *admin.HeldChange {
	return &admin.HeldChange{
		Since:    since,
		Reason:   "it would remove all 10 servants",
		Servants: 10, Removed: 10, ActiveBefore: 20, ActiveAfter: 0,
	}
}

// Every route answers with its status and body, and only an accepted held
// fetch arms an acceptance.
func TestNewHandler_routes(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		header      http.Header
		held        *admin.HeldChange
		wantStatus  int
		wantJSON    string // compared as JSON; empty means wantBody
		wantBody    string
		wantAccepts int
	}{
		{name: "healthz", method: http.MethodGet, path: "/healthz", wantStatus: http.StatusOK, wantBody: "ok\n"},
		{name: "held false", method: http.MethodGet, path: "/v1/held",
			wantStatus: http.StatusOK, wantJSON: `{"held":false}`},
		{name: "held true", method: http.MethodGet, path: "/v1/held", held: massRemoval(),
			wantStatus: http.StatusOK, wantJSON: `{"held":true,"since":"2025-01-02T03:04:05.000000006Z",
				"reason":"it would remove all 10 servants",
				"impact":{"servants":10,"removed":10,"active_before":20,"active_after":0}}`},
		{name: "accept when held", method: http.MethodPost, path: "/v1/held/accept", held: massRemoval(),
			wantStatus: http.StatusAccepted, wantAccepts: 1, wantJSON: `{"accepted":true,
				"reason":"it would remove all 10 servants","note":"the held change is applied at the next sync"}`},
		{name: "accept when nothing held", method: http.MethodPost, path: "/v1/held/accept",
			wantStatus: http.StatusConflict, wantJSON: `{"error":"nothing is held"}`},
		{name: "accept from another origin", method: http.MethodPost, path: "/v1/held/accept", held: massRemoval(),
			header:     http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}},
			wantStatus: http.StatusForbidden, wantJSON: `{"error":"cross-origin request refused"}`},
		{name: "GET on accept", method: http.MethodGet, path: "/v1/held/accept", held: massRemoval(),
			wantStatus: http.StatusMethodNotAllowed, wantBody: "Method Not Allowed\n"},
		{name: "POST on held", method: http.MethodPost, path: "/v1/held",
			wantStatus: http.StatusMethodNotAllowed, wantBody: "Method Not Allowed\n"},
		{name: "unknown path", method: http.MethodGet, path: "/v1/nope",
			wantStatus: http.StatusNotFound, wantBody: "404 page not found\n"},
		{name: "trailing slash", method: http.MethodGet, path: "/healthz/",
			wantStatus: http.StatusNotFound, wantBody: "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeHeld{held: tt.held}
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			admin.NewHandler(admin.Options{Held: fake}).ServeHTTP(rec, req)

			require.Equal(t, tt.wantStatus, rec.Code)
			if tt.wantJSON != "" {
				require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				require.JSONEq(t, tt.wantJSON, rec.Body.String())
			} else {
				require.Equal(t, tt.wantBody, rec.Body.String())
			}
			require.Equal(t, tt.wantAccepts, fake.acceptCount())
		})
	}
}

// Accepting a held fetch is logged at Warn level with its reason, its impact and
// how long it was held.
func TestNewHandler_acceptLogsWarning(t *testing.T) {
	var buf bytes.Buffer
	h := admin.NewHandler(admin.Options{
		Held:   &fakeHeld{held: massRemoval()},
		Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		Now:    func() time.Time { return since.Add(90 * time.Second) },
	})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/held/accept", nil))

	line := buf.String()
	require.Equal(t, 1, strings.Count(line, "\n"), line)
	for _, want := range []string{"level=WARN", `reason="it would remove all 10 servants"`, "held_for=1m30s",
		"servants=10", "removed=10", "active_before=20", "active_after=0"} {
		require.Contains(t, line, want)
	}
}

// NewHandler refuses to build an API without the Syncer it reports on.
func TestNewHandler_nilHeldPanics(t *testing.T) {
	require.PanicsWithValue(t, "admin: NewHandler: Options.Held is nil", func() {
		admin.NewHandler(admin.Options{})
	})
}

// With a token, every route but /healthz and /readyz needs "Authorization: Bearer
// TOKEN": a missing or wrong token gets 401 and nothing else.
func TestHandler_token(t *testing.T) {
	h := admin.NewHandler(admin.Options{Held: &fakeHeld{}, Token: "s3cret"})
	for _, tc := range []struct {
		path, header string
		want         int
	}{
		{"/healthz", "", http.StatusOK},
		{"/v1/held", "", http.StatusUnauthorized},
		{"/v1/held", "Bearer wrong", http.StatusUnauthorized},
		{"/v1/held", "s3cret", http.StatusUnauthorized},
		{"/v1/held", "Bearer s3cret", http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, tc.want, rec.Code, "%s with %q", tc.path, tc.header)
		if tc.want == http.StatusUnauthorized {
			require.NotContains(t, rec.Body.String(), "held", "a refused request learns nothing")
			require.Equal(t, `Bearer realm="tarscache"`, rec.Header().Get("WWW-Authenticate"))
		}
	}
}
