// Command sample loads the sample registry of testdata/ into a MySQL/MariaDB
// server for "make run": it recreates one database (tarscache_sample by default,
// never any other), runs testdata/db_tars.sql, sync/schema/subset.sql (tarscache's
// own tables) and testdata/sample.sql in it, and
// prints the DSN to use. It exits 3 when no server answers, so that "make run" can
// fall back to seeding the cache file instead.
package main
