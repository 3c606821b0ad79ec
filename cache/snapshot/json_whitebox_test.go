package snapshot

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// wholeDocument is WriteJSON as it was before it streamed: the whole document
// built in memory, then encoded at once.
func wholeDocument(t *testing.T, snap *Snapshot, ids []string) string {
	doc := jsonDoc{Format: JSONFormat}
	if ids == nil {
		ids = snap.IDs()
		doc.Groups = groupsToJSON(snap.Groups())
		doc.Subsets = rulesToJSON(snap, snap.RuleIDs())
	} else {
		doc.Subsets = rulesToJSON(snap, ids)
	}
	doc.Servants = []jsonServant{}
	for _, id := range ids {
		if e, ok := snap.Stored(id); ok {
			doc.Servants = append(doc.Servants, toJSON(e))
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(doc))
	return b.String()
}

// The streamed document is byte for byte the document encoded whole, with and
// without groups, rules and records, and for a selection of ids.
func TestWriteJSON_streamsTheSameBytes(t *testing.T) {
	s := Servant{ID: "Demo.HelloServer.HelloObj", Endpoints: []Endpoint{
		{Active: true, Proto: 1, Host: "<&>\u2028", Port: 10015, Timeout: 60000, Weight: -1, NodeName: "10.0.0.11", Origin: "Demo.HelloServer@10.0.0.11/HelloObjAdapter"},
		{Proto: 2, Host: "10.0.0.12", Port: 443, Timeout: 3000, Weight: 80, WeightType: 2, AuthType: 1, BakFlag: 2,
			EnableGroup: true, IPGroupName: "sz", EnableSet: true, SetName: "shop", SetArea: "sz", SetGroup: "1", Subset: "v1", NodeName: "n2"},
	}}
	b := Servant{ID: "B.S.Obj", Endpoints: []Endpoint{{Proto: 1, Host: "h", Port: 1}}}
	x := NewIndex(Groups{Addresses: map[string]int32{"10.0.0.1": 1}, Names: map[string]int32{"sz": 1},
		Priorities: []Priority{{ID: 1, Station: "st", Groups: []int32{1, 2}}}})
	rule, err := NewRuleEntry(SubsetRule{Servant: s.ID, Enable: true, Type: "ratio", Data: `{"v1":1}`}, 7)
	require.NoError(t, err)
	full := New(map[string]*Entry{s.ID: NewEntry(s, 1, x), b.ID: NewEntry(b, 2, x)}, x, 3, map[string]*RuleEntry{s.ID: rule})
	for name, tc := range map[string]struct {
		snap *Snapshot
		ids  []string
	}{
		"empty": {Empty(), nil}, "full": {full, nil}, "selection": {full, []string{s.ID, "nobody"}}, "none selected": {full, []string{}},
	} {
		var got bytes.Buffer
		require.NoError(t, WriteJSON(&got, tc.snap, tc.ids), name)
		require.Equal(t, wholeDocument(t, tc.snap, tc.ids), got.String(), name)
	}
}

// An endpoint goes through the records document and back whole, every field of
// it set; and it is held without padding.
func TestEndpointJSON_carriesEveryField(t *testing.T) {
	var ep Endpoint
	v := reflect.ValueOf(&ep).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int32:
			f.SetInt(int64(-i - 1))
		case reflect.String:
			f.SetString("field " + strconv.Itoa(i))
		default:
			t.Fatalf("field %d: kind %s not covered", i, f.Kind())
		}
	}
	je := endpointJSON(&ep)
	require.Equal(t, ep, je.endpoint())
	require.Equal(t, reflect.TypeFor[Endpoint]().NumField(), reflect.TypeFor[jsonEndpoint]().NumField())
	if strconv.IntSize == 64 {
		require.Equal(t, uintptr(160), unsafe.Sizeof(ep))
	}
}
