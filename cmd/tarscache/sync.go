package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/progress"
	"github.com/tarscache/tarscache/sync"
)

// syncOptions are the settings of "tarscache sync".
type syncOptions struct {
	dsns       []string
	data       string
	protect    float64
	acceptHeld bool
	dryRun     bool
	logFormat  string
	logLevel   string
}

func syncCommand() *cli.Command {
	var o syncOptions
	return &cli.Command{
		Name:  "sync",
		Usage: "read db_tars once into the cache file, then exit",
		Description: `Runs one sync, as serve does at every interval, and prints what it wrote. A fetch that
would take away more than --protect-threshold of the servants or of the active endpoints
(or every servant) is held: nothing is written and the command fails, saying why. Check
the database, then rerun with --accept-held to apply it. The file must not be held by a
running "tarscache serve". With several DSNs (--dsn repeated, or --dsn-file) it reads
the first that answers, in their order, and prints which.

With --dry-run it reads every table and prints the servants it would add (+), change (~)
and remove (-), and whether it would be held, without writing anything. On a terminal,
stderr shows the sync in progress and how long it has taken.

Examples:
   tarscache sync --dsn 'tars:secret@tcp(db.example:3306)/db_tars' --data /var/lib/tarscache/tarscache.db
   tarscache sync --dry-run --dsn 'tars:secret@tcp(db.example:3306)/db_tars' --data /var/lib/tarscache/tarscache.db`,
		Flags: append(dsnFlags(&o.dsns), dataFlag(&o.data), protectFlag(&o.protect),
			&cli.BoolFlag{Name: "accept-held", EnvVars: []string{"TARSCACHE_ACCEPT_HELD"}, Destination: &o.acceptHeld,
				Usage: "apply the fetch even if it would take away more than --protect-threshold"},
			&cli.BoolFlag{Name: "dry-run", EnvVars: []string{"TARSCACHE_DRY_RUN"}, Destination: &o.dryRun,
				Usage: "print which servants the sync would add, change and remove, and whether it would be held; write nothing"},
			&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: []string{"TARSCACHE_LOG_FORMAT"}, Destination: &o.logFormat,
				Usage: "log `FORMAT` on stderr: text (logfmt) or json"},
			&cli.StringFlag{Name: "log-level", Value: "error", EnvVars: []string{"TARSCACHE_LOG_LEVEL"}, Destination: &o.logLevel,
				Usage: "lowest `LEVEL` logged on stderr: debug, info, warn or error (the report on stdout names every rejected row)"},
		),
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("sync takes no arguments, got %q", c.Args().Slice())
			}
			log, err := newLogger(c.App.ErrWriter, o.logFormat, o.logLevel)
			if err != nil {
				return err
			}
			return syncOnce(c.Context, c.App.Writer, c.App.ErrWriter, o, log)
		},
	}
}

func protectFlag(dst *float64) cli.Flag {
	return &cli.Float64Flag{Name: "protect-threshold", Value: sync.DefaultProtectThreshold, EnvVars: []string{"TARSCACHE_PROTECT_THRESHOLD"},
		Destination: dst, Action: percentIn0To100, Usage: "hold a fetch that takes away more than this `PERCENT` of the servants or of the active endpoints " +
			"(0: hold only a fetch that removes every servant)"}
}

// percentIn0To100 refuses a --protect-threshold outside 0..100.
func percentIn0To100(_ *cli.Context, v float64) error {
	if v < 0 || v > 100 {
		return usageErrorf("--protect-threshold %v: want a percentage from 0 to 100", v)
	}
	return nil
}

// syncerThreshold maps the flag's 0 ("only the every-servant rule") to the Syncer's
// negative threshold.
func syncerThreshold(percent float64) float64 {
	if percent <= 0 {
		return -1
	}
	return percent
}

