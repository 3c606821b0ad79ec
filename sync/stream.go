package sync

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
)

// A full fetch builds the join's rows into servant records as they arrive
// rather than holding a million Rows first: each row is scanned into reused
// buffers, turned into one Row value whose repeated strings are interned, built
// into its endpoint and dropped. What a record keeps of its row (host, node name,
// group and set columns, subset label) is shared between the endpoints that
// repeat it.

// joinColumns is the number of columns of queryServers.
const joinColumns = 17

// interner hands out one string for equal byte sequences, for the columns that
// repeat across rows. It lives as long as one fetch.
type interner map[string]string

// bytes returns the string of b, shared with every earlier equal one.
func (in interner) bytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// str returns s, or an equal string handed out earlier.
func (in interner) str(s string) string {
	if s == "" {
		return ""
	}
	if t, ok := in[s]; ok {
		return t
	}
	in[s] = s
	return s
}

// rowScanner scans the join's rows into Rows through reused buffers.
type rowScanner struct {
	raw  [joinColumns]sql.RawBytes
	dest [joinColumns]any
	in   interner
}

func newRowScanner(in interner) *rowScanner {
	sc := &rowScanner{in: in}
	for i := range sc.raw {
		sc.dest[i] = &sc.raw[i]
	}
	return sc
}

// scan reads rs's current row into r, as scanServerRow does (NULL as "").
// Endpoint and adapter name, unique to a row, are copied; every other column is
// interned.
func (sc *rowScanner) scan(rs *sql.Rows, r *Row) error {
	if err := rs.Scan(sc.dest[:]...); err != nil {
		return err
	}
	b, in := &sc.raw, sc.in
	*r = Row{Table: TableAdapter, Servant: in.bytes(b[0]), Endpoint: string(b[1]),
		SettingState: in.bytes(b[2]), PresentState: in.bytes(b[3]), FlowState: in.bytes(b[4]),
		Application: in.bytes(b[5]), Server: in.bytes(b[6]), Node: in.bytes(b[7]), Adapter: string(b[8]),
		EnableGroup: in.bytes(b[9]), IPGroupName: in.bytes(b[10]), EnableSet: in.bytes(b[11]),
		SetName: in.bytes(b[12]), SetArea: in.bytes(b[13]), SetGroup: in.bytes(b[14]), BakFlag: in.bytes(b[15]),
		Subset: in.bytes(b[16])}
	return nil
}

// builder builds servant records from rows one at a time (Build is one builder
// fed every row), and may index the servers of its rows for the next
// incremental fetch.
type builder struct {
	rep   Report
	at    map[string]int // index of each servant in out
	out   []snapshot.Servant
	pairs *pairIndex
	in    interner
	// stored, when set, gives a servant's record at the last sync. The builder
	// hands back the stored record itself when the rebuilt one equals it
	// (cache.Apply recognises it without encoding it, and a full read of an
	// unchanged fleet keeps no second copy of its records), and copies the
	// endpoints of a changed one out of scratch at their exact size.
	stored func(id string) (snapshot.Servant, bool)
	// prev[i] is the stored record of out[i] (no endpoints when none).
	prev []snapshot.Servant
	// open is the index in out of the servant whose endpoints are being built
	// in scratch (-1 for none), in a full read, while its rows come one after
	// the other. When the next servant starts, open is closed: if its
	// endpoints are the stored ones, out[open] becomes the stored record
	// (shared[open]) and scratch serves the next servant, so a full read of an
	// unchanged fleet allocates no endpoint slices; else they are copied out.
	open    int
	scratch []snapshot.Endpoint
	shared  []bool
	// servers, when known, is about the number of t_server_conf rows, which
	// sizes the full read's join at once.
	servers int
	// prints are the fingerprints of bigTables the full read's scans took
	// ("" when they did not).
	prints [2]string
	// lastAt is the index in out of the servant of the last row built (-1 for
	// none): the rows of a servant mostly come together, and a repeat costs no
	// lookup.
	lastAt int
}

// newBuilder returns an empty builder; indexed says it indexes the servers of
// its rows (pairs), as a full fetch needs.
func newBuilder(indexed bool) *builder {
	b := &builder{rep: Report{Dropped: map[string]int{}}, at: map[string]int{}, in: interner{}, lastAt: -1, open: -1}
	if indexed {
		b.pairs = newPairIndex(nil)
	}
	return b
}

// sizeFor makes room for the records of about n servants (as many as the
// last sync stored), so that a full read of a large registry grows no map or
// slice through every smaller size.
func (b *builder) sizeFor(n int) {
	b.at, b.out = make(map[string]int, n), make([]snapshot.Servant, 0, n)
	b.prev, b.shared = make([]snapshot.Servant, 0, n), make([]bool, 0, n)
	if b.pairs != nil {
		b.pairs = newPairIndexSized(n)
	}
}

// reset forgets every row added, for a join read again from its start; the
// interned strings stay.
func (b *builder) reset() {
	fresh := newBuilder(b.pairs != nil)
	fresh.in, fresh.stored, fresh.servers, fresh.prints = b.in, b.stored, b.servers, b.prints
	*b = *fresh
}

