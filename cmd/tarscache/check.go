package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/tarscache/tarscache/cache"
)

func checkCommand() *cli.Command {
	var data string
	return &cli.Command{
		Name:  "check",
		Usage: "verify a cache file: bbolt's consistency and every record's CRC32 against its content",
		Description: `Opens the file read-only and reads all of it: bbolt's page consistency, the format
of every record and its CRC32 against its content, the IDC group configuration. Exits 0
and prints a summary when the file is sound, 1 with every problem found otherwise.
The file must not be held by a running "tarscache serve" (back it up through the admin
API and check the copy).

Example:
   tarscache check --data /var/lib/tarscache/tarscache.db`,
		Flags:        []cli.Flag{dataFlag(&data)},
		OnUsageError: subcommandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("check takes no arguments, got %q", c.Args().Slice())
			}
			return check(c.App.Writer, data)
		},
	}
}

func check(w io.Writer, data string) error {
	c, err := openData(data, cache.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Check(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s: ok, %d servants, last sync %s\n", data, c.Snapshot().Len(), lastSyncText(c))
	return err
}

// lastSyncText is the time of the file's last successful sync, for people.
func lastSyncText(c *cache.Cache) string {
	t := c.LastSync()
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}
