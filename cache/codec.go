package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

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

// encodeRecord returns the stored value of s and its version. It sorts
// s.Endpoints into canonical order (by their encoding) in place, so that the
// same set of endpoints always encodes, and versions, the same.
func encodeRecord(s *snapshot.Servant) ([]byte, uint32) {
	blobs := make([][]byte, len(s.Endpoints))
	for i := range s.Endpoints {
		blobs[i] = appendEndpoint(nil, &s.Endpoints[i])
	}
	sortCanonical(s.Endpoints, blobs)
	payload := appendString(nil, s.ID)
	payload = binary.AppendUvarint(payload, uint64(len(blobs)))
	for _, b := range blobs {
		payload = appendBytes(payload, b)
	}
	return sealValue(payload)
}

// sortCanonical orders endpoints by their encodings, keeping the two slices aligned.
func sortCanonical(eps []snapshot.Endpoint, blobs [][]byte) {
	idx := make([]int, len(eps))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return bytes.Compare(blobs[a], blobs[b]) })
	sortedEps := make([]snapshot.Endpoint, len(eps))
	sortedBlobs := make([][]byte, len(blobs))
	for to, from := range idx {
		sortedEps[to], sortedBlobs[to] = eps[from], blobs[from]
	}
	copy(eps, sortedEps)
	copy(blobs, sortedBlobs)
}

// sealValue prefixes payload with the format byte and its CRC32.
func sealValue(payload []byte) ([]byte, uint32) {
	sum := crc32.Checksum(payload, castagnoli)
	v := make([]byte, headerLen, headerLen+len(payload))
	v[0] = recordFormat
	binary.BigEndian.PutUint32(v[1:], sum)
	return append(v, payload...), sum
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
// returned record owns all its memory: nothing aliases v.
func decodeRecord(v []byte) (snapshot.Servant, uint32, error) {
	payload, version, err := openValue(v)
	if err != nil {
		return snapshot.Servant{}, 0, err
	}
	s, err := decodePayload(payload)
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

func decodePayload(p []byte) (snapshot.Servant, error) {
	d := decoder{buf: p}
	s := snapshot.Servant{ID: d.string()}
	n := d.count(maxEndpoints)
	s.Endpoints = make([]snapshot.Endpoint, 0, min(n, len(p)))
	for i := 0; i < n && d.err == nil; i++ {
		blob := decoder{buf: d.bytes()}
		s.Endpoints = append(s.Endpoints, blob.endpoint())
		d.adopt(&blob)
	}
	return s, d.finish()
}

// decoder reads the encoding; the first error sticks and later reads return zero values.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) int32() int32 {
	v, n := binary.Varint(d.buf)
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

func (d *decoder) bytes() []byte {
	n := d.count(maxString * 16)
	if d.err != nil || n > len(d.buf) {
		d.fail(errShort)
		return nil
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
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
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
