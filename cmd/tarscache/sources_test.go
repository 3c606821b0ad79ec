package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// writeDSNFile writes lines to a file of their own and returns its path.
func writeDSNFile(t *testing.T, content string) string {
	path := filepath.Join(t.TempDir(), "dsn")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// closedDSN names db_tars on a local port nothing listens on.
func closedDSN(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return fmt.Sprintf("root@tcp(%s)/db_tars", addr)
}

// Several DSNs: refused with the reason when they cannot work, never showing a
// password; sync reads the first that answers.
func TestSources_flags(t *testing.T) {
	data := filepath.Join(t.TempDir(), "tarscache.db")
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"same DSN twice", []string{"serve", "--data", data, "--admin", "off", "--dsn", "u:one@tcp(db:3306)/db_tars", "--dsn", "u:two@tcp(db:3306)/db_tars"},
			exitUsage, "DSN 1 and DSN 2 are the same (u:xxxxx@tcp(db:3306)/db_tars): name each source once"},
		{"DSN file without a DSN", []string{"sync", "--data", data, "--dsn-file", writeDSNFile(t, "# primary first\n\n")},
			exitUsage, "the file holds no DSN"},
		{"migrate to two databases", []string{"db", "migrate", "--dsn", "u@tcp(a:3306)/db_tars", "--dsn", "u@tcp(b:3306)/db_tars"},
			exitUsage, "db migrate writes to one database: give one --dsn (the primary), got 2"},
		{"peer that is not a URL", []string{"serve", "--data", data, "--admin", "off", "--peer", "ftp://10.0.0.6:17891"},
			exitUsage, `--peer "ftp://10.0.0.6:17891": want the admin address of another replica`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireFailure(t, tc.code, tc.msg, tc.args...)
			_, _, errOut := runCLI(tc.args...)
			require.NotContains(t, errOut, "one@")
			require.NotContains(t, errOut, "two@")
		})
	}
}

// sync with a DSN file reads the first source that answers, in the file's order.
func TestSync_firstSourceThatAnswers(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	file := writeDSNFile(t, "# the nearest replica first\n"+closedDSN(t)+"\n\n"+db.DSN+"\n")
	data := filepath.Join(t.TempDir(), "tarscache.db")
	code, out, errOut := runCLI("sync", "--data", data, "--dsn-file", file)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "10 servants written")
	require.Contains(t, out, "\nread from "+sync.RedactDSN(db.DSN)+"\n")
	code, out, errOut = runCLI("dump", "--data", data, "--format", "tars")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "# data from: "+sync.RedactDSN(db.DSN)+" (since ", "the file keeps where its data came from")
}
