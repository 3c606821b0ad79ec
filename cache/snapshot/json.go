package snapshot

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// JSONFormat names the JSON document WriteJSON writes and ReadJSON reads.
const JSONFormat = "tarscache-records/1"

// jsonDoc is the JSON form of a set of records (docs/format.md).
type jsonDoc struct {
	Format   string        `json:"format"`
	Groups   *jsonGroups   `json:"groups,omitempty"`
	Subsets  []jsonRule    `json:"subsets,omitempty"`
	Servants []jsonServant `json:"servants"`
}

// jsonRule is the JSON form of a SubsetRule.
type jsonRule struct {
	Servant  string        `json:"servant"`
	Enable   bool          `json:"enable"`
	Type     string        `json:"type,omitempty"`
	Data     string        `json:"data,omitempty"`
	Rejected *RejectedRule `json:"rejected,omitempty"`
}

type jsonGroups struct {
	Addresses  map[string]int32 `json:"addresses,omitempty"`
	Names      map[string]int32 `json:"names,omitempty"`
	Priorities []jsonPriority   `json:"priorities,omitempty"`
}

type jsonPriority struct {
	ID      int32   `json:"id"`
	Station string  `json:"station"`
	Groups  []int32 `json:"groups"`
}

type jsonServant struct {
	ID        string         `json:"id"`
	Version   string         `json:"version,omitempty"`
	Endpoints []jsonEndpoint `json:"endpoints"`
}

type jsonEndpoint struct {
	Active      bool   `json:"active"`
	Proto       int32  `json:"istcp"`
	Host        string `json:"host"`
	Port        int32  `json:"port"`
	Timeout     int32  `json:"timeout"`
	Weight      int32  `json:"weight"`
	WeightType  int32  `json:"weightType,omitempty"`
	AuthType    int32  `json:"authType,omitempty"`
	BakFlag     int32  `json:"bakFlag,omitempty"`
	NodeName    string `json:"nodeName,omitempty"`
	EnableGroup bool   `json:"enableGroup,omitempty"`
	IPGroupName string `json:"ipGroupName,omitempty"`
	EnableSet   bool   `json:"enableSet,omitempty"`
	SetName     string `json:"setName,omitempty"`
	SetArea     string `json:"setArea,omitempty"`
	SetGroup    string `json:"setGroup,omitempty"`
	Subset      string `json:"subset,omitempty"`
	Origin      string `json:"origin,omitempty"`
}

// WriteJSON writes the stored records and subset rules of snap whose servant ids are
// in ids, records in the order given, as an indented JSON document with their
// versions; ids that name neither are skipped. When ids is nil it writes every
// servant, every subset rule and the IDC group configuration: the whole file.
//
// The document is streamed: one record is encoded at a time, so memory does not
// grow with the number of records (the output is byte for byte what encoding
// the whole document with json.Encoder and a two-space indent gives).
func WriteJSON(w io.Writer, snap *Snapshot, ids []string) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	jw := &jsonWriter{w: bw}
	jw.raw("{\n  \"format\": ")
	jw.value(JSONFormat, "  ")
	var rules []jsonRule
	if ids == nil {
		ids = snap.IDs()
		if g := groupsToJSON(snap.Groups()); g != nil {
			jw.raw(",\n  \"groups\": ")
			jw.value(g, "  ")
		}
		rules = rulesToJSON(snap, snap.RuleIDs())
	} else {
		rules = rulesToJSON(snap, ids)
	}
	if len(rules) > 0 {
		jw.raw(",\n  \"subsets\": ")
		jw.value(rules, "  ")
	}
	jw.raw(",\n  \"servants\": [")
	n := 0
	for _, id := range ids {
		if e, ok := snap.Stored(id); ok {
			jw.raw(map[bool]string{true: "\n    ", false: ",\n    "}[n == 0])
			jw.value(toJSON(e), "    ")
			n++
		}
	}
	if n > 0 {
		jw.raw("\n  ")
	}
	jw.raw("]\n}\n")
	if jw.err != nil {
		return jw.err
	}
	return bw.Flush()
}

