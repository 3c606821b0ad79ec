package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// This file turns mistakes in how tarscache is called into one line that says
// what was wrong and, where something close exists, what was meant: unknown
// commands and flags get a "did you mean ...?", values that do not parse say the
// form wanted. Every such error is a usage error (exit 2).

// checkCommandName refuses an unknown command, or an unknown subcommand of a
// command that has them (db), before urfave/cli would treat it as a help topic.
func checkCommandName(app *cli.App, args []string) error {
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return nil
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return unknownCommand(args[1], "", visibleNames(app.Commands))
	}
	if len(cmd.Subcommands) == 0 || len(args) < 3 || strings.HasPrefix(args[2], "-") {
		return nil
	}
	if cmd.Command(args[2]) == nil {
		return unknownCommand(args[2], cmd.Name+" ", visibleNames(cmd.Subcommands))
	}
	return nil
}

// unknownCommand is the usage error for a command name that does not exist.
func unknownCommand(name, parent string, known []string) error {
	hint := ""
	if s := suggest(name, known); s != "" {
		hint = fmt.Sprintf(" did you mean %q?", parent+s)
	}
	return usageErrorf("unknown command %q;%s run %q for the list", parent+name, hint, strings.TrimSpace("tarscache help "+parent))
}

// visibleNames are the names of the commands a user may type.
func visibleNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Names()...)
		}
	}
	return out
}

// The messages of Go's flag package and urfave/cli that flagUsage rewrites.
var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reNoValue   = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	reBadValue  = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:]*): `)
	reBadEnv    = regexp.MustCompile(`^could not parse "(.*)" as .* from env(?:ironment variable)? "?([^" ]+)"? for flag ([^: ]+):`)
	reSyntax    = regexp.MustCompile(`^bad flag syntax: (.*)$`)
)

// flagUsage rewrites a flag parsing error of the command named cmd (empty for
// tarscache itself) with flags: flags are named with two dashes, an unknown one
// gets the nearest known one, a value that does not parse gets the form wanted.
func flagUsage(cmd string, flags []cli.Flag, err error) error {
	msg := err.Error()
	where := "tarscache"
	if cmd != "" {
		where = "tarscache " + cmd
	}
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		return unknownFlag(cmd, where, m[1], flags)
	}
	if m := reNoValue.FindStringSubmatch(msg); m != nil {
		f := findFlag(flags, m[1])
		return usageErrorf("--%s needs a value (%s)", m[1], wanted(f))
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		f := findFlag(flags, m[2])
		return usageErrorf("--%s %q: want %s", m[2], m[1], wanted(f))
	}
	if m := reBadEnv.FindStringSubmatch(msg); m != nil {
		f := findFlag(flags, m[3])
		return usageErrorf("%s=%q (--%s): want %s", m[2], m[1], m[3], wanted(f))
	}
	if m := reSyntax.FindStringSubmatch(msg); m != nil {
		return usageErrorf("bad flag syntax %s: flags are --NAME or --NAME=VALUE; run \"%s --help\"", m[1], where)
	}
	return usageErrorf("%s", msg)
}

// unknownFlag is the usage error for a flag the command does not have: the
// nearest flag it has, or, for a flag given before the command, where it goes.
func unknownFlag(cmd, where, name string, flags []cli.Flag) error {
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	name, _, _ = strings.Cut(name, "=")
	hint := ""
	if s := suggest(name, names); s != "" {
		hint = fmt.Sprintf(" did you mean --%s?", s)
	} else if cmd == "" {
		hint = " flags of a command go after its name, e.g. \"tarscache dump --data FILE\";"
	}
	return usageErrorf("unknown flag --%s for %s;%s run \"%s --help\" for its flags", name, where, hint, where)
}

// findFlag returns the flag called name, or nil.
func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// wanted says in words what value a flag takes.
func wanted(f cli.Flag) string {
	switch f := f.(type) {
	case *cli.DurationFlag:
		return "a duration with a unit, e.g. 500ms, 2s, 5m or 72h"
	case *cli.IntFlag, *cli.Int64Flag:
		return "a whole number"
	case *cli.UintFlag, *cli.Uint64Flag:
		return "a whole number, 0 or more"
	case *cli.Float64Flag:
		return "a number"
	case *cli.BoolFlag:
		return "true or false (or no value)"
	case cli.DocGenerationFlag:
		if _, name, ok := strings.Cut(f.GetUsage(), "`"); ok {
			name, _, _ = strings.Cut(name, "`")
			return name
		}
	}
	return "a value"
}

// suggest returns the name of known nearest to name when it is near enough to
// be a typo (one edit for short names, two for longer ones) or name is its
// start, else "".
func suggest(name string, known []string) string {
	name = strings.ToLower(name)
	limit := 1
	if len(name) > 4 {
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, k := range known {
		d := editDistance(name, k)
		if len(name) >= 3 && strings.HasPrefix(k, name) {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == name {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance of a and b: insertions,
// deletions, substitutions and transpositions of neighbours each cost one.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	if len(x) > 64 || len(y) > 64 {
		return max(len(x), len(y))
	}
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// helpCommand is "tarscache help [COMMAND [SUBCOMMAND]]": the help of tarscache
// or of one command, on stdout.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:         "help",
		Usage:        "show the commands, or one command's flags and examples",
		ArgsUsage:    "[COMMAND [SUBCOMMAND]]",
		OnUsageError: subcommandUsage,
		Description: `The same as "tarscache COMMAND --help". Every flag can also be set from the
environment variable shown next to it.

Examples:
   tarscache help
   tarscache help serve
   tarscache help db migrate`,
		Action: func(c *cli.Context) error {
			topic := c.Args().Slice()
			if len(topic) > 2 {
				return usageErrorf("help takes a COMMAND and maybe a SUBCOMMAND, got %q", topic)
			}
			if len(topic) == 0 {
				return cli.ShowAppHelp(c)
			}
			args := append([]string{"tarscache"}, topic...)
			if err := checkCommandName(c.App, args); err != nil {
				return err
			}
			if len(topic) == 2 && len(c.App.Command(topic[0]).Subcommands) == 0 {
				return usageErrorf("%s has no subcommands", topic[0])
			}
			return c.App.Run(append(args, "--help"))
		},
	}
}

// versionCommand is "tarscache version", the same as "tarscache --version".
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:         "version",
		Usage:        "print the version and the commit tarscache was built from",
		OnUsageError: subcommandUsage,
		Description: `The same as "tarscache --version".

Example:
   tarscache version`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("version takes no arguments, got %q", c.Args().Slice())
			}
			cli.ShowVersion(c)
			return nil
		},
	}
}
