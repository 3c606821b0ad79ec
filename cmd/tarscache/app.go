package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // bad flags or arguments
)

// version and commit are set at build time with -ldflags "-X main.version=...".
var (
	version = "dev"
	commit  = "unknown"
)

// errUsage marks an error in how the command was called.
var errUsage = errors.New("usage")

// usageErrorf returns an error that exits with exitUsage.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// run runs the CLI with args and returns the process exit code. Failures print one
// line on stderr. A panic (a bug) is reported the same way, never as a stack trace.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "tarscache: internal error: %v (a bug: please report it with the command line)\n", r)
			code = exitFailure
		}
	}()
	app := newApp(stdout, stderr)
	err := checkCommandName(app, args)
	if err == nil {
		err = app.Run(flagsFirst(app, args))
	}
	if err != nil {
		fmt.Fprintf(stderr, "tarscache: %s\n", oneLine(err))
		if errors.Is(err, errUsage) {
			return exitUsage
		}
		return exitFailure
	}
	return exitOK
}

// flagsFirst moves the flags of a subcommand ahead of its arguments, so that they
// may follow them ("route SERVANT --key K"): urfave/cli stops reading flags at the
// first argument. Everything after "--" stays an argument; commands with
// subcommands (db) are left as they are.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 3 {
		return args
	}
	cmd := app.Command(args[1])
	if cmd == nil || len(cmd.Subcommands) > 0 {
		return args
	}
	valued := valueFlags(cmd.Flags)
	var flags, rest []string
	for i := 2; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if name := strings.TrimLeft(a, "-"); valued[name] && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			rest = append(rest, a)
		}
	}
	return slices.Concat(args[:2], flags, rest)
}

// valueFlags returns the names of the flags that take a value (all but booleans).
func valueFlags(flags []cli.Flag) map[string]bool {
	out := map[string]bool{}
	for _, f := range flags {
		if _, isBool := f.(*cli.BoolFlag); isBool {
			continue
		}
		for _, n := range f.Names() {
			out[n] = true
		}
	}
	return out
}

// oneLine is err's message on one line: joined errors are separated by "; ".
func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:            "tarscache",
		Usage:           "answer Tars service discovery (QueryF) from a bbolt cache of db_tars",
		Version:         versionText(),
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		// urfave/cli adds --help only without a "help" command: ours (helpCommand).
		Flags:          []cli.Flag{cli.HelpFlag},
		ExitErrHandler: func(*cli.Context, error) {}, // run reports errors itself
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return flagUsage("", c.App.Flags, err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 { // unknown commands are refused before: see checkCommandName
				return usageErrorf("unknown command %q; run \"tarscache help\" for the list", c.Args().First())
			}
			c.App.Writer = c.App.ErrWriter
			_ = cli.ShowAppHelp(c)
			return usageErrorf("tarscache needs a command, e.g. \"tarscache serve\"; \"tarscache help COMMAND\" shows its flags")
		},
		Commands: []*cli.Command{serveCommand(), syncCommand(), dumpCommand(), exportCommand(), importCommand(), checkCommand(),
			queryCommand(), diffCommand(), routeCommand(), dbCommand(), versionCommand(), helpCommand()},
	}
}

// versionText is the version and commit --version prints. Without -ldflags (go
// build, go install) the commit comes from the VCS stamp Go puts in the binary.
func versionText() string {
	c := commit
	if info, ok := debug.ReadBuildInfo(); ok && c == "unknown" {
		c = vcsRevision(info.Settings)
	}
	return version + " (" + c + ")"
}

func vcsRevision(settings []debug.BuildSetting) string {
	rev, dirty := "unknown", ""
	for _, s := range settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	return rev + dirty
}

// newLogger returns the logger serve writes to w: format "text" or "json", at
// level "debug", "info", "warn" or "error".
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErrorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("--log-format %q: want text or json", format)
}

// subcommandUsage makes a command's flag errors usage errors that name the flag
// and say what it wants (see flagUsage).
func subcommandUsage(c *cli.Context, err error, _ bool) error {
	if c.Command == nil {
		return flagUsage("", nil, err)
	}
	return flagUsage(strings.TrimPrefix(c.Command.HelpName, "tarscache "), c.Command.Flags, err)
}
