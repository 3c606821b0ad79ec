package snapshot

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// A snapshot made by With counts its active endpoints from its parent's count,
// and gets what counting every entry gives.
func TestSnapshot_With_countsActiveFromParent(t *testing.T) {
	x := NewIndex(Groups{})
	entry := func(id string, active, inactive int) *Entry {
		s := Servant{ID: id}
		for i := range active + inactive {
			host := fmt.Sprintf("10.0.0.%d", i+1)
			s.Endpoints = append(s.Endpoints, Endpoint{Active: i < active, Proto: 1, Host: host, Port: 10000, NodeName: host})
		}
		return NewEntry(s, 1, x)
	}
	base := New(map[string]*Entry{"A": entry("A", 2, 1), "B": entry("B", 3, 0), "C": entry("C", 1, 1)}, x, 0, nil)
	require.Equal(t, 6, base.ActiveEndpoints())
	cases := []struct {
		name    string
		put     []*Entry
		removed []string
		want    int
	}{
		{"nothing", nil, nil, 6},
		{"one changed", []*Entry{entry("A", 0, 3)}, nil, 4},
		{"one added", []*Entry{entry("D", 5, 0)}, nil, 11},
		{"one removed", nil, []string{"B"}, 3},
		{"unknown id removed", nil, []string{"Z"}, 6},
		{"changed and removed", []*Entry{entry("C", 4, 0)}, []string{"A", "A"}, 7},
		{"put and removed at once", []*Entry{entry("B", 1, 0)}, []string{"B"}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			next := base.With(tc.put, tc.removed, nil)
			require.Equal(t, tc.want, next.ActiveEndpoints())
			require.Equal(t, countActive(next.entries), next.ActiveEndpoints())
			require.Equal(t, 6, base.ActiveEndpoints(), "the parent is left as it was")
		})
	}
}
