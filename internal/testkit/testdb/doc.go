// Package testdb gives each test its own MySQL/MariaDB database with the db_tars
// schema of testdata/, and drops it when the test ends. It never touches any other
// database.
//
// The server is TARSCACHE_TEST_MYSQL (a go-sql-driver DSN without a database name),
// by default root@tcp(127.0.0.1:3306)/. When no server answers, the test fails:
// integration tests are never skipped.
//
// It is a test helper: only _test.go files and internal/tools import it.
package testdb
