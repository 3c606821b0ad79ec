package sync

import "slices"

// pairIndex knows, from the last rows read, which servants each server's rows
// name and which servers each servant's rows come from: what an incremental fetch
// needs to rebuild a servant whole when only some of its servers changed.
type pairIndex struct {
	servants map[pair][]string
	pairs    map[string][]pair
	// last is the server and servant of the row indexed last: rows come
	// server by server, and a repeat costs no lookup.
	last struct {
		pair    pair
		servant string
	}
}

// newPairIndex indexes the rows of a full fetch.
func newPairIndex(rows []Row) *pairIndex {
	x := newPairIndexSized(0)
	x.add(rows)
	return x
}

// newPairIndexSized returns an empty index with room for about n servants
// and as many servers.
func newPairIndexSized(n int) *pairIndex {
	return &pairIndex{servants: make(map[pair][]string, n), pairs: make(map[string][]pair, n)}
}

func (x *pairIndex) add(rows []Row) {
	for i := range rows {
		x.addRow(&rows[i])
	}
}

// addRow indexes one row.
func (x *pairIndex) addRow(r *Row) {
	if r.Servant == "" || r.Table == TableRegistry {
		return
	}
	p := rowPair(r)
	if p == x.last.pair && r.Servant == x.last.servant {
		return
	}
	x.last.pair, x.last.servant = p, r.Servant
	if !slices.Contains(x.servants[p], r.Servant) {
		x.servants[p] = append(x.servants[p], r.Servant)
		x.pairs[r.Servant] = append(x.pairs[r.Servant], p)
	}
}

// replace forgets what the index knew of the changed servers and learns their
// rows as now read.
func (x *pairIndex) replace(changed []pair, rows []Row) {
	x.last.pair, x.last.servant = pair{}, "" // may be forgotten below
	for _, p := range changed {
		for _, id := range x.servants[p] {
			x.pairs[id] = slices.DeleteFunc(x.pairs[id], func(q pair) bool { return q == p })
			if len(x.pairs[id]) == 0 {
				delete(x.pairs, id)
			}
		}
		delete(x.servants, p)
	}
	x.add(rows)
}

// servantsOf adds to set the servants the rows of p named at the last read.
func (x *pairIndex) servantsOf(p pair, set map[string]struct{}) {
	for _, id := range x.servants[p] {
		set[id] = struct{}{}
	}
}

// pairsOf returns the servers whose rows named servant id at the last read.
func (x *pairIndex) pairsOf(id string) []pair { return x.pairs[id] }
