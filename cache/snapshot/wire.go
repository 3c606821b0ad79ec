package snapshot

import (
	"sync/atomic"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"

	"github.com/tarscache/tarscache/protocol/endpointf"
)

// emptyWire is the Tars encoding of an empty list's body: its length 0.
var emptyWire = []byte{codec.ZeroTag}

// lazyWire is the Tars encoding of one Lists of an Entry, built on first use and
// shared by every copy of the Lists value.
type lazyWire struct {
	// p is nil until a Wire call has encoded the lists. The first encoding stored
	// (CompareAndSwap) is the one every reader gets; readers that raced it drop
	// theirs. Written and read by any goroutine that calls Wire.
	p atomic.Pointer[wireBodies]
}

// wireBodies is the encoding of a Lists' two bodies; nil for an empty list.
type wireBodies struct{ active, inactive []byte }

// Wire returns the Tars encoding of the bodies of l's two lists, as a reply writes
// a vector<EndpointF> after the list's head: the length, then each EndpointF as a
// struct of tag 0, byte for byte what TarsGo's generated code writes. An answer of
// an Entry is encoded on its first Wire call and kept, so that later replies copy
// bytes instead of encoding endpoints and allocate nothing; the lists never
// answered are never encoded. It is safe for concurrent use. A Lists built
// outside an Entry is encoded at every call. The slices are shared: callers must
// not modify them.
func (l Lists) Wire() (active, inactive []byte) {
	if l.wire == nil {
		if l.Empty() {
			return emptyWire, emptyWire
		}
		w := encodeBodies(l)
		return orEmpty(w.active), orEmpty(w.inactive)
	}
	w := l.wire.p.Load()
	if w == nil {
		w = encodeBodies(l)
		if !l.wire.p.CompareAndSwap(nil, w) {
			w = l.wire.p.Load()
		}
	}
	return orEmpty(w.active), orEmpty(w.inactive)
}

func orEmpty(b []byte) []byte {
	if b == nil {
		return emptyWire
	}
	return b
}

// encodeBodies encodes both lists of l.
func encodeBodies(l Lists) *wireBodies {
	return &wireBodies{active: encodeList(l.Active), inactive: encodeList(l.Inactive)}
}

// encodeList encodes eps, nil when empty.
func encodeList(eps []endpointf.EndpointF) []byte {
	if len(eps) == 0 {
		return nil
	}
	buf := codec.NewBuffer()
	_ = buf.WriteInt32(int32(len(eps)), 0) // writing to memory cannot fail
	for i := range eps {
		_ = eps[i].WriteBlock(buf, 0)
	}
	return append([]byte(nil), buf.ToBytes()...)
}

// lazy gives every answer of an entry built with all its answers its wire cell,
// encoded on first use (Wire). An answer that is All itself (the same lists)
// shares All's cell, so that it is encoded once for both.
func (e *Entry) lazy() {
	e.all.wire = &e.allWire
	for g, l := range e.byGroup {
		e.byGroup[g] = l.withWire(&e.all)
	}
	for s, l := range e.byStation {
		e.byStation[s] = l.withWire(&e.all)
	}
	for _, areas := range e.sets {
		for _, a := range areas {
			a.all = a.all.withWire(&e.all)
			for g, l := range a.groups {
				a.groups[g] = l.withWire(&e.all)
			}
		}
	}
}

// withWire returns l with all's wire cell when l holds all's very lists, else
// with a cell of its own.
func (l Lists) withWire(all *Lists) Lists {
	if sameList(l.Active, all.Active) && sameList(l.Inactive, all.Inactive) {
		l.wire = all.wire
	} else {
		l.wire = &lazyWire{}
	}
	return l
}

// sameList reports whether a and b are the very same list (both empty counts).
func sameList(a, b []endpointf.EndpointF) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// MaxReplyBytes is the largest QueryF reply Tars clients accept: TarsGo's clients
// refuse packets beyond 10 MiB (maxPackageLength, 10485760 bytes, by default).
const MaxReplyBytes = 10 << 20

// replyOverhead bounds what a QueryF reply adds to its two endpoint lists: the
// length prefix, the response packet's fields, the return code and the list
// heads. The servant id is not in a reply.
const replyOverhead = 128

// ReplyBytes bounds the size of the largest QueryF reply for the servant:
// findObjectById4Any and findObjectById4All, which carry every endpoint. While a
// bound taken from the endpoints' text lengths (encodedBound) is within limit,
// that bound is the answer and nothing is encoded; past it All is encoded (Wire)
// and the exact size given. So asking every servant after a sync encodes only
// those near the limit, and answers stay encoded on first use.
func (e *Entry) ReplyBytes(limit int) int {
	if n := servantBound(&e.Servant) + replyOverhead; n <= limit {
		return n
	}
	active, inactive := e.AllLists().Wire()
	return len(active) + len(inactive) + replyOverhead
}

// Bounds of the Tars encoding of an EndpointF: a head of at most 2 bytes for
// each field (tags from 15 take two), an int32 in at most 4 bytes, a string's
// length in at most 4, and the struct's begin and end heads.
const (
	endpointInts    = 11
	endpointStrings = 4
	endpointBound   = 2 + endpointInts*(2+4) + endpointStrings*(2+4)
	listHeadBound   = 2 + 4 // a list's length, an int32 with its head
)

// servantBound bounds the encoding of the All lists of s as Wire writes them,
// from the record's endpoints: the lists need not be built.
func servantBound(s *Servant) int {
	n := 2 * listHeadBound
	for i := range s.Endpoints {
		ep := &s.Endpoints[i]
		n += endpointBound + len(ep.Host) + setIDLen(ep) + len(ep.NodeName) + len(ep.Subset)
	}
	return n
}

// setIDLen is len(ep.SetID()), without building it.
func setIDLen(ep *Endpoint) int {
	if !ep.EnableSet {
		return 0
	}
	return len(ep.SetName) + len(ep.SetArea) + len(ep.SetGroup) + 2
}
