package snapshot

import (
	"sync"
	"testing"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/protocol/endpointf"
)

// wireEntry builds an entry with every kind of answer: group walks that differ
// from All and one that is All, a station, set areas and inactive endpoints.
func wireEntry() *Entry {
	x := NewIndex(Groups{
		Addresses:  map[string]int32{"10.0.0.*": 1, "10.1.0.*": 2, "10.9.0.*": 9},
		Priorities: []Priority{{ID: 1, Station: "north", Groups: []int32{1, 2}}},
	})
	s := Servant{ID: "App.S.Obj", Endpoints: []Endpoint{
		{Active: true, Proto: 1, Host: "10.0.0.1", Port: 1, EnableGroup: true, NodeName: "a"},
		{Active: true, Proto: 1, Host: "10.1.0.1", Port: 2, EnableGroup: true, EnableSet: true, SetName: "shop", SetArea: "sz", SetGroup: "1"},
		{Proto: 1, Host: "10.0.0.2", Port: 3, WeightType: 2, EnableSet: true, SetName: "shop", SetArea: "sz", SetGroup: "*"},
		{Active: true, Proto: 1, Host: "10.2.0.1", Port: 4, Weight: 80, WeightType: 2},
	}}
	return NewEntry(s, 1, x)
}

// answersOf returns every answer of e a query can get.
func answersOf(e *Entry) map[string]Lists {
	out := map[string]Lists{"all": e.All, "group 1": e.InGroup(1), "group 2": e.InGroup(2), "group 9": e.InGroup(9),
		"station north": e.InStation("north"), "station none": e.InStation("none")}
	out["set shop.sz.1"], _ = e.InSet("shop", "sz", "1")
	out["set shop.sz.*"], _ = e.InSet("shop", "sz", "*")
	out["set shop.sz.7"], _ = e.InSet("shop", "sz", "7")
	return out
}

// generated encodes eps as TarsGo's generated code writes a vector<EndpointF>
// body.
func generated(t *testing.T, eps []endpointf.EndpointF) []byte {
	buf := codec.NewBuffer()
	require.NoError(t, buf.WriteInt32(int32(len(eps)), 0))
	for i := range eps {
		require.NoError(t, eps[i].WriteBlock(buf, 0))
	}
	return buf.ToBytes()
}

// Every answer's wire bytes, built on first use, are the generated code's
// encoding of its lists.
func TestLists_Wire_isTheGeneratedEncoding(t *testing.T) {
	for name, l := range answersOf(wireEntry()) {
		active, inactive := l.Wire()
		require.Equal(t, generated(t, l.Active), active, name)
		require.Equal(t, generated(t, l.Inactive), inactive, name)
	}
}

// Readers racing for an answer's first Wire call all get the same bytes, the
// ones stored for later calls (go test -race checks the publication).
func TestLists_Wire_concurrentFirstUse(t *testing.T) {
	e := wireEntry()
	answers := answersOf(e)
	const readers = 8
	got := make([]map[string][2][]byte, readers)
	var wg sync.WaitGroup
	for r := range readers {
		got[r] = map[string][2][]byte{}
		wg.Go(func() {
			for name, l := range answers {
				a, i := l.Wire()
				got[r][name] = [2][]byte{a, i}
			}
		})
	}
	wg.Wait()
	for name, l := range answers {
		a, i := l.Wire()
		for r := range readers {
			require.Same(t, &a[0], &got[r][name][0][0], "%s: reader %d got other active bytes", name, r)
			require.Same(t, &i[0], &got[r][name][1][0], "%s: reader %d got other inactive bytes", name, r)
		}
	}
}

// After its first use, Wire allocates nothing; an answer that is All shares
// All's encoding; an empty answer built outside an entry allocates nothing.
func TestLists_Wire_allocatesOnlyOnFirstUse(t *testing.T) {
	e := wireEntry()
	for name, l := range answersOf(e) {
		l.Wire()
		require.Zero(t, testing.AllocsPerRun(100, func() { l.Wire() }), name)
	}
	x := NewIndex(Groups{Addresses: map[string]int32{"10.0.0.*": 1}, Priorities: []Priority{{Station: "north", Groups: []int32{1}}}})
	e = NewEntry(Servant{ID: "App.T.Obj", Endpoints: []Endpoint{{Active: true, Host: "10.0.0.1"}, {Host: "10.0.0.2"}}}, 1, x)
	allActive, _ := e.All.Wire()
	stationActive, _ := e.InStation("north").Wire() // every endpoint is in the station
	require.Same(t, &allActive[0], &stationActive[0])
	require.Zero(t, testing.AllocsPerRun(100, func() { Lists{}.Wire() }))
}

