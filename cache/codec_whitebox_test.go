package cache

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache/snapshot"
)

func sampleRecord() snapshot.Servant {
	return snapshot.Servant{ID: "Demo.HelloServer.HelloObj", Endpoints: []snapshot.Endpoint{
		{Active: true, Proto: 1, Host: "10.0.0.11", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "10.0.0.11", Origin: "Demo.HelloServer@10.0.0.11/HelloObjAdapter"},
		{Proto: 2, Host: "10.0.0.12", Port: 443, Timeout: 3000, Weight: 80, WeightType: 2, AuthType: 1, BakFlag: 2,
			EnableGroup: true, IPGroupName: "sz", EnableSet: true, SetName: "shop", SetArea: "sz", SetGroup: "1", Subset: "v1", NodeName: "n2"},
	}}
}

// A record decodes to exactly what was encoded, with the version the encoder computed.
func TestRecord_roundTrip(t *testing.T) {
	s := sampleRecord()
	value, version := encodeRecord(&s)
	got, gotVersion, err := decodeRecord(value)
	require.NoError(t, err)
	require.Equal(t, version, gotVersion)
	require.Equal(t, s, got)
}

// One encoder reused across records gives each the value and version a fresh
// one gives, whatever the order of its endpoints: canonical order is sorted
// into a new slice of exactly their number, and a slice already in that order
// and of that size is kept as it is. Past its first record, an encoder
// allocates the value alone.
func TestRecordEncoder_reusedAcrossRecords(t *testing.T) {
	inOrder := sampleRecord()
	reversed := sampleRecord()
	slices.Reverse(reversed.Endpoints)
	roomy := sampleRecord()
	roomy.Endpoints = append(make([]snapshot.Endpoint, 0, 8), roomy.Endpoints...)
	cases := []struct {
		name string
		s    snapshot.Servant
		kept bool // the record keeps its own slice
	}{
		{name: "in canonical order, exact size", s: inOrder, kept: true},
		{name: "out of order", s: reversed},
		{name: "in order, spare capacity", s: roomy},
	}
	var enc recordEncoder
	want := sampleRecord()
	wantValue, wantVersion := encodeRecord(&want)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			own := &s.Endpoints[0]
			value, version := enc.encode(&s)
			require.Equal(t, wantValue, value)
			require.Equal(t, wantVersion, version)
			require.Equal(t, want.Endpoints, s.Endpoints)
			require.Equal(t, len(s.Endpoints), cap(s.Endpoints))
			require.Equal(t, tc.kept, own == &s.Endpoints[0], "the record's own slice kept")
		})
	}
	s := sampleRecord()
	allocs := testing.AllocsPerRun(100, func() { enc.encode(&s) })
	require.Equal(t, 1.0, allocs)
}

// A decoded record owns its memory: overwriting the stored value (as bbolt's map
// may be once its transaction ends) leaves the record as it was.
func TestRecord_decodeOwnsItsMemory(t *testing.T) {
	s := sampleRecord()
	value, _ := encodeRecord(&s)
	got, _, err := decodeRecord(value)
	require.NoError(t, err)
	clear(value)
	require.Equal(t, sampleRecord(), got)
}

// A record decodes with two allocations whatever its number of strings: one copy
// of its payload, which every string shares, and its endpoints.
func TestRecord_decodeSharesOnePayloadCopy(t *testing.T) {
	s := sampleRecord()
	value, _ := encodeRecord(&s)
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := decodeRecord(value); err != nil {
			t.Fatal(err)
		}
	})
	require.Equal(t, 2.0, allocs)
}

// Any damage to a stored value is detected: the CRC32 or the framing fails.
func TestRecord_decodeDetectsDamage(t *testing.T) {
	s := sampleRecord()
	value, _ := encodeRecord(&s)
	for i := range value {
		damaged := append([]byte(nil), value...)
		damaged[i] ^= 0x40
		_, _, err := decodeRecord(damaged)
		require.Error(t, err, "flipping a bit of byte %d went unnoticed", i)
	}
	_, _, err := decodeRecord(value[:len(value)-1])
	require.Error(t, err)
}

