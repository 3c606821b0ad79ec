package subset

import (
	"errors"
	"strconv"
	"strings"
)

// ErrBadRule is matched (errors.Is) by every error Parse, FromConf and Compiler.Get
// return for a rule they reject. The error itself is a *RuleError that says why.
var ErrBadRule = errors.New("bad subset rule")

// RuleError is the error returned for a rejected rule. It names the rule type, the
// key-rule entry at fault and the reason, so an operator can fix the row of
// t_subset_rule from the message alone, for example
//
//	subset: key rule: entry 3: regex "^(": error parsing regexp: missing closing ): `^(`
//
// It matches ErrBadRule and, when there is one, the underlying JSON or regexp error.
type RuleError struct {
	RuleType string // "ratio" or "key"; "" when the rule type itself is unknown
	Entry    int    // 1-based position of the key-rule entry at fault; 0 for the rule as a whole
	Reason   string // what is wrong, e.g. `weight of "v2" is -1: want an integer >= 0`
	Err      error  // the JSON or regexp error behind Reason, or nil
}

// Error returns "subset: [<type> rule: ][entry <n>: ]<reason>[: <cause>]".
func (e *RuleError) Error() string {
	var b strings.Builder
	b.WriteString("subset: ")
	if e.RuleType != "" {
		b.WriteString(e.RuleType + " rule: ")
	}
	if e.Entry > 0 {
		b.WriteString("entry " + strconv.Itoa(e.Entry) + ": ")
	}
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns ErrBadRule and, when set, the underlying cause.
func (e *RuleError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrBadRule}
	}
	return []error{ErrBadRule, e.Err}
}
