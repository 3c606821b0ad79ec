package sync

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
)

// A full fetch reads t_adapter_conf RIGHT JOIN t_server_conf (LEFT JOIN
// t_server_subset) as three plain scans joined here, rather than as MySQL's
// join, which visits each table's index once per row of the other (6,000,076
// rows read at 1,000,000 endpoints, against 4,000,120 for the scans and the
// fingerprints): t_server_subset and t_server_conf are held in memory, keyed by
// (application, server_name, node_name), and t_adapter_conf is streamed through
// them. The rows are the join's, NULLs included, though not in the same order
// (the join's has no ORDER BY either).
//
// Keys compare as the join compares them, by the columns' collation. Under the
// default ones (utf8 and utf8mb4 general_ci, latin1 and ascii) two ASCII strings
// are equal when they are equal but for letter case and trailing spaces (PAD
// SPACE), and that is what equalKey does. Any other collation, or a key with a
// byte outside ASCII (general_ci folds accents, and MySQL converts between
// character sets), sends the fetch back to MySQL's join (sqlJoin).

// folds says whether name is a key collation under which equalKey compares
// ASCII keys as MySQL does: letter case and trailing spaces ignored, nothing else.
func folds(name string) bool {
	switch name {
	case "utf8_general_ci", "utf8mb3_general_ci", "utf8mb4_general_ci",
		"latin1_swedish_ci", "latin1_general_ci", "ascii_general_ci":
		return true
	}
	return false
}

// errScansCannotJoin is returned by a scan that met rows the scans cannot join
// as MySQL does; the fetch then runs MySQL's join.
var errScansCannotJoin = errors.New("the scans cannot stand for the join")

var (
	// errNotASCII: a key equalKey cannot compare.
	errNotASCII = fmt.Errorf("%w: a join key is not ASCII", errScansCannotJoin)
	// errLabelTwins: two t_server_subset rows for one server (a table without
	// its primary key), which the join would give once each.
	errLabelTwins = fmt.Errorf("%w: two t_server_subset rows for one server", errScansCannotJoin)
)

// queryKeyCollations reads the collation of the join's key columns.
const queryKeyCollations = `SELECT COUNT(*), COALESCE(GROUP_CONCAT(DISTINCT COALESCE(COLLATION_NAME, '') SEPARATOR ','), '')
 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
 AND TABLE_NAME IN ('t_adapter_conf', 't_server_conf', 't_server_subset')
 AND COLUMN_NAME IN ('application', 'server_name', 'node_name')`

// The scans of the join, each a plain read of one table. The id, which only
// the fingerprint wants (tally), comes as text: the driver would parse a
// number and box it, where text costs what any column costs.
const (
	queryScanServers = `SELECT application, server_name, node_name, setting_state, present_state, flow_state,
 enable_group, ip_group_name, enable_set, set_name, set_area, set_group, bak_flag, CAST(id AS CHAR) FROM t_server_conf`
	queryScanAdapters = `SELECT application, server_name, node_name, servant, endpoint, adapter_name, CAST(id AS CHAR) FROM t_adapter_conf`
	queryScanLabels   = `SELECT application, server_name, node_name, subset FROM t_server_subset`
)

// joinRows reads the rows of the full-load join within tx and hands each to
// emit, which must not keep the *Row; servers, when known (else 0), is about
// the number of t_server_conf rows. When the scans cannot stand for the join
// (see folds) it runs MySQL's join instead, calling restart first if
// some rows were emitted already. It returns the fingerprints of bigTables
// (printQuery's) when the scans, which read every row of both, took them, else
// "" for each.
func joinRows(ctx context.Context, tx *sql.Tx, t tables, servers int, in interner, emit func(*Row), restart func()) ([2]string, error) {
	ok, err := keysFold(ctx, tx, t)
	if err != nil {
		return [2]string{}, fmt.Errorf("read the join's key collations: %w", err)
	}
	if ok {
		j := newScanJoin(in, emit, servers)
		err := j.run(ctx, tx, t)
		if err == nil {
			return j.prints(), nil
		}
		if !errors.Is(err, errScansCannotJoin) {
			return [2]string{}, err
		}
		if j.emitted {
			restart()
		}
	}
	if err := sqlJoin(ctx, tx, t, in, emit); err != nil {
		return [2]string{}, fmt.Errorf("mysql join: %w", err)
	}
	return [2]string{}, nil
}

