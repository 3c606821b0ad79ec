package sync

import (
	"github.com/tarscache/tarscache/cache"
)

// checkReplySizes logs each servant of st whose largest answer became larger
// than clients accept (QueryF answers it with an error), and each that came back
// under the limit, and updates tarscache_sync_oversized_servants.
func (s *Syncer) checkReplySizes(st *cache.State) {
	snap := s.cache.Snapshot()
	for i := range st.Servants {
		id := st.Servants[i].ID
		e, ok := snap.Stored(id)
		if !ok {
			continue
		}
		s.noteReplySize(id, e.ReplyBytes(s.opts.MaxReplyBytes))
	}
	if len(s.oversized) == 0 {
		s.metrics.oversized.Set(0)
		return
	}
	fetched := make(map[string]struct{}, len(st.Servants))
	for i := range st.Servants {
		fetched[st.Servants[i].ID] = struct{}{}
	}
	for id := range s.oversized {
		_, stored := snap.Stored(id)
		_, named := fetched[id]
		if !stored || (!st.Partial && !named) {
			delete(s.oversized, id)
		}
	}
	s.metrics.oversized.Set(float64(len(s.oversized)))
}

// noteReplySize records the answer size of one servant, logging changes across
// the limit.
func (s *Syncer) noteReplySize(id string, size int) {
	_, was := s.oversized[id]
	switch {
	case size > s.opts.MaxReplyBytes && !was:
		s.oversized[id] = size
		s.opts.Logger.Warn("servant's answer is larger than Tars clients accept: QueryF answers it with an error until it has fewer endpoints",
			"servant", id, "reply_bytes", size, "max_reply_bytes", s.opts.MaxReplyBytes)
	case size <= s.opts.MaxReplyBytes && was:
		delete(s.oversized, id)
		s.opts.Logger.Info("servant's answer fits in a reply again", "servant", id, "reply_bytes", size)
	}
}
