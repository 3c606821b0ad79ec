package tars

import (
	"encoding/binary"
	"unsafe"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
)

// request is what the fast path needs of a request packet, read in place:
// its strings and args share the packet's memory, so none of it may outlive the
// packet (the packet buffer is reused for the next one).
type request struct {
	version    int16
	packetType int8
	requestID  int32
	servant    string
	function   string
	args       []byte
	// node is the request context's node_name, the caller's own name when it is
	// a Tars server ("" when absent).
	node string
}

// parseRequest reads a RequestPacket (without its length prefix) that checkWire
// passed, in place and without allocating. It takes only the layout every stock
// client writes: fields 1 to 10 in order, each once, integers in their usual
// types, the arguments as a byte list and the two maps of strings, nothing after.
// For anything else ok is false and the packet goes to TarsGo's decoder, which
// knows the whole grammar.
func parseRequest(b []byte) (r request, ok bool) {
	c := cursor{b: b, ok: true}
	r.version = int16(c.int(1))
	r.packetType = int8(c.int(2))
	c.int(3) // iMessageType
	r.requestID = c.int(4)
	r.servant = c.string(5)
	r.function = c.string(6)
	r.args = c.byteList(7)
	c.int(8) // iTimeout
	r.node = c.stringMap(9, "node_name")
	c.stringMap(10, "")
	return r, c.ok && c.pos == len(b)
}

// cursor reads fields of a Tars encoding in order. A field that is not the one
// asked for, or not of the expected type, clears ok; every later read is then a
// no-op, so the caller checks ok once at the end.
type cursor struct {
	b   []byte
	pos int
	ok  bool
}

// head reads the head of a field that must have tag, returning its type.
func (c *cursor) head(tag byte) byte {
	if !c.ok || c.pos >= len(c.b) || c.b[c.pos]>>4 != tag || tag >= 15 {
		c.ok = false
		return 0
	}
	ty := c.b[c.pos] & 0x0f
	c.pos++
	return ty
}

// take returns the next n bytes.
func (c *cursor) take(n int) []byte {
	if !c.ok || n < 0 || n > len(c.b)-c.pos {
		c.ok = false
		return nil
	}
	c.pos += n
	return c.b[c.pos-n : c.pos]
}

// int reads an integer field of up to 32 bits.
func (c *cursor) int(tag byte) int32 {
	ty := c.head(tag)
	n := intSize(ty)
	if !c.ok || n < 0 {
		c.ok = false
		return 0
	}
	return int32(signed(c.take(n)))
}

// string reads a string field without copying it.
func (c *cursor) string(tag byte) string {
	var n int
	switch c.head(tag) {
	case codec.STRING1:
		if b := c.take(1); c.ok {
			n = int(b[0])
		}
	case codec.STRING4:
		if b := c.take(4); c.ok {
			n = int(binary.BigEndian.Uint32(b))
		}
	default:
		c.ok = false
	}
	b := c.take(n)
	if !c.ok || n == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), n)
}

// byteList reads a byte list (vector<byte>, a SimpleList) without copying it.
func (c *cursor) byteList(tag byte) []byte {
	if c.head(tag) != codec.SimpleList || c.head(0) != codec.BYTE {
		c.ok = false
		return nil
	}
	return c.take(int(c.int(0)))
}

// stringMap reads a map<string, string> field and returns the value of key, if
// any ("" otherwise).
func (c *cursor) stringMap(tag byte, key string) string {
	if c.head(tag) != codec.MAP {
		c.ok = false
		return ""
	}
	var value string
	for n := c.int(0); c.ok && n > 0; n-- {
		k, v := c.string(0), c.string(1)
		if key != "" && k == key {
			value = v
		}
	}
	return value
}
