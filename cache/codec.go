package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"unsafe"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// recordFormat is the first byte of every stored value; a value with another
// byte was written by a different format and is refused.
const recordFormat byte = 1

// headerLen is the stored value's header: the format byte and the CRC32.
const headerLen = 1 + 4

// Bounds a decoder enforces so that a damaged value cannot make it allocate much.
const (
	maxEndpoints = 1 << 20
	maxString    = 1 << 16
)

// Endpoint flag bits in the encoding.
const (
	flagActive byte = 1 << iota
	flagEnableGroup
	flagEnableSet
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errShort is the decoding error for a value that ends early.
var errShort = errors.New("value ends early")

// encodeRecord returns the stored value of s and its version (see
// recordEncoder.encode).
func encodeRecord(s *snapshot.Servant) ([]byte, uint32) {
	var enc recordEncoder
	return enc.encode(s)
}

// recordEncoder encodes records, its scratch buffers reused from one record to
// the next, so that encoding a fetch of many records allocates little more
// than their values. The zero value is ready; it is not safe for concurrent use.
type recordEncoder struct {
	blobs []byte // the endpoints' encodings, one after the other
	ends  []int  // ends[i+1] is where endpoint i's encoding ends in blobs
	order []int
}

// encode returns the stored value of s and its version. It puts s.Endpoints
// into canonical order (by their encoding), so that the same set of endpoints
// always encodes, and versions, the same: in a new slice of exactly their
// number, unless they are in that order already in a slice of exactly their
// number, which s keeps. The endpoints are encoded once, into one buffer, and
// the value is sized before it is written.
func (enc *recordEncoder) encode(s *snapshot.Servant) ([]byte, uint32) {
	enc.blobs, enc.ends = enc.blobs[:0], append(enc.ends[:0], 0)
	for i := range s.Endpoints {
		enc.blobs = appendEndpoint(enc.blobs, &s.Endpoints[i])
		enc.ends = append(enc.ends, len(enc.blobs))
	}
	blob := func(i int) []byte { return enc.blobs[enc.ends[i]:enc.ends[i+1]] }
	order, moved := canonicalOrder(enc.order[:0], len(s.Endpoints), blob)
	enc.order = order
	size := uvarintLen(uint64(len(s.ID))) + len(s.ID) + uvarintLen(uint64(len(order)))
	for _, from := range order {
		size += uvarintLen(uint64(len(blob(from)))) + len(blob(from))
	}
	if moved || cap(s.Endpoints) != len(s.Endpoints) {
		sorted := make([]snapshot.Endpoint, len(order))
		for to, from := range order {
			sorted[to] = s.Endpoints[from]
		}
		s.Endpoints = sorted
	}
	v := make([]byte, headerLen, headerLen+size)
	v = appendString(v, s.ID)
	v = binary.AppendUvarint(v, uint64(len(order)))
	for _, from := range order {
		v = appendBytes(v, blob(from))
	}
	return sealInPlace(v)
}

// canonicalOrder appends to order the indexes 0..n-1 ordered by the encodings
// blob returns, equal ones in their original order, and says whether any
// moved.
func canonicalOrder(order []int, n int, blob func(int) []byte) ([]int, bool) {
	sorted := true
	for i := range n {
		order = append(order, i)
		if i > 0 && sorted && bytes.Compare(blob(i-1), blob(i)) > 0 {
			sorted = false
		}
	}
	if !sorted {
		slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(blob(a), blob(b)) })
	}
	return order, !sorted
}

func uvarintLen(x uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], x)
}

// sealInPlace fills the header of v (headerLen bytes, then the payload) with the
// format byte and the payload's CRC32.
func sealInPlace(v []byte) ([]byte, uint32) {
	sum := crc32.Checksum(v[headerLen:], castagnoli)
	v[0] = recordFormat
	binary.BigEndian.PutUint32(v[1:], sum)
	return v, sum
}

// sealValue prefixes payload with the format byte and its CRC32.
func sealValue(payload []byte) ([]byte, uint32) {
	v := make([]byte, headerLen, headerLen+len(payload))
	return sealInPlace(append(v, payload...))
}

func appendEndpoint(b []byte, e *snapshot.Endpoint) []byte {
	b = append(b, endpointFlags(e))
	for _, n := range []int32{e.Proto, e.Port, e.Timeout, e.Weight, e.WeightType, e.AuthType, e.BakFlag} {
		b = binary.AppendVarint(b, int64(n))
	}
	for _, s := range []string{e.Host, e.NodeName, e.IPGroupName, e.SetName, e.SetArea, e.SetGroup, e.Subset, e.Origin} {
		b = appendString(b, s)
	}
	return b
}

