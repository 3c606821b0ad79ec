package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

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

// importRecords writes the records of o.file into a new cache file that replaces
// o.data whole once complete: the result holds exactly the document, counts as
// never synced (no last-sync time of an earlier database survives), and a failed
// import leaves o.data as it was, or absent.
func importRecords(w, stderr io.Writer, o importOptions) error {
	st, err := readRecords(o.file, stderr)
	if err != nil {
		return err
	}
	path, plan, release, err := importTarget(o, &st)
	if err != nil {
		return err
	}
	defer release()
	n := len(st.Servants)
	line := progress.Start(stderr, fmt.Sprintf("writing %d servants to %s", n, o.data), nil, progress.Options{})
	err = buildAndRename(path, func(c *cache.Cache) error {
		_, err := c.Apply(st)
		return err
	})
	line.Stop()
	if err != nil {
		return fmt.Errorf("import %s: %w", o.file, err)
	}
	fmt.Fprintf(w, "imported %d servants into %s (%d written, %d deleted, %d unchanged)\n",
		n, o.data, len(plan.Added)+len(plan.Changed), len(plan.Removed), plan.Unchanged)
	return nil
}

// importTarget checks that o.data may be replaced by st and returns the path to
// write (a symbolic link's target), what replacing the current records changes,
// and a func that releases the current file. The current file stays open, and so
// locked against a "tarscache serve", until released.
func importTarget(o importOptions, st *cache.State) (string, cache.Plan, func(), error) {
	none := func() {}
	if _, err := os.Lstat(o.data); errors.Is(err, fs.ErrNotExist) {
		return o.data, cache.Plan{Added: make([]string, len(st.Servants))}, none, checkDataPath(o.data, false)
	}
	path, err := filepath.EvalSymlinks(o.data)
	if err != nil {
		return "", cache.Plan{}, none, fmt.Errorf("cache file %s: %w", o.data, pathErr(err))
	}
	c, err := openData(path, cache.Options{})
	if err != nil {
		return "", cache.Plan{}, none, err
	}
	release := func() { _ = c.Close() }
	if n := c.Snapshot().Len(); n > 0 && !o.replace {
		release()
		return "", cache.Plan{}, none, fmt.Errorf("import: %s already holds %d servants: use --replace to overwrite them", o.data, n)
	}
	plan, err := c.Plan(*st)
	if err != nil {
		release()
		return "", cache.Plan{}, none, fmt.Errorf("import %s: %w", o.file, err)
	}
	return path, plan, release, nil
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
