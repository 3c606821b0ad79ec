package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/sync"
)

// defaultDSN is --dsn's default: db_tars on the local MySQL.
const defaultDSN = "root@tcp(127.0.0.1:3306)/db_tars"

// firstAttemptTimeout bounds serve's first attempt to reach a MySQL source, which
// decides whether a replica without data boots from a peer.
const firstAttemptTimeout = 10 * time.Second

// dsnFlags are --dsn (repeatable) and --dsn-file (one DSN a line); the file's
// DSNs replace --dsn's.
func dsnFlags(dst *[]string) []cli.Flag {
	*dst = []string{defaultDSN}
	return []cli.Flag{
		&cli.GenericFlag{Name: "dsn", Value: &dsnList{dst: dst}, EnvVars: []string{"TARSCACHE_DSN"},
			Usage: "MySQL `DSN` of db_tars (go-sql-driver syntax: user:password@tcp(host:port)/db_tars); repeat it to name " +
				"several sources, the preferred first (its nearest MySQL replica, then the primary, say): serve reads the " +
				"first that answers and takes the preferred one back once it answers again"},
		&cli.StringFlag{Name: "dsn-file", EnvVars: []string{"TARSCACHE_DSN_FILE"}, Action: dsnFileInto(dst),
			Usage: "read the DSNs from `FILE` instead of --dsn, one a line, the preferred first (blank lines and lines " +
				"starting with # are skipped), keeping the passwords out of the process list and the environment"},
	}
}

// dsnList is --dsn's value: the first use replaces the default, each later one
// adds a DSN. Its text (shown by --help) hides passwords.
type dsnList struct {
	dst *[]string
	set bool
}

func (l *dsnList) Set(v string) error {
	if !l.set {
		*l.dst, l.set = nil, true
	}
	*l.dst = append(*l.dst, v)
	return nil
}

func (l *dsnList) String() string {
	if l == nil || l.dst == nil {
		return ""
	}
	out := make([]string, len(*l.dst))
	for i, dsn := range *l.dst {
		out[i] = sync.RedactDSN(dsn)
	}
	return strings.Join(out, " ")
}

// dsnFileInto reads the DSNs of --dsn-file into dst. Errors name the file and
// the line, never a line's content.
func dsnFileInto(dst *[]string) func(*cli.Context, string) error {
	return func(c *cli.Context, path string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return usageErrorf("--dsn-file: %w", err)
		}
		var dsns []string
		for line := range strings.Lines(string(b)) {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				dsns = append(dsns, line)
			}
		}
		if len(dsns) == 0 {
			return usageErrorf("--dsn-file %s: the file holds no DSN", path)
		}
		warnIfShared(c.App.ErrWriter, "--dsn-file", path)
		*dst = dsns
		return nil
	}
}

// openSources opens a pool for each DSN, named by its redacted form. Two DSNs
// that read the same once their passwords are hidden are refused: logs and
// metrics could not tell them apart.
func openSources(dsns []string, log *slog.Logger) ([]sync.Source, error) {
	var srcs []sync.Source
	seen := map[string]int{}
	for i, dsn := range dsns {
		name := sync.RedactDSN(dsn)
		if j, dup := seen[name]; dup {
			closeSources(srcs)
			return nil, usageErrorf("DSN %d and DSN %d are the same (%s): name each source once", j+1, i+1, name)
		}
		seen[name] = i
		db, err := sync.OpenDB(dsn, log)
		if err != nil {
			closeSources(srcs)
			return nil, err
		}
		srcs = append(srcs, sync.Source{Name: name, DB: db})
	}
	return srcs, nil
}

func closeSources(srcs []sync.Source) {
	for _, s := range srcs {
		_ = s.DB.Close()
	}
}

// sourceNames are the names of srcs, for logs.
func sourceNames(srcs []sync.Source) []string {
	out := make([]string, len(srcs))
	for i, s := range srcs {
		out[i] = s.Name
	}
	return out
}

// firstAnswering returns the name of the first source that answers a ping, or
// an error joining each source's failure. It is serve's first attempt.
func firstAnswering(ctx context.Context, srcs []sync.Source) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, firstAttemptTimeout)
	defer cancel()
	var errs []error
	for _, s := range srcs {
		if err := ping(ctx, s.DB); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
			continue
		}
		return s.Name, nil
	}
	return "", errors.Join(errs...)
}

func ping(ctx context.Context, db *sql.DB) error {
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// sourcesView shows a Syncer's sources to the admin API, which knows nothing of
// package sync.
type sourcesView struct{ s *sync.Syncer }

func (v sourcesView) Sources() admin.SourceReport {
	r := v.s.Sources()
	out := admin.SourceReport{InUse: r.Current, Since: r.Since, Position: r.Position}
	for _, s := range r.Sources {
		out.Sources = append(out.Sources, admin.SourceState{Name: s.Name, State: s.State, Since: s.Since, Position: s.Position, Err: s.Err})
	}
	return out
}

// checkDSNs refuses, as a usage error, a DSN of the list that cannot reach
// db_tars whatever the database does (checkDSN).
func checkDSNs(dsns []string) error {
	for _, dsn := range dsns {
		if err := checkDSN(dsn); err != nil {
			return err
		}
	}
	return nil
}

// openFirst opens, for a one-shot command, the first DSN that answers (openDB),
// in their order, and returns its pool and its name (the DSN with its password
// hidden). When none answers, the error joins every DSN's.
func openFirst(ctx context.Context, dsns []string, log *slog.Logger) (*sql.DB, string, error) {
	if err := checkDSNs(dsns); err != nil {
		return nil, "", err
	}
	var errs []error
	for _, dsn := range dsns {
		db, err := openDB(ctx, dsn, log)
		if err == nil {
			return db, sync.RedactDSN(dsn), nil
		}
		errs = append(errs, err)
	}
	return nil, "", errors.Join(errs...)
}
