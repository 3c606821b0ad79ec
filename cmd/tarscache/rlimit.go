package main

import (
	"log/slog"
	"syscall"

	"github.com/tarscache/tarscache/internal/admin"
)

// spareFiles are the file descriptors serve needs besides connections: the
// cache file, MySQL's pool, the listeners, standard streams, with room to spare.
const spareFiles = 64

// fitOpenFiles makes the soft open-files limit (ulimit -n) hold maxConns QueryF
// connections, the admin API's and spareFiles: it raises the soft limit up to
// the hard one when needed, and warns when even that is too low, since accepts
// then fail (they are retried, but clients wait). It returns the limit in force.
func fitOpenFiles(maxConns int, log *slog.Logger) uint64 {
	need := uint64(maxConns) + admin.MaxConns + spareFiles
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("cannot read the open-files limit", "err", err)
		return 0
	}
	if lim.Cur >= need {
		return lim.Cur
	}
	raised := lim
	raised.Cur = min(need, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
		lim = raised
	}
	if lim.Cur < need {
		log.Warn("the open-files limit is below what --max-conns needs: lower --max-conns or raise the limit (LimitNOFILE= in systemd, ulimit -n)",
			"max_conns", maxConns, "needed", need, "soft_limit", lim.Cur, "hard_limit", lim.Max)
	}
	return lim.Cur
}
