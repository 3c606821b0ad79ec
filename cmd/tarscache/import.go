package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/progress"
)

// importOptions are the settings of "tarscache import".
type importOptions struct {
	data    string
	replace bool
	file    string
}

func importCommand() *cli.Command {
	var o importOptions
	return &cli.Command{
		Name:      "import",
		Usage:     "load records from a JSON document (written by dump --format json) into a cache file",
		ArgsUsage: "RECORDS.json",
		Description: `Validates the whole document first and writes nothing if any record is bad. A file that
already holds records is only replaced with --replace. The file must not be held by a
running "tarscache serve". On a terminal, stderr shows how much has been read.

Example:
   tarscache import --data tarscache.db testdata/sample.records.json`,
		Flags: []cli.Flag{
			dataFlag(&o.data),
			&cli.BoolFlag{Name: "replace", EnvVars: []string{"TARSCACHE_REPLACE"}, Destination: &o.replace,
				Usage: "replace the records of a non-empty file"},
		},
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("import takes one RECORDS.json argument, got %d", c.NArg())
			}
			o.file = c.Args().First()
			return importRecords(c.App.Writer, c.App.ErrWriter, o)
		},
	}
}

func importRecords(w, stderr io.Writer, o importOptions) error {
	st, err := readRecords(o.file, stderr)
	if err != nil {
		return err
	}
	c, err := cache.Open(o.data, cache.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	if n := c.Snapshot().Len(); n > 0 && !o.replace {
		return fmt.Errorf("import: %s already holds %d servants: use --replace to overwrite them", o.data, n)
	}
	n := len(st.Servants)
	line := progress.Start(stderr, fmt.Sprintf("writing %d servants to %s", n, o.data), nil, progress.Options{})
	stats, err := c.Apply(st)
	line.Stop()
	if err != nil {
		return fmt.Errorf("import %s: %w", o.file, err)
	}
	fmt.Fprintf(w, "imported %d servants into %s (%d written, %d deleted, %d unchanged)\n",
		n, o.data, stats.Written, stats.Deleted, stats.Unchanged)
	return nil
}

// readRecords reads and validates the records document at path, showing on a
// terminal (stderr) how much of it has been read.
func readRecords(path string, stderr io.Writer) (cache.State, error) {
	f, err := os.Open(path)
	if err != nil {
		return cache.State{}, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	n := progress.NewCounter(fileSize(f))
	line := progress.Start(stderr, "reading "+path, n.Status, progress.Options{})
	st, err := cache.ReadJSON(n.Reader(f))
	line.Stop()
	if err != nil {
		return cache.State{}, fmt.Errorf("import %s: %w", path, err)
	}
	return st, nil
}

// fileSize is f's size, or 0 when it has none (a pipe).
func fileSize(f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	return fi.Size()
}
