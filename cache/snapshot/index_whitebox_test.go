package snapshot

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// starKey gives the three bytes the registry's Ip2StarStr(stringIpToInt(addr))
// prints, including its odd results for addresses without three dots.
func TestStarKey_matchesRegistryWildcard(t *testing.T) {
	cases := []struct {
		name string
		addr string
		want [3]byte
	}{
		{"an IPv4 address gives its first three bytes", "10.1.2.3", [3]byte{10, 1, 2}},
		{"the fourth part is never read", "10.0.0.300", [3]byte{10, 0, 0}},
		{"parts past the fourth are ignored", "1.2.3.4.5", [3]byte{1, 2, 3}},
		{"a part above 255 keeps its low byte", "1.2.300.4", [3]byte{1, 2, 44}},
		{"every part keeps its low byte", "256.257.258.0", [3]byte{0, 1, 2}},
		{"a negative part wraps to 255", "-1.2.3.4", [3]byte{255, 2, 3}},
		{"leading blanks are skipped", " 7.8.9.1", [3]byte{7, 8, 9}},
		{"leading tabs and newlines are skipped", "\t\n10.1.2.3", [3]byte{10, 1, 2}},
		{"trailing garbage in a part is ignored", "10 .1x.2y.3", [3]byte{10, 1, 2}},
		{"a plus sign is accepted", "+10.1.2.3", [3]byte{10, 1, 2}},
		{"a 0x part is hexadecimal", "0x0A.1.2.3", [3]byte{10, 1, 2}},
		{"a long hexadecimal part keeps its low byte", "0x1FF.1.2.3", [3]byte{255, 1, 2}},
		{"a bare 0x part is zero", "0x.1.2.3", [3]byte{0, 1, 2}},
		{"an upper-case 0X part is decimal, so zero", "0X1F.1.2.3", [3]byte{0, 1, 2}},
		{"a signed 0x part is decimal, so zero", "-0x10.1.2.3", [3]byte{0, 1, 2}},
		{"an exponent is not read", "1e2.3.4.5", [3]byte{1, 3, 4}},
		{"an overflowing part saturates at ULONG_MAX", "99999999999999999999999.1.2.3", [3]byte{255, 1, 2}},
		{"one past ULONG_MAX saturates instead of wrapping", "18446744073709551617.1.2.3", [3]byte{255, 1, 2}},
		{"a negated ULONG_MAX wraps to one", "-18446744073709551615.1.2.3", [3]byte{1, 1, 2}},
		{"a name without digits gives 0.0.0", "node-a", [3]byte{0, 0, 0}},
		{"a number without dots repeats three times", "123", [3]byte{123, 123, 123}},
		{"two parts read first, second, first", "7.9", [3]byte{7, 9, 7}},
		{"letters around one dot read as zeros", "a.b", [3]byte{0, 0, 0}},
		{"three parts read all three", "1.2.3", [3]byte{1, 2, 3}},
		{"a trailing dot gives an empty third part", "1.2.", [3]byte{1, 2, 0}},
		{"an empty middle part is zero", "1..3.4", [3]byte{1, 0, 3}},
		{"the empty string gives 0.0.0", "", [3]byte{0, 0, 0}},
		{"a lone dot gives 0.0.0", ".", [3]byte{0, 0, 0}},
		{"dots only give 0.0.0", "...", [3]byte{0, 0, 0}},
		{"an IPv6 address has no dots and reads as zero", "fe80::1", [3]byte{0, 0, 0}},
		{"an IPv4-mapped IPv6 address loses its first byte", "::ffff:10.1.2.3", [3]byte{0, 1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, starKey(c.addr), "starKey(%q)", c.addr)
		})
	}
}

