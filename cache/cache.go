package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// fileFormat is the version of the file layout this package writes (meta "format").
const fileFormat = 1

var (
	bucketServants = []byte("servants")
	bucketMeta     = []byte("meta")
	bucketSubsets  = []byte("subsets")
	keyFormat      = []byte("format")
	keyGroups      = []byte("groups")
	keyLastSync    = []byte("last_sync")
)

// Options configure Open. The zero value is usable; DefaultOptions documents the defaults.
type Options struct {
	// Logger receives the cache's logs. Nil discards them.
	Logger *slog.Logger
	// LockTimeout bounds how long Open waits for the file lock before failing
	// with ErrLocked. Zero means DefaultOptions().LockTimeout.
	LockTimeout time.Duration
	// ReadOnly opens the file with a shared lock and forbids Apply. The file must exist.
	ReadOnly bool
	// LastSyncEvery bounds how often an Apply that changes nothing writes the time
	// of the last successful sync: at most once per LastSyncEvery, so that idle syncs
	// write nothing in between and a restart still knows how stale its data is
	// (never more than LastSyncEvery too pessimistic). Zero means
	// DefaultOptions().LastSyncEvery.
	LastSyncEvery time.Duration
	// Override lists records answered in place of the stored records with the same
	// ids (tarscache serve --advertise uses it for the locator's own servant).
	// They are validated by Open, never written to the file, and Apply leaves them
	// in place.
	Override []snapshot.Servant
	// LoadWorkers is how many goroutines Open decodes the records and builds
	// their answers on. Zero means GOMAXPROCS; the snapshot is the same whatever
	// the number.
	LoadWorkers int
}

// DefaultOptions returns the options Open uses for zero fields.
func DefaultOptions() Options {
	return Options{Logger: slog.New(slog.DiscardHandler), LockTimeout: 2 * time.Second, LastSyncEvery: 5 * time.Minute}
}

// Cache is an open tarscache file and the snapshot served from it. See the package
// documentation for the concurrency contract.
type Cache struct {
	// db is the open file. Apply replaces it (holding writeMu and dbMu) when it
	// rewrites a file changed under it; other readers of db hold dbMu.RLock.
	db            *bolt.DB
	dbMu          sync.RWMutex
	path          string
	logger        *slog.Logger
	lastSyncEvery time.Duration
	lockTimeout   time.Duration
	readOnly      bool

	// fileInfo and lastTx identify the file this Cache last committed to (its
	// inode and the transaction id of the commit), owned by writeMu; a file at
	// path that differs was changed under the Cache (see fileChange).
	fileInfo os.FileInfo
	lastTx   uint64
	// fileMu guards file, the state FileStatus reports.
	fileMu sync.Mutex
	file   FileStatus

	// lastSync is the time of the last successful sync in Unix nanoseconds (0 for
	// never), as served; storedSync is the value in the file, owned by writeMu.
	lastSync   atomic.Int64
	storedSync int64

	// source is where the data came from, as stored (never nil once open).
	source atomic.Pointer[Source]

	// snap is the snapshot queries read: stored by Open and, under writeMu, by
	// Apply after each commit; loaded lock-free by any goroutine.
	snap atomic.Pointer[snapshot.Snapshot]

	// writeMu serialises Apply calls, so that each one diffs against the snapshot
	// of the previous commit. It guards no field; it orders writers.
	writeMu sync.Mutex

	// closeOnce makes Close idempotent.
	closeOnce sync.Once
	closeErr  error
}

// initialMmapSize is the address space bbolt maps at Open (the file's size when
// larger). Each time a commit outgrows the map, bbolt remaps it and first copies
// every key and value the transaction holds onto the heap: a first sync of a
// million endpoints did that about ten times, holding hundreds of MB. Mapping
// 1 GiB up front costs address space only: untouched pages are not resident.
// (The file itself still grows only as its commits need, see Open.)
const initialMmapSize = 1 << 30

