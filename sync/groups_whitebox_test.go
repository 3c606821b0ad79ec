package sync

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache/snapshot"
)

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
		want      snapshot.Groups
		wantWarns []groupWarning
	}{
		{
			name: "no rows give empty tables",
			want: snapshot.Groups{Addresses: map[string]int32{}, Names: map[string]int32{}},
		},
		{
			name:  "allow_ip_rule splits on bars and drops empty tokens",
			rules: []GroupRuleRow{{ID: "1", AllowIPRule: "|10.0.0.1||10.0.0.2|", Name: "sz"}},
			want: snapshot.Groups{
				Addresses: map[string]int32{"10.0.0.1": 1, "10.0.0.2": 1},
				Names:     map[string]int32{"sz": 1},
			},
		},
		{
			name:  "commas and semicolons do not split allow_ip_rule",
			rules: []GroupRuleRow{{ID: "1", AllowIPRule: "10.0.0.1,10.0.0.2;10.0.0.3"}},
			want: snapshot.Groups{
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
			want: snapshot.Groups{
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
			want: snapshot.Groups{
				Addresses: map[string]int32{"10.0.0.1": 1},
				Names:     map[string]int32{"gz": 5},
			},
		},
		{
			name:  "a group_name with blanks at its ends is kept as written and warned about",
			rules: []GroupRuleRow{{ID: "8", AllowIPRule: "10.0.8.*", Name: " bj"}},
			want: snapshot.Groups{
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
			want: snapshot.Groups{
				Addresses: map[string]int32{"a": 16, "b": 7, "c": 0, "d": 1},
				Names:     map[string]int32{"hex": 16, "blank": 7, "letter": 0, "wide": 1},
			},
		},
		{
			name: "tokens are kept untrimmed and warned about",
			rules: []GroupRuleRow{
				{ID: "3", AllowIPRule: " 10.0.0.1 |10.0.0.2|10.0.0.3\t"},
			},
			want: snapshot.Groups{
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
			want: snapshot.Groups{
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
			want: snapshot.Groups{
				Addresses: map[string]int32{},
				Names:     map[string]int32{},
				Priorities: []snapshot.Priority{
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
			want: snapshot.Groups{
				Addresses: map[string]int32{},
				Names:     map[string]int32{},
				Priorities: []snapshot.Priority{
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
			want: snapshot.Groups{
				Addresses:  map[string]int32{},
				Names:      map[string]int32{},
				Priorities: []snapshot.Priority{{ID: 7, Station: "sz", Groups: []int32{-3, 0, 1, 2, 4, 12, 16}}},
			},
			wantWarns: []groupWarning{
				{prio, "7", "x"}, {prio, "7", "12abc"}, {prio, "7", "4294967297"}, {prio, "7", "0x"}, {prio, "7", "+-3"}, {prio, "7", "--4"},
			},
		},
		{
			name:  "rule warnings come before priority warnings",
			rules: []GroupRuleRow{{ID: "11", AllowIPRule: "10.0.0.0/8", Name: "all"}},
			prios: []PriorityRow{{ID: "12", GroupList: "11|eleven", Station: "sz"}},
			want: snapshot.Groups{
				Addresses:  map[string]int32{"10.0.0.0/8": 11},
				Names:      map[string]int32{"all": 11},
				Priorities: []snapshot.Priority{{ID: 12, Station: "sz", Groups: []int32{0, 11}}},
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
