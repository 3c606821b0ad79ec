package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// DefaultServer is the server DSN used when TARSCACHE_TEST_MYSQL is unset.
const DefaultServer = "root@tcp(127.0.0.1:3306)/"

// DB is a test's own database.
type DB struct {
	// Name is the database's unique name.
	Name string
	// DSN connects to it (go-sql-driver syntax).
	DSN string
	// SQL is an open handle on it, closed at cleanup.
	SQL *sql.DB
}

// New creates a database named after the test, loads testdata/db_tars.sql (the
// official tables), sync/schema/subset.sql (tarscache's own, as the binary embeds
// them) and the given files of testdata/ (e.g. "sample.sql"), and drops it when the
// test ends.
func New(t testing.TB, files ...string) *DB {
	t.Helper()
	server := serverConfig(t)
	name := uniqueName(t.Name())
	admin := open(t, server.FormatDSN())
	exec(t, admin, "CREATE DATABASE `"+name+"` CHARACTER SET utf8")
	t.Cleanup(func() {
		_, err := admin.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		require.NoError(t, err)
		admin.Close()
	})
	cfg := server.Clone()
	cfg.DBName = name
	d := &DB{Name: name, DSN: cfg.FormatDSN(), SQL: open(t, cfg.FormatDSN())}
	t.Cleanup(func() { d.SQL.Close() })
	d.ExecFile(t, "db_tars.sql")
	b, err := os.ReadFile(SchemaFile())
	require.NoError(t, err)
	exec(t, d.SQL, string(b))
	for _, f := range files {
		d.ExecFile(t, f)
	}
	return d
}

// Exec runs statements (several allowed, separated by ';') in the test's database.
func (d *DB) Exec(t testing.TB, statements string, args ...any) {
	t.Helper()
	exec(t, d.SQL, statements, args...)
}

// ExecFile runs the statements of a file of testdata/.
func (d *DB) ExecFile(t testing.TB, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(TestdataDir(), name))
	require.NoError(t, err)
	exec(t, d.SQL, string(b))
}

// SchemaFile returns the path of sync/schema/subset.sql, the DDL of tarscache's own
// tables.
func SchemaFile() string {
	return filepath.Join(TestdataDir(), "..", "sync", "schema", "subset.sql")
}

// TestdataDir returns the repository's testdata directory.
func TestdataDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata")
}

func serverConfig(t testing.TB) *mysql.Config {
	dsn := os.Getenv("TARSCACHE_TEST_MYSQL")
	if dsn == "" {
		dsn = DefaultServer
	}
	cfg, err := mysql.ParseDSN(dsn)
	require.NoError(t, err, "TARSCACHE_TEST_MYSQL")
	cfg.MultiStatements = true
	cfg.ParseTime = false
	cfg.Timeout = 5 * time.Second
	return cfg
}

func open(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, db.PingContext(ctx), "integration tests need MySQL/MariaDB at %s (set TARSCACHE_TEST_MYSQL)", dsn)
	return db
}

func exec(t testing.TB, db *sql.DB, statements string, args ...any) {
	t.Helper()
	_, err := db.Exec(statements, args...)
	require.NoError(t, err)
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_]+`)

// uniqueName makes a database name from the test name and random bits, within
// MySQL's 64-character limit.
func uniqueName(test string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base := strings.ToLower(unsafeChars.ReplaceAllString(test, "_"))
	if len(base) > 40 {
		base = base[:40]
	}
	return fmt.Sprintf("tc_%s_%s", base, hex.EncodeToString(b))
}
