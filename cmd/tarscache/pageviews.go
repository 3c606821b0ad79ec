package main

import (
	"fmt"

	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/sync"
	"github.com/tarscache/tarscache/tars"
)

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
