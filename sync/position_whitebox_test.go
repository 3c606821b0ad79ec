package sync

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A source is behind when its GTID position lacks a transaction the data served
// holds; positions that cannot be compared never make it behind (the order of the
// DSNs decides).
func TestPosition_behindOf(t *testing.T) {
	maria := func(s string) position { p, err := parseMariaDBPos(s); require.NoError(t, err); return p }
	mysqlPos := func(s string) position { p, err := parseMySQLPos(s); require.NoError(t, err); return p }
	cases := []struct {
		name          string
		source, serve position
		behind        bool
	}{
		{"equal", maria("0-1-5"), maria("0-1-5"), false},
		{"ahead", maria("0-1-7"), maria("0-1-5"), false},
		{"replication stopped", maria("0-1-5"), maria("0-1-6"), true},
		{"promoted replica wrote more: old primary behind", maria("0-1-5"), maria("0-2-6"), true},
		{"old primary caught up", maria("0-2-6"), maria("0-2-6"), false},
		{"a domain never seen", maria("0-1-9"), maria("0-1-9,1-3-2"), true},
		{"more domains than served", maria("0-1-9,1-3-2"), maria("0-1-9"), false},
		{"replica that applied nothing", maria(""), maria("0-1-1"), true},
		{"nothing served yet", maria("0-1-1"), position{}, false},
		{"source without a position", position{}, maria("0-1-1"), false},
		{"MySQL subset", mysqlPos("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9"), mysqlPos("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5"), false},
		{"MySQL missing the tail", mysqlPos("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-4"), mysqlPos("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"), true},
		{"MySQL gap", mysqlPos("a:1-3:5-9"), mysqlPos("a:1-9"), true},
		{"MySQL touching intervals merge", mysqlPos("a:1-3:4-9,\nb:1"), mysqlPos("a:2-8,b:1"), false},
		{"MySQL against MariaDB: no comparison", mysqlPos("a:1"), maria("0-1-5"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			why := tc.source.behindOf(tc.serve)
			require.Equal(t, tc.behind, why != "", why)
		})
	}
}

func TestPosition_parseErrors(t *testing.T) {
	for _, s := range []string{"0-1", "x-1-2", "0-1-2-3", "0-1-99999999999999999999"} {
		_, err := parseMariaDBPos(s)
		require.Error(t, err, s)
	}
	for _, s := range []string{"uuid", "a:x", "a:5-3", "a:1-"} {
		_, err := parseMySQLPos(s)
		require.Error(t, err, s)
	}
}
