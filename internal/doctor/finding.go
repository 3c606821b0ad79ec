package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Severity is how much a finding matters.
type Severity string

// The severities, from most to least serious.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// rank orders severities for reports: errors first.
func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// Finding is one problem found in a registry.
type Finding struct {
	// Check names the check that found it, e.g. "endpoint-claimed-twice".
	Check string `json:"check"`
	// Severity is error, warning or info.
	Severity Severity `json:"severity"`
	// Summary says what is wrong, in one line.
	Summary string `json:"summary"`
	// Rows are the database rows (or records) involved, one line each.
	Rows []string `json:"rows"`
	// Official says what the official Tars registry does with those rows.
	Official string `json:"official"`
	// Fix says how to repair it.
	Fix string `json:"fix"`
}

// Report is the outcome of one run of the checks.
type Report struct {
	// Source names what was checked: a redacted DSN or a file.
	Source string `json:"source"`
	// Checks are the names of the checks that ran, in order.
	Checks []string `json:"checks"`
	// Findings are sorted by severity, then check, then summary.
	Findings []Finding `json:"findings"`
	// Errors, Warnings and Infos count the findings of each severity.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// finish sorts the findings and counts them.
func (r *Report) finish() {
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if d := a.Severity.rank() - b.Severity.rank(); d != 0 {
			return d
		}
		if c := strings.Compare(a.Check, b.Check); c != 0 {
			return c
		}
		return strings.Compare(a.Summary, b.Summary)
	})
	r.Errors, r.Warnings, r.Infos = 0, 0, 0
	for _, f := range r.Findings {
		switch f.Severity {
		case SeverityError:
			r.Errors++
		case SeverityWarning:
			r.Warnings++
		default:
			r.Infos++
		}
	}
}

// Only returns the findings of one check.
func (r *Report) Only(check string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("doctor: write report: %w", err)
	}
	return nil
}

// WriteText writes the report for people: each finding with its rows, what the
// official registry does and the fix, then a summary line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# source: %s\n", r.Source)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n%-7s %s: %s\n", strings.ToUpper(string(f.Severity)), f.Check, f.Summary)
		for _, row := range f.Rows {
			fmt.Fprintf(&b, "  row: %s\n", row)
		}
		fmt.Fprintf(&b, "  official registry: %s\n", f.Official)
		fmt.Fprintf(&b, "  fix: %s\n", f.Fix)
	}
	if len(r.Findings) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d errors, %d warnings, %d notes (%d checks: %s)\n", r.Errors, r.Warnings, r.Infos, len(r.Checks), strings.Join(r.Checks, ", "))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("doctor: write report: %w", err)
	}
	return nil
}