// jsonWriter writes a JSON document piece by piece and keeps the first error.
type jsonWriter struct {
	w   *bufio.Writer
	err error
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

// value writes v indented as a member of the document at prefix's depth.
func (j *jsonWriter) value(v any, prefix string) {
	if j.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(b)
}

func groupsToJSON(g Groups) *jsonGroups {
	if g.Empty() {
		return nil
	}
	jg := &jsonGroups{Addresses: g.Addresses, Names: g.Names}
	for _, p := range g.Priorities {
		jg.Priorities = append(jg.Priorities, jsonPriority(p))
	}
	return jg
}

func rulesToJSON(snap *Snapshot, ids []string) []jsonRule {
	var out []jsonRule
	for _, id := range ids {
		if e, ok := snap.rules[id]; ok {
			r := e.Rule
			out = append(out, jsonRule{Servant: r.Servant, Enable: r.Enable, Type: r.Type, Data: r.Data, Rejected: r.Rejected})
		}
	}
	return out
}

func rulesFromJSON(jr []jsonRule) []SubsetRule {
	out := make([]SubsetRule, len(jr))
	for i, r := range jr {
		out[i] = SubsetRule{Servant: r.Servant, Enable: r.Enable, Type: r.Type, Data: r.Data, Rejected: r.Rejected}
	}
	return out
}

func groupsFromJSON(jg *jsonGroups) Groups {
	if jg == nil {
		return Groups{}
	}
	g := Groups{Addresses: jg.Addresses, Names: jg.Names}
	for _, p := range jg.Priorities {
		g.Priorities = append(g.Priorities, Priority(p))
	}
	return g
}

func toJSON(e *Entry) jsonServant {
	js := jsonServant{ID: e.Servant.ID, Version: FormatVersion(e.Version), Endpoints: make([]jsonEndpoint, len(e.Servant.Endpoints))}
	for i, ep := range e.Servant.Endpoints {
		js.Endpoints[i] = endpointJSON(&ep)
	}
	return js
}

// FormatVersion renders a record version as people and the JSON format see it.
func FormatVersion(v uint32) string { return fmt.Sprintf("%08x", v) }

// Document is a records document as read by ReadJSON, before any validation.
type Document struct {
	// Groups and Rules are the document's IDC groups and subset rules.
	Groups Groups
	Rules  []SubsetRule
	// Servants are its records in document order; Versions[i] is the version
	// Servants[i] claims, as FormatVersion writes it ("" when it claims none).
	Servants []Servant
	Versions []string
}

// ReadJSON reads a document written by WriteJSON. Unknown fields and another
// format are errors (ErrBadJSON); the records are neither validated nor checked
// against their versions, which is the reader's job (cache.ReadJSON does both).
func ReadJSON(r io.Reader) (Document, error) {
	var doc jsonDoc
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return Document{}, fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	if doc.Format != JSONFormat {
		return Document{}, fmt.Errorf("%w: format %q, want %q", ErrBadJSON, doc.Format, JSONFormat)
	}
	d := Document{Groups: groupsFromJSON(doc.Groups), Rules: rulesFromJSON(doc.Subsets),
		Servants: make([]Servant, len(doc.Servants)), Versions: make([]string, len(doc.Servants))}
	for i, js := range doc.Servants {
		d.Servants[i], d.Versions[i] = fromJSON(js), js.Version
	}
	return d, nil
}

func fromJSON(js jsonServant) Servant {
	s := Servant{ID: js.ID, Endpoints: make([]Endpoint, len(js.Endpoints))}
	for i, je := range js.Endpoints {
		s.Endpoints[i] = je.endpoint()
	}
	return s
}

// endpointJSON is the JSON form of ep, its fields in the document's order
// (TestEndpointJSON_carriesEveryField checks that none is left out).
func endpointJSON(ep *Endpoint) jsonEndpoint {
	return jsonEndpoint{Active: ep.Active, Proto: ep.Proto, Host: ep.Host, Port: ep.Port, Timeout: ep.Timeout,
		Weight: ep.Weight, WeightType: ep.WeightType, AuthType: ep.AuthType, BakFlag: ep.BakFlag, NodeName: ep.NodeName,
		EnableGroup: ep.EnableGroup, IPGroupName: ep.IPGroupName, EnableSet: ep.EnableSet,
		SetName: ep.SetName, SetArea: ep.SetArea, SetGroup: ep.SetGroup, Subset: ep.Subset, Origin: ep.Origin}
}

// endpoint is the Endpoint je describes.
func (je *jsonEndpoint) endpoint() Endpoint {
	return Endpoint{Active: je.Active, Proto: je.Proto, Host: je.Host, Port: je.Port, Timeout: je.Timeout,
		Weight: je.Weight, WeightType: je.WeightType, AuthType: je.AuthType, BakFlag: je.BakFlag, NodeName: je.NodeName,
		EnableGroup: je.EnableGroup, IPGroupName: je.IPGroupName, EnableSet: je.EnableSet,
		SetName: je.SetName, SetArea: je.SetArea, SetGroup: je.SetGroup, Subset: je.Subset, Origin: je.Origin}
}
