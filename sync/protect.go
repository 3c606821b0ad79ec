package sync

import (
	"fmt"
	gosync "sync"
	"time"
)

// DefaultProtectThreshold is the share of servants or of active endpoints, in
// percent, that one fetch may take away before it is held.
const DefaultProtectThreshold = 50

// Held is a fetch the Syncer refused to apply because it would take away too
// much at once: more than the threshold of the servants or of the active
// endpoints, or every servant.
type Held struct {
	// Since is when a fetch was first held (by the Syncer's clock); Impact and
	// Reason describe the latest held fetch.
	Since  time.Time
	Impact Impact
	Reason string
}

// protection decides which fetches are held and remembers the latest one. Its
// state is shared with the goroutines that inspect or accept held changes.
type protection struct {
	threshold float64 // percent; <= 0 disables the percentage rules

	mu     gosync.Mutex
	held   *Held
	accept bool // apply the next fetch whatever it removes
}

// reason returns why imp must be held, or "" when it may be applied.
func (p *protection) reason(imp Impact) string {
	switch {
	case imp.Servants > 0 && imp.Removed == imp.Servants:
		return fmt.Sprintf("it would remove all %d servants", imp.Servants)
	case p.threshold <= 0:
		return ""
	case over(imp.Removed, imp.Servants, p.threshold):
		return fmt.Sprintf("it would remove %d of %d servants (%.0f%%, more than %.0f%%)",
			imp.Removed, imp.Servants, percent(imp.Removed, imp.Servants), p.threshold)
	case over(imp.ActiveBefore-imp.ActiveAfter, imp.ActiveBefore, p.threshold):
		lost := imp.ActiveBefore - imp.ActiveAfter
		return fmt.Sprintf("it would take away %d of %d active endpoints (%.0f%%, more than %.0f%%)",
			lost, imp.ActiveBefore, percent(lost, imp.ActiveBefore), p.threshold)
	}
	return ""
}

func over(part, whole int, threshold float64) bool {
	return whole > 0 && percent(part, whole) > threshold
}

func percent(part, whole int) float64 { return 100 * float64(part) / float64(whole) }

// check returns the Held record of a fetch that must not be applied (nil when it
// may be), consuming a pending acceptance.
func (p *protection) check(imp Impact, now time.Time) *Held {
	p.mu.Lock()
	defer p.mu.Unlock()
	why := p.reason(imp)
	if why == "" || p.accept {
		p.accept, p.held = false, nil
		return nil
	}
	h := &Held{Since: now, Impact: imp, Reason: why}
	if p.held != nil {
		h.Since = p.held.Since
	}
	p.held = h
	return h
}

// Held returns the fetch currently held, or nil. It is safe to call from any
// goroutine.
func (s *Syncer) Held() *Held {
	s.protect.mu.Lock()
	defer s.protect.mu.Unlock()
	if s.protect.held == nil {
		return nil
	}
	h := *s.protect.held
	return &h
}

// AcceptHeld makes the next successful fetch apply whatever it removes, once. It
// is safe to call from any goroutine; the running loop picks it up at its next
// tick.
func (s *Syncer) AcceptHeld() {
	s.protect.mu.Lock()
	defer s.protect.mu.Unlock()
	s.protect.accept = true
}

// AcceptIfHeld accepts the fetch held now, as AcceptHeld does, and returns it; with
// nothing held it accepts nothing and returns nil, so that no acceptance is left
// for a later accident. It is safe to call from any goroutine.
func (s *Syncer) AcceptIfHeld() *Held {
	s.protect.mu.Lock()
	defer s.protect.mu.Unlock()
	if s.protect.held == nil {
		return nil
	}
	s.protect.accept = true
	h := *s.protect.held
	return &h
}
