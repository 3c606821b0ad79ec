package sync

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/cnum"
)

// GroupRuleRow is one t_server_group_rule row (NULLs as "").
type GroupRuleRow struct {
	ID, AllowIPRule, Name string
}

// PriorityRow is one t_group_priority row (NULLs as "").
type PriorityRow struct {
	ID, GroupList, Station string
}

// BuildGroups turns the IDC group tables into the configuration the registry
// loads: every '|'-separated allow_ip_rule token (untrimmed, empty ones dropped)
// maps to its rule's group_id, a later rule overwriting an earlier one;
// group_name maps to group_id; each priority's group_list is split on '|', ',' or
// ';' and each token read as TarsCpp's strto<int> reads it (atoi, or hexadecimal
// after "0x"). Rows arrive in the registry's
// order: rules by group_id, priorities by list_order.
//
// It also returns a warning for every token the registry cannot match the way an
// operator likely meant (CIDR blocks, wildcards other than "a.b.c.*", blanks,
// group ids that are not numbers). Warnings change nothing in the result.
func BuildGroups(rules []GroupRuleRow, prios []PriorityRow) (snapshot.Groups, []string) {
	g := snapshot.Groups{Addresses: map[string]int32{}, Names: map[string]int32{}}
	var warns []string
	for _, r := range rules {
		id := cnum.Int(r.ID)
		for _, tok := range splitAny(r.AllowIPRule, "|") {
			if len(tok) > cache.MaxTextBytes {
				warns = append(warns, fmt.Sprintf("sync: t_server_group_rule group_id=%s: allow_ip_rule token of %d bytes ignored: at most %d are stored",
					r.ID, len(tok), cache.MaxTextBytes))
				continue
			}
			g.Addresses[tok] = id
			warns = appendTokenWarning(warns, r.ID, tok)
		}
		switch {
		case len(r.Name) > cache.MaxTextBytes:
			warns = append(warns, fmt.Sprintf("sync: t_server_group_rule group_id=%s: group_name of %d bytes ignored: at most %d are stored",
				r.ID, len(r.Name), cache.MaxTextBytes))
		case r.Name != "":
			g.Names[r.Name] = id
		}
		if strings.Trim(r.Name, " \r\n\t") != r.Name {
			warns = append(warns, fmt.Sprintf("sync: t_server_group_rule group_id=%s: group_name %q has blanks at its ends; "+
				"ip_group_name is trimmed before it is looked up, so no server can name this group", r.ID, r.Name))
		}
	}
	for _, p := range prios {
		if len(p.Station) > cache.MaxTextBytes {
			warns = append(warns, fmt.Sprintf("sync: t_group_priority id=%s: station of %d bytes: the priority is ignored, at most %d bytes are stored",
				p.ID, len(p.Station), cache.MaxTextBytes))
			continue
		}
		pr, w := priority(p)
		g.Priorities = append(g.Priorities, pr)
		warns = append(warns, w...)
	}
	return g, warns
}

func priority(p PriorityRow) (snapshot.Priority, []string) {
	pr := snapshot.Priority{ID: cnum.Int(p.ID), Station: p.Station}
	var warns []string
	for _, tok := range splitAny(p.GroupList, "|,;") {
		id := cnum.Int(tok)
		if !readsAsWritten(tok) {
			warns = append(warns, fmt.Sprintf("sync: t_group_priority id=%s: group_list entry %q is not a group id and reads as %d", p.ID, tok, id))
		}
		pr.Groups = append(pr.Groups, id)
	}
	slices.Sort(pr.Groups)
	pr.Groups = slices.Compact(pr.Groups)
	return pr, warns
}

// splitAny splits s at any byte of seps, dropping empty parts (TC_Common::sepstr).
func splitAny(s, seps string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
}

func appendTokenWarning(warns []string, id, tok string) []string {
	if why := tokenProblem(tok); why != "" {
		warns = append(warns, fmt.Sprintf("sync: t_server_group_rule group_id=%s: allow_ip_rule entry %q %s; "+
			"the registry matches exact addresses and \"a.b.c.*\" only", id, tok, why))
	}
	return warns
}

func tokenProblem(tok string) string {
	switch {
	case strings.ContainsAny(tok, " \t\r\n\v\f"):
		return "has blanks, which are part of the match"
	case strings.Contains(tok, "/"):
		return "looks like a CIDR block but matches only a client named exactly that"
	case strings.Contains(tok, "*") && !isStarRule(tok):
		return "is a wildcard the registry never derives, so it matches only a client named exactly that"
	}
	return ""
}

// isStarRule reports whether tok has the form "a.b.c.*" with bytes written as
// printf's %u writes them, the only wildcards the registry's lookup derives.
func isStarRule(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 4 || parts[3] != "*" {
		return false
	}
	for _, p := range parts[:3] {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || strconv.FormatUint(n, 10) != p {
			return false
		}
	}
	return true
}

// readsAsWritten reports whether a group_list entry is a 32-bit decimal number (blanks
// around it and one sign allowed) or "0x" and hexadecimal digits, which strto<int>
// reads as the number they show.
func readsAsWritten(tok string) bool {
	t := strings.TrimSpace(tok)
	if hex, ok := strings.CutPrefix(tok, "0x"); ok {
		_, err := strconv.ParseUint(hex, 16, 32)
		return err == nil
	}
	_, err := strconv.ParseInt(t, 10, 32)
	return err == nil
}
