package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/internal/doctor"
)

// doctorTimeout bounds a whole doctor run against the database.
const doctorTimeout = time.Minute

// doctorOptions are the settings of "tarscache doctor".
type doctorOptions struct {
	dsns   []string
	data   string
	admin  string
	token  string
	format string
	now    func() time.Time
}

func doctorCommand() *cli.Command {
	o := doctorOptions{now: time.Now}
	return &cli.Command{
		Name:  "doctor",
		Usage: "check a registry for the mistakes that mislead Tars discovery; exit 1 when one is an error",
		Description: `Reads db_tars (--dsn) as the official registry's full load does and reports, each with
its severity, the rows involved, what the official registry does with them and the fix:
  errors:   one host:port claimed by two servers or servants, endpoints that do not parse,
            no active endpoint for tars.tarsregistry.QueryObj, subset rules rejected,
            this host's clock ahead of the database's by more than the official
            incremental window (run doctor on the registry's host)
  warnings: smaller clock differences, group rule entries that cannot match (CIDR
            blocks, other wildcards, blanks), entries in two groups, stations named
            twice, unknown ip_group_name, set names that do not validate, servants with
            no active endpoint or whose every row is dropped, servant ids differing
            only in case, adapters without a server row, t_registry_info empty or not
            heartbeating, nodes active long after their last heartbeat
  notes:    priority rows naming groups no rule defines
With --data (a cache file) or --admin (a running server) it checks what records show:
the database-only checks (clock, unparsable rows, adapters, heartbeats) are left out.
Exits 0 when nothing is an error, 1 otherwise, so a Tars site can run it in its CI.

Examples:
   tarscache doctor --dsn-file /etc/tarscache/dsn
   tarscache doctor --dsn 'user:pass@tcp(db:3306)/db_tars' --format json
   tarscache doctor --data /var/lib/tarscache/tarscache.db`,
		Flags: append(dsnFlags(&o.dsns),
			&cli.StringFlag{Name: "data", EnvVars: []string{"TARSCACHE_DOCTOR_DATA"}, Destination: &o.data,
				Usage: "check the records of cache `FILE` instead of the database"},
			&cli.StringFlag{Name: "admin", EnvVars: []string{"TARSCACHE_DOCTOR_ADMIN"}, Destination: &o.admin,
				Usage: "check the records of the running server whose admin API is at `URL` instead of the database"},
			&cli.StringFlag{Name: "format", Value: "text", EnvVars: []string{"TARSCACHE_FORMAT"}, Destination: &o.format,
				Usage: "output `FORMAT`: text (for people) or json (for machines)"},
			adminTokenFlag(&o.token),
		),
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("doctor takes no arguments, got %q", c.Args().Slice())
			}
			if o.data != "" && o.admin != "" {
				return usageErrorf("give --data FILE or --admin URL, not both")
			}
			return runDoctor(c.Context, c.App.Writer, o)
		},
	}
}

func runDoctor(ctx context.Context, w io.Writer, o doctorOptions) error {
	if o.format != "text" && o.format != "json" {
		return usageErrorf("--format %q: want text or json", o.format)
	}
	r, err := diagnose(ctx, o)
	if err != nil {
		return err
	}
	write := r.WriteText
	if o.format == "json" {
		write = r.WriteJSON
	}
	if err := write(w); err != nil {
		return err
	}
	if r.Errors > 0 {
		return fmt.Errorf("doctor: %d errors in %s (%d warnings)", r.Errors, r.Source, r.Warnings)
	}
	return nil
}

// diagnose checks the records of --data or --admin, else the database.
func diagnose(ctx context.Context, o doctorOptions) (*doctor.Report, error) {
	if o.data != "" || o.admin != "" {
		d, err := load(dumpOptions{data: o.data, admin: o.admin, token: o.token})
		if err != nil {
			return nil, err
		}
		return doctor.Snapshot(d.snap, d.source), nil
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	db, name, err := openFirst(ctx, o.dsns, nil)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return doctor.Database(ctx, db, name, doctor.Options{Now: o.now})
}
