package admin

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// backupTimeFormat is the UTC time in a backup's file name.
const backupTimeFormat = "20060102T150405Z"

// backup streams a consistent copy of the cache file. The size is not known
// before the copy, so the body is chunked; if the copy fails once bytes are
// sent, the connection is aborted so that the client sees a truncated transfer
// rather than a complete-looking answer. The copy never holds up a sync (see
// cache.Cache.WriteTo); the client gets the time its bytes take at 64 KiB/s
// plus 10 s, and MaxBackups downloads run at once. While the file was changed
// under the server (Store.FileStatus reports a problem) backups are refused with 503.
func (h *handler) backup(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", h.backupName()))
	hdr.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	sw := &sentWriter{w: newPacedWriter(w)}
	if _, err := h.store.WriteTo(sw); err != nil {
		h.backupFailed(w, r, sw, err)
	}
}

// backupName is the file name a backup taken now is offered under.
func (h *handler) backupName() string {
	return "tarscache-" + h.now().UTC().Format(backupTimeFormat) + ".db"
}

// backupFailed answers 500 when nothing was sent yet; otherwise it aborts the
// connection mid-body (http.ErrAbortHandler, which the server does not log).
func (h *handler) backupFailed(w http.ResponseWriter, r *http.Request, sw *sentWriter, err error) {
	if !sw.started && h.store.FileStatus().Problem != "" {
		// The cache logged it once; each refused download is not worth a line.
		h.logger.Debug("admin: backup refused", "err", err, "remote", r.RemoteAddr)
		w.Header().Del("Content-Disposition")
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		h.writeJSON(w, http.StatusServiceUnavailable, errorJSON{Error: err.Error() +
			" (it is rewritten from memory at the next sync; retry then)"})
		return
	}
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
	w       io.Writer
	started bool
	n       int64
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.started = true
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}
