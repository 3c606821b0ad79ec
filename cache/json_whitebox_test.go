package cache

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

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
	c, err := Open(filepath.Join(t.TempDir(), "c.db"), Options{})
	require.NoError(t, err)
	defer c.Close()
	empty := c.Snapshot()
	s := sampleRecord()
	s.Endpoints[0].Host = "<&>\u2028"
	_, err = c.Apply(State{Servants: []Servant{s, {ID: "B.S.Obj", Endpoints: []Endpoint{{Proto: 1, Host: "h", Port: 1}}}},
		Groups: Groups{Addresses: map[string]int32{"10.0.0.1": 1}, Names: map[string]int32{"sz": 1},
			Priorities: []Priority{{ID: 1, Station: "st", Groups: []int32{1, 2}}}},
		Rules: []SubsetRule{{Servant: s.ID, Enable: true, Type: "ratio", Data: `{"v1":1}`}}})
	require.NoError(t, err)
	full := c.Snapshot()
	for name, tc := range map[string]struct {
		snap *Snapshot
		ids  []string
	}{
		"empty": {empty, nil}, "full": {full, nil}, "selection": {full, []string{s.ID, "nobody"}}, "none selected": {full, []string{}},
	} {
		var got bytes.Buffer
		require.NoError(t, WriteJSON(&got, tc.snap, tc.ids), name)
		require.Equal(t, wholeDocument(t, tc.snap, tc.ids), got.String(), name)
	}
}
