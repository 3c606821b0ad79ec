package snapshot

import (
	"github.com/TarsCloud/TarsGo/tars/protocol/codec"

	"github.com/tarscache/tarscache/protocol/endpointf"
)

// emptyWire is the Tars encoding of an empty list's body: its length 0.
var emptyWire = []byte{codec.ZeroTag}

// Wire returns the Tars encoding of the bodies of l's two lists, as a reply writes
// a vector<EndpointF> after the list's head: the length, then each EndpointF as a
// struct of tag 0, byte for byte what TarsGo's generated code writes. Answers are
// encoded once, when their entry is built, so that a reply copies bytes instead of
// encoding endpoints. The slices are shared: callers must not modify them.
func (l Lists) Wire() (active, inactive []byte) {
	return orEmpty(l.activeWire), orEmpty(l.inactiveWire)
}

func orEmpty(b []byte) []byte {
	if b == nil {
		return emptyWire
	}
	return b
}

// encoded returns l with its wire bodies, reusing those of all for the lists l
// shares with it.
func (l Lists) encoded(all *Lists) Lists {
	l.activeWire = wireOf(l.Active, all.Active, all.activeWire)
	l.inactiveWire = wireOf(l.Inactive, all.Inactive, all.inactiveWire)
	return l
}

// wireOf encodes eps, or returns known when eps is the very list known encodes.
func wireOf(eps, same []endpointf.EndpointF, known []byte) []byte {
	if len(eps) == 0 {
		return nil
	}
	if known != nil && len(eps) == len(same) && &eps[0] == &same[0] {
		return known
	}
	buf := codec.NewBuffer()
	_ = buf.WriteInt32(int32(len(eps)), 0) // writing to memory cannot fail
	for i := range eps {
		_ = eps[i].WriteBlock(buf, 0)
	}
	return append([]byte(nil), buf.ToBytes()...)
}

// encode gives every answer of e its wire bodies.
func (e *Entry) encode() {
	e.All = e.All.encoded(&Lists{})
	for g, l := range e.byGroup {
		e.byGroup[g] = l.encoded(&e.All)
	}
	for s, l := range e.byStation {
		e.byStation[s] = l.encoded(&e.All)
	}
	for _, areas := range e.sets {
		for _, a := range areas {
			a.all = a.all.encoded(&e.All)
			for g, l := range a.groups {
				a.groups[g] = l.encoded(&e.All)
			}
		}
	}
}

// MaxReplyBytes is the largest QueryF reply Tars clients accept: TarsGo's clients
// refuse packets beyond 10 MiB (maxPackageLength, 10485760 bytes, by default).
const MaxReplyBytes = 10 << 20

// replyOverhead bounds what a QueryF reply adds to its two endpoint lists: the
// length prefix, the response packet's fields, the return code and the list
// heads. The servant id is not in a reply.
const replyOverhead = 128

// ReplyBytes bounds the size of the largest QueryF reply for the servant:
// findObjectById4Any and findObjectById4All, which carry every endpoint.
func (e *Entry) ReplyBytes() int {
	active, inactive := e.All.Wire()
	return len(active) + len(inactive) + replyOverhead
}