// Open opens (creating it unless opts.ReadOnly) the tarscache file at path, checks
// its format and loads every record into the first Snapshot. It fails with ErrLocked
// when another process holds the file, ErrNotCache for a file of another kind,
// ErrNewerFormat for a newer layout and ErrCorrupt for a damaged file (truncated, a
// page bbolt cannot read, a record whose CRC32 does not match): a damaged file is
// refused, never served.
func Open(path string, opts Options) (*Cache, error) {
	opts = withDefaults(opts)
	if !opts.ReadOnly {
		if err := createIfMissing(path, opts); err != nil {
			return nil, fmt.Errorf("cache: create %s: %w", path, err)
		}
	}
	if err := checkSize(path, opts.ReadOnly); err != nil {
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	var db *bolt.DB
	err := guard(func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, ReadOnly: opts.ReadOnly, InitialMmapSize: initialMmapSize, MmapFlags: mmapFlags})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: open %s: %w", path, classifyOpenErr(err))
	}
	// With the large map, bbolt would grow the file in AllocSize steps past what
	// a commit needs; grow it to what each commit needs, as it does for a file
	// smaller than AllocSize under the default map.
	db.AllocSize = 0
	if err := validateAll(opts.Override); err != nil {
		return nil, errors.Join(fmt.Errorf("cache: open %s: override: %w", path, err), db.Close())
	}
	c := &Cache{db: db, path: path, logger: opts.Logger, lastSyncEvery: opts.LastSyncEvery,
		lockTimeout: opts.LockTimeout, readOnly: opts.ReadOnly}
	if err := guard(func() error { return c.load(opts) }); err != nil {
		return nil, errors.Join(fmt.Errorf("cache: open %s: %w", path, err), db.Close())
	}
	if !opts.ReadOnly {
		if err := c.recordFile(db); err != nil {
			return nil, errors.Join(fmt.Errorf("cache: open %s: %w", path, err), db.Close())
		}
	}
	return c, nil
}

func withDefaults(opts Options) Options {
	def := DefaultOptions()
	if opts.Logger == nil {
		opts.Logger = def.Logger
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = def.LockTimeout
	}
	if opts.LastSyncEvery <= 0 {
		opts.LastSyncEvery = def.LastSyncEvery
	}
	return opts
}

func classifyOpenErr(err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%w (is tarscache serve running on it?)", ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return fmt.Errorf("%w: %w", ErrNotCache, err)
	}
	return err
}

// load prepares a new file's buckets, checks the format and builds the first snapshot.
func (c *Cache) load(opts Options) error {
	if !opts.ReadOnly && c.isEmptyFile() {
		if err := c.db.Update(initBuckets); err != nil {
			return err
		}
	}
	var snap *snapshot.Snapshot
	defer pauseGC()()
	err := c.db.View(func(tx *bolt.Tx) error {
		if err := checkFormat(tx); err != nil {
			return err
		}
		var err error
		if snap, err = checkedSnapshot(tx, opts); err != nil {
			return err
		}
		c.source.Store(readSource(tx))
		c.storedSync, err = readLastSync(tx)
		return err
	})
	if err != nil {
		return err
	}
	c.snap.Store(withOverride(snap, opts.Override))
	c.lastSync.Store(c.storedSync)
	return nil
}

// isEmptyFile reports whether the file has no bucket at all: a new file. Opening
// any other file writes nothing.
func (c *Cache) isEmptyFile() bool {
	empty := false
	_ = c.db.View(func(tx *bolt.Tx) error { empty = !hasAnyBucket(tx); return nil })
	return empty
}

// initBuckets creates the buckets and format mark of a new file.
func initBuckets(tx *bolt.Tx) error {
	meta, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return err
	}
	if err := meta.Put(keyFormat, []byte(strconv.Itoa(fileFormat))); err != nil {
		return err
	}
	_, err = tx.CreateBucket(bucketServants)
	return err
}

// neverInitialised explains a bucket-less file.
func neverInitialised(tx *bolt.Tx) string {
	if hasAnyBucket(tx) {
		return ""
	}
	return ": " + errNeverInitialised.Error()
}

func hasAnyBucket(tx *bolt.Tx) bool {
	found := false
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { found = true; return nil })
	return found
}

func checkFormat(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil || tx.Bucket(bucketServants) == nil {
		return fmt.Errorf("%w: no %q and %q buckets%s", ErrNotCache, bucketMeta, bucketServants, neverInitialised(tx))
	}
	v, err := strconv.Atoi(string(meta.Get(keyFormat)))
	if err != nil {
		return fmt.Errorf("%w: format mark %q", ErrNotCache, meta.Get(keyFormat))
	}
	if v > fileFormat {
		return fmt.Errorf("%w: file format %d, this tarscache reads %d", ErrNewerFormat, v, fileFormat)
	}
	return nil
}

// checkedSnapshot reads the snapshot of tx and, for a file that will be
// written, runs bbolt's page check alongside (it reads pages only, as the load
// does, within the same read transaction). A damaged page is reported before
// any error of the load, as if the check had run first.
func checkedSnapshot(tx *bolt.Tx, opts Options) (*snapshot.Snapshot, error) {
	if opts.ReadOnly {
		return readSnapshot(tx, opts.LoadWorkers)
	}
	checked := make(chan error, 1)
	go func() { checked <- guard(func() error { return checkPages(tx) }) }()
	snap, err := readSnapshot(tx, opts.LoadWorkers)
	if pageErr := <-checked; pageErr != nil {
		return nil, pageErr
	}
	return snap, err
}

