package sync

import (
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Connection bounds applied to a DSN that does not set its own.
const (
	dialTimeout = 5 * time.Second
	ioTimeout   = 30 * time.Second
	maxConns    = 2
	connMaxLife = 5 * time.Minute
)

// OpenDB returns a small, bounded connection pool for dsn (go-sql-driver/mysql
// syntax, e.g. "root@tcp(127.0.0.1:3306)/db_tars"), with connect and I/O timeouts
// unless the DSN sets them. The driver's own messages (a connection found broken,
// say) go to log at debug level; nil discards them. It does not connect: the
// first query does.
func OpenDB(dsn string, log *slog.Logger) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("sync: parse DSN %s: %w", RedactDSN(dsn), err)
	}
	applyTimeouts(cfg)
	cfg.MultiStatements = true // the small tables are read in one round trip (readSmall)
	cfg.InterpolateParams = cfg.InterpolateParams || interpolationSafe(cfg)
	cfg.Logger = driverLog{log}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("sync: DSN %s: %w", RedactDSN(dsn), err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxLifetime(connMaxLife)
	return db, nil
}

// interpolationSafe says whether the driver may put a query's arguments into its
// text (one round trip, where a server-side prepared statement takes three): with
// the default connection charset and an ASCII-compatible collation, its escaping
// is sound. A DSN that names a charset keeps server-side placeholders.
func interpolationSafe(cfg *mysql.Config) bool {
	if strings.Contains(cfg.FormatDSN(), "charset=") {
		return false
	}
	for _, prefix := range []string{"utf8", "latin1", "ascii", "binary"} {
		if strings.HasPrefix(cfg.Collation, prefix) {
			return true
		}
	}
	return cfg.Collation == ""
}

// driverLog hands the MySQL driver's messages to slog.
type driverLog struct{ log *slog.Logger }

func (d driverLog) Print(v ...any) {
	if d.log != nil {
		d.log.Debug("mysql driver", "msg", strings.TrimSpace(fmt.Sprint(v...)))
	}
}

func applyTimeouts(cfg *mysql.Config) {
	if cfg.Timeout == 0 {
		cfg.Timeout = dialTimeout
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = ioTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = ioTimeout
	}
}

// RedactDSN returns dsn with its password replaced, fit for logs and errors. A DSN
// that does not parse is replaced whole, since it might hold a password anywhere.
func RedactDSN(dsn string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	if cfg.Passwd != "" {
		cfg.Passwd = "xxxxx"
	}
	return cfg.FormatDSN()
}
