package tars

import (
	"strings"
	"testing"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/endpointf"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/protocol/tup"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
	"github.com/stretchr/testify/require"
)

// encoded returns what write puts in a fresh buffer.
func encoded(write func(b *codec.Buffer)) []byte {
	b := codec.NewBuffer()
	write(b)
	return b.ToBytes()
}

// tupArguments is a TUP request's sBuffer carrying the given Tars encoding.
func tupArguments(t *testing.T, arg []byte) []byte {
	u := tup.NewUniAttribute()
	u.PutBuffer("id", arg)
	b := codec.NewBuffer()
	require.NoError(t, u.Encode(b))
	return b.ToBytes()
}

// nestedLists is depth lists, each holding the next.
func nestedLists(depth int) []byte {
	return encoded(func(b *codec.Buffer) {
		for range depth {
			_ = b.WriteHead(codec.LIST, 0)
			_ = b.WriteInt32(1, 0)
		}
		_ = b.WriteInt32(7, 0)
	})
}

// What clients and TarsGo itself encode passes the check.
func TestCheckWire_acceptsWhatTarsEncodes(t *testing.T) {
	req := requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: 7, SServantName: ServantName,
		SFuncName: "findObjectById", SBuffer: tools.ByteToInt8(encoded(func(b *codec.Buffer) { _ = b.WriteString("A.B.C", 1) })),
		Context: map[string]string{"k": "v"}, Status: map[string]string{"TARS_ROUTE_KEY": "u1"}}
	eps := []endpointf.EndpointF{{Host: "10.0.0.1", Port: 10000, Istcp: 1, SetId: "s.h.1"}, {Host: "10.0.0.2", Port: 10001}}
	cases := map[string]struct {
		b      []byte
		nested bool
	}{
		"request packet": {encoded(func(b *codec.Buffer) { _ = req.WriteTo(b) }), false},
		"empty":          {nil, false},
		"list of structs": {encoded(func(b *codec.Buffer) {
			_ = b.WriteHead(codec.LIST, 2)
			_ = b.WriteInt32(int32(len(eps)), 0)
			for i := range eps {
				_ = eps[i].WriteBlock(b, 0)
			}
		}), false},
		"TUP arguments":         {tupArguments(t, encoded(func(b *codec.Buffer) { _ = b.WriteString("A.B.C", 0) })), true},
		"lists 15 deep":         {nestedLists(maxWireDepth - 1), false},
		"a long tag and a long": {encoded(func(b *codec.Buffer) { _ = b.WriteInt64(1<<40, 200) }), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, checkWire(tc.b, tc.nested))
		})
	}
}

// Encodings TarsGo's decoder would panic on, allocate gigabytes for, or recurse
// deeply into are refused, saying what is wrong and where.
func TestCheckWire_refusesHostileEncodings(t *testing.T) {
	cases := []struct {
		name, want string
		b          []byte
		nested     bool
	}{
		{"negative list count", "at byte 3: negative length -5",
			[]byte{codec.LIST | 7<<4, codec.BYTE, 0xfb}, false},
		{"list count beyond the bytes", "2147483647 values declared, 0 bytes left",
			[]byte{codec.LIST, codec.INT, 0x7f, 0xff, 0xff, 0xff}, false},
		{"map count beyond the bytes", "4 values declared, 2 bytes left",
			[]byte{codec.MAP, codec.BYTE, 2, codec.ZeroTag, codec.ZeroTag}, false},
		{"byte list beyond the bytes", "byte list of 2147483647 bytes, 1 left",
			[]byte{codec.SimpleList | 7<<4, codec.BYTE, codec.INT, 0x7f, 0xff, 0xff, 0xff, 0}, false},
		{"byte list of ints", "byte list of element type 2",
			[]byte{codec.SimpleList, codec.INT, codec.ZeroTag}, false},
		{"string4 beyond the bytes", "4294967295 bytes wanted",
			[]byte{codec.STRING4 | 1<<4, 0xff, 0xff, 0xff, 0xff}, false},
		{"string1 cut short", "3 bytes wanted, 1 left", []byte{codec.STRING1, 3, 'a'}, false},
		{"int cut short", "4 bytes wanted, 2 left", []byte{codec.INT, 0, 0}, false},
		{"long tag cut short", "1 bytes wanted, 0 left", []byte{0xf0}, false},
		{"unknown type", "unknown type 14", []byte{14}, false},
		{"struct end alone", "struct end outside a struct", []byte{codec.StructEnd}, false},
		{"struct never ended", "field head cut short", []byte{codec.StructBegin}, false},
		{"length of a string", "length of type 6", []byte{codec.LIST, codec.STRING1, 0}, false},
		{"lists 16 deep", "nested deeper than 16", nestedLists(maxWireDepth), false},
		{"TUP argument with a negative byte list", "negative length -1",
			tupArguments(t, []byte{codec.SimpleList, codec.BYTE, codec.BYTE, 0xff}), true},
		{"TUP argument running past its bytes", "runs 4 bytes past its byte list",
			append(tupArguments(t, []byte{codec.INT}), 0, 0, 0, 0), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkWire(tc.b, tc.nested)
			require.ErrorIs(t, err, errWire)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// The check costs a pass over the bytes, without allocating.
func TestCheckWire_doesNotAllocate(t *testing.T) {
	b := encoded(func(b *codec.Buffer) {
		_ = b.WriteString(strings.Repeat("x", 300), 1)
		_ = b.WriteHead(codec.LIST, 2)
		_ = b.WriteInt32(3, 0)
		for range 3 {
			_ = b.WriteInt64(1, 0)
		}
	})
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = checkWire(b, true) }))
}

func BenchmarkCheckWire_request(b *testing.B) {
	req := requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: 7, SServantName: ServantName,
		SFuncName: "findObjectById", SBuffer: tools.ByteToInt8(encoded(func(b *codec.Buffer) { _ = b.WriteString("Demo.HelloServer.HelloObj", 1) })),
		ITimeout: 3000, Context: map[string]string{}, Status: map[string]string{}}
	pkt := encoded(func(b *codec.Buffer) { _ = req.WriteTo(b) })
	b.ReportAllocs()
	for b.Loop() {
		if err := checkWire(pkt, false); err != nil {
			b.Fatal(err)
		}
	}
}
