package admin

import (
	"fmt"
	"net/http"
	"time"
)

// Reasons /readyz gives for 503.
const (
	reasonNoStore = "no cache is attached to the admin API"
	reasonEmpty   = "no servant record loaded and no sync completed yet"
)

// readyz answers 200 once records are servable: the snapshot holds a servant or
// a sync has completed (an empty registry is a valid state), and the last sync is
// not older than MaxStale (lookups fail then). A process that is up but has no
// records, or only records too stale to answer, answers 503.
func (h *handler) readyz(w http.ResponseWriter, _ *http.Request) {
	if h.store == nil {
		h.writeJSON(w, http.StatusServiceUnavailable, notReadyJSON{Reason: reasonNoStore})
		return
	}
	n, last := h.store.Snapshot().Len(), h.store.LastSync()
	if n == 0 && last.IsZero() {
		h.writeJSON(w, http.StatusServiceUnavailable, notReadyJSON{Reason: reasonEmpty})
		return
	}
	if age := h.now().Sub(last); h.maxStale > 0 && !last.IsZero() && age > h.maxStale {
		h.writeJSON(w, http.StatusServiceUnavailable, notReadyJSON{Reason: fmt.Sprintf(
			"data too stale: the last sync from the database was %s ago, beyond --max-stale %s: lookups fail until a sync succeeds",
			age.Round(time.Second), h.maxStale)})
		return
	}
	h.writeJSON(w, http.StatusOK, readyJSON{Ready: true, Servants: n, LastSync: timeOrNull(last),
		StaleForSeconds: h.staleFor(last), File: fileJSONOf(h.store.FileStatus()), Source: h.sourceInUse()})
}

// staleFor returns how many seconds ago last was, or nil for the zero time.
func (h *handler) staleFor(last time.Time) *float64 {
	if last.IsZero() {
		return nil
	}
	s := h.now().Sub(last).Seconds()
	return &s
}

// readyJSON is the body of GET /readyz when records are servable. LastSync and
// StaleForSeconds are null when the cache was never synced.
type readyJSON struct {
	Ready           bool       `json:"ready"`
	Servants        int        `json:"servants"`
	LastSync        *time.Time `json:"last_sync"` // RFC 3339 with nanoseconds, UTC
	StaleForSeconds *float64   `json:"stale_for_seconds"`
	File            fileJSON   `json:"file"`
	// Source says where the records come from; absent without Options.Sources.
	Source *sourceInUseJSON `json:"source,omitempty"`
}

// fileJSON reports the cache file under the server: "ok", or the change found
// under it (truncated, overwritten, replaced, deleted) until it is rewritten
// from memory; records are served from memory meanwhile.
type fileJSON struct {
	OK       bool       `json:"ok"`
	Problem  string     `json:"problem,omitempty"`
	Since    *time.Time `json:"since,omitempty"`
	Changes  int        `json:"changes"`
	Rewrites int        `json:"rewrites"`
}

func fileJSONOf(st FileStatus) fileJSON {
	f := fileJSON{OK: st.Problem == "", Problem: st.Problem, Changes: st.Changes, Rewrites: st.Rewrites}
	if !st.Since.IsZero() {
		since := st.Since.UTC()
		f.Since = &since
	}
	return f
}

// notReadyJSON is the body of GET /readyz when nothing is servable yet.
type notReadyJSON struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason"`
}
