package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPickServers_availability: tarscache-b needs a second binary or flags of its own, and official its
// environment; unknown names and an empty choice are errors.
func TestPickServers_availability(t *testing.T) {
	off := officialSetup{bin: "/x/tarsregistry", tools: "/x/tools"}
	cases := []struct {
		name, list string
		hasB       bool
		off        officialSetup
		want       []string
		wantErr    bool
	}{
		{"everything", "tarscache,tarscache-b,official,stock", true, off, []string{"tarscache", "tarscache-b", "official", "stock"}, false},
		{"no b, no official", "tarscache,tarscache-b,official,stock", false, officialSetup{}, []string{"tarscache", "stock"}, false},
		{"spaces", " official , tarscache ", false, off, []string{"official", "tarscache"}, false},
		{"unknown", "tarscache,etcd", false, off, nil, true},
		{"nothing left", "official", false, officialSetup{}, nil, true},
	}
	for _, c := range cases {
		got, err := pickServers(c.list, c.hasB, c.off)
		if c.wantErr {
			require.Error(t, err, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		require.Equal(t, c.want, got, c.name)
	}
}

// tarscache-b is named by -label-b, else by its serve flags.
func TestLabelOfB(t *testing.T) {
	require.Equal(t, "tarscache (b)", labelOfB(""))
	require.Equal(t, "tarscache --batch-window=0", labelOfB(" --batch-window=0 "))
}
