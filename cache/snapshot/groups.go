package snapshot

import (
	"maps"
	"slices"
)

// Groups is the IDC group configuration of the registry: t_server_group_rule
// turned into lookup tables and t_group_priority in list order. It is stored in the
// file next to the servant records, so that answers given offline are grouped
// exactly as answers given online.
type Groups struct {
	// Addresses maps each allow_ip_rule token, an exact address (or name) or an
	// "a.b.c.*" wildcard, to its group id.
	Addresses map[string]int32
	// Names maps each group_name to its group id (used by ip_group_name).
	Names map[string]int32
	// Priorities are the t_group_priority rows in list_order.
	Priorities []Priority
}

// Priority is one t_group_priority row.
type Priority struct {
	// ID is the row's id, for people.
	ID int32
	// Station is the row's station, the name findObjectByIdInSameStation asks for.
	Station string
	// Groups are the group ids of group_list, ascending and without repeats.
	Groups []int32
}

// Empty reports whether g holds no rule and no priority.
func (g Groups) Empty() bool {
	return len(g.Addresses) == 0 && len(g.Names) == 0 && len(g.Priorities) == 0
}

// Equal reports whether g and o are the same configuration (a CRC32 match alone
// could be a collision).
func (g *Groups) Equal(o Groups) bool {
	return maps.Equal(g.Addresses, o.Addresses) && maps.Equal(g.Names, o.Names) &&
		slices.EqualFunc(g.Priorities, o.Priorities, func(a, b Priority) bool {
			return a.ID == b.ID && a.Station == b.Station && slices.Equal(a.Groups, b.Groups)
		})
}