// wildKey accepts exactly the tokens Ip2StarStr can print: "%u.%u.%u.*".
func TestWildKey_acceptsOnlyDerivableWildcards(t *testing.T) {
	cases := []struct {
		name   string
		token  string
		want   [3]byte
		wantOK bool
	}{
		{"a plain wildcard", "10.0.0.*", [3]byte{10, 0, 0}, true},
		{"all zeros", "0.0.0.*", [3]byte{0, 0, 0}, true},
		{"all 255", "255.255.255.*", [3]byte{255, 255, 255}, true},
		{"mixed widths", "1.22.133.*", [3]byte{1, 22, 133}, true},
		{"a leading zero is never printed", "010.0.0.*", [3]byte{}, false},
		{"a doubled zero is never printed", "00.0.0.*", [3]byte{}, false},
		{"two parts then a star", "10.0.*", [3]byte{}, false},
		{"a CIDR block", "10.0.0.0/24", [3]byte{}, false},
		{"a byte above 255", "256.0.0.*", [3]byte{}, false},
		{"an exact address", "10.0.0.1", [3]byte{}, false},
		{"a double star", "10.0.0.**", [3]byte{}, false},
		{"a trailing dot", "10.0.0.*.", [3]byte{}, false},
		{"a fifth part", "10.0.0.*.*", [3]byte{}, false},
		{"a star in front", "*.0.0.*", [3]byte{}, false},
		{"a plus sign", "+1.0.0.*", [3]byte{}, false},
		{"a minus sign", "-0.0.0.*", [3]byte{}, false},
		{"a leading blank", " 1.0.0.*", [3]byte{}, false},
		{"a blank inside", "1 .0.0.*", [3]byte{}, false},
		{"an empty part", "1..0.*", [3]byte{}, false},
		{"a hexadecimal part", "0x1.0.0.*", [3]byte{}, false},
		{"the empty string", "", [3]byte{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := wildKey(c.token)
			require.Equal(t, c.wantOK, ok, "wildKey(%q)", c.token)
			if ok {
				require.Equal(t, c.want, got)
			}
		})
	}
}

// Every wildcard the registry prints is one wildKey accepts, with the same bytes.
func TestWildKey_acceptsEveryPrintedWildcard(t *testing.T) {
	for b := range 256 {
		for _, k := range [][3]byte{{byte(b), 0, 0}, {1, byte(b), 2}, {3, 4, byte(b)}} {
			token := fmt.Sprintf("%d.%d.%d.*", k[0], k[1], k[2])
			got, ok := wildKey(token)
			require.True(t, ok, token)
			require.Equal(t, k, got, token)
			require.Equal(t, k, starKey(token), token)
		}
	}
}

// testGroups is an IDC configuration with exact, wildcard and never-matching tokens.
func testGroups() Groups {
	return Groups{
		Addresses: map[string]int32{
			"10.0.0.1":    1,
			"10.0.0.*":    2,
			"node-a":      3,
			"0.0.0.*":     4,
			"7.9.7.*":     5,
			"010.1.1.*":   6,
			"10.0.1.0/24": 7,
			" 10.0.2.5":   8,
			"1.2.44.*":    9,
		},
		Names: map[string]int32{"sz": 10, "sh": 20, " bj": 30},
	}
}

// groupOf is getGroupId: the exact token first, then the derived wildcard, else -1.
func TestGroupOf_findsGroupLikeGetGroupId(t *testing.T) {
	cases := []struct {
		name   string
		groups Groups
		addr   string
		want   int32
	}{
		{"an exact address wins over its wildcard", testGroups(), "10.0.0.1", 1},
		{"another address falls to its wildcard", testGroups(), "10.0.0.2", 2},
		{"a wildcard token matches itself exactly", testGroups(), "10.0.0.*", 2},
		{"a node name matches exactly", testGroups(), "node-a", 3},
		{"an unknown name falls to 0.0.0.*", testGroups(), "node-b", 4},
		{"an empty host falls to 0.0.0.*", testGroups(), "", 4},
		{"a two-part name matches its wrapped wildcard", testGroups(), "7.9", 5},
		{"a part above 255 matches its low byte", testGroups(), "1.2.300.4", 9},
		{"a zero-padded wildcard never matches an address", testGroups(), "10.1.1.5", -1},
		{"a zero-padded address does not match it either", testGroups(), "010.1.1.5", -1},
		{"a zero-padded wildcard matches itself exactly", testGroups(), "010.1.1.*", 6},
		{"a CIDR block does not cover its addresses", testGroups(), "10.0.1.9", -1},
		{"a token with a blank misses the address without it", testGroups(), "10.0.2.5", -1},
		{"a token with a blank matches itself exactly", testGroups(), " 10.0.2.5", 8},
		{"an address in no rule has no group", testGroups(), "11.0.0.1", -1},
		{"without 0.0.0.* an unknown name has no group", Groups{Addresses: map[string]int32{"10.0.0.*": 2}}, "node-b", -1},
		{"empty groups give no group", Groups{}, "10.0.0.1", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, NewIndex(c.groups).groupOf(c.addr), "groupOf(%q)", c.addr)
		})
	}
}

