package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWithClientsSection_places: the section replaces the marked one, else goes
// before the running-process section, else at the end.
func TestWithClientsSection_places(t *testing.T) {
	section := clientsBegin + "\nnew\n" + clientsEnd + "\n"
	cases := []struct{ name, doc, want string }{
		{"replaced", "# t\n\n" + clientsBegin + "\nold\n" + clientsEnd + "\n\n## Running process\n", "# t\n\n" + clientsBegin + "\nnew\n" + clientsEnd + "\n\n## Running process\n"},
		{"before running process", "# t\n\n## Running process\nx\n", "# t\n\n" + clientsBegin + "\nnew\n" + clientsEnd + "\n\n## Running process\nx\n"},
		{"appended", "# t\n", "# t\n\n" + clientsBegin + "\nnew\n" + clientsEnd + "\n"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, withClientsSection(c.doc, section), c.name)
	}
}

// TestThousands_separators: integers get comma separators, negatives too.
func TestThousands_separators(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 52355.4: "52,355", 1234567: "1,234,567", -1234: "-1,234"} {
		require.Equal(t, want, thousands(in))
	}
}
