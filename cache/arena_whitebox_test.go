package cache

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// servantOf returns a record of n endpoints whose strings are long enough to
// fill an arena block after a few hundred records.
func servantOf(i, n int) snapshot.Servant {
	s := snapshot.Servant{ID: fmt.Sprintf("App.S%d.Obj", i)}
	for j := range n {
		s.Endpoints = append(s.Endpoints, snapshot.Endpoint{Active: j%2 == 0, Proto: 1, Host: fmt.Sprintf("10.0.%d.%d", i%250, j),
			Port: int32(10000 + i), Timeout: 60000, NodeName: fmt.Sprintf("node-%d", j), Origin: fmt.Sprintf("App.S%d@10.0.%d.%d/ObjAdapter", i, i%250, j)})
	}
	return s
}

// Records decoded from one arena are each what was encoded, across many blocks
// and with records too big for a block; the stored bytes can be overwritten
// afterwards; and appending to one record's endpoints never writes into another
// record's.
func TestArena_recordsDecodedFromOneArena(t *testing.T) {
	tests := []struct {
		name      string
		endpoints func(i int) int
	}{
		{"five endpoints each", func(int) int { return 5 }},
		{"none", func(int) int { return 0 }},
		{"one past the block's cut", func(int) int { return arenaMaxEndpoints + 1 }},
		{"mixed sizes", func(i int) int { return []int{1, arenaMaxEndpoints, 3, 200, 0}[i%5] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a arena
			var want, got []snapshot.Servant
			for i := range 1000 {
				s := servantOf(i, tt.endpoints(i))
				value, version := encodeRecord(&s)
				w, _, err := decodeRecord(value) // on memory of its own
				require.NoError(t, err)
				d, gotVersion, err := decodeRecordIn(value, &a)
				require.NoError(t, err)
				require.Equal(t, version, gotVersion)
				clear(value)
				want, got = append(want, w), append(got, d)
			}
			for i := range got {
				got[i].Endpoints = append(got[i].Endpoints, snapshot.Endpoint{Host: "appended"})
			}
			for i := range got {
				require.Equal(t, want[i].Endpoints, got[i].Endpoints[:len(want[i].Endpoints)], "record %d", i)
				require.Equal(t, want[i].ID, got[i].ID)
			}
		})
	}
}

// A record bigger than an arena's cut decodes all the same, on memory of its own.
func TestArena_bigRecord(t *testing.T) {
	var a arena
	s := servantOf(1, 2000)
	value, _ := encodeRecord(&s)
	require.Greater(t, len(value), arenaMaxText)
	want, _, err := decodeRecord(value)
	require.NoError(t, err)
	got, _, err := decodeRecordIn(value, &a)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Empty(t, a.free, "the block was left alone")
}

// Decoding a load's records from an arena costs an allocation per block, not two
// per record.
func TestArena_allocations(t *testing.T) {
	values := make([][]byte, 512)
	for i := range values {
		s := servantOf(i, 5)
		values[i], _ = encodeRecord(&s)
	}
	allocs := testing.AllocsPerRun(5, func() {
		var a arena
		for _, v := range values {
			if _, _, err := decodeRecordIn(v, &a); err != nil {
				t.Fatal(err)
			}
		}
	})
	require.Less(t, allocs, float64(len(values))/4, "allocations for %d records", len(values))
}
