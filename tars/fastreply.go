package tars

import (
	"encoding/binary"
	"runtime/debug"
	"slices"
	"unsafe"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
)

// fastReply answers a list method without the generated dispatcher: it reads the
// arguments in place and appends to dst the reply written around the answer's
// pre-encoded lists (snapshot.Lists.Wire), the same bytes the generated code
// writes, without allocating once dst has room.
// ok is false for anything else (another method or protocol version, a one-way
// call, arguments not laid out as clients write them, stale data, a panicking
// handler): the generic path answers those.
func (d *dispatcher) fastReply(dst []byte, req *request, p peer) (out []byte, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			d.logger.Error("QueryF fast path panicked; the generic path answers", "method", req.function,
				"peer", p.String(), "panic", r, "stack", string(debug.Stack()))
			d.metrics.fastPanics.Inc()
			out, ok = nil, false // the generic path recovers again if the handler panics there too
		}
	}()
	m := methods[req.function]
	if m == notList || req.version != basef.TARSVERSION || req.packetType == basef.TARSONEWAY || req.servant != d.servant {
		return nil, false
	}
	id, args, ok := peekString(req.args, 1)
	// Out arguments follow the in arguments' tags: 2 and 3 after the id, 3 and 4
	// after the id and a station or set id.
	arg, tag := "", byte(2)
	if ok && (m == methodSameStation || m == methodSameSet) {
		arg, _, ok = peekString(args, 2)
		tag = 3
	}
	if !ok {
		return nil, false
	}
	caller := req.node
	if caller == "" {
		caller = p.ip
	}
	ret, l, err := d.handler.answer(m, id, arg, caller)
	if err != nil {
		return nil, false
	}
	active, inactive := l.Wire()
	var head, mid [8]byte
	if req.function == "findObjectById" {
		return encodeReply(dst, req, appendHead(head[:0], codec.LIST, 0), active, nil, nil), true
	}
	return encodeReply(dst, req, appendHead(appendInt(head[:0], ret, 0), codec.LIST, tag), active,
		appendHead(mid[:0], codec.LIST, tag+1), inactive), true
}

// peekString reads the string of tag at the start of b, without copying (the
// string shares b's memory, so it must not outlive the request), and returns what
// follows it.
func peekString(b []byte, tag byte) (string, []byte, bool) {
	if len(b) < 2 || b[0]>>4 != tag {
		return "", nil, false
	}
	n, rest := 0, b[1:]
	switch b[0] & 0x0f {
	case codec.STRING1:
		n, rest = int(rest[0]), rest[1:]
	case codec.STRING4:
		if len(rest) < 4 {
			return "", nil, false
		}
		n, rest = int(binary.BigEndian.Uint32(rest)), rest[4:]
	default:
		return "", nil, false
	}
	if n > len(rest) {
		return "", nil, false
	}
	return unsafe.String(unsafe.SliceData(rest), n), rest[n:], true
}

// encodeReply appends to dst the framed ResponsePacket of req whose sBuffer is
// the concatenation of head, active, mid and inactive, as encodeResponse frames
// it for the generic path.
func encodeReply(dst []byte, req *request, head, active, mid, inactive []byte) []byte {
	n := len(head) + len(active) + len(mid) + len(inactive)
	start := len(dst)
	out := slices.Grow(dst, 4+32+n)
	out = append(out, 0, 0, 0, 0)
	out = appendInt(out, int32(req.version), 1)
	out = appendInt(out, int32(req.packetType), 2)
	out = appendInt(out, req.requestID, 3)
	out = appendInt(out, 0, 4) // iMessageType
	out = appendInt(out, 0, 5) // iRet
	out = appendHead(out, codec.SimpleList, 6)
	out = appendHead(out, codec.BYTE, 0)
	out = appendInt(out, int32(n), 0)
	out = append(append(append(append(out, head...), active...), mid...), inactive...)
	out = appendHead(out, codec.MAP, 7) // status: empty
	out = appendInt(out, 0, 0)
	binary.BigEndian.PutUint32(out[start:], uint32(len(out)-start))
	return out
}

// appendHead appends a Tars field head, as codec.Buffer.WriteHead writes it.
func appendHead(b []byte, ty, tag byte) []byte {
	if tag < 15 {
		return append(b, tag<<4|ty)
	}
	return append(b, 15<<4|ty, tag)
}

// appendInt appends an integer field in the fewest bytes, as codec.Buffer.WriteInt32
// writes it.
func appendInt(b []byte, v int32, tag byte) []byte {
	switch {
	case v == 0:
		return appendHead(b, codec.ZeroTag, tag)
	case v >= -128 && v <= 127:
		return append(appendHead(b, codec.BYTE, tag), byte(v))
	case v >= -32768 && v <= 32767:
		return binary.BigEndian.AppendUint16(appendHead(b, codec.SHORT, tag), uint16(v))
	}
	return binary.BigEndian.AppendUint32(appendHead(b, codec.INT, tag), uint32(v))
}
