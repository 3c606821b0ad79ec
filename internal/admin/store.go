package admin

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// withStore returns next, or, when the API has no cache, a handler answering 503.
func (h *handler) withStore(next http.HandlerFunc) http.HandlerFunc {
	if h.store != nil {
		return next
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		h.writeJSON(w, http.StatusServiceUnavailable, errorJSON{Error: reasonNoStore})
	}
}

// listServants answers every stored servant whose id starts with ?prefix=
// (every servant without it), in id order.
func (h *handler) listServants(w http.ResponseWriter, r *http.Request) {
	prefix := r.URL.Query().Get("prefix")
	snap := h.store.Snapshot()
	body := servantsJSON{Servants: []servantSummaryJSON{}, LastSync: timeOrNull(h.store.LastSync())}
	for _, id := range withPrefix(snap.IDs(), prefix) {
		e, override, _ := served(snap, id)
		body.Servants = append(body.Servants, summaryJSON(e, override))
	}
	h.writeJSON(w, http.StatusOK, body)
}

// getServant answers the record QueryF answers for the id, endpoint by endpoint.
func (h *handler) getServant(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, override, ok := served(h.store.Snapshot(), id)
	if !ok {
		h.writeJSON(w, http.StatusNotFound, errorJSON{Error: fmt.Sprintf("unknown servant %q", id)})
		return
	}
	h.writeJSON(w, http.StatusOK, recordJSON(e, override))
}

// served returns the entry QueryF answers for id and whether it is one of the
// cache's Override records (serve --advertise) rather than the stored one.
func served(snap *snapshot.Snapshot, id string) (e *snapshot.Entry, override, ok bool) {
	e, ok = snap.Lookup(id)
	stored, _ := snap.Stored(id)
	return e, ok && e != stored, ok
}

// SourceHeader and SourceSinceHeader carry, on /v1/records, where the data
// served comes from (a DSN with its password hidden, the cache file, or a peer)
// and since when (RFC 3339, UTC); absent when the API reports no source.
const (
	SourceHeader      = "X-Tarscache-Source"
	SourceSinceHeader = "X-Tarscache-Source-Since"
)

// LastSyncHeader carries, on /v1/records, the time (RFC 3339, UTC) of the last
// successful sync; it is absent when the cache was never synced.
const LastSyncHeader = "X-Tarscache-Last-Sync"

// records streams the tarscache-records/1 document (the one dump --format json
// and export write, and import reads): the whole cache with the IDC groups, or
// with ?prefix= only the servants (records and subset rules) whose id starts with it.
func (h *handler) records(w http.ResponseWriter, r *http.Request) {
	snap := h.store.Snapshot()
	var ids []string // nil: every servant and the groups
	if prefix := r.URL.Query().Get("prefix"); prefix != "" {
		ids = withPrefix(snap.AllIDs(), prefix)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if last := h.store.LastSync(); !last.IsZero() {
		w.Header().Set(LastSyncHeader, last.UTC().Format(time.RFC3339Nano))
	}
	if src := h.sourceInUse(); src != nil {
		w.Header().Set(SourceHeader, src.Name)
		w.Header().Set(SourceSinceHeader, src.Since.Format(time.RFC3339Nano))
	}
	if err := snapshot.WriteJSON(newPacedWriter(w), snap, ids); err != nil {
		h.logger.Debug("admin: write records", "err", err)
	}
}

// withPrefix returns the ids that start with prefix, never nil.
func withPrefix(ids []string, prefix string) []string {
	out := []string{}
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	return out
}

// sourceInUse is the source the data served comes from, nil when the API
// reports none.
func (h *handler) sourceInUse() *sourceInUseJSON {
	if h.srcs == nil {
		return nil
	}
	r := h.srcs.Sources()
	return &sourceInUseJSON{Name: r.InUse, Since: r.Since.UTC(), Position: r.Position}
}

// sources answers every source and the one in use.
func (h *handler) sources(w http.ResponseWriter, _ *http.Request) {
	if h.srcs == nil {
		h.writeJSON(w, http.StatusServiceUnavailable, errorJSON{Error: "no sync loop is attached to the admin API"})
		return
	}
	h.writeJSON(w, http.StatusOK, sourcesResponse(h.srcs.Sources()))
}
