package sync

import (
	"context"
	"errors"
	"fmt"

	"github.com/tarscache/tarscache/cache"
)

// Preview is what a sync would do now, computed without writing.
type Preview struct {
	Plan          cache.Plan
	Report        Report
	GroupWarnings []string
	// RejectedRules are the t_subset_rule rows that would be rejected.
	RejectedRules []error
	Impact        Impact
	// HeldReason says why the fetch would be held; "" when it would be applied.
	HeldReason string
}

// Preview reads every table, as a full sync does, and reports what applying the
// fetch would change and whether it would be held. It writes nothing, logs
// nothing and changes no state of the Syncer.
func (s *Syncer) Preview(ctx context.Context) (Preview, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.FetchTimeout)
	defer cancel()
	f, b, err := s.fetchFirst(ctx)
	if err != nil {
		return Preview{}, err
	}
	servants, rep := b.result()
	groups, warns := BuildGroups(f.GroupRules, f.Priorities)
	rules, badRules := BuildRules(f.Rules, s.compiler)
	cur := s.cache.Snapshot()
	st := cache.State{Servants: servants, Groups: groups, Rules: keepInForce(cur, rules)}
	p := Preview{Report: rep, GroupWarnings: warns, RejectedRules: badRules, Impact: impactOf(cur, &st)}
	p.HeldReason = s.protect.reason(p.Impact)
	if p.Plan, err = s.cache.Plan(st); err != nil {
		return Preview{}, fmt.Errorf("sync: %w", err)
	}
	return p, nil
}

// fetchFirst reads every table of the first source that answers, preferred
// first, building the rows into records as they arrive (fetchBuilt).
func (s *Syncer) fetchFirst(ctx context.Context) (*Fetch, *builder, error) {
	var errs []error
	for _, src := range s.sources.list {
		f, b, err := fetchBuilt(ctx, src.DB)
		if err == nil {
			return f, b, nil
		}
		if len(s.sources.list) > 1 {
			err = fmt.Errorf("%s: %w", src.Name, err)
		}
		errs = append(errs, err)
	}
	return nil, nil, errors.Join(errs...)
}
