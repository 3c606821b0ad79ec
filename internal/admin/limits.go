package admin

import (
	"io"
	"net/http"
	"strconv"
	"time"
)

// Limits of the routes that send the whole registry (/v1/backup, /v1/records).
const (
	// MaxBackups is the number of /v1/backup downloads at once: each holds a
	// temporary copy of the file on disk while its client reads it. More are
	// answered 503 with Retry-After.
	MaxBackups = 4
	// MaxRecordDumps is the number of /v1/records answers being written at once;
	// more are answered 503 with Retry-After.
	MaxRecordDumps = 4
	// bulkGrace and bulkMinRate set the write deadline of those answers: a client
	// has bulkGrace plus the time the bytes take at bulkMinRate bytes per second,
	// so large answers get the time they need and a stalled client is cut off.
	bulkGrace   = 10 * time.Second
	bulkMinRate = 64 << 10
	// retryAfter is the Retry-After, in seconds, of a refused bulk request.
	retryAfter = 5
)

// slots is a counting semaphore that never waits.
type slots chan struct{}

// take reports whether a slot was free, and takes it.
func (s slots) take() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s slots) release() { <-s }

// limited wraps next so that at most cap(s) run at once; others get 503 with
// Retry-After and the error busy.
func (h *handler) limited(s slots, busy string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.take() {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
			h.writeJSON(w, http.StatusServiceUnavailable, errorJSON{Error: busy})
			return
		}
		defer s.release()
		next(w, r)
	}
}

// pacedWriter moves the write deadline of a bulk answer as bytes go out:
// bulkGrace from the start plus the time its bytes take at bulkMinRate.
type pacedWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	start time.Time
	n     int64
	// failed is set once the deadline could not be set; the server's own
	// WriteTimeout then applies.
	failed bool
}

func newPacedWriter(w http.ResponseWriter) *pacedWriter {
	return &pacedWriter{w: w, rc: http.NewResponseController(w), start: time.Now()}
}

func (p *pacedWriter) Write(b []byte) (int, error) {
	if !p.failed {
		due := p.start.Add(bulkGrace + time.Duration(float64(p.n+int64(len(b)))/bulkMinRate*float64(time.Second)))
		p.failed = p.rc.SetWriteDeadline(due) != nil
	}
	n, err := p.w.Write(b)
	p.n += int64(n)
	return n, err
}
