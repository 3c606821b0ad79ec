package main

import (
	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/sync"
)

// storeView shows a Cache to the admin API, which links neither bbolt nor package
// cache.
type storeView struct{ *cache.Cache }

func (v storeView) FileStatus() admin.FileStatus { return admin.FileStatus(v.Cache.FileStatus()) }

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
