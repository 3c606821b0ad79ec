package sync

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
)

// cInt reads like TC_Common::strto<int>: strtol base 16 after "0x", else glibc's
// atoi, truncated to 32 bits.
func TestCInt_readsLikeStrtoInt(t *testing.T) {
	cases := []struct {
		name string
		s    string
		want int32
	}{
		{"empty is zero", "", 0},
		{"a leading blank is skipped", " 2", 2},
		{"blanks, tabs and newlines are skipped", "\t\n 7", 7},
		{"a letter is zero", "x", 0},
		{"a minus sign", "-3", -3},
		{"a plus sign", "+5", 5},
		{"two signs are zero", "+-5", 0},
		{"trailing letters are ignored", "12abc", 12},
		{"an exponent is not read", "1e9", 1},
		{"an inner blank stops the number", "1 2", 1},
		{"above 32 bits keeps the low 32 bits", "4294967297", 1},
		{"INT_MAX plus one wraps to INT_MIN", "2147483648", math.MinInt32},
		{"INT_MIN minus one wraps to INT_MAX", "-2147483649", math.MaxInt32},
		{"LONG_MAX truncates to minus one", "9223372036854775807", -1},
		{"a positive overflow saturates at LONG_MAX, so minus one", "99999999999999999999", -1},
		{"a negative overflow saturates at LONG_MIN, so zero", "-99999999999999999999", 0},
		{"a 0x prefix reads hexadecimal", "0x10", 16},
		{"a bare 0x is zero", "0x", 0},
		{"0x before a non-digit is zero", "0x-1", 0},
		{"hexadecimal stops at a non-digit", "0x1g", 1},
		{"an upper-case 0X reads decimal, so zero", "0X10", 0},
		{"a blank before 0x reads decimal, so zero", " 0x10", 0},
		{"a signed 0x reads decimal, so zero", "-0x10", 0},
		{"hexadecimal all ones is minus one", "0xFFFFFFFF", -1},
		{"hexadecimal sign bit is INT_MIN", "0x80000000", math.MinInt32},
		{"hexadecimal above 32 bits keeps the low bits", "0x100000001", 1},
		{"a hexadecimal overflow saturates at LONG_MAX", "0x7fffffffffffffffff", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, cInt(c.s), "strto<int>(%q)", c.s)
		})
	}
}

// cStrtol reads like glibc's strtol in bases 10 and 16, saturating at the
// int64 range.
func TestCStrtol_readsLikeGlibc(t *testing.T) {
	cases := []struct {
		name string
		s    string
		base int64
		want int64
	}{
		{"empty is zero", "", 10, 0},
		{"blanks, a plus sign and trailing garbage", " +42x", 10, 42},
		{"a sign without digits is zero", "- 1", 10, 0},
		{"underscores are not digits", "1_000", 10, 1},
		{"just below LONG_MAX", "9223372036854775799", 10, 9223372036854775799},
		{"LONG_MAX itself", "9223372036854775807", 10, math.MaxInt64},
		{"one past LONG_MAX saturates", "9223372036854775808", 10, math.MaxInt64},
		{"far past LONG_MAX saturates", "92233720368547758070", 10, math.MaxInt64},
		{"minus LONG_MAX", "-9223372036854775807", 10, -math.MaxInt64},
		{"LONG_MIN itself", "-9223372036854775808", 10, math.MinInt64},
		{"one below LONG_MIN saturates", "-9223372036854775809", 10, math.MinInt64},
		{"far below LONG_MIN saturates", "-99999999999999999999", 10, math.MinInt64},
		{"hex digits in base 10 stop the number", "12ab", 10, 12},
		{"0x in base 10 is zero", "0x10", 10, 0},
		{"lower-case hexadecimal", "0xff", 16, 255},
		{"hexadecimal without prefix", "FF", 16, 255},
		{"an upper-case 0X prefix", "0X1a", 16, 26},
		{"plain digits in base 16", "10", 16, 16},
		{"a bare 0x is zero", "0x", 16, 0},
		{"0x before a non-digit reads the zero only", "0xz", 16, 0},
		{"a negative hexadecimal", "-0x10", 16, -16},
		{"hexadecimal LONG_MAX", "0x7fffffffffffffff", 16, math.MaxInt64},
		{"hexadecimal one past LONG_MAX saturates", "0x8000000000000000", 16, math.MaxInt64},
		{"hexadecimal LONG_MIN", "-0x8000000000000000", 16, math.MinInt64},
		{"hexadecimal one below LONG_MIN saturates", "-0x8000000000000001", 16, math.MinInt64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, cStrtol(c.s, c.base), "strtol(%q, %d)", c.s, c.base)
		})
	}
}

