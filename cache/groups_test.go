package cache_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/protocol/endpointf"
)

// twoGroups puts 10.1.1.* in group 1 and 10.2.2.* in group 2, with a priority
// row (station "south") holding both.
func twoGroups() snapshot.Groups {
	return snapshot.Groups{
		Addresses:  map[string]int32{"10.1.1.*": 1, "10.2.2.*": 2},
		Names:      map[string]int32{"sz": 1, "sh": 2},
		Priorities: []snapshot.Priority{{ID: 1, Station: "south", Groups: []int32{1, 2}}},
	}
}

// groupedServant has one active grouped endpoint in each group and one without group.
func groupedServant() snapshot.Servant {
	s := cachetest.Servant("A.S.Obj", 10, "10.1.1.1", "10.2.2.1", "10.9.9.1")
	s.Endpoints[0].EnableGroup = true
	s.Endpoints[1].EnableGroup = true
	return s
}

func hosts(eps []endpointf.EndpointF) []string {
	out := []string{}
	for _, e := range eps {
		out = append(out, e.Host)
	}
	return out
}

// The group configuration is stored with the records: after a restart, with the
// database gone, answers are grouped exactly as before.
func TestCache_groupsSurviveRestart(t *testing.T) {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	stats, err := c.Apply(cache.State{Servants: []snapshot.Servant{groupedServant()}, Groups: twoGroups()})
	require.NoError(t, err)
	require.True(t, stats.GroupsChanged)
	require.NoError(t, c.Close())

	c = cachetest.Open(t, path)
	snap := c.Snapshot()
	require.Equal(t, int32(2), snap.GroupOf("10.2.2.50"))
	e, ok := snap.Lookup("A.S.Obj")
	require.True(t, ok)
	require.Equal(t, []string{"10.2.2.1"}, hosts(e.InGroup(2).Active))
	require.True(t, snap.HasStation("south"))
	require.ElementsMatch(t, []string{"10.1.1.1", "10.2.2.1"}, hosts(e.InStation("south").Active))
	require.Equal(t, twoGroups(), snap.Groups())
}

// A change of the group rules alone rewrites only the group configuration and
// rebuilds every answer for it; applying the same rules again writes nothing.
func TestCache_Apply_groupRuleChange(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{groupedServant()}, Groups: twoGroups()})
	require.NoError(t, err)

	moved := twoGroups()
	moved.Addresses["10.9.9.*"] = 2 // 10.9.9.1 has no enable_group: grouprealid 2, groupworkid -1
	stats, err := c.Apply(cache.State{Servants: []snapshot.Servant{groupedServant()}, Groups: moved})
	require.NoError(t, err)
	require.Equal(t, cache.ApplyStats{Unchanged: 1, GroupsChanged: true, Duration: stats.Duration}, stats)
	e, _ := c.Snapshot().Lookup("A.S.Obj")
	require.ElementsMatch(t, []string{"10.1.1.1", "10.2.2.1", "10.9.9.1"}, hosts(e.InStation("south").Active))

	tx, err := c.TxID()
	require.NoError(t, err)
	stats, err = c.Apply(cache.State{Servants: []snapshot.Servant{groupedServant()}, Groups: moved})
	require.NoError(t, err)
	require.False(t, stats.Changed())
	after, err := c.TxID()
	require.NoError(t, err)
	require.Equal(t, tx, after)
}

// Group configurations the encoding cannot hold faithfully are refused and
// nothing is written.
func TestCache_Apply_rejectsBadGroups(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{groupedServant()}})
	require.NoError(t, err)
	bad := twoGroups()
	bad.Priorities[0].Groups = []int32{2, 1}
	_, err = c.Apply(cache.State{Groups: bad})
	require.ErrorIs(t, err, cache.ErrBadRecord)
	require.ErrorContains(t, err, "priority 1: group ids [2 1] are not ascending and unique")
	require.Equal(t, []string{"A.S.Obj"}, c.Snapshot().IDs())
}

// An override answers in place of the stored record but is never written: the
// file keeps the database's record, and a later Apply does not displace it.
func TestCache_Override_answersButIsNotStored(t *testing.T) {
	path := cachetest.Path(t)
	locator := cachetest.Servant("tars.tarsregistry.QueryObj", 17890, "10.0.0.100")
	c, err := cache.Open(path, cache.Options{Override: []snapshot.Servant{locator}})
	require.NoError(t, err)
	_, err = c.Apply(cache.State{Servants: []snapshot.Servant{cachetest.Servant("tars.tarsregistry.QueryObj", 17890, "10.0.5.1")}})
	require.NoError(t, err)

	e, ok := c.Snapshot().Lookup("tars.tarsregistry.QueryObj")
	require.True(t, ok)
	require.Equal(t, []string{"10.0.0.100"}, hosts(e.AllLists().Active))
	stored, _ := c.Snapshot().Stored("tars.tarsregistry.QueryObj")
	require.Equal(t, []string{"10.0.5.1"}, hosts(stored.AllLists().Active))
	require.NoError(t, c.Check())
	require.NoError(t, c.Close())

	c = cachetest.Open(t, path)
	e, _ = c.Snapshot().Lookup("tars.tarsregistry.QueryObj")
	require.Equal(t, []string{"10.0.5.1"}, hosts(e.AllLists().Active))
}

