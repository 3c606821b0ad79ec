package main

import (
	"fmt"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/sync"
	"github.com/tarscache/tarscache/tars"
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

// syncsView shows a Syncer's recent syncs to the status page, which knows nothing
// of package sync.
type syncsView struct{ s *sync.Syncer }

func (v syncsView) Recent() []admin.SyncRecord {
	recent := v.s.Recent()
	out := make([]admin.SyncRecord, len(recent))
	for i, r := range recent {
		out[i] = admin.SyncRecord{Start: r.Start, Duration: r.Duration, Result: r.Result, Full: r.Full,
			Written: r.Written, Deleted: r.Deleted, Rejected: r.Rejected, Err: r.Err}
	}
	return out
}

// explainPage answers the status page's explain view with tars.Explain, the
// QueryF handler's own code.
func explainPage(snap *snapshot.Snapshot, q admin.ExplainQuery) (*admin.Explanation, error) {
	x, err := tars.Explain(snap, tars.ExplainRequest{Method: q.Method, ID: q.ID, Arg: q.Arg, Caller: q.Caller})
	if err != nil {
		return nil, err
	}
	out := &admin.Explanation{RPC: x.RPC, Ret: x.Ret, Active: x.Active, Inactive: x.Inactive, Rule: x.Rule, Steps: x.Steps, Left: x.Left}
	for _, r := range x.Routes {
		sub := r.Subset
		if sub == "" {
			sub = noRoute
		}
		out.Routes = append(out.Routes, fmt.Sprintf("%s: %d of %d sample keys (e.g. %q), %d active endpoints kept", sub, r.Keys, tars.SampleKeys, r.Key, r.Endpoints))
	}
	return out, nil
}