// FuzzDecodeRecord feeds arbitrary payloads (what the CRC32 protects) to the decoder:
// it must never panic, and whatever it accepts must encode back to a value that
// decodes to the same record.
func FuzzDecodeRecord(f *testing.F) {
	s := sampleRecord()
	value, _ := encodeRecord(&s)
	f.Add(value[headerLen:])
	f.Add([]byte{})
	f.Add([]byte{0, 1, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		got, err := decodePayload(p)
		if err != nil {
			return
		}
		again, _ := encodeRecord(&got)
		clear(p) // the record shares nothing with its input
		back, _, err := decodeRecord(again)
		require.NoError(t, err)
		require.Equal(t, got, back)
		twice, _ := encodeRecord(&back)
		require.Equal(t, again, twice)
	})
}

func sampleGroups() snapshot.Groups {
	return snapshot.Groups{
		Addresses:  map[string]int32{"10.1.1.*": 1, "node-x": 3},
		Names:      map[string]int32{"sz": 1},
		Priorities: []snapshot.Priority{{ID: 4, Station: "north", Groups: []int32{-1, 3}}, {ID: 1, Groups: []int32{}}},
	}
}

// The groups value decodes to what was encoded, and damage to it is detected.
func TestGroups_roundTripAndDamage(t *testing.T) {
	g := sampleGroups()
	value, version := encodeGroups(&g)
	got, gotVersion, err := decodeGroups(value)
	require.NoError(t, err)
	require.Equal(t, version, gotVersion)
	require.Equal(t, g.Addresses, got.Addresses)
	require.Equal(t, g.Names, got.Names)
	require.Equal(t, g.Priorities[0], got.Priorities[0])
	require.Empty(t, got.Priorities[1].Groups)
	for i := range value {
		damaged := append([]byte(nil), value...)
		damaged[i] ^= 0x40
		_, _, err := decodeGroups(damaged)
		require.Error(t, err, "flipping a bit of byte %d went unnoticed", i)
	}
}

// FuzzDecodeGroups feeds arbitrary payloads to the groups decoder: it must never
// panic, and whatever it accepts must encode to a value that decodes and encodes
// again to the same bytes.
func FuzzDecodeGroups(f *testing.F) {
	g := sampleGroups()
	value, _ := encodeGroups(&g)
	f.Add(value[headerLen:])
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		v, _ := sealValue(p)
		got, _, err := decodeGroups(v)
		if err != nil {
			return
		}
		again, _ := encodeGroups(&got)
		back, _, err := decodeGroups(again)
		require.NoError(t, err)
		twice, _ := encodeGroups(&back)
		require.Equal(t, again, twice)
	})
}

func sampleRule() snapshot.SubsetRule {
	return snapshot.SubsetRule{Servant: "A.S.Obj", Enable: true, Type: "ratio", Data: `{"v1":20,"v2":80}`,
		Rejected: &snapshot.RejectedRule{Enable: "Y", Type: "key", Data: "[", Reason: "subset: key rule: ..."}}
}

// A subset rule value decodes to what was encoded, and damage to it is detected.
func TestRule_roundTripAndDamage(t *testing.T) {
	for _, r := range []snapshot.SubsetRule{sampleRule(), {Servant: "B.S.Obj"}} {
		value, version := encodeRule(&r)
		got, gotVersion, err := decodeRule(value)
		require.NoError(t, err)
		require.Equal(t, r, got)
		require.Equal(t, version, gotVersion)
		value[len(value)-1] ^= 1
		_, _, err = decodeRule(value)
		require.ErrorContains(t, err, "crc32")
	}
}

// FuzzDecodeRule decodes arbitrary payloads: no panic, and what decodes encodes
// back to a value that decodes the same.
func FuzzDecodeRule(f *testing.F) {
	r := sampleRule()
	value, _ := encodeRule(&r)
	f.Add(value[headerLen:])
	f.Add([]byte{})
	f.Add([]byte{1, 'a', 4})
	f.Fuzz(func(t *testing.T, p []byte) {
		v, _ := sealValue(p)
		got, _, err := decodeRule(v)
		if err != nil {
			return
		}
		again, _ := encodeRule(&got)
		back, _, err := decodeRule(again)
		require.NoError(t, err)
		require.Equal(t, got, back)
	})
}
