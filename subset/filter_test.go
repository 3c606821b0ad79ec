package subset_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/subset"
)

// eps returns one endpoint per label, on ports 1, 2, ... in order.
func eps(labels ...string) []endpointf.EndpointF {
	out := make([]endpointf.EndpointF, len(labels))
	for i, label := range labels {
		out[i] = endpointf.EndpointF{Host: "10.0.0.1", Port: int32(i + 1), Istcp: 1, Subset: label}
	}
	return out
}

// ports returns the ports of eps, which name them in these tests.
func ports(eps []endpointf.EndpointF) []int32 {
	out := []int32{}
	for _, ep := range eps {
		out = append(out, ep.Port)
	}
	return out
}

// TestFilter checks that a client keeps the endpoints of the chosen subset, and all of
// them when that would leave none.
func TestFilter(t *testing.T) {
	tests := []struct {
		name   string
		eps    []endpointf.EndpointF
		subset string
		want   []int32
	}{
		{"keeps the subset", eps("v1", "v2", "v1", ""), "v1", []int32{1, 3}},
		{"keeps the subset in order", eps("v2", "v1", "v2", "v2"), "v2", []int32{1, 3, 4}},
		{"all match", eps("v1", "v1"), "v1", []int32{1, 2}},
		{"none match falls back to all", eps("v1", "v2"), "gray", []int32{1, 2}},
		{"unlabelled endpoints fall back to all", eps("", ""), "v1", []int32{1, 2}},
		{"no subset chosen keeps all", eps("v1", ""), "", []int32{1, 2}},
		{"case sensitive", eps("V1", "v1"), "v1", []int32{2}},
		{"empty input", eps(), "v1", []int32{}},
		{"nil input", nil, "v1", []int32{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.eps)
			got := subset.Filter(tt.eps, tt.subset)
			require.Equal(t, tt.want, ports(got))
			require.Equal(t, in, tt.eps, "Filter modified its input")
		})
	}
}

// TestFilter_noCopy checks that Filter returns its input, not a copy, when it keeps
// every endpoint.
func TestFilter_noCopy(t *testing.T) {
	for _, label := range []string{"v1", "gray", ""} {
		in := eps("v1", "v1")
		got := subset.Filter(in, label)
		require.Same(t, &in[0], &got[0], "subset %q", label)
	}
	require.Nil(t, subset.Filter(nil, "v1"))
}
