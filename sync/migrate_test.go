package sync_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// ourTables are tarscache's own tables, in the order of schema/subset.sql.
var ourTables = []string{"t_subset_rule", "t_server_subset"}

// withoutOurTables returns a test database holding the official db_tars tables only,
// as an operator's db_tars before its first migration.
func withoutOurTables(t *testing.T) *testdb.DB {
	db := testdb.New(t)
	db.Exec(t, "DROP TABLE t_subset_rule, t_server_subset")
	return db
}

// openDB opens dsn as tarscache does and closes it when the test ends.
func openDB(t *testing.T, dsn string) *sql.DB {
	db, err := sync.OpenDB(dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// showCreateTables returns SHOW CREATE TABLE of every table of the database, by name.
func showCreateTables(t *testing.T, db *testdb.DB) map[string]string {
	rows, err := db.SQL.Query("SHOW TABLES")
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Close())
	out := map[string]string{}
	for _, n := range names {
		var name, create string
		require.NoError(t, db.SQL.QueryRow("SHOW CREATE TABLE `"+n+"`").Scan(&name, &create))
		out[n] = create
	}
	return out
}

// official is tables without tarscache's own.
func official(tables map[string]string) map[string]string {
	out := map[string]string{}
	for n, create := range tables {
		if !slices.Contains(ourTables, n) {
			out[n] = create
		}
	}
	return out
}

func steps(action string) []sync.MigrateStep {
	var out []sync.MigrateStep
	for _, n := range ourTables {
		out = append(out, sync.MigrateStep{Table: n, Action: action})
	}
	return out
}

// On a db_tars without them, Migrate creates tarscache's tables exactly as running
// schema/subset.sql whole does (what test databases get); run again, it changes nothing and says so. The official
// tables are left byte for byte as they were.
func TestMigrate_createsMissingTablesThenIsANoOp(t *testing.T) {
	db := withoutOurTables(t)
	before := showCreateTables(t, db)
	got, err := sync.Migrate(context.Background(), openDB(t, db.DSN), false)
	require.NoError(t, err)
	require.Equal(t, steps(sync.MigrateCreated), got)
	require.Equal(t, "created t_subset_rule", got[0].String())
	after := showCreateTables(t, db)
	require.Equal(t, before, official(after), "official tables must be untouched")
	reference := showCreateTables(t, testdb.New(t))
	for _, n := range ourTables {
		require.Equal(t, reference[n], after[n], "%s as schema/subset.sql creates it", n)
	}

	got, err = sync.Migrate(context.Background(), openDB(t, db.DSN), false)
	require.NoError(t, err)
	require.Equal(t, steps(sync.MigrateExists), got)
	require.Equal(t, "t_server_subset already exists (columns ok)", got[1].String())
	require.Equal(t, after, showCreateTables(t, db))
}

// A dry run reports what it would create and creates nothing.
func TestMigrate_dryRunChangesNothing(t *testing.T) {
	db := withoutOurTables(t)
	before := showCreateTables(t, db)
	got, err := sync.Migrate(context.Background(), openDB(t, db.DSN), true)
	require.NoError(t, err)
	require.Equal(t, steps(sync.MigrateWouldCreate), got)
	require.Equal(t, "would create t_subset_rule", got[0].String())
	require.Equal(t, before, showCreateTables(t, db))
}

// An existing t_subset_rule without columns tarscache needs is refused, naming
// them, and nothing is changed: neither that table nor the absent t_server_subset.
func TestMigrate_missingColumnIsRefused(t *testing.T) {
	db := withoutOurTables(t)
	db.Exec(t, "CREATE TABLE t_subset_rule (servant varchar(128) NOT NULL PRIMARY KEY, `Enable` char(1), rule_type varchar(16))")
	before := showCreateTables(t, db)
	got, err := sync.Migrate(context.Background(), openDB(t, db.DSN), false)
	require.EqualError(t, err, "sync: migrate: t_subset_rule exists without the column(s) tarscache needs: rule_data, registry_timestamp "+
		"(an existing table is never altered: add them or rename the table, then run the migration again)")
	var missing *sync.MissingColumnsError
	require.ErrorAs(t, err, &missing)
	require.Equal(t, []string{"rule_data", "registry_timestamp"}, missing.Columns)
	require.Empty(t, got)
	require.Equal(t, before, showCreateTables(t, db))
}

// A DSN without a database name is refused before anything is done.
func TestMigrate_dsnWithoutDatabase(t *testing.T) {
	db := withoutOurTables(t)
	cfg, err := mysql.ParseDSN(db.DSN)
	require.NoError(t, err)
	cfg.DBName = ""
	_, err = sync.Migrate(context.Background(), openDB(t, cfg.FormatDSN()), false)
	require.ErrorContains(t, err, "sync: migrate: the DSN names no database")
}
