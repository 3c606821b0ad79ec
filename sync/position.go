package sync

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// flavor is the kind of replication position a server exposes.
type flavor int

const (
	flavorUnknown flavor = iota // not asked yet
	flavorMariaDB               // @@gtid_current_pos: domain-server-seq, one per domain
	flavorMySQL                 // @@gtid_executed: uuid:interval[:interval], one per source uuid
	flavorNone                  // neither variable exists
)

// Queries that read a server's position. Both are system variables: reading one
// creates no InnoDB read view, so a position read first in a fetch's transaction
// is a lower bound of the data that transaction then reads.
const (
	queryMariaDBPos = `SELECT @@gtid_current_pos, @@log_bin`
	queryMySQLPos   = `SELECT @@gtid_executed, @@gtid_mode`
)

// position is a server's replication position: the set of transactions it has
// applied, as far as its GTIDs tell. The zero position is unknown and compares
// with nothing.
type position struct {
	flavor flavor
	text   string
	// maria maps a MariaDB replication domain to its highest sequence number.
	maria map[uint32]uint64
	// mysql maps a MySQL source uuid to its executed intervals, sorted.
	mysql map[string][]interval
}

// interval is a closed range of MySQL transaction numbers.
type interval struct{ lo, hi uint64 }

// known says whether p can be compared: the server exposes a GTID position.
func (p position) known() bool { return p.flavor == flavorMariaDB || p.flavor == flavorMySQL }

// String is the position as the server wrote it, "" when unknown.
func (p position) String() string { return p.text }

// behindOf says whether p lacks a transaction that served holds, and how. Two
// positions of different flavors, or an unknown one, never compare: then it
// returns "" (the order of the DSNs decides).
func (p position) behindOf(served position) string {
	if !p.known() || !served.known() || p.flavor != served.flavor {
		return ""
	}
	var missing string
	if p.flavor == flavorMariaDB {
		missing = mariaMissing(p.maria, served.maria)
	} else {
		missing = mysqlMissing(p.mysql, served.mysql)
	}
	if missing == "" {
		return ""
	}
	return fmt.Sprintf("its GTID position %q lacks %s, which the data served holds (position %q)", p.text, missing, served.text)
}

// mariaMissing names the first domain where have is behind want, or "".
func mariaMissing(have, want map[uint32]uint64) string {
	for _, d := range slices.Sorted(maps.Keys(want)) {
		if have[d] < want[d] {
			return fmt.Sprintf("domain %d up to sequence number %d", d, want[d])
		}
	}
	return ""
}

// mysqlMissing names the first transaction of want that have does not hold, or "".
func mysqlMissing(have, want map[string][]interval) string {
	for _, uuid := range slices.Sorted(maps.Keys(want)) {
		for _, w := range want[uuid] {
			if !covered(have[uuid], w) {
				return fmt.Sprintf("transactions %s:%d-%d", uuid, w.lo, w.hi)
			}
		}
	}
	return ""
}

// covered says whether one interval of have (sorted, merged) holds all of w.
func covered(have []interval, w interval) bool {
	for _, h := range have {
		if h.lo <= w.lo && w.hi <= h.hi {
			return true
		}
	}
	return false
}

// readPosition reads the server's position within tx, learning its flavor on the
// first call (*f): MariaDB's @@gtid_current_pos, else MySQL's @@gtid_executed. A
// server that refuses both queries (a MySQL-compatible server without them), or
// with its binary log or GTIDs off, has an unknown position.
func readPosition(ctx context.Context, tx *sql.Tx, f *flavor) (position, error) {
	if *f == flavorUnknown || *f == flavorMariaDB {
		p, err := readMariaDBPos(ctx, tx)
		if !isRefused(err) {
			if err == nil {
				*f = flavorMariaDB
			}
			return p, err
		}
		*f = flavorMySQL
	}
	if *f == flavorMySQL {
		p, err := readMySQLPos(ctx, tx)
		if !isRefused(err) {
			return p, err
		}
		*f = flavorNone
	}
	return position{}, nil
}

