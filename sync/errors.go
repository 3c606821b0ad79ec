package sync

import (
	"fmt"
)

// RuleError is a t_subset_rule row that failed validation: the row as read and why.
type RuleError struct {
	Row RuleRow
	Err error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("sync: %s row of servant %s: %v", TableSubsetRule, short(e.Row.Servant), e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }
