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
	out := map[string]Lists{"all": e.AllLists(), "group 1": e.InGroup(1), "group 2": e.InGroup(2), "group 9": e.InGroup(9),
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
	allActive, _ := e.AllLists().Wire()
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
	e := &Entry{Servant: s, Version: 1, x: x}
	b := newBuilder(&e.Servant, x)
	e.allOnce.Do(func() { e.all = b.all })
	e.byGroup, e.byStation, e.sets = b.groupAnswers(), b.stationAnswers(), b.setAnswers()
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
	require.Equal(t, want.AllLists().Active, got.AllLists().Active)
	require.Equal(t, want.AllLists().Inactive, got.AllLists().Inactive)
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

// The bound ReplyBytes gives without building or encoding the lists is never
// below the encoded size, whatever the field values and text lengths (a string
// from 256 bytes has a four-byte length).
func TestServantBound_coversTheEncoding(t *testing.T) {
	long := string(make([]byte, 300))
	x := NewIndex(Groups{Names: map[string]int32{"wide": 1 << 30}})
	tests := []struct {
		name string
		ep   Endpoint
	}{
		{"zero values", Endpoint{}},
		{"a usual endpoint", Endpoint{Active: true, Host: "10.0.0.1", Port: 10015, Timeout: 60000, Proto: 1, NodeName: "10.0.0.1"}},
		{"every int at its widest", Endpoint{Port: -1 << 31, Timeout: 1<<31 - 1, Proto: 1 << 20, EnableGroup: true, IPGroupName: "wide",
			BakFlag: 1 << 28, Weight: 1 << 27, WeightType: 1 << 26, AuthType: 1 << 25}},
		{"long texts", Endpoint{Host: long, EnableSet: true, SetName: long, SetArea: long, SetGroup: long, NodeName: long, Subset: long, Port: 1 << 30}},
		{"a set with empty parts", Endpoint{Host: "10.0.0.1", EnableSet: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []int{0, 1, 3, 200} {
				s := Servant{ID: "App.S.Obj", Endpoints: make([]Endpoint, n)}
				for i := range s.Endpoints {
					s.Endpoints[i] = tt.ep
					s.Endpoints[i].Active = i%2 == 0
				}
				all := allLists(&s, x, nil)
				encoded := len(generated(t, all.Active)) + len(generated(t, all.Inactive))
				require.GreaterOrEqual(t, servantBound(&s), encoded, "%d endpoints", n)
			}
		})
	}
}

// ReplyBytes gives the bound while it is within the limit, encoding nothing, and
// the exact size past it.
func TestEntry_ReplyBytes(t *testing.T) {
	e := wireEntry()
	bound := e.ReplyBytes(MaxReplyBytes)
	require.Nil(t, e.allWire.p.Load(), "within the limit nothing is encoded")

	active, inactive := generated(t, e.AllLists().Active), generated(t, e.AllLists().Inactive)
	exact := len(active) + len(inactive) + replyOverhead
	require.GreaterOrEqual(t, bound, exact)
	require.Equal(t, exact, e.ReplyBytes(exact), "a limit under the bound gets the exact size")
	require.NotNil(t, e.allWire.p.Load())
}

// An entry whose only answer is All builds no list until it is asked for:
// building, counting its endpoints, bounding its reply and reading its stored
// record leave All unbuilt; AllLists and Lookup build it.
func TestNewEntry_allOnlyBuildsOnFirstUse(t *testing.T) {
	s := Servant{ID: "App.S.Obj", Endpoints: []Endpoint{{Active: true, Proto: 1, Host: "10.0.0.1", Port: 1}, {Proto: 1, Host: "10.0.0.2", Port: 2}}}
	tests := []struct {
		name  string
		use   func(*Snapshot, *Entry)
		built bool
	}{
		{"build", func(*Snapshot, *Entry) {}, false},
		{"count active endpoints", func(snap *Snapshot, _ *Entry) { snap.ActiveEndpoints() }, false},
		{"bound the reply", func(_ *Snapshot, e *Entry) { e.ReplyBytes(MaxReplyBytes) }, false},
		{"read the stored record", func(snap *Snapshot, _ *Entry) { snap.Stored(s.ID) }, false},
		{"ask for All", func(_ *Snapshot, e *Entry) { e.AllLists() }, true},
		{"ask a group walk", func(_ *Snapshot, e *Entry) { e.InGroup(-1) }, true},
		{"look it up", func(snap *Snapshot, _ *Entry) { snap.Lookup(s.ID) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEntry(s, 1, NewIndex(Groups{}))
			snap := New(map[string]*Entry{s.ID: e}, NewIndex(Groups{}), 0, nil)
			tt.use(snap, e)
			require.Equal(t, tt.built, e.all.Active != nil, "All built")
			require.Equal(t, 1, snap.ActiveEndpoints())
		})
	}
}

// Readers racing for the first use of an entry's All all get the very lists
// stored for later calls (go test -race checks the publication).
func TestEntry_AllLists_concurrentFirstUse(t *testing.T) {
	s := Servant{ID: "App.S.Obj", Endpoints: []Endpoint{{Active: true, Proto: 1, Host: "10.0.0.1", Port: 1}, {Proto: 1, Host: "10.0.0.2", Port: 2}}}
	snap := New(map[string]*Entry{s.ID: NewEntry(s, 1, NewIndex(Groups{}))}, NewIndex(Groups{}), 0, nil)
	const readers = 8
	got := make([]Lists, readers)
	var wg sync.WaitGroup
	for r := range readers {
		wg.Go(func() {
			e, _ := snap.Lookup(s.ID)
			if r%2 == 0 {
				got[r] = e.AllLists()
			} else {
				got[r] = e.InGroup(-1)
			}
		})
	}
	wg.Wait()
	e, _ := snap.Lookup(s.ID)
	for r := range readers {
		require.Same(t, &e.AllLists().Active[0], &got[r].Active[0], "reader %d got other lists", r)
		require.Same(t, &e.AllLists().Inactive[0], &got[r].Inactive[0], "reader %d got other lists", r)
	}
}

// A zero Entry (package tars answers an unknown servant with one) answers empty
// lists.
func TestEntry_AllLists_zeroEntry(t *testing.T) {
	var e Entry
	require.True(t, e.AllLists().Empty())
	active, inactive := e.InGroup(3).Wire()
	require.Equal(t, emptyWire, active)
	require.Equal(t, emptyWire, inactive)
}

// Once built, an entry's All costs a lookup nothing: Lookup, AllLists and the
// answer's Wire allocate nothing.
func TestEntry_AllLists_allocatesOnlyOnFirstUse(t *testing.T) {
	s := Servant{ID: "App.S.Obj", Endpoints: []Endpoint{{Active: true, Proto: 1, Host: "10.0.0.1", Port: 1}}}
	snap := New(map[string]*Entry{s.ID: NewEntry(s, 1, NewIndex(Groups{}))}, NewIndex(Groups{}), 0, nil)
	e, _ := snap.Lookup(s.ID)
	e.AllLists().Wire()
	require.Zero(t, testing.AllocsPerRun(100, func() {
		e, _ := snap.Lookup(s.ID)
		e.AllLists().Wire()
	}))
}