// add builds one row. The builder keeps only what the record needs of r.
func (b *builder) add(r *Row) {
	b.rep.Rows++
	if b.pairs != nil {
		b.pairs.addRow(r)
	}
	ep, ok := b.rep.endpoint(r)
	if !ok {
		return
	}
	ep.Host = b.in.str(ep.Host) // else a substring keeping the whole endpoint string
	at, seen := b.lastAt, b.lastAt >= 0 && b.out[b.lastAt].ID == r.Servant
	if !seen {
		at, seen = b.at[r.Servant]
	}
	if seen && len(b.out[at].Endpoints) >= cache.MaxEndpoints {
		b.rep.reject(r, DropTooLarge, fmt.Errorf("sync: %s row %s: servant %s already has %d endpoints, the most a record holds",
			r.Table, short(r.Origin()), short(r.Servant), cache.MaxEndpoints))
		return
	}
	if !seen || at != b.open {
		b.close()
	}
	if !seen {
		at = b.start(r.Servant)
	} else if b.prev != nil && b.shared[at] {
		b.reopen(at)
	}
	b.out[at].Endpoints = append(b.out[at].Endpoints, ep)
	b.rep.Endpoints++
	b.lastAt = at
}

// start adds servant id to out and returns its index. In a full read (stored
// set) it is built in scratch, and its endpoints end in a slice of their own
// size: appending to a slice per servant grew it to the next power of two
// through every smaller one (five endpoints allocated fifteen).
func (b *builder) start(id string) int {
	at := len(b.out)
	b.at[id] = at
	b.out = append(b.out, snapshot.Servant{ID: id})
	if b.stored == nil {
		return at
	}
	prev, _ := b.stored(id)
	b.prev = append(b.prev, prev)
	b.shared = append(b.shared, false)
	b.out[at].Endpoints = b.scratch[:0]
	b.open = at
	return at
}

// close ends the building of out[open] in scratch: out[open] becomes the
// stored record when its endpoints are the stored ones, else it gets a copy of
// them; scratch is free again.
func (b *builder) close() {
	i := b.open
	if i < 0 {
		return
	}
	b.open = -1
	built := b.out[i].Endpoints
	if sameEndpoints(b.prev[i].Endpoints, built) {
		b.out[i], b.shared[i] = b.prev[i], true
	} else {
		b.out[i].Endpoints = slices.Clone(built)
	}
	b.scratch = built[:0]
}

// reopen gives out[i], closed as its stored record, a copy of the stored
// endpoints of its own, for a row of it that came later.
func (b *builder) reopen(i int) {
	eps := make([]snapshot.Endpoint, len(b.prev[i].Endpoints), len(b.prev[i].Endpoints)+1)
	copy(eps, b.prev[i].Endpoints)
	b.out[i], b.shared[i] = snapshot.Servant{ID: b.prev[i].ID, Endpoints: eps}, false
}

// result returns the records in the order their servants first appeared, and
// the report. The builder must not be used afterwards.
func (b *builder) result() ([]snapshot.Servant, Report) {
	b.close()
	for i, prev := range b.prev {
		if !b.shared[i] && sameEndpoints(prev.Endpoints, b.out[i].Endpoints) {
			b.out[i] = prev
		}
	}
	b.at, b.in, b.prev, b.shared, b.scratch = nil, nil, nil, nil, nil
	return b.out, b.rep
}

// smallRecord is the number of endpoints up to which sameEndpoints pairs them
// up directly rather than counting them in a map.
const smallRecord = 16

// sameEndpoints reports whether built holds the endpoints of stored in some
// order: then the record cache.Apply would store for built is stored's, whose
// endpoints are in canonical order already.
func sameEndpoints(stored, built []snapshot.Endpoint) bool {
	if len(stored) != len(built) || len(stored) == 0 {
		return false
	}
	if len(built) <= smallRecord {
		return pairUp(stored, built)
	}
	count := make(map[snapshot.Endpoint]int, len(built))
	for i := range built {
		count[built[i]]++
	}
	for i := range stored {
		if count[stored[i]]--; count[stored[i]] < 0 {
			return false
		}
	}
	return true
}

// pairUp is sameEndpoints for at most smallRecord endpoints: each stored one is
// matched with an unused equal built one, trying the same position first.
func pairUp(stored, built []snapshot.Endpoint) bool {
	var used uint32
	for i := range stored {
		j := matchAt(stored[i], built, used, i)
		if j < 0 {
			return false
		}
		used |= 1 << j
	}
	return true
}

// matchAt returns the index of an unused endpoint of built equal to e,
// position at first, or -1.
func matchAt(e snapshot.Endpoint, built []snapshot.Endpoint, used uint32, at int) int {
	if used&(1<<at) == 0 && built[at] == e {
		return at
	}
	for j := range built {
		if used&(1<<j) == 0 && built[j] == e {
			return j
		}
	}
	return -1
}

// readBuilt reads every table of the full load within tx, and those of
// tarscache's own tables that t says exist, building the join's rows and then the
// t_registry_info rows into b. The returned Fetch has the t_registry_info rows in
// Rows, and the group and rule tables.
func readBuilt(ctx context.Context, tx *sql.Tx, t tables, b *builder) (*Fetch, error) {
	if err := streamJoin(ctx, tx, t, b); err != nil {
		return nil, fmt.Errorf("sync: read t_server_conf and t_adapter_conf: %w", err)
	}
	f := &Fetch{}
	reg, err := readSmall(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	for i := range reg {
		b.add(&reg[i])
	}
	f.Rows = reg
	return f, nil
}

// streamJoin reads the full-load join (joinRows) and builds each row into b as
// it arrives, on a goroutine of its own (buildahead.go); the join interns its
// strings apart from b's.
func streamJoin(ctx context.Context, tx *sql.Tx, t tables, b *builder) error {
	a := startBuildAhead(b)
	prints, err := joinRows(ctx, tx, t, b.servers, interner{}, a.add, a.restart)
	a.wait()
	b.prints = prints
	return err
}
