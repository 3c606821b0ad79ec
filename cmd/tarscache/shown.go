package main

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// shown returns s as human outputs (dump's table and tars formats, query's
// table) print text read from the registry: as it is when s is valid UTF-8 made
// of printable characters (letters, marks, numbers, punctuation, symbols and the
// ASCII space), otherwise quoted as a Go string literal ("a\nb", "\x1b[2J",
// "\u202e"), so that no record can forge an output line or send escape
// sequences to a terminal. JSON outputs escape such characters themselves.
func shown(s string) string {
	if printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// printable reports whether s is valid UTF-8 of printable characters only.
func printable(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
