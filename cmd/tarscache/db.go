package main

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/sync"
)

// migrateOptions are the settings of "tarscache db migrate".
type migrateOptions struct {
	dsns   []string
	dryRun bool
}

func dbCommand() *cli.Command {
	return &cli.Command{
		Name:  "db",
		Usage: "manage tarscache's own tables in db_tars (subcommand: migrate)",
		Description: `tarscache reads the official Tars tables of db_tars and two tables of its own,
t_subset_rule (subset rules) and t_server_subset (subset labels of server nodes).
"db migrate" creates the latter where they are absent; it never alters an official table.

Example:
   tarscache db migrate --dsn 'admin:secret@tcp(db.example:3306)/db_tars'`,
		OnUsageError:    subcommandUsage,
		HideHelpCommand: true,
		Subcommands:     []*cli.Command{migrateCommand()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("db: unknown subcommand %q, want migrate", c.Args().First())
			}
			return usageErrorf("db needs a subcommand: \"tarscache db migrate\"; \"tarscache help db migrate\" shows its flags")
		},
	}
}

func migrateCommand() *cli.Command {
	var o migrateOptions
	return &cli.Command{
		Name:  "migrate",
		Usage: "create tarscache's tables t_subset_rule and t_server_subset in db_tars where absent",
		Description: `For each of tarscache's own tables: creates it when absent; when present, checks that it
has every column tarscache needs and fails naming the missing ones. It never alters or
drops a table and never touches an official one, so running it again is harmless. It
prints one line per table, what it did.

This one command needs the CREATE privilege on the database: run it once as an admin
user. The user tarscache serves and syncs with needs only SELECT. With --dry-run it
prints what it would do and changes nothing.

Examples:
   tarscache db migrate --dsn 'admin:secret@tcp(db.example:3306)/db_tars'
   tarscache db migrate --dry-run --dsn 'tars:secret@tcp(db.example:3306)/db_tars'`,
		Flags: append(dsnFlags(&o.dsns),
			&cli.BoolFlag{Name: "dry-run", EnvVars: []string{"TARSCACHE_DRY_RUN"}, Destination: &o.dryRun,
				Usage: "print which tables would be created; change nothing"},
		),
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("db migrate takes no arguments, got %q", c.Args().Slice())
			}
			return migrate(c.Context, c.App.Writer, o)
		},
	}
}

// migrate runs sync.Migrate on the one DSN of o and prints its steps, one line per table.
func migrate(ctx context.Context, w io.Writer, o migrateOptions) error {
	if len(o.dsns) != 1 {
		return usageErrorf("db migrate writes to one database: give one --dsn (the primary), got %d", len(o.dsns))
	}
	dsn := o.dsns[0]
	db, err := openDB(ctx, dsn, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	steps, err := sync.Migrate(ctx, db, o.dryRun)
	if err == nil && o.dryRun {
		fmt.Fprintf(w, "dry run, nothing changed in %s\n", sync.RedactDSN(dsn))
	}
	for _, s := range steps {
		fmt.Fprintln(w, s)
	}
	return err
}
