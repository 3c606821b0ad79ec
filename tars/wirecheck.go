package tars

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
)

// maxWireDepth bounds the nesting of containers (structs, lists, maps, and in
// TUP the values encoded inside byte lists). QueryF needs four at most.
const maxWireDepth = 16

// errWire is wrapped by every checkWire error.
var errWire = errors.New("malformed Tars encoding")

// Frame kinds of checkWire's walk.
const (
	frameBlob   = iota // fields until the byte offset end
	frameStruct        // fields until a StructEnd
	frameItems         // a fixed number of values
)

type wireFrame struct {
	kind  int
	items int // frameItems: values still to read
	end   int // frameBlob: where the blob ends
}

// wireWalk is the state of one checkWire call.
type wireWalk struct {
	b      []byte
	pos    int
	nested bool // byte lists hold Tars encodings too (TUP arguments)
	stack  [maxWireDepth]wireFrame
	depth  int
}

// checkWire walks the Tars encoding b without decoding it and reports the first
// thing TarsGo's decoder would not survive: a negative length or count (it panics
// in make), a length or count larger than the bytes left (it allocates what was
// declared), an unknown type, a StructEnd outside a struct, or nesting deeper than
// maxWireDepth (its decoders recurse). With nested, the content of every byte list
// must be a Tars encoding too, as TUP arguments are. It neither allocates nor
// recurses, so a hostile packet costs a pass over its bytes.
func checkWire(b []byte, nested bool) error {
	w := wireWalk{b: b, nested: nested}
	_ = w.push(wireFrame{kind: frameBlob, end: len(b)})
	for w.depth > 0 {
		if err := w.step(); err != nil {
			return fmt.Errorf("%w at byte %d: %w", errWire, w.pos, err)
		}
	}
	return nil
}

// step reads one field, or closes the innermost frame when it is complete.
func (w *wireWalk) step() error {
	top := &w.stack[w.depth-1]
	switch {
	case top.kind == frameBlob && w.pos == top.end:
		w.depth--
		return nil
	case top.kind == frameBlob && w.pos > top.end:
		return fmt.Errorf("a field runs %d bytes past its byte list", w.pos-top.end)
	case top.kind == frameItems && top.items == 0:
		w.depth--
		return nil
	case top.kind == frameItems:
		top.items--
	}
	ty, err := w.head()
	if err != nil {
		return err
	}
	return w.value(ty, top.kind)
}

// value skips the value of type ty, pushing a frame for a container.
func (w *wireWalk) value(ty byte, in int) error {
	switch ty {
	case codec.BYTE, codec.SHORT, codec.INT, codec.LONG, codec.FLOAT, codec.DOUBLE:
		return w.skip(fixedSize[ty])
	case codec.STRING1:
		return w.stringBody(1)
	case codec.STRING4:
		return w.stringBody(4)
	case codec.MAP, codec.LIST:
		return w.container(ty)
	case codec.SimpleList:
		return w.byteList()
	case codec.StructBegin:
		return w.push(wireFrame{kind: frameStruct})
	case codec.StructEnd:
		if in != frameStruct {
			return errors.New("struct end outside a struct")
		}
		w.depth--
		return nil
	case codec.ZeroTag:
		return nil
	}
	return fmt.Errorf("unknown type %d", ty)
}

var fixedSize = [...]int{codec.BYTE: 1, codec.SHORT: 2, codec.INT: 4, codec.LONG: 8, codec.FLOAT: 4, codec.DOUBLE: 8}

// head reads a field head and returns its type; tags are not checked here.
func (w *wireWalk) head() (byte, error) {
	if w.pos >= len(w.b) {
		return 0, errors.New("field head cut short")
	}
	h := w.b[w.pos]
	w.pos++
	if h>>4 == 15 {
		return h & 0x0f, w.skip(1)
	}
	return h & 0x0f, nil
}

func (w *wireWalk) skip(n int) error {
	if n > len(w.b)-w.pos {
		return fmt.Errorf("%d bytes wanted, %d left", n, len(w.b)-w.pos)
	}
	w.pos += n
	return nil
}

// stringBody skips a string's length of size bytes and its bytes.
func (w *wireWalk) stringBody(size int) error {
	if err := w.skip(size); err != nil {
		return err
	}
	n := int(w.b[w.pos-1])
	if size == 4 {
		n = int(binary.BigEndian.Uint32(w.b[w.pos-4:]))
	}
	return w.skip(n)
}

// container checks a list's or map's count and pushes a frame for its values.
func (w *wireWalk) container(ty byte) error {
	n, err := w.length()
	if err != nil {
		return err
	}
	if ty == codec.MAP {
		n *= 2
	}
	// Every value takes at least its one-byte head.
	if n > len(w.b)-w.pos {
		return fmt.Errorf("%d values declared, %d bytes left", n, len(w.b)-w.pos)
	}
	return w.push(wireFrame{kind: frameItems, items: n})
}

// byteList checks a simple list (a byte head, a length, the bytes).
func (w *wireWalk) byteList() error {
	ty, err := w.head()
	if err != nil {
		return err
	}
	if ty != codec.BYTE {
		return fmt.Errorf("byte list of element type %d", ty)
	}
	n, err := w.length()
	if err != nil {
		return err
	}
	if n > len(w.b)-w.pos {
		return fmt.Errorf("byte list of %d bytes, %d left", n, len(w.b)-w.pos)
	}
	if w.nested {
		return w.push(wireFrame{kind: frameBlob, end: w.pos + n})
	}
	w.pos += n
	return nil
}

// length reads a count: an int field that TarsGo reads as an int32.
func (w *wireWalk) length() (int, error) {
	ty, err := w.head()
	if err != nil {
		return 0, err
	}
	n := intSize(ty)
	if n < 0 {
		return 0, fmt.Errorf("length of type %d", ty)
	}
	if err := w.skip(n); err != nil {
		return 0, err
	}
	v := signed(w.b[w.pos-n : w.pos])
	if v < 0 {
		return 0, fmt.Errorf("negative length %d", v)
	}
	return v, nil
}

// signed reads a big-endian two's-complement integer of 0, 1, 2 or 4 bytes.
func signed(b []byte) int {
	switch len(b) {
	case 1:
		return int(int8(b[0]))
	case 2:
		return int(int16(binary.BigEndian.Uint16(b)))
	case 4:
		return int(int32(binary.BigEndian.Uint32(b)))
	}
	return 0
}

// intSize is the size of an integer of wire type ty, or -1 for another type.
func intSize(ty byte) int {
	switch ty {
	case codec.ZeroTag:
		return 0
	case codec.BYTE:
		return 1
	case codec.SHORT:
		return 2
	case codec.INT:
		return 4
	}
	return -1
}

// push opens a frame, refusing nesting deeper than maxWireDepth.
func (w *wireWalk) push(f wireFrame) error {
	if w.depth == maxWireDepth {
		return fmt.Errorf("nested deeper than %d", maxWireDepth)
	}
	w.stack[w.depth] = f
	w.depth++
	return nil
}