// realGroup prefers the trimmed ip_group_name without falling back to the host;
// workGroup is realGroup only when enable_group is on.
func TestRealAndWorkGroup_followIPGroupNameAndEnableGroup(t *testing.T) {
	cases := []struct {
		name     string
		ep       Endpoint
		wantReal int32
		wantWork int32
	}{
		{"no name uses the host", Endpoint{Host: "10.0.0.1", EnableGroup: true}, 1, 1},
		{"no name and an unknown host", Endpoint{Host: "11.0.0.1", EnableGroup: true}, -1, -1},
		{"a name wins over the host", Endpoint{Host: "10.0.0.1", IPGroupName: "sz", EnableGroup: true}, 10, 10},
		{"the name is trimmed of blanks and line ends", Endpoint{Host: "10.0.0.1", IPGroupName: " \tsh\r\n", EnableGroup: true}, 20, 20},
		{"an unknown name does not fall back to the host", Endpoint{Host: "10.0.0.1", IPGroupName: "gz", EnableGroup: true}, -1, -1},
		{"names are case-sensitive", Endpoint{Host: "10.0.0.1", IPGroupName: "SZ", EnableGroup: true}, -1, -1},
		{"a blank-only name uses the host", Endpoint{Host: "10.0.0.1", IPGroupName: " \t\r\n", EnableGroup: true}, 1, 1},
		{"a vertical tab is not trimmed", Endpoint{Host: "10.0.0.1", IPGroupName: "\vsz", EnableGroup: true}, -1, -1},
		{"a group_name with a blank never matches the trimmed name", Endpoint{Host: "10.0.0.1", IPGroupName: " bj", EnableGroup: true}, -1, -1},
		{"the host's wildcard applies without a name", Endpoint{Host: "node-z", EnableGroup: true}, 4, 4},
		{"enable_group off keeps the real group but works in none", Endpoint{Host: "10.0.0.1"}, 1, -1},
		{"enable_group off with a name", Endpoint{Host: "10.0.0.1", IPGroupName: "sz"}, 10, -1},
	}
	x := NewIndex(testGroups())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := x.realGroup(&c.ep)
			require.Equal(t, c.wantReal, got, "realGroup")
			require.Equal(t, c.wantWork, x.workGroup(&c.ep, got), "workGroup")
		})
	}
}

// Without allow_ip_rule tokens no address is in a group; with exact tokens only,
// only those are.
func TestIndex_groupOf_withoutWildcards(t *testing.T) {
	none := NewIndex(Groups{})
	exact := NewIndex(Groups{Addresses: map[string]int32{"10.0.0.1": 3, "node-a": 5}})
	for _, addr := range []string{"10.0.0.1", "node-a", "0.0.0.0", "", "0x0.0.0.1"} {
		require.Equal(t, int32(-1), none.groupOf(addr), addr)
	}
	require.Equal(t, int32(3), exact.groupOf("10.0.0.1"))
	require.Equal(t, int32(5), exact.groupOf("node-a"))
	require.Equal(t, int32(-1), exact.groupOf("10.0.0.2"))
}