func readMariaDBPos(ctx context.Context, tx *sql.Tx) (position, error) {
	var text string
	var logBin bool
	if err := tx.QueryRowContext(ctx, queryMariaDBPos).Scan(nullable{&text}, &logBin); err != nil {
		return position{}, err
	}
	if text == "" && !logBin {
		return position{}, nil // no binary log and never a replica: nothing to compare
	}
	return parseMariaDBPos(text)
}

func readMySQLPos(ctx context.Context, tx *sql.Tx) (position, error) {
	var text, mode string
	if err := tx.QueryRowContext(ctx, queryMySQLPos).Scan(nullable{&text}, nullable{&mode}); err != nil {
		return position{}, err
	}
	if !strings.EqualFold(mode, "ON") {
		return position{}, nil // GTIDs off: nothing to compare
	}
	return parseMySQLPos(text)
}

// isRefused says whether the server answered the query with an error (an
// unknown variable, above all: ER_UNKNOWN_SYSTEM_VARIABLE on the other flavor),
// as opposed to a failed connection: such a server has no position of that kind.
func isRefused(err error) bool {
	_, ok := errors.AsType[*mysql.MySQLError](err)
	return ok
}

// parseMariaDBPos parses a MariaDB GTID list: "domain-server-seq[,...]", "" for
// a server that has applied nothing yet.
func parseMariaDBPos(text string) (position, error) {
	p := position{flavor: flavorMariaDB, text: text, maria: map[uint32]uint64{}}
	for gtid := range strings.SplitSeq(text, ",") {
		gtid = strings.TrimSpace(gtid)
		if gtid == "" {
			continue
		}
		parts := strings.Split(gtid, "-")
		if len(parts) != 3 {
			return position{}, fmt.Errorf("GTID %q: want domain-server-sequence", gtid)
		}
		d, err1 := strconv.ParseUint(parts[0], 10, 32)
		_, err2 := strconv.ParseUint(parts[1], 10, 32)
		seq, err3 := strconv.ParseUint(parts[2], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return position{}, fmt.Errorf("GTID %q: %w", gtid, err)
		}
		p.maria[uint32(d)] = max(p.maria[uint32(d)], seq)
	}
	return p, nil
}

// parseMySQLPos parses a MySQL GTID set: "uuid:1-5:7[,uuid:...]", "" for a
// server that has executed nothing yet.
func parseMySQLPos(text string) (position, error) {
	p := position{flavor: flavorMySQL, text: strings.ReplaceAll(text, "\n", ""), mysql: map[string][]interval{}}
	for part := range strings.SplitSeq(p.text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Split(part, ":")
		uuid := strings.ToLower(fields[0])
		if len(fields) < 2 {
			return position{}, fmt.Errorf("GTID set %q: want uuid:interval", part)
		}
		for _, r := range fields[1:] {
			iv, err := parseInterval(r)
			if err != nil {
				return position{}, fmt.Errorf("GTID set %q: %w", part, err)
			}
			p.mysql[uuid] = append(p.mysql[uuid], iv)
		}
	}
	for uuid, ivs := range p.mysql {
		p.mysql[uuid] = merge(ivs)
	}
	return p, nil
}

// parseInterval parses "n" or "lo-hi".
func parseInterval(s string) (interval, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.ParseUint(lo, 10, 64)
	if err != nil {
		return interval{}, fmt.Errorf("interval %q: %w", s, err)
	}
	b := a
	if isRange {
		if b, err = strconv.ParseUint(hi, 10, 64); err != nil || b < a {
			return interval{}, fmt.Errorf("interval %q: want lo-hi with lo <= hi", s)
		}
	}
	return interval{a, b}, nil
}

// merge sorts intervals and joins those that overlap or touch.
func merge(ivs []interval) []interval {
	slices.SortFunc(ivs, func(a, b interval) int { return cmp.Compare(a.lo, b.lo) })
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 && iv.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, iv.hi)
			continue
		}
		out = append(out, iv)
	}
	return out
}
