package snapshot

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tarscache/tarscache/internal/cnum"
)

// Index answers the registry's IDC group questions for one Groups: which group an
// address is in and which priority row a station names. It is built once per Groups
// (NewIndex) and never changes; every Entry of a Snapshot is built with one.
type Index struct {
	groups Groups
	// wild holds the Addresses tokens of the exact form "%u.%u.%u.*", the only
	// wildcards the registry's lookup can produce, by their three bytes.
	wild map[[3]byte]int32
	// stations maps each station to the index of its first priority row.
	stations map[string]int
	// clientGroups are the ids a client can be in (the values of Addresses),
	// ascending and unique.
	clientGroups []int32
}

// NewIndex builds the index of g. It keeps g's maps and slices: callers must not
// modify them afterwards.
func NewIndex(g Groups) *Index {
	x := &Index{groups: g, wild: map[[3]byte]int32{}, stations: map[string]int{}}
	for token, id := range g.Addresses {
		if k, ok := wildKey(token); ok {
			x.wild[k] = id
		}
		x.clientGroups = append(x.clientGroups, id)
	}
	slices.Sort(x.clientGroups)
	x.clientGroups = slices.Compact(x.clientGroups)
	for i, p := range g.Priorities {
		if _, seen := x.stations[p.Station]; !seen {
			x.stations[p.Station] = i
		}
	}
	return x
}

// groupOf is the registry's getGroupId: the group of an exact Addresses token,
// else of the "a.b.c.*" wildcard the registry derives from addr, else -1.
// Without rules (most registries) it is -1 at once.
func (x *Index) groupOf(addr string) int32 {
	if len(x.groups.Addresses) == 0 {
		return -1
	}
	if id, ok := x.groups.Addresses[addr]; ok {
		return id
	}
	if len(x.wild) == 0 {
		return -1
	}
	if id, ok := x.wild[starKey(addr)]; ok {
		return id
	}
	return -1
}

// realGroup is an endpoint's grouprealid: its ip_group_name's group when the
// trimmed name is set (-1 when unknown, without falling back to the address),
// else its host's group.
func (x *Index) realGroup(ep *Endpoint) int32 {
	if name := strings.Trim(ep.IPGroupName, " \r\n\t"); name != "" {
		if id, ok := x.groups.Names[name]; ok {
			return id
		}
		return -1
	}
	return x.groupOf(ep.Host)
}

// workGroup is an endpoint's groupworkid: its grouprealid when enable_group is
// on, else -1.
func (x *Index) workGroup(ep *Endpoint, real int32) int32 {
	if ep.EnableGroup {
		return real
	}
	return -1
}

// wildKey recognises a token the registry's wildcard lookup can match: three
// decimal bytes as printf's %u writes them, then ".*".
func wildKey(token string) ([3]byte, bool) {
	var k [3]byte
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[3] != "*" {
		return k, false
	}
	for i, p := range parts[:3] {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || strconv.FormatUint(n, 10) != p {
			return k, false
		}
		k[i] = byte(n)
	}
	return k, true
}

// starKey is the registry's Ip2StarStr(stringIpToInt(addr)) as three bytes. The
// original cuts addr at its first three dots with 32-bit unsigned positions (a
// missing dot is 0xFFFFFFFF, and one past it wraps to 0), reads each of the first
// three parts like TC_Common::strto<unsigned int> and keeps the low byte. So
// "10.1.2.3" gives 10.1.2, "a.b" reads "a", "b", "a", and a name without dots
// gives its own number three times (0.0.0 for "node-a"). It does not allocate.
func starKey(addr string) [3]byte {
	p1 := cFind(addr, 0)
	p2 := cFind(addr, p1+1)
	p3 := cFind(addr, p2+1)
	return [3]byte{
		byte(cnum.Uint(cSubstr(addr, 0, p1))),
		byte(cnum.Uint(cSubstr(addr, p1+1, p2-p1-1))),
		byte(cnum.Uint(cSubstr(addr, p2+1, p3-p2-1))),
	}
}

// cFind is std::string::find('.', from) stored into a uint32.
func cFind(s string, from uint32) uint32 {
	if uint64(from) >= uint64(len(s)) {
		return math.MaxUint32
	}
	i := strings.IndexByte(s[from:], '.')
	if i < 0 {
		return math.MaxUint32
	}
	return from + uint32(i)
}

// cSubstr is std::string::substr(pos, n); pos never passes the end here.
func cSubstr(s string, pos, n uint32) string {
	end := min(uint64(pos)+uint64(n), uint64(len(s)))
	return s[pos:end]
}

// allOnly reports whether every answer an entry built with x gives is All, as
// long as none of its endpoints is in the set index: no client is in a group,
// no station is named.
func (x *Index) allOnly() bool { return len(x.clientGroups) == 0 && len(x.stations) == 0 }

// Groups returns the configuration x was built for. Its maps and slices are shared:
// callers must not modify them.
func (x *Index) Groups() Groups { return x.groups }
