package admin

import (
	"fmt"
	"net/http"
	"time"
)

// backupTimeFormat is the UTC time in a backup's file name.
const backupTimeFormat = "20060102T150405Z"

// backupWriteTimeout bounds a whole backup download, replacing the server's
// writeTimeout: the copy holds a bbolt read transaction, which makes an Apply
// that must grow the file wait, so a client that reads slowly is cut off.
const backupWriteTimeout = 5 * time.Minute

// backup streams a consistent copy of the cache file. The size is not known
// before the copy, so the body is chunked; if the copy fails once bytes are
// sent, the connection is aborted so that the client sees a truncated transfer
// rather than a complete-looking answer.
func (h *handler) backup(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", h.backupName()))
	hdr.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	h.extendWriteDeadline(w)
	sw := &sentWriter{w: w}
	if _, err := h.store.WriteTo(sw); err != nil {
		h.backupFailed(w, r, sw, err)
	}
}

// backupName is the file name a backup taken now is offered under.
func (h *handler) backupName() string {
	return "tarscache-" + h.now().UTC().Format(backupTimeFormat) + ".db"
}

// extendWriteDeadline gives the download backupWriteTimeout from now. The
// deadline is the network's, so it reads the real clock, not h.now.
func (h *handler) extendWriteDeadline(w http.ResponseWriter) {
	err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(backupWriteTimeout))
	if err != nil {
		h.logger.Debug("admin: backup: set write deadline", "err", err)
	}
}

// backupFailed answers 500 when nothing was sent yet; otherwise it aborts the
// connection mid-body (http.ErrAbortHandler, which the server does not log).
func (h *handler) backupFailed(w http.ResponseWriter, r *http.Request, sw *sentWriter, err error) {
	if !sw.started {
		h.logger.Error("admin: backup failed", "err", err, "remote", r.RemoteAddr)
		w.Header().Del("Content-Disposition")
		h.writeJSON(w, http.StatusInternalServerError, errorJSON{Error: err.Error()})
		return
	}
	h.logger.Error("admin: backup failed mid-transfer; the connection is aborted, the client has a truncated file",
		"err", err, "bytes_sent", sw.n, "remote", r.RemoteAddr)
	panic(http.ErrAbortHandler)
}

// sentWriter counts what reaches the response, and whether anything was
// written: the first Write sends the status line and headers.
type sentWriter struct {
	w       http.ResponseWriter
	started bool
	n       int64
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.started = true
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}