// Building an entry encodes nothing: answers are encoded when first asked for.
func TestNewEntry_encodesNothing(t *testing.T) {
	e := wireEntry()
	require.Nil(t, e.allWire.p.Load())
	for name, l := range answersOf(e) {
		if l.wire != nil {
			require.Nil(t, l.wire.p.Load(), name)
		}
	}
}

// viaBuilder builds e's answers as NewEntry does when a group rule, a station or
// a set endpoint asks for the builder.
func viaBuilder(s Servant, x *Index) *Entry {
	e := &Entry{Servant: s, Version: 1}
	b := newBuilder(&e.Servant, x)
	e.All, e.byGroup, e.byStation, e.sets = b.all, b.groupAnswers(), b.stationAnswers(), b.setAnswers()
	e.lazy()
	return e
}

// An entry built without the builder (no group rule, no station, no set
// endpoint) is the entry the builder makes.
func TestNewEntry_withoutRulesIsTheBuildersEntry(t *testing.T) {
	x := NewIndex(Groups{Names: map[string]int32{"sz": 4}})
	require.True(t, x.allOnly())
	s := Servant{ID: "App.S.Obj", Endpoints: []Endpoint{
		{Active: true, Proto: 1, Host: "10.0.0.1", Port: 1, EnableGroup: true, IPGroupName: "sz", NodeName: "a"},
		{Proto: 1, Host: "10.0.0.2", Port: 3, WeightType: 2, EnableSet: true, SetName: "*", SetArea: "sz", SetGroup: "1"},
		{Active: true, Proto: 1, Host: "10.2.0.1", Port: 4, Weight: 80, WeightType: 2, EnableGroup: true},
	}}
	got, want := NewEntry(s, 1, x), viaBuilder(s, x)
	require.Equal(t, want.All.Active, got.All.Active)
	require.Equal(t, want.All.Inactive, got.All.Inactive)
	require.Nil(t, got.byGroup)
	require.Nil(t, got.byStation)
	require.Nil(t, got.sets)
	require.Equal(t, want.byGroup, got.byGroup)
	require.Equal(t, want.byStation, got.byStation)
	require.Equal(t, want.sets, got.sets)
	for _, g := range []int32{-1, 4} {
		wa, wi := want.InGroup(g).Wire()
		ga, gi := got.InGroup(g).Wire()
		require.Equal(t, wa, ga)
		require.Equal(t, wi, gi)
	}
}

// The bound ReplyBytes gives without encoding is never below the encoded size,
// whatever the field values and text lengths (a string from 256 bytes has a
// four-byte length).
func TestListBound_coversTheEncoding(t *testing.T) {
	long := string(make([]byte, 300))
	tests := []struct {
		name string
		ep   endpointf.EndpointF
	}{
		{"zero values", endpointf.EndpointF{}},
		{"a usual endpoint", endpointf.EndpointF{Host: "10.0.0.1", Port: 10015, Timeout: 60000, Istcp: 1, Grouprealid: -1, NodeName: "10.0.0.1"}},
		{"every int at its widest", endpointf.EndpointF{Port: -1 << 31, Timeout: 1<<31 - 1, Istcp: 1 << 20, Grid: -1 << 20, Groupworkid: 1 << 30,
			Grouprealid: -1 << 30, Qos: 1 << 29, BakFlag: 1 << 28, Weight: 1 << 27, WeightType: 1 << 26, AuthType: 1 << 25}},
		{"long texts", endpointf.EndpointF{Host: long, SetId: long, NodeName: long, Subset: long, Port: 1 << 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []int{0, 1, 3, 200} {
				eps := make([]endpointf.EndpointF, n)
				for i := range eps {
					eps[i] = tt.ep
				}
				require.GreaterOrEqual(t, listBound(eps), len(generated(t, eps)), "%d endpoints", n)
			}
		})
	}
}

// ReplyBytes gives the bound while it is within the limit, encoding nothing, and
// the exact size past it.
func TestEntry_ReplyBytes(t *testing.T) {
	e := wireEntry()
	bound := e.ReplyBytes(MaxReplyBytes)
	require.Nil(t, e.All.wire.p.Load(), "within the limit nothing is encoded")

	active, inactive := generated(t, e.All.Active), generated(t, e.All.Inactive)
	exact := len(active) + len(inactive) + replyOverhead
	require.GreaterOrEqual(t, bound, exact)
	require.Equal(t, exact, e.ReplyBytes(exact), "a limit under the bound gets the exact size")
	require.NotNil(t, e.All.wire.p.Load())
}