// checkPages runs bbolt's consistency check (every page reachable once, the
// freelist right), so that a file that will be written is known sound first.
func checkPages(tx *bolt.Tx) error {
	var errs []error
	for err := range tx.Check() {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: bbolt: %w", ErrCorrupt, errors.Join(errs...))
	}
	return nil
}

// readSnapshot decodes the stored groups, then every record built for them, on
// workers goroutines (see readEntries).
func readSnapshot(tx *bolt.Tx, workers int) (*snapshot.Snapshot, error) {
	g, version, err := readGroups(tx)
	if err != nil {
		return nil, err
	}
	x := snapshot.NewIndex(g)
	entries, err := readEntries(tx.Bucket(bucketServants), x, workers)
	if err != nil {
		return nil, err
	}
	rules, err := readRules(tx)
	if err != nil {
		return nil, err
	}
	return snapshot.New(entries, x, version, rules), nil
}

// readRules decodes the stored subset rules; a file without the bucket has none.
func readRules(tx *bolt.Tx) (map[string]*snapshot.RuleEntry, error) {
	rules := map[string]*snapshot.RuleEntry{}
	b := tx.Bucket(bucketSubsets)
	if b == nil {
		return rules, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		r, version, err := decodeRule(v)
		if err == nil && r.Servant != string(k) {
			err = fmt.Errorf("holds the rule of %q", r.Servant)
		}
		if err == nil {
			rules[r.Servant], err = snapshot.NewRuleEntry(r, version)
		}
		if err != nil {
			return fmt.Errorf("%w: subset rule %q: %w", ErrCorrupt, k, err)
		}
		return nil
	})
	return rules, err
}

// readGroups decodes the stored groups value; a file without one has no groups.
func readGroups(tx *bolt.Tx) (snapshot.Groups, uint32, error) {
	v := tx.Bucket(bucketMeta).Get(keyGroups)
	if v == nil {
		return snapshot.Groups{}, 0, nil
	}
	g, version, err := decodeGroups(v)
	if err != nil {
		return snapshot.Groups{}, 0, fmt.Errorf("%w %q: %w", ErrCorrupt, keyGroups, err)
	}
	return g, version, nil
}

// readLastSync reads the stored time of the last successful sync (0 when none).
func readLastSync(tx *bolt.Tx) (int64, error) {
	v := tx.Bucket(bucketMeta).Get(keyLastSync)
	switch len(v) {
	case 0:
		return 0, nil
	case 8:
		return int64(binary.BigEndian.Uint64(v)), nil
	}
	return 0, fmt.Errorf("%w %q: %d bytes, want 8", ErrCorrupt, keyLastSync, len(v))
}

// LastSync returns the time of the last successful sync of this file (the start
// of its fetch), or the zero time when it was never synced (a new or imported
// file). It survives restarts.
func (c *Cache) LastSync() time.Time {
	if n := c.lastSync.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Snapshot returns the current snapshot. It never blocks and never touches the file.
func (c *Cache) Snapshot() *snapshot.Snapshot { return c.snap.Load() }

// TxID returns the id of the file's last committed write transaction. It does not
// move when Apply finds nothing to write, which makes it a witness for idle syncs.
func (c *Cache) TxID() (uint64, error) {
	var id uint64
	c.dbMu.RLock()
	defer c.dbMu.RUnlock()
	err := c.db.View(func(tx *bolt.Tx) error { id = uint64(tx.ID()); return nil })
	return id, err
}

// Close closes the file. It is idempotent; the last Snapshot stays readable.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() {
		c.dbMu.Lock()
		defer c.dbMu.Unlock()
		if err := c.db.Close(); err != nil {
			c.closeErr = fmt.Errorf("cache: close %s: %w", c.path, err)
		}
	})
	return c.closeErr
}

// withOverride returns snap answering with the records of override (Options.Override)
// in place of stored ones, each versioned as if stored.
func withOverride(snap *snapshot.Snapshot, override []snapshot.Servant) *snapshot.Snapshot {
	pinned := make([]*snapshot.Entry, 0, len(override))
	for _, p := range override {
		p.Endpoints = slices.Clone(p.Endpoints)
		_, v := encodeRecord(&p)
		pinned = append(pinned, snapshot.NewEntry(p, v, snap.Index()))
	}
	return snap.WithPinned(pinned)
}
