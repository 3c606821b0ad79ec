package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"syscall"
	"time"
)

// checkServeFlags refuses, as usage errors (exit 2, which the shipped systemd unit
// does not restart on), the serve settings that cannot work whatever the network
// and the database do: addresses that are not HOST:PORT, a DSN that does not
// parse or names no database, a --data path no file can have.
func checkServeFlags(o serveOptions) error {
	if err := checkAddr("--listen", o.listen, "127.0.0.1:17890 or 0.0.0.0:17890"); err != nil {
		return err
	}
	if o.admin != "off" {
		if err := checkAddr("--admin", o.admin, `127.0.0.1:17891, or "off"`); err != nil {
			return err
		}
	}
	if err := checkDSNs(o.dsns); err != nil {
		return err
	}
	if err := checkDataPath(o.data, false); err != nil {
		return usageErrorf("%v", err)
	}
	return nil
}

// checkAddr accepts a HOST:PORT to listen on (an empty host is every address,
// port 0 any free port).
func checkAddr(flag, addr, example string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		if p, perr := strconv.Atoi(port); perr == nil && p >= 0 && p <= 65535 {
			return nil
		}
	}
	return usageErrorf("%s %q: want HOST:PORT, e.g. %s", flag, addr, example)
}

// portInUse adds to a failure to listen on an address already in use which flag
// picks another: 17890 and 17891 are also the official registry's ports.
func portInUse(err error, flag, addr string) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return err
	}
	return fmt.Errorf("%w (another tarscache or a Tars registry on %s? %s picks another address)", err, addr, flag)
}

// warnIfStale says at start that lookups fail until a sync succeeds when the
// file's last sync is already older than --max-stale.
func warnIfStale(log *slog.Logger, last time.Time, maxStale time.Duration, now time.Time) {
	if maxStale <= 0 || last.IsZero() || now.Sub(last) <= maxStale {
		return
	}
	log.Warn("the cache file's last sync is older than --max-stale: lookups fail and /readyz answers 503 until a sync succeeds",
		"last_sync", last, "stale_for", now.Sub(last).Round(time.Second), "max_stale", maxStale)
}
