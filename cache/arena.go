package cache

import (
	"unsafe"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// Block sizes of an arena, and the largest piece it cuts from a block: a record
// bigger than that gets memory of its own, so that a block is never mostly one
// record.
const (
	arenaTextBlock      = 64 << 10
	arenaEndpointsBlock = 256
	arenaMaxText        = arenaTextBlock / 8
	arenaMaxEndpoints   = arenaEndpointsBlock / 8
)

// An arena hands out the memory of the records a load decodes: the copy of a
// record's bytes, which its strings share, and its endpoint slice. It cuts them
// from blocks shared by consecutive records rather than allocating two objects
// per record: at a million endpoints that halves the CPU of opening a file, and
// it touches the same memory. The price is that a block stays in memory while
// any record cut from it does, so a long-running process can hold, besides
// what it serves, at most the endpoints and bytes of the records it loaded at
// start. A nil *arena allocates each piece on its own. An arena is used by one
// goroutine at a time.
type arena struct {
	// free is the unused end of the current text block: pieces are cut from
	// its start and never written again.
	free []byte
	// eps is the unused end of the current endpoint block.
	eps []snapshot.Endpoint
}

// text returns a string holding a copy of p.
func (a *arena) text(p []byte) string {
	if a == nil || len(p) > arenaMaxText {
		return string(p)
	}
	if len(p) == 0 {
		return ""
	}
	if len(p) > len(a.free) {
		a.free = make([]byte, arenaTextBlock)
	}
	n := copy(a.free, p)
	s := unsafe.String(&a.free[0], n)
	a.free = a.free[n:]
	return s
}

// endpoints returns an empty slice with room for n endpoints; appending more
// than n reallocates it and never writes into a neighbour's.
func (a *arena) endpoints(n int) []snapshot.Endpoint {
	if a == nil || n > arenaMaxEndpoints {
		return make([]snapshot.Endpoint, 0, n)
	}
	if n > len(a.eps) {
		a.eps = make([]snapshot.Endpoint, arenaEndpointsBlock)
	}
	out := a.eps[:0:n]
	a.eps = a.eps[n:]
	return out
}