// keysFold says whether every key column of the join has a collation that
// folds, and MySQL would compare them at all: two different collations of one
// character set are an illegal mix for MySQL (error 1267), so such tables get
// MySQL's join and its error, as before.
func keysFold(ctx context.Context, tx *sql.Tx, t tables) (bool, error) {
	var n int
	var names string
	if err := tx.QueryRowContext(ctx, queryKeyCollations).Scan(&n, &names); err != nil {
		return false, err
	}
	want := 6
	if t.labels {
		want = 9
	}
	if n != want {
		return false, nil
	}
	byCharset := map[string]string{}
	for _, name := range strings.Split(names, ",") {
		if !folds(name) {
			return false, nil
		}
		charset, _, _ := strings.Cut(name, "_")
		if other, ok := byCharset[charset]; ok && other != name {
			return false, nil
		}
		byCharset[charset] = name
	}
	return true, nil
}

// sqlJoin runs MySQL's full-load join and hands each row to emit.
func sqlJoin(ctx context.Context, tx *sql.Tx, t tables, in interner, emit func(*Row)) error {
	rs, err := tx.QueryContext(ctx, serversQuery(t))
	if err != nil {
		return err
	}
	defer rs.Close()
	sc := newRowScanner(in)
	var r Row
	for n := 1; rs.Next(); n++ {
		if err := sc.scan(rs, &r); err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
		emit(&r)
	}
	return rs.Err()
}

// serverAttrs are the columns a t_server_conf row gives each of its endpoints
// besides its key, and its subset label. Few distinct values exist in a fleet:
// each is held once (scanJoin.attrs).
type serverAttrs struct {
	SettingState, PresentState, FlowState string
	EnableGroup, IPGroupName              string
	EnableSet, SetName, SetArea, SetGroup string
	BakFlag, Subset                       string
}

// server is one t_server_conf row held for the join. A NULL key column is held
// as "" and the row is not keyed: NULL equals nothing.
type server struct {
	app, name, node string
	attrs           *serverAttrs
	keyed           bool
}

// label is one t_server_subset row held for the join.
type label struct {
	app, name, node, subset string
}

// keyIndex finds rows by the hash of their folded key: slots, an open-addressing
// table, holds for each hash the last row indexed with it, next chains the
// earlier ones (-1 ends a chain). A slot holds the hash's upper 32 bits (which
// also place it) above the row's index plus one; 0 is empty. Two hashes whose
// upper halves are equal share a chain: every reader of a chain compares the
// keys of its rows, so this costs a comparison, never a wrong join. At a
// million rows one add or lookup costs one or two cache misses, where a Go map
// of the same costs several.
type keyIndex struct {
	slots []uint64
	next  []int32
}

// newKeyIndex returns an index with room for about n rows.
func newKeyIndex(n int) keyIndex {
	return keyIndex{slots: make([]uint64, slotsFor(n)), next: make([]int32, 0, n)}
}

// slotsFor is the table size for n rows: a power of two, at most three
// quarters full.
func slotsFor(n int) int {
	size := 16
	for 3*size < 4*n {
		size <<= 1
	}
	return size
}

// slot returns the index of h's slot: the one holding its tag, or the empty
// one where it goes.
func (x *keyIndex) slot(h uint64) int {
	tag, mask := h>>32, uint64(len(x.slots)-1)
	for i := tag & mask; ; i = (i + 1) & mask {
		if s := x.slots[i]; s == 0 || s>>32 == tag {
			return int(i)
		}
	}
}

// add indexes row i (rows are added in order, i == len(next)) under hash h,
// and returns the row indexed under h before it, or -1.
func (x *keyIndex) add(h uint64) int32 {
	if 4*(len(x.next)+1) > 3*len(x.slots) {
		x.grow()
	}
	i := x.slot(h)
	prev := int32(uint32(x.slots[i])) - 1
	x.slots[i] = h>>32<<32 | uint64(len(x.next)+1)
	x.next = append(x.next, prev)
	return prev
}