// syncOnce runs one sync into o.data, or previews it with o.dryRun. A file the
// sync would create is only left behind when the sync succeeds.
func syncOnce(ctx context.Context, w, stderr io.Writer, o syncOptions, log *slog.Logger) (err error) {
	if err := checkDSNs(o.dsns); err != nil {
		return err
	}
	if err := checkDataPath(o.data, false); err != nil {
		return err
	}
	if o.dryRun {
		return dryRunOnce(ctx, w, stderr, o, log)
	}
	db, name, err := openFirst(ctx, o.dsns, log)
	if err != nil {
		return err
	}
	defer db.Close()
	cleanup := createdOnFailure(o.data)
	c, err := openData(o.data, cache.Options{Logger: log})
	if err != nil {
		cleanup(err)
		return err
	}
	defer func() {
		err = errors.Join(err, c.Close())
		cleanup(err)
	}()
	s := sync.NewFromSources([]sync.Source{{Name: name, DB: db}}, c, sync.Options{ProtectThreshold: syncerThreshold(o.protect), Logger: log})
	if o.acceptHeld {
		s.AcceptHeld()
	}
	line := progress.Start(stderr, "syncing "+o.data+" from db_tars", nil, progress.Options{})
	res, err := s.SyncOnce(ctx)
	line.Stop()
	if err != nil {
		return err
	}
	if res.Held != nil {
		return errors.New("sync held, nothing written: " + res.Held.Reason + "; check db_tars, then rerun with --accept-held to apply it")
	}
	fmt.Fprintf(w, "synced %s: %d servants written, %d deleted, %d unchanged, groups changed: %t; %d rows read, %d rejected; "+
		"subset rules: %d written, %d deleted, %d rejected\n",
		o.data, res.Apply.Written, res.Apply.Deleted, res.Apply.Unchanged, res.Apply.GroupsChanged, res.Report.Rows, len(res.Report.Rejected),
		res.Apply.RulesWritten, res.Apply.RulesDeleted, len(res.RejectedRules))
	if len(o.dsns) > 1 {
		fmt.Fprintf(w, "read from %s\n", name)
	}
	printRejectedRows(w, res.Report.Rejected)
	printRejectedRules(w, res.RejectedRules)
	return nil
}

// printRejectedRows names each row a sync rejects and why, one per line.
func printRejectedRows(w io.Writer, rej []sync.Rejection) {
	for _, r := range rej {
		fmt.Fprintf(w, "rejected: %s\n", strings.TrimPrefix(r.Err.Error(), "sync: "))
	}
}

// dryRunOnce previews a sync into o.data; a file that does not exist yet is
// previewed as an empty one, and nothing is created.
func dryRunOnce(ctx context.Context, w, stderr io.Writer, o syncOptions, log *slog.Logger) error {
	db, _, err := openFirst(ctx, o.dsns, log)
	if err != nil {
		return err
	}
	defer db.Close()
	path := o.data
	if _, err := os.Lstat(o.data); errors.Is(err, fs.ErrNotExist) {
		dir, err := os.MkdirTemp("", "tarscache-dry-run-")
		if err != nil {
			return fmt.Errorf("dry run: %w", err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "tarscache.db")
		fmt.Fprintf(w, "%s does not exist yet: the sync would create it\n", o.data)
	}
	c, err := openData(path, cache.Options{ReadOnly: path == o.data, Logger: log})
	if err != nil {
		return err
	}
	defer c.Close()
	s := sync.New(db, c, sync.Options{ProtectThreshold: syncerThreshold(o.protect), Logger: log})
	return dryRun(ctx, w, stderr, s, o.data)
}

// printRejectedRules lists the subset rule rows a sync rejects, one per line.
func printRejectedRules(w io.Writer, errs []error) {
	for _, err := range errs {
		fmt.Fprintf(w, "rejected: %v\n", err)
	}
}

// dryRun prints what a sync would change, one servant per line, and writes nothing.
func dryRun(ctx context.Context, w, stderr io.Writer, s *sync.Syncer, data string) error {
	line := progress.Start(stderr, "reading db_tars (dry run)", nil, progress.Options{})
	p, err := s.Preview(ctx)
	line.Stop()
	if err != nil {
		return err
	}
	pl := p.Plan
	fmt.Fprintf(w, "dry run, nothing written to %s: %d servants would be added, %d changed, %d removed, %d unchanged; groups changed: %t; %d rows read, %d rejected\n",
		data, len(pl.Added), len(pl.Changed), len(pl.Removed), pl.Unchanged, pl.GroupsChanged, p.Report.Rows, len(p.Report.Rejected))
	for _, l := range []struct {
		mark string
		ids  []string
	}{{"+", pl.Added}, {"~", pl.Changed}, {"-", pl.Removed}, {"~ subset rule of", pl.RulesChanged}, {"- subset rule of", pl.RulesRemoved}} {
		for _, id := range l.ids {
			fmt.Fprintf(w, "%s %s\n", l.mark, shown(id))
		}
	}
	printRejectedRows(w, p.Report.Rejected)
	printRejectedRules(w, p.RejectedRules)
	if p.HeldReason != "" {
		fmt.Fprintf(w, "the sync would be held: %s\n", p.HeldReason)
	}
	return nil
}
