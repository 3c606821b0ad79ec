package tars

import (
	"encoding/binary"
	"runtime/debug"
	"unsafe"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
)

// fastReply answers a list method without the generated dispatcher: it reads the
// arguments in place and writes the reply around the answer's pre-encoded lists
// (snapshot.Lists.Wire), the same bytes the generated code writes, in one allocation.
// ok is false for anything else (another method or protocol version, a one-way
// call, arguments not laid out as clients write them, stale data, a panicking
// handler): the generic path answers those.
func (d *dispatcher) fastReply(req *requestf.RequestPacket, p peer) (out []byte, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			d.logger.Error("QueryF fast path panicked; the generic path answers", "method", req.SFuncName,
				"peer", p.String(), "panic", r, "stack", string(debug.Stack()))
			d.metrics.fastPanics.Inc()
			out, ok = nil, false // the generic path recovers again if the handler panics there too
		}
	}()
	m := methods[req.SFuncName]
	if m == notList || req.IVersion != basef.TARSVERSION || req.CPacketType == basef.TARSONEWAY || req.SServantName != d.servant {
		return nil, false
	}
	args := tools.Int8ToByte(req.SBuffer)
	id, args, ok := peekString(args, 1)
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
	ret, l, err := d.handler.answer(m, id, arg, callerOf(req.Context, p.ip))
	if err != nil {
		return nil, false
	}
	active, inactive := l.Wire()
	if req.SFuncName == "findObjectById" {
		return encodeReply(req, appendHead(nil, codec.LIST, 0), active, nil, nil), true
	}
	head := appendHead(appendInt(make([]byte, 0, 8), ret, 0), codec.LIST, tag)
	return encodeReply(req, head, active, appendHead(nil, codec.LIST, tag+1), inactive), true
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

// encodeReply frames the ResponsePacket of req whose sBuffer is the concatenation
// of parts, as encodeResponse does for the generic path.
func encodeReply(req *requestf.RequestPacket, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 4, 4+32+n)
	out = appendInt(out, int32(req.IVersion), 1)
	out = appendInt(out, int32(req.CPacketType), 2)
	out = appendInt(out, req.IRequestId, 3)
	out = appendInt(out, 0, 4) // iMessageType
	out = appendInt(out, 0, 5) // iRet
	out = appendHead(out, codec.SimpleList, 6)
	out = appendHead(out, codec.BYTE, 0)
	out = appendInt(out, int32(n), 0)
	for _, p := range parts {
		out = append(out, p...)
	}
	out = appendHead(out, codec.MAP, 7) // status: empty
	out = appendInt(out, 0, 0)
	binary.BigEndian.PutUint32(out, uint32(len(out)))
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