// grow doubles the table, placing each slot again by its tag.
func (x *keyIndex) grow() {
	old := x.slots
	x.slots = make([]uint64, 2*max(len(old), 8))
	for _, s := range old {
		if s != 0 {
			x.slots[x.slot(s)] = s
		}
	}
}

// chain returns the last row indexed under h, or -1.
func (x *keyIndex) chain(h uint64) int32 {
	if len(x.slots) == 0 {
		return -1
	}
	return int32(uint32(x.slots[x.slot(h)])) - 1
}

// tally counts the rows of a scan of one of bigTables and keeps their largest
// id: the table's fingerprint (printQuery), taken by the scan that reads every
// row anyway, in the same transaction, rather than by counting them again.
type tally struct {
	rows, maxID int64
	// bad says an id did not read as a number: the fingerprint is read apart.
	bad bool
}

// add counts one row whose id column is f.
func (t *tally) add(f *field) {
	id, ok := parseID(f)
	if !ok {
		t.bad = true
		return
	}
	if t.rows == 0 || id > t.maxID {
		t.maxID = id
	}
	t.rows++
}

// print is the fingerprint as printQuery reads it.
func (t *tally) print() string {
	return strconv.FormatInt(t.rows, 10) + ":" + strconv.FormatInt(t.maxID, 10)
}

