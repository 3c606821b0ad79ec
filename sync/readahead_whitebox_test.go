package sync

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// A batch gives back each row's columns as they were scanned, NULLs and empty
// strings apart, and a column's bytes cannot grow into the next one's.
func TestRowBatch_rows(t *testing.T) {
	tests := []struct {
		name string
		rows [][]sql.RawBytes // nil is NULL, as database/sql scans it
	}{
		{"text", [][]sql.RawBytes{{[]byte("App"), []byte("S1")}, {[]byte("App"), []byte("S2")}}},
		{"null and empty", [][]sql.RawBytes{{nil, []byte{}}, {[]byte("x"), nil}}},
		{"one column", [][]sql.RawBytes{{[]byte("a")}, {[]byte("bc")}, {nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b rowBatch
			b.reset(len(tt.rows[0]))
			for _, r := range tt.rows {
				b.add(r)
			}
			got := make([]field, len(tt.rows[0]))
			for i, want := range tt.rows {
				b.row(i, got)
				for c := range want {
					require.Equal(t, want[c] == nil, got[c].null, "row %d column %d", i, c)
					require.Equal(t, string(want[c]), string(got[c].b), "row %d column %d", i, c)
					require.Equal(t, len(got[c].b), cap(got[c].b), "row %d column %d has room to grow", i, c)
				}
			}
		})
	}
}
