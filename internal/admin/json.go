package admin

import (
	"time"

	"github.com/tarscache/tarscache/sync"
)

// heldJSON is the body of GET /v1/held; only Held is set when nothing is held.
type heldJSON struct {
	Held   bool        `json:"held"`
	Since  time.Time   `json:"since,omitzero"` // RFC 3339 with nanoseconds
	Reason string      `json:"reason,omitempty"`
	Impact *impactJSON `json:"impact,omitempty"`
}

// impactJSON mirrors cache.Impact.
type impactJSON struct {
	Servants     int `json:"servants"`
	Removed      int `json:"removed"`
	ActiveBefore int `json:"active_before"`
	ActiveAfter  int `json:"active_after"`
}

// acceptJSON is the body of a successful POST /v1/held/accept.
type acceptJSON struct {
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason"`
	Note     string `json:"note"`
}

// errorJSON is the body of every error the handlers write.
type errorJSON struct {
	Error string `json:"error"`
}

func heldResponse(h *sync.Held) heldJSON {
	if h == nil {
		return heldJSON{}
	}
	imp := h.Impact
	return heldJSON{Held: true, Since: h.Since, Reason: h.Reason, Impact: &impactJSON{
		Servants: imp.Servants, Removed: imp.Removed, ActiveBefore: imp.ActiveBefore, ActiveAfter: imp.ActiveAfter,
	}}
}
