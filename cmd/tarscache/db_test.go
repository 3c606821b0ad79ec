package main

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// dbWithoutOurTables returns a test database holding the official db_tars tables
// only, as an operator's db_tars before its first migration.
func dbWithoutOurTables(t *testing.T) *testdb.DB {
	db := testdb.New(t)
	db.Exec(t, "DROP TABLE t_subset_rule, t_server_subset")
	return db
}

// tableCount is how many of tarscache's tables the test database holds.
func tableCount(t *testing.T, db *testdb.DB) int {
	var n int
	require.NoError(t, db.SQL.QueryRow(`SELECT COUNT(*) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('t_subset_rule', 't_server_subset')`).Scan(&n))
	return n
}

// selectOnlyDSN creates a MySQL user, dropped when the test ends, who may only
// SELECT in db, and returns db's DSN as that user, with password.
func selectOnlyDSN(t *testing.T, db *testdb.DB, password string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	user := "tc_ro_" + hex.EncodeToString(b)
	db.Exec(t, "CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+password+"'")
	t.Cleanup(func() { db.Exec(t, "DROP USER IF EXISTS '"+user+"'@'%'") })
	db.Exec(t, "GRANT SELECT ON `"+db.Name+"`.* TO '"+user+"'@'%'")
	cfg, err := mysql.ParseDSN(db.DSN)
	require.NoError(t, err)
	cfg.User, cfg.Passwd = user, password
	return cfg.FormatDSN()
}

// db migrate creates tarscache's tables on a db_tars without them, one line per
// table; run again, it says they are there.
func TestDB_migrateCreatesThenSaysExisting(t *testing.T) {
	db := dbWithoutOurTables(t)
	code, out, errOut := runCLI("db", "migrate", "--dsn", db.DSN)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "created t_subset_rule\ncreated t_server_subset\n", out)
	require.Equal(t, 2, tableCount(t, db))

	code, out, errOut = runCLI("db", "migrate", "--dsn", db.DSN)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "t_subset_rule already exists (columns ok)\nt_server_subset already exists (columns ok)\n", out)
}

// db migrate --dry-run says what it would create, creates nothing, and shows the
// DSN without its password.
func TestDB_migrateDryRunCreatesNothing(t *testing.T) {
	db := dbWithoutOurTables(t)
	dsn := selectOnlyDSN(t, db, "s3cret-pw")
	code, out, errOut := runCLI("db", "migrate", "--dry-run", "--dsn", dsn)
	require.Equal(t, exitOK, code, errOut)
	require.Regexp(t, `^dry run, nothing changed in tc_ro_\w+:xxxxx@tcp\(.*\)/`+db.Name+`.*\nwould create t_subset_rule\nwould create t_server_subset\n$`, out)
	require.NotContains(t, out, "s3cret-pw")
	require.Equal(t, 0, tableCount(t, db))
}

// A user without the CREATE privilege gets exit 1 and one line saying to run the
// migration as an admin user once; the password is never shown. On a db_tars
// already migrated the same user passes: checking needs SELECT only.
func TestDB_migrateWithoutCreatePrivilege(t *testing.T) {
	db := dbWithoutOurTables(t)
	dsn := selectOnlyDSN(t, db, "s3cret-pw")
	code, _, errOut := runCLI("db", "migrate", "--dsn", dsn)
	require.Equal(t, exitFailure, code, errOut)
	require.Contains(t, errOut, "tarscache: sync: migrate: create t_subset_rule: Error 1142")
	require.Contains(t, errOut, "run it once as an admin user; serving needs only SELECT")
	require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	require.NotContains(t, errOut, "s3cret-pw")
	require.Equal(t, 0, tableCount(t, db))

	code, _, errOut = runCLI("db", "migrate", "--dsn", db.DSN)
	require.Equal(t, exitOK, code, errOut)
	code, out, errOut := runCLI("db", "migrate", "--dsn", dsn)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "t_server_subset already exists (columns ok)")
}

// db migrate fails with one line, and no password, on a database it cannot reach or
// a DSN it cannot read; misuse is a usage error.
func TestDB_migrateFailures(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unreachable", []string{"db", "migrate", "--dsn", "tars:s3cret-pw@tcp(127.0.0.1:1)/db_tars?timeout=1s"}, exitFailure, "127.0.0.1:1"},
		{"malformed DSN", []string{"db", "migrate", "--dsn", "s3cret-pw-no-at-sign"}, exitUsage, "--dsn (unparsable DSN): invalid DSN"},
		{"arguments", []string{"db", "migrate", "extra"}, exitUsage, `db migrate takes no arguments, got ["extra"]`},
		{"unknown subcommand", []string{"db", "upgrade"}, exitUsage, `unknown command "db upgrade"; run "tarscache help db" for the list`},
		{"unknown flag", []string{"db", "migrate", "--force"}, exitUsage, `unknown flag --force for tarscache db migrate; run "tarscache db migrate --help" for its flags`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireFailure(t, tc.code, tc.msg, tc.args...)
			_, _, errOut := runCLI(tc.args...)
			require.NotContains(t, errOut, "s3cret-pw")
		})
	}
}

// Every command and subcommand shows an example in --help, and each of its flags
// can be set from a TARSCACHE_* environment variable.
func TestDB_everySubcommandHasExampleAndEnvironmentVariables(t *testing.T) {
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			name := strings.TrimSpace(path + " " + cmd.Name)
			require.Contains(t, cmd.Description, "Example", "%s --help shows no example", name)
			for _, f := range cmd.Flags {
				envs := f.(cli.DocGenerationFlag).GetEnvVars()
				require.NotEmpty(t, envs, "%s --%s has no environment variable", name, f.Names()[0])
				for _, e := range envs {
					require.True(t, strings.HasPrefix(e, "TARSCACHE_"), "%s --%s: %s", name, f.Names()[0], e)
				}
			}
			walk(name, cmd.Subcommands)
		}
	}
	walk("", newApp(nil, nil).Commands)
}
