package main

import (
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/sync"
)

// heldView shows a Syncer's held fetch to the admin API, which knows nothing of
// package sync.
type heldView struct{ s *sync.Syncer }

func (v heldView) Held() *admin.HeldChange { return heldChange(v.s.Held()) }

func (v heldView) AcceptIfHeld() *admin.HeldChange { return heldChange(v.s.AcceptIfHeld()) }

func heldChange(h *sync.Held) *admin.HeldChange {
	if h == nil {
		return nil
	}
	imp := h.Impact
	return &admin.HeldChange{Since: h.Since, Reason: h.Reason, Servants: imp.Servants, Removed: imp.Removed,
		ActiveBefore: imp.ActiveBefore, ActiveAfter: imp.ActiveAfter}
}
