// Package mariadbtest starts private MariaDB servers for tests that must stop,
// restart or reconfigure a server (replication, failover), which the shared
// server of package testdb must never be.
//
// Each Server runs the machine's mariadbd (TARSCACHE_TEST_MARIADBD, else
// mariadbd on PATH, else /usr/sbin/mariadbd) on its own data directory under the
// test's temporary directory, on a free loopback port, with its binary log on
// and GTIDs logged for replicated transactions too (log_slave_updates), so that
// any server can be promoted. root may connect over TCP without a password. The
// data directory is made by mariadb-install-db. When the binaries are missing,
// the test fails: it is never skipped.
//
// What it does not do: it never touches the shared server of package testdb, and
// it is not a general MariaDB manager: one server per call, root without a
// password, loopback only.
//
// Concurrency: a Server's methods must be called from the test's goroutine. The
// server process is owned by the Server; Stop ends it, and the test's cleanup
// kills whatever is still running.
package mariadbtest
