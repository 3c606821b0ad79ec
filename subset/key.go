package subset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// notEntries is the reason given for rule data that is not an array of entries.
const notEntries = "not a JSON array of entries"

// Entry operations: the field that says when an entry hits.
const (
	opEqual   = "equal"   // the key equals the value
	opMatch   = "match"   // the value, a regex, matches the whole key
	opDefault = "default" // the value is the subset used when no other entry hits
)

// keyRule is a compiled key rule; it is immutable.
type keyRule struct {
	conds []entry // the equal and match entries, in order
	def   string  // the default subset; "" when there is none
}

// entry is one element of a key rule.
type entry struct {
	op    string         // opEqual, opMatch or opDefault
	value string         // the key, the regex or the default subset, as written
	route string         // the subset an equal or match entry routes to
	re    *regexp.Regexp // value anchored to the whole key, for opMatch
}

// keyParser accumulates a key rule while its entries are read.
type keyParser struct {
	entries   []entry
	defaultAt int // 1-based position of the default entry; 0 while there is none
}

// parseKey parses the rule data of a key rule.
func parseKey(data string) (*Rule, *RuleError) {
	dec := newDecoder(strings.NewReader(data))
	if bad := open(dec, '[', notEntries); bad != nil {
		return nil, bad
	}
	var p keyParser
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntax(notEntries, err)
		}
		if bad := p.add(raw); bad != nil {
			return nil, bad
		}
	}
	if bad := end(dec, data, "array", notEntries); bad != nil {
		return nil, bad
	}
	return p.rule()
}

// add parses the next entry from raw and appends it.
func (p *keyParser) add(raw json.RawMessage) *RuleError {
	n := len(p.entries) + 1
	if n > MaxEntries {
		return &RuleError{Reason: fmt.Sprintf("more than %d entries", MaxEntries)}
	}
	e, bad := parseEntry(raw)
	if bad == nil && e.op == opDefault && p.defaultAt > 0 {
		bad = &RuleError{Reason: fmt.Sprintf("a second default (the first is entry %d)", p.defaultAt)}
	}
	if bad != nil {
		bad.Entry = n
		return bad
	}
	if e.op == opDefault {
		p.defaultAt = n
	}
	p.entries = append(p.entries, e)
	return nil
}

// rule builds the Rule from the entries read.
func (p *keyParser) rule() (*Rule, *RuleError) {
	if len(p.entries) == 0 {
		return nil, &RuleError{Reason: "has no entries"}
	}
	k := &keyRule{}
	parts := make([]string, len(p.entries))
	names := make([]string, len(p.entries))
	for i, e := range p.entries {
		parts[i], names[i] = e.json(), e.route
		if e.op == opDefault {
			k.def, names[i] = e.value, e.value
			continue
		}
		k.conds = append(k.conds, e)
	}
	slices.Sort(names)
	canonical := "[" + strings.Join(parts, ",") + "]"
	return &Rule{canonical: canonical, subsets: slices.Compact(names), key: k}, nil
}

// parseEntry parses one entry, a JSON object such as {"equal": "vip", "route": "v2"}.
func parseEntry(raw json.RawMessage) (entry, *RuleError) {
	fields, bad := entryFields(raw)
	if bad != nil {
		return entry{}, bad
	}
	op, bad := operation(fields)
	if bad != nil {
		return entry{}, bad
	}
	route, hasRoute := fields["route"]
	if op == opDefault {
		return defaultEntry(fields[op], hasRoute)
	}
	return condEntry(op, fields[op], route, hasRoute)
}

// entryFields reads the fields of an entry object, each a string.
func entryFields(raw json.RawMessage) (map[string]string, *RuleError) {
	dec := newDecoder(bytes.NewReader(raw))
	if bad := open(dec, '{', "not a JSON object"); bad != nil {
		return nil, bad
	}
	fields := make(map[string]string, 2)
	for dec.More() {
		name, value, err := member(dec)
		if err != nil { // unreachable: raw is one valid JSON value
			return nil, syntax("not a JSON object", err)
		}
		if reason := addField(fields, name, value); reason != "" {
			return nil, &RuleError{Reason: reason}
		}
	}
	return fields, nil
}

// addField records field name with the value raw, or returns why it cannot.
func addField(fields map[string]string, name string, raw json.RawMessage) string {
	if name != "route" && !isOp(name) {
		return fmt.Sprintf("unknown field %s: want equal, match, default or route", clip(name))
	}
	if _, dup := fields[name]; dup {
		return fmt.Sprintf("field %q appears twice", name)
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return fmt.Sprintf("field %q is %s: want a string", name, clipRaw(raw))
	}
	fields[name] = s
	return ""
}

// isOp reports whether name is an entry operation.
func isOp(name string) bool {
	return name == opEqual || name == opMatch || name == opDefault
}

// operation returns the one operation among fields.
func operation(fields map[string]string) (string, *RuleError) {
	var ops []string
	for _, op := range []string{opEqual, opMatch, opDefault} {
		if _, ok := fields[op]; ok {
			ops = append(ops, op)
		}
	}
	switch len(ops) {
	case 0:
		return "", &RuleError{Reason: "has none of equal, match or default"}
	case 1:
		return ops[0], nil
	}
	listed := strings.Join(ops[:len(ops)-1], ", ") + " and " + ops[len(ops)-1]
	return "", &RuleError{Reason: "has " + listed + ": want exactly one of equal, match or default"}
}

// defaultEntry builds a default entry naming subset.
func defaultEntry(subset string, hasRoute bool) (entry, *RuleError) {
	if hasRoute {
		return entry{}, &RuleError{Reason: "a default takes no route: it names its subset itself"}
	}
	if reason := checkName(subset); reason != "" {
		return entry{}, &RuleError{Reason: "default: " + reason}
	}
	return entry{op: opDefault, value: subset}, nil
}

// condEntry builds an equal or match entry.
func condEntry(op, value, route string, hasRoute bool) (entry, *RuleError) {
	if !hasRoute {
		return entry{}, &RuleError{Reason: "missing route"}
	}
	if reason := checkName(route); reason != "" {
		return entry{}, &RuleError{Reason: "route: " + reason}
	}
	e := entry{op: op, value: value, route: route}
	if op == opMatch {
		var bad *RuleError
		e.re, bad = compileWhole(value)
		return e, bad
	}
	return e, nil
}

// compileWhole compiles expr as a Go (RE2) regexp that must match the whole key. expr
// is compiled alone first, so that a syntax error quotes what the operator wrote.
func compileWhole(expr string) (*regexp.Regexp, *RuleError) {
	_, err := regexp.Compile(expr)
	if err == nil {
		var re *regexp.Regexp
		if re, err = regexp.Compile(`^(?:` + expr + `)$`); err == nil {
			return re, nil
		}
	}
	return nil, &RuleError{Reason: "regex " + clip(expr), Err: err}
}

// json returns the entry in canonical form.
func (e *entry) json() string {
	if e.op == opDefault {
		return `{"default":` + quote(e.value) + `}`
	}
	return `{"` + e.op + `":` + quote(e.value) + `,"route":` + quote(e.route) + `}`
}

// route returns the route of the first entry that hits key, else the default.
func (k *keyRule) route(key string) (string, bool) {
	for i := range k.conds {
		if k.conds[i].hits(key) {
			return k.conds[i].route, true
		}
	}
	return k.def, k.def != ""
}

// hits reports whether an equal or match entry hits key.
func (e *entry) hits(key string) bool {
	if e.re != nil {
		return e.re.MatchString(key)
	}
	return e.value == key
}