// An invalid override is refused by Open.
func TestCache_Open_rejectsBadOverride(t *testing.T) {
	_, err := cache.Open(cachetest.Path(t), cache.Options{Override: []snapshot.Servant{cachetest.Servant("X.Y.Obj", 70000, "h")}})
	require.ErrorIs(t, err, cache.ErrBadRecord)
	require.ErrorContains(t, err, "override")
}

// A whole-file JSON export carries the group configuration and imports back equal.
func TestJSON_roundTripsGroups(t *testing.T) {
	c := cachetest.Open(t, "")
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{groupedServant()}, Groups: twoGroups()})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, snapshot.WriteJSON(&buf, c.Snapshot(), nil))
	require.Contains(t, buf.String(), `"10.1.1.*": 1`)

	st, err := cache.ReadJSON(&buf)
	require.NoError(t, err)
	require.Equal(t, twoGroups(), st.Groups)
	other := cachetest.Open(t, "")
	_, err = other.Apply(st)
	require.NoError(t, err)
	e, _ := other.Snapshot().Lookup("A.S.Obj")
	require.Equal(t, []string{"10.1.1.1"}, hosts(e.InGroup(1).Active))
}

// Set answers: exact group, the area's "*" group as fallback, the whole area, and
// the difference between an unknown set name (group logic) and an empty match.
func TestEntry_InSet(t *testing.T) {
	s := cachetest.Servant("A.S.Obj", 10, "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")
	for i, set := range [][3]string{{"shop", "sz", "1"}, {"shop", "sz", "*"}, {"shop", "sh", "1"}, {"", "", ""}} {
		s.Endpoints[i].EnableSet = true
		s.Endpoints[i].SetName, s.Endpoints[i].SetArea, s.Endpoints[i].SetGroup = set[0], set[1], set[2]
	}
	c := cachetest.Open(t, "")
	_, err := c.Apply(cache.State{Servants: []snapshot.Servant{s}})
	require.NoError(t, err)
	e, _ := c.Snapshot().Lookup("A.S.Obj")

	cases := []struct {
		name, area, group string
		match             snapshot.SetMatch
		hosts             []string
	}{
		{"shop", "sz", "1", snapshot.SetFound, []string{"10.0.0.1"}},
		{"shop", "sz", "7", snapshot.SetFound, []string{"10.0.0.2"}},
		{"shop", "sz", "*", snapshot.SetFound, []string{"10.0.0.1", "10.0.0.2"}},
		{"shop", "sh", "2", snapshot.SetEmpty, []string{}},
		{"shop", "gz", "1", snapshot.SetEmpty, []string{}},
		{"other", "sz", "1", snapshot.SetUnknown, []string{}},
	}
	for _, tc := range cases {
		l, match := e.InSet(tc.name, tc.area, tc.group)
		require.Equal(t, tc.match, match, "%s.%s.%s", tc.name, tc.area, tc.group)
		require.ElementsMatch(t, tc.hosts, hosts(l.Active), "%s.%s.%s", tc.name, tc.area, tc.group)
	}
}

// Emptying the group tables removes the stored groups: after a restart nobody is
// in a group. A file that never had groups gets no groups value written.
func TestCache_Apply_groupsRemoved(t *testing.T) {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	stats, err := c.Apply(cache.State{Servants: []snapshot.Servant{groupedServant()}})
	require.NoError(t, err)
	require.False(t, stats.GroupsChanged, "no groups in the fetch and none stored: nothing to write")
	_, err = c.Apply(cache.State{Servants: []snapshot.Servant{groupedServant()}, Groups: twoGroups()})
	require.NoError(t, err)
	stats, err = c.Apply(cache.State{Servants: []snapshot.Servant{groupedServant()}})
	require.NoError(t, err)
	require.True(t, stats.GroupsChanged)
	require.Equal(t, int32(-1), c.Snapshot().GroupOf("10.1.1.9"))
	require.NoError(t, c.Close())

	c = cachetest.Open(t, path)
	require.Equal(t, int32(-1), c.Snapshot().GroupOf("10.1.1.9"))
	require.True(t, c.Snapshot().Groups().Empty())
}
