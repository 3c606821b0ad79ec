package tars

import (
	"context"
	"strings"
	"testing"

	"github.com/TarsCloud/TarsGo/tars/util/current"
	"github.com/stretchr/testify/require"
)

// setIds are checked as the registry checks them: split at dots, empty parts
// dropped, exactly three parts, no wildcard name or area.
func TestSplitSetID(t *testing.T) {
	cases := []struct {
		in                string
		name, area, group string
		ok                bool
	}{
		{"shop.sz.1", "shop", "sz", "1", true},
		{"shop.sz.*", "shop", "sz", "*", true},
		{"shop..sz.1", "shop", "sz", "1", true},
		{".shop.sz.1.", "shop", "sz", "1", true},
		{"shop.sz", "", "", "", false},
		{"shop.sz.1.x", "", "", "", false},
		{"*.sz.1", "", "", "", false},
		{"shop.*.1", "", "", "", false},
		{"", "", "", "", false},
		{"...", "", "", "", false},
	}
	for _, tc := range cases {
		name, area, group, ok := splitSetID(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		require.Equal(t, [3]string{tc.name, tc.area, tc.group}, [3]string{name, area, group}, tc.in)
	}
	require.Zero(t, testing.AllocsPerRun(100, func() { splitSetID("shop..sz.1") }), "splitSetID allocates")
}

// The client is its request context's node_name, else its peer address.
func TestCaller(t *testing.T) {
	cases := []struct {
		name    string
		context map[string]string
		want    string
	}{
		{"node_name set", map[string]string{"node_name": "node-7"}, "node-7"},
		{"node_name empty", map[string]string{"node_name": ""}, "10.0.0.9"},
		{"no context", nil, "10.0.0.9"},
	}
	for _, tc := range cases {
		ctx := current.ContextWithTarsCurrent(context.Background())
		current.SetClientIPWithContext(ctx, "10.0.0.9")
		current.SetRequestContext(ctx, tc.context)
		require.Equal(t, tc.want, caller(ctx), tc.name)
	}
}

// FuzzSplitSetID checks any setId against a plain reading of the registry's rule:
// it never panics, and an accepted setId has three non-empty dot-free parts that
// are exactly its non-empty dot-separated fields.
func FuzzSplitSetID(f *testing.F) {
	for _, s := range []string{"shop.sz.1", "shop..sz.*", "*.a.b", "a.b", ".", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, setID string) {
		name, area, group, ok := splitSetID(setID)
		var fields []string
		for _, p := range strings.Split(setID, ".") {
			if p != "" {
				fields = append(fields, p)
			}
		}
		want := len(fields) == 3 && fields[0] != "*" && fields[1] != "*"
		require.Equal(t, want, ok, "%q", setID)
		if ok {
			require.Equal(t, fields, []string{name, area, group}, "%q", setID)
		}
	})
}
