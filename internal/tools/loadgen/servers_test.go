package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPickServers_availability: tarscache-b needs a second binary and official its
// environment; unknown names and an empty choice are errors.
func TestPickServers_availability(t *testing.T) {
	off := officialSetup{bin: "/x/tarsregistry", tools: "/x/tools"}
	cases := []struct {
		name, list, binB string
		off              officialSetup
		want             []string
		wantErr          bool
	}{
		{"everything", "tarscache,tarscache-b,official,stock", "/b", off, []string{"tarscache", "tarscache-b", "official", "stock"}, false},
		{"no b, no official", "tarscache,tarscache-b,official,stock", "", officialSetup{}, []string{"tarscache", "stock"}, false},
		{"spaces", " official , tarscache ", "", off, []string{"official", "tarscache"}, false},
		{"unknown", "tarscache,etcd", "", off, nil, true},
		{"nothing left", "official", "", officialSetup{}, nil, true},
	}
	for _, c := range cases {
		got, err := pickServers(c.list, c.binB, c.off)
		if c.wantErr {
			require.Error(t, err, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		require.Equal(t, c.want, got, c.name)
	}
}