func endpointFlags(e *snapshot.Endpoint) byte {
	var f byte
	if e.Active {
		f |= flagActive
	}
	if e.EnableGroup {
		f |= flagEnableGroup
	}
	if e.EnableSet {
		f |= flagEnableSet
	}
	return f
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// decodeRecord decodes a stored value, checking its format byte and CRC32. The
// returned record owns all its memory: nothing aliases v (a bbolt value lives only
// inside its transaction). Its strings share one copy of the payload, so that a
// record costs two allocations (that copy and its endpoints), not one per string.
func decodeRecord(v []byte) (snapshot.Servant, uint32, error) {
	return decodeRecordIn(v, nil)
}

// decodeRecordIn is decodeRecord taking the record's memory from a (nil: its
// own allocations).
func decodeRecordIn(v []byte, a *arena) (snapshot.Servant, uint32, error) {
	payload, version, err := openValue(v)
	if err != nil {
		return snapshot.Servant{}, 0, err
	}
	s, err := decodePayloadIn(payload, a)
	return s, version, err
}

// openValue checks a stored value's format byte and CRC32 and returns its payload.
func openValue(v []byte) ([]byte, uint32, error) {
	if len(v) < headerLen {
		return nil, 0, errShort
	}
	if v[0] != recordFormat {
		return nil, 0, fmt.Errorf("record format %d, want %d", v[0], recordFormat)
	}
	want := binary.BigEndian.Uint32(v[1:])
	if got := crc32.Checksum(v[headerLen:], castagnoli); got != want {
		return nil, 0, fmt.Errorf("crc32 %08x does not match stored %08x", got, want)
	}
	return v[headerLen:], want, nil
}

// decodePayload decodes a record's payload from one copy of p, which the
// record's strings share.
func decodePayload(p []byte) (snapshot.Servant, error) {
	return decodePayloadIn(p, nil)
}

// decodePayloadIn is decodePayload taking the copy of p and the endpoint slice
// from a (nil: its own allocations).
func decodePayloadIn(p []byte, a *arena) (snapshot.Servant, error) {
	d := decoder{buf: a.text(p)}
	s := snapshot.Servant{ID: d.string()}
	n := d.count(maxEndpoints)
	s.Endpoints = a.endpoints(min(n, len(p)))
	for i := 0; i < n && d.err == nil; i++ {
		blob := decoder{buf: d.bytes()}
		s.Endpoints = append(s.Endpoints, blob.endpoint())
		d.adopt(&blob)
	}
	return s, d.finish()
}

// decoder reads the encoding from a string it owns, so that the strings it
// returns are cut from it without a copy; the first error sticks and later reads
// return zero values.
type decoder struct {
	buf string
	err error
}

// view is the decoder's remaining input as bytes for encoding/binary, which only
// reads them.
func (d *decoder) view() []byte { return unsafe.Slice(unsafe.StringData(d.buf), len(d.buf)) }

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.view())
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) int32() int32 {
	v, n := binary.Varint(d.view())
	if n <= 0 || v != int64(int32(v)) {
		d.fail(fmt.Errorf("bad integer"))
		return 0
	}
	d.buf = d.buf[n:]
	return int32(v)
}

func (d *decoder) count(limit int) int {
	n := d.uvarint()
	if n > uint64(limit) {
		d.fail(fmt.Errorf("count %d over limit %d", n, limit))
		return 0
	}
	return int(n)
}

// bytes returns the next length-prefixed field, sharing the decoder's string.
func (d *decoder) bytes() string {
	n := d.count(maxString * 16)
	if d.err != nil || n > len(d.buf) {
		d.fail(errShort)
		return ""
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) string() string {
	n := d.count(maxString)
	if d.err != nil || n > len(d.buf) {
		d.fail(errShort)
		return ""
	}
	s := d.buf[:n]
	d.buf = d.buf[n:]
	if n == 0 {
		return "" // keeps nothing of the payload alive
	}
	return s
}

func (d *decoder) byte() byte {
	if len(d.buf) == 0 {
		d.fail(errShort)
		return 0
	}
	c := d.buf[0]
	d.buf = d.buf[1:]
	return c
}

func (d *decoder) endpoint() snapshot.Endpoint {
	f := d.byte()
	e := snapshot.Endpoint{Active: f&flagActive != 0, EnableGroup: f&flagEnableGroup != 0, EnableSet: f&flagEnableSet != 0}
	for _, p := range []*int32{&e.Proto, &e.Port, &e.Timeout, &e.Weight, &e.WeightType, &e.AuthType, &e.BakFlag} {
		*p = d.int32()
	}
	for _, p := range []*string{&e.Host, &e.NodeName, &e.IPGroupName, &e.SetName, &e.SetArea, &e.SetGroup, &e.Subset, &e.Origin} {
		*p = d.string()
	}
	if f&^(flagActive|flagEnableGroup|flagEnableSet) != 0 {
		d.fail(fmt.Errorf("unknown endpoint flags %#x", f))
	}
	d.finishInto()
	return e
}

// finishInto marks an endpoint decoder as failed when bytes remain after its endpoint.
func (d *decoder) finishInto() {
	if d.err == nil && len(d.buf) != 0 {
		d.fail(fmt.Errorf("%d stray bytes after endpoint", len(d.buf)))
	}
}

// adopt takes over the error of a nested decoder.
func (d *decoder) adopt(inner *decoder) {
	if inner.err != nil {
		d.fail(inner.err)
	}
}

func (d *decoder) finish() error {
	if d.err == nil && len(d.buf) != 0 {
		d.fail(fmt.Errorf("%d stray bytes after record", len(d.buf)))
	}
	return d.err
}
