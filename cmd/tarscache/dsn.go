package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tarscache/tarscache/sync"
)

// dsnForm is the DSN syntax, for error messages.
const dsnForm = "want go-sql-driver syntax user:password@tcp(host:port)/db_tars"

// defaultDialTimeout is the connect timeout sync.OpenDB gives a DSN without one.
const defaultDialTimeout = 5 * time.Second

// checkDSN refuses, as a usage error, a DSN that cannot reach db_tars whatever the
// database does: one that does not parse (a mysql:// URL, a host without tcp(...))
// or names no database. Errors never show the password.
func checkDSN(dsn string) error {
	if scheme, _, ok := strings.Cut(dsn, "://"); ok && !strings.ContainsAny(scheme, "@(/") {
		return usageErrorf("--dsn is a %s:// URL: %s", scheme, dsnForm)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil && strings.Contains(err.Error(), "default addr for network") {
		return usageErrorf("--dsn: write the address as tcp(HOST:PORT): %s", dsnForm)
	}
	if err != nil {
		return usageErrorf("--dsn %s: %v; %s", sync.RedactDSN(dsn), err, dsnForm)
	}
	switch {
	case cfg.Net != "tcp" && cfg.Net != "tcp4" && cfg.Net != "tcp6" && cfg.Net != "unix":
		return usageErrorf("--dsn %s: network %q is not tcp or unix: write the address as tcp(host:port); %s",
			sync.RedactDSN(dsn), cfg.Net, dsnForm)
	case cfg.DBName == "":
		return usageErrorf("--dsn %s names no database: end it with /db_tars (%s)", sync.RedactDSN(dsn), dsnForm)
	}
	return nil
}

// openDB checks the DSN, opens it as sync.OpenDB does and connects once, so that
// a database that cannot be reached or refuses the user fails at once, naming the
// address and, when it does not answer, the connect timeout.
func openDB(ctx context.Context, dsn string, log *slog.Logger) (*sql.DB, error) {
	if err := checkDSN(dsn); err != nil {
		return nil, err
	}
	db, err := sync.OpenDB(dsn, log)
	if err != nil {
		return nil, err
	}
	cfg, _ := mysql.ParseDSN(dsn) // parsed by checkDSN
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	pingCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "i/o timeout") {
			return nil, fmt.Errorf("connect to MySQL at %s: no answer within %s (timeout=%s in the DSN waits longer)", cfg.Addr, timeout, 2*timeout)
		}
		return nil, fmt.Errorf("connect to MySQL at %s as %q: %w", cfg.Addr, cfg.User, err)
	}
	return db, nil
}