// parseID reads a decimal id column without allocating.
func parseID(f *field) (int64, bool) {
	b, neg := f.b, false
	if f.null || len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	if b[0] == '-' {
		b, neg = b[1:], true
	}
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// scanJoin is one run of the three scans.
type scanJoin struct {
	in      interner
	seed    maphash.Seed
	emit    func(*Row)
	emitted bool
	// attrs holds each distinct serverAttrs once, keyed by its raw columns
	// (attrsKey), so that a row whose columns were seen costs one lookup.
	attrs   map[string]*serverAttrs
	labels  []label
	byLabel keyIndex
	servers []server
	byKey   keyIndex
	// twins says two servers have equal keys (possible only without
	// t_server_conf's unique key): an adapter may then join several.
	twins   bool
	matched []bool
	// hit is the server the last adapter joined: tables written server by
	// server put the next adapter on it or on the next one (guess).
	hit    int
	fields [14]field
	// tallies are the fingerprints of bigTables the scans take.
	tallies [2]tally
	fold    []byte
	key     []byte
	last    [4]string // per column, the string interned last (str)
	row     Row
}

// newScanJoin returns a join that interns its strings with in and hands each
// row to emit.
// servers, when known, is the number of t_server_conf rows.
func newScanJoin(in interner, emit func(*Row), servers int) *scanJoin {
	j := &scanJoin{in: in, seed: maphash.MakeSeed(), emit: emit, attrs: map[string]*serverAttrs{}, hit: -1}
	j.byLabel, j.byKey = newKeyIndex(0), newKeyIndex(servers)
	j.servers = make([]server, 0, servers)
	return j
}

// run reads the labels and the servers, then streams the adapters through them.
func (j *scanJoin) run(ctx context.Context, tx *sql.Tx, t tables) error {
	if t.labels {
		if err := j.scan(ctx, tx, queryScanLabels, 4, j.addLabel); err != nil {
			return fmt.Errorf("scan %s: %w", TableServerSubset, err)
		}
	}
	if err := j.scan(ctx, tx, queryScanServers, 14, j.addServer); err != nil {
		return fmt.Errorf("scan t_server_conf: %w", err)
	}
	j.labels, j.byLabel = nil, keyIndex{}
	if err := j.scan(ctx, tx, queryScanAdapters, 7, j.joinAdapter); err != nil {
		return fmt.Errorf("scan %s: %w", TableAdapter, err)
	}
	j.emitUnmatched()
	return nil
}

// scan runs query and hands each row, scanned into j.fields[:n], to each; the
// rows are read ahead on a goroutine of their own (readAhead).
func (j *scanJoin) scan(ctx context.Context, tx *sql.Tx, query string, n int, each func() error) error {
	rs, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rs.Close()
	return readAhead(rs, j.fields[:n], each)
}

// hashKey returns the hash of the first three fields folded as equalKey
// compares them; ok is false when one is NULL (the row joins nothing). It
// returns errNotASCII for a key it cannot fold.
func (j *scanJoin) hashKey() (h uint64, ok bool, err error) {
	j.fold = j.fold[:0]
	for i := range 3 {
		f := &j.fields[i]
		if f.null {
			return 0, false, nil
		}
		for _, c := range trimPad(f.b) {
			if c >= 0x80 {
				return 0, false, errNotASCII
			}
			j.fold = append(j.fold, lower(c))
		}
		j.fold = append(j.fold, 0xff) // never in an ASCII key
	}
	return maphash.Bytes(j.seed, j.fold), true, nil
}

// addLabel holds the current t_server_subset row.
func (j *scanJoin) addLabel() error {
	h, ok, err := j.hashKey()
	if err != nil || !ok {
		return err
	}
	f, in := &j.fields, j.in
	l := label{app: in.bytes(f[0].b), name: in.bytes(f[1].b), node: in.bytes(f[2].b), subset: in.bytes(f[3].b)}
	if _, twin := j.findLabel(l.app, l.name, l.node, h); twin {
		return errLabelTwins // the table lost its primary key
	}
	j.labels = append(j.labels, l)
	j.byLabel.add(h)
	return nil
}

// prints returns the fingerprints of bigTables the scans took, "" for one
// with an id that did not read as a number.
func (j *scanJoin) prints() [2]string {
	var p [2]string
	for i := range j.tallies {
		if !j.tallies[i].bad {
			p[i] = j.tallies[i].print()
		}
	}
	return p
}

// addServer holds the current t_server_conf row with its label.
func (j *scanJoin) addServer() error {
	j.tallies[0].add(&j.fields[13])
	h, ok, err := j.hashKey()
	if err != nil {
		return err
	}
	f := &j.fields
	s := server{app: j.str(0, f[0].b), name: j.str(1, f[1].b), node: j.str(2, f[2].b), keyed: ok}
	label := ""
	if ok {
		label = j.labelOf(&s, h)
	}
	s.attrs = j.serverAttrs(label)
	if ok {
		if prev := j.byKey.add(h); prev >= 0 && !j.twins {
			j.twins = j.keyed(prev, &s)
		}
	} else {
		j.byKey.next = append(j.byKey.next, -1) // keeps next's indexes those of servers
	}
	j.servers = append(j.servers, s)
	return nil
}

// keyed reports whether a server of the chain from i has s's key.
func (j *scanJoin) keyed(i int32, s *server) bool {
	for ; i >= 0; i = j.byKey.next[i] {
		t := &j.servers[i]
		if equalKey(t.app, s.app) && equalKey(t.name, s.name) && equalKey(t.node, s.node) {
			return true
		}
	}
	return false
}

// str returns the text of column i's bytes b, interned; a run of rows
// repeating a value costs no lookup.
func (j *scanJoin) str(i int, b []byte) string {
	if string(b) != j.last[i] {
		j.last[i] = j.in.bytes(b)
	}
	return j.last[i]
}

// serverAttrs returns the held serverAttrs of the current t_server_conf row
// with subset label l.
func (j *scanJoin) serverAttrs(l string) *serverAttrs {
	j.key = binary.AppendUvarint(j.key[:0], uint64(len(l)))
	j.key = append(j.key, l...)
	for i := 3; i < 13; i++ {
		j.key = binary.AppendUvarint(j.key, uint64(len(j.fields[i].b)))
		j.key = append(j.key, j.fields[i].b...)
	}
	if a, ok := j.attrs[string(j.key)]; ok {
		return a
	}
	f, in := &j.fields, j.in
	a := &serverAttrs{SettingState: in.bytes(f[3].b), PresentState: in.bytes(f[4].b), FlowState: in.bytes(f[5].b),
		EnableGroup: in.bytes(f[6].b), IPGroupName: in.bytes(f[7].b), EnableSet: in.bytes(f[8].b),
		SetName: in.bytes(f[9].b), SetArea: in.bytes(f[10].b), SetGroup: in.bytes(f[11].b), BakFlag: in.bytes(f[12].b), Subset: l}
	j.attrs[string(j.key)] = a
	return a
}

// labelOf returns the subset label of server s, whose key hashes to h ("" for
// none).
func (j *scanJoin) labelOf(s *server, h uint64) string {
	l, _ := j.findLabel(s.app, s.name, s.node, h)
	return l
}

// findLabel returns the label held for the key (app, name, node), which hashes
// to h, and whether there is one.
func (j *scanJoin) findLabel(app, name, node string, h uint64) (string, bool) {
	for i := j.byLabel.chain(h); i >= 0; i = j.byLabel.next[i] {
		l := &j.labels[i]
		if equalKey(l.app, app) && equalKey(l.name, name) && equalKey(l.node, node) {
			return l.subset, true
		}
	}
	return "", false
}

// joinAdapter emits the current t_adapter_conf row once per server it joins.
func (j *scanJoin) joinAdapter() error {
	j.tallies[1].add(&j.fields[6])
	if j.matched == nil {
		j.matched = make([]bool, len(j.servers))
	}
	if i := j.guess(); i >= 0 {
		j.join(i)
		return nil
	}
	h, ok, err := j.hashKey()
	if err != nil || !ok {
		return err
	}
	for i := j.byKey.chain(h); i >= 0; i = j.byKey.next[i] {
		if j.joins(int(i)) {
			j.join(int(i))
		}
	}
	return nil
}

// guess returns the one server the current adapter joins when it is the one
// the last adapter joined or the next, and no two servers share a key; else -1.
func (j *scanJoin) guess() int {
	if j.twins || j.hit < 0 {
		return -1
	}
	for _, i := range [2]int{j.hit, j.hit + 1} {
		if i < len(j.servers) && j.joins(i) {
			return i
		}
	}
	return -1
}

// joins reports whether the current adapter's key equals server i's.
func (j *scanJoin) joins(i int) bool {
	s, f := &j.servers[i], &j.fields
	return s.keyed && !f[0].null && !f[1].null && !f[2].null &&
		equalKeyBytes(s.app, f[0].b) && equalKeyBytes(s.name, f[1].b) && equalKeyBytes(s.node, f[2].b)
}

// join emits the current adapter joined with server i.
func (j *scanJoin) join(i int) {
	f := &j.fields
	j.matched[i], j.hit = true, i
	j.emitServer(&j.servers[i], j.str(3, f[3].b), string(f[4].b), string(f[5].b))
}

// emitUnmatched emits, with NULL adapter columns, the servers no adapter joined.
func (j *scanJoin) emitUnmatched() {
	for i := range j.servers {
		if j.matched == nil || !j.matched[i] {
			j.emitServer(&j.servers[i], "", "", "")
		}
	}
}

// emitServer emits one row of the join: server s with the adapter columns.
func (j *scanJoin) emitServer(s *server, servant, endpoint, adapter string) {
	a := s.attrs
	j.row = Row{Table: TableAdapter, Servant: servant, Endpoint: endpoint,
		SettingState: a.SettingState, PresentState: a.PresentState, FlowState: a.FlowState,
		Application: s.app, Server: s.name, Node: s.node, Adapter: adapter,
		EnableGroup: a.EnableGroup, IPGroupName: a.IPGroupName, EnableSet: a.EnableSet,
		SetName: a.SetName, SetArea: a.SetArea, SetGroup: a.SetGroup, BakFlag: a.BakFlag, Subset: a.Subset}
	j.emitted = true
	j.emit(&j.row)
}

// field is one column of a scanned row: the driver's bytes, valid until the
// next row (as sql.RawBytes), and whether it is NULL.
type field struct {
	b    []byte
	null bool
}

// equalKey reports whether two ASCII key columns are equal as the collations of folds
// compare them.
func equalKey(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, " "), strings.TrimRight(b, " "))
}

// equalKeyBytes is equalKey for a held key and a scanned one, without copying.
func equalKeyBytes(a string, b []byte) bool {
	a, b = strings.TrimRight(a, " "), trimPad(b)
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// trimPad drops the trailing spaces PAD SPACE collations ignore.
func trimPad(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// lower folds an ASCII letter to lower case.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
