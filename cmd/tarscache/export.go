package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/progress"
)

// exportOptions are the settings of "tarscache export".
type exportOptions struct {
	data string
	out  string
}

func exportCommand() *cli.Command {
	var o exportOptions
	return &cli.Command{
		Name:  "export",
		Usage: "write the whole cache (every record and the IDC groups) as a JSON snapshot import reads",
		Description: `Writes the tarscache-records/1 document of the whole file: every servant with its
version, and the IDC group configuration. To carry a cache to another host during a
database outage: export here, copy the document, "tarscache import" there. With --out the
document is written to a temporary file beside it and renamed into place when complete,
so a failed export never leaves a partial document. On a terminal, stderr shows how
much has been written. The file must not be held by a
running "tarscache serve".

Examples:
   tarscache export --data tarscache.db --out tarscache.json
   tarscache export --data tarscache.db > tarscache.json`,
		Flags: []cli.Flag{
			dataFlag(&o.data),
			&cli.StringFlag{Name: "out", EnvVars: []string{"TARSCACHE_OUT"}, Destination: &o.out,
				Usage: "write the document to `FILE` (default: standard output)"},
		},
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("export takes no arguments, got %q", c.Args().Slice())
			}
			return export(c.App.Writer, c.App.ErrWriter, o)
		},
	}
}

func export(stdout, stderr io.Writer, o exportOptions) error {
	c, err := openData(o.data, cache.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()
	snap := c.Snapshot()
	n := progress.NewCounter(0)
	line := progress.Start(stderr, fmt.Sprintf("exporting %d servants", snap.Len()), n.Status, progress.Options{})
	write := func(w io.Writer) error { return snapshot.WriteJSON(n.Writer(w), snap, nil) }
	if o.out == "" {
		defer line.Stop()
		return write(stdout)
	}
	err = writeFileAtomically(o.out, write)
	line.Stop()
	if err != nil {
		return fmt.Errorf("export to %s: %w", o.out, err)
	}
	_, err = fmt.Fprintf(stderr, "exported %d servants to %s\n", snap.Len(), o.out)
	return err
}

// writeFileAtomically writes path through write into a temporary file in the same
// directory, synced and renamed into place only when write succeeded.
func writeFileAtomically(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	bw := bufio.NewWriter(tmp)
	err = errors.Join(write(bw), bw.Flush(), tmp.Sync(), tmp.Close())
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