// groupWarning is a warning BuildGroups must give: its table, row id and token.
type groupWarning struct {
	table, id, token string
}

// BuildGroups loads the IDC group tables as the registry does, and warns about
// tokens the registry cannot match the way an operator likely meant.
func TestBuildGroups_loadsTablesLikeRegistry(t *testing.T) {
	const rule, prio = "t_server_group_rule", "t_group_priority"
	cases := []struct {
		name      string
		rules     []GroupRuleRow
		prios     []PriorityRow
		want      cache.Groups
		wantWarns []groupWarning
	}{
		{
			name: "no rows give empty tables",
			want: cache.Groups{Addresses: map[string]int32{}, Names: map[string]int32{}},
		},
		{
			name:  "allow_ip_rule splits on bars and drops empty tokens",
			rules: []GroupRuleRow{{ID: "1", AllowIPRule: "|10.0.0.1||10.0.0.2|", Name: "sz"}},
			want: cache.Groups{
				Addresses: map[string]int32{"10.0.0.1": 1, "10.0.0.2": 1},
				Names:     map[string]int32{"sz": 1},
			},
		},
		{
			name:  "commas and semicolons do not split allow_ip_rule",
			rules: []GroupRuleRow{{ID: "1", AllowIPRule: "10.0.0.1,10.0.0.2;10.0.0.3"}},
			want: cache.Groups{
				Addresses: map[string]int32{"10.0.0.1,10.0.0.2;10.0.0.3": 1},
				Names:     map[string]int32{},
			},
		},
		{
			name: "a later rule overwrites a token and a name of an earlier one",
			rules: []GroupRuleRow{
				{ID: "1", AllowIPRule: "10.0.0.1|10.0.1.*", Name: "sz"},
				{ID: "2", AllowIPRule: "10.0.0.1", Name: "sz"},
			},
			want: cache.Groups{
				Addresses: map[string]int32{"10.0.0.1": 2, "10.0.1.*": 1},
				Names:     map[string]int32{"sz": 2},
			},
		},
		{
			name: "an empty group_name is skipped, a rule without tokens keeps its name",
			rules: []GroupRuleRow{
				{ID: "1", AllowIPRule: "10.0.0.1"},
				{ID: "5", Name: "gz"},
			},
			want: cache.Groups{
				Addresses: map[string]int32{"10.0.0.1": 1},
				Names:     map[string]int32{"gz": 5},
			},
		},
		{
			name:  "a group_name with blanks at its ends is kept as written and warned about",
			rules: []GroupRuleRow{{ID: "8", AllowIPRule: "10.0.8.*", Name: " bj"}},
			want: cache.Groups{
				Addresses: map[string]int32{"10.0.8.*": 8},
				Names:     map[string]int32{" bj": 8},
			},
			wantWarns: []groupWarning{{rule, "8", " bj"}},
		},
		{
			name: "group ids read like strto<int>",
			rules: []GroupRuleRow{
				{ID: "0x10", AllowIPRule: "a", Name: "hex"},
				{ID: " 7", AllowIPRule: "b", Name: "blank"},
				{ID: "x", AllowIPRule: "c", Name: "letter"},
				{ID: "4294967297", AllowIPRule: "d", Name: "wide"},
			},
			want: cache.Groups{
				Addresses: map[string]int32{"a": 16, "b": 7, "c": 0, "d": 1},
				Names:     map[string]int32{"hex": 16, "blank": 7, "letter": 0, "wide": 1},
			},
		},
		{
			name: "tokens are kept untrimmed and warned about",
			rules: []GroupRuleRow{
				{ID: "3", AllowIPRule: " 10.0.0.1 |10.0.0.2|10.0.0.3\t"},
			},
			want: cache.Groups{
				Addresses: map[string]int32{" 10.0.0.1 ": 3, "10.0.0.2": 3, "10.0.0.3\t": 3},
				Names:     map[string]int32{},
			},
			wantWarns: []groupWarning{{rule, "3", " 10.0.0.1 "}, {rule, "3", "10.0.0.3\t"}},
		},
		{
			name: "CIDR blocks and underivable wildcards are kept and warned about",
			rules: []GroupRuleRow{
				{ID: "4", AllowIPRule: "10.0.0.0/24|10.0.0.*|10.0.*"},
				{ID: "6", AllowIPRule: "10.*.0.1|256.0.0.*|0x1.0.0.*|*|255.1.2.*|node-a"},
				{ID: "13", AllowIPRule: "010.0.0.*|+1.0.0.*|10.0.0.1 10.0.0.2"},
			},
			want: cache.Groups{
				Addresses: map[string]int32{
					"10.0.0.0/24": 4, "10.0.0.*": 4, "10.0.*": 4,
					"10.*.0.1": 6, "256.0.0.*": 6, "0x1.0.0.*": 6, "*": 6, "255.1.2.*": 6, "node-a": 6,
					"010.0.0.*": 13, "+1.0.0.*": 13, "10.0.0.1 10.0.0.2": 13,
				},
				Names: map[string]int32{},
			},
			wantWarns: []groupWarning{
				{rule, "4", "10.0.0.0/24"}, {rule, "4", "10.0.*"},
				{rule, "6", "10.*.0.1"}, {rule, "6", "256.0.0.*"}, {rule, "6", "0x1.0.0.*"}, {rule, "6", "*"},
				{rule, "13", "010.0.0.*"}, {rule, "13", "+1.0.0.*"}, {rule, "13", "10.0.0.1 10.0.0.2"},
			},
		},
		{
			name: "group_list splits on bars, commas and semicolons into a sorted set",
			prios: []PriorityRow{
				{ID: "1", GroupList: "3|1,2;3||,", Station: "sz"},
				{ID: "2", GroupList: "", Station: "sh"},
			},
			want: cache.Groups{
				Addresses: map[string]int32{},
				Names:     map[string]int32{},
				Priorities: []cache.Priority{
					{ID: 1, Station: "sz", Groups: []int32{1, 2, 3}},
					{ID: 2, Station: "sh"},
				},
			},
		},
		{
			name: "priorities keep their row order",
			prios: []PriorityRow{
				{ID: "9", GroupList: "2", Station: "b"},
				{ID: "0x3", GroupList: "1", Station: "a"},
			},
			want: cache.Groups{
				Addresses: map[string]int32{},
				Names:     map[string]int32{},
				Priorities: []cache.Priority{
					{ID: 9, Station: "b", Groups: []int32{2}},
					{ID: 3, Station: "a", Groups: []int32{1}},
				},
			},
		},
		{
			name: "group_list entries read like strto<int>, non-numbers warned about",
			prios: []PriorityRow{
				// " 2", "-3", "+4" and "0x10" read as the numbers they show; the others do not.
				{ID: "7", GroupList: " 2|x|-3|12abc|4294967297|0x10|+4|0x|+-3|--4", Station: "sz"},
			},
			want: cache.Groups{
				Addresses:  map[string]int32{},
				Names:      map[string]int32{},
				Priorities: []cache.Priority{{ID: 7, Station: "sz", Groups: []int32{-3, 0, 1, 2, 4, 12, 16}}},
			},
			wantWarns: []groupWarning{
				{prio, "7", "x"}, {prio, "7", "12abc"}, {prio, "7", "4294967297"}, {prio, "7", "0x"}, {prio, "7", "+-3"}, {prio, "7", "--4"},
			},
		},
		{
			name:  "rule warnings come before priority warnings",
			rules: []GroupRuleRow{{ID: "11", AllowIPRule: "10.0.0.0/8", Name: "all"}},
			prios: []PriorityRow{{ID: "12", GroupList: "11|eleven", Station: "sz"}},
			want: cache.Groups{
				Addresses:  map[string]int32{"10.0.0.0/8": 11},
				Names:      map[string]int32{"all": 11},
				Priorities: []cache.Priority{{ID: 12, Station: "sz", Groups: []int32{0, 11}}},
			},
			wantWarns: []groupWarning{{rule, "11", "10.0.0.0/8"}, {prio, "12", "eleven"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, warns := BuildGroups(c.rules, c.prios)
			require.Equal(t, c.want, got)
			require.Len(t, warns, len(c.wantWarns), "warnings: %q", warns)
			for i, w := range c.wantWarns {
				require.Contains(t, warns[i], w.table)
				require.Contains(t, warns[i], "id="+w.id+":")
				require.Contains(t, warns[i], strconv.Quote(w.token))
			}
		})
	}
}
