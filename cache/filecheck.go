package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// FileStatus says whether the file under a writable Cache is still the one it
// wrote. See Cache.FileStatus.
type FileStatus struct {
	// Problem describes the change found and not yet repaired (the file was
	// truncated, overwritten, replaced or deleted); empty while the file is sound.
	Problem string
	// Since is when Problem was first found; zero when there is none.
	Since time.Time
	// Changes counts the changes found since Open; Rewrites the files rewritten
	// from memory to repair them.
	Changes, Rewrites int
}

// FileStatus returns the state of the file as last checked: Apply and WriteTo
// check it each time they run, before they touch it.
func (c *Cache) FileStatus() FileStatus {
	c.fileMu.Lock()
	defer c.fileMu.Unlock()
	return c.file
}

// recordFile records what the file at path is now that this Cache opened it:
// its identity, size and modification time, and its last commit's id.
func (c *Cache) recordFile(db *bolt.DB) error {
	st, err := os.Stat(c.path)
	if err != nil {
		return err
	}
	var txid uint64
	if err := db.View(func(tx *bolt.Tx) error { txid = uint64(tx.ID()); return nil }); err != nil {
		return err
	}
	c.fileInfo, c.lastTx = st, txid
	return nil
}

// fileChange reports how the file at path differs from the one this Cache
// wrote, or nil when it does not. It reads the file through its own descriptor
// and never through bbolt's memory map, where a truncated file faults. The
// caller holds writeMu, so that no commit runs meanwhile.
func (c *Cache) fileChange() error {
	if c.readOnly {
		return nil
	}
	st, err := os.Stat(c.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: it was deleted (writes went to a file no longer reachable by name)", ErrFileChanged)
	case err != nil:
		return fmt.Errorf("%w: %w", ErrFileChanged, err)
	case !os.SameFile(st, c.fileInfo):
		return fmt.Errorf("%w: another file was put in its place", ErrFileChanged)
	}
	f, err := os.Open(c.path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFileChanged, err)
	}
	defer f.Close()
	m, ok := newestMeta(f)
	switch {
	case !ok:
		return fmt.Errorf("%w: it was overwritten or truncated: no valid bbolt meta page left", ErrFileChanged)
	case uint64(st.Size()) < m.size():
		return fmt.Errorf("%w: it was truncated: it holds %d bytes, its last commit needs %d", ErrFileChanged, st.Size(), m.size())
	case m.txid != c.lastTx:
		return fmt.Errorf("%w: it was overwritten: its last commit is transaction %d, this server's is %d", ErrFileChanged, m.txid, c.lastTx)
	case st.Size() != c.fileInfo.Size() || !st.ModTime().Equal(c.fileInfo.ModTime()):
		return fmt.Errorf("%w: it was overwritten: its size or modification time changed since this server's last commit", ErrFileChanged)
	}
	return nil
}

// committed records the file's size and modification time after a commit of
// this Cache, so that a later write by anything else shows. The caller holds
// writeMu.
func (c *Cache) committed(txid uint64) {
	c.lastTx = txid
	if st, err := os.Stat(c.path); err == nil && os.SameFile(st, c.fileInfo) {
		c.fileInfo = st
	}
}

// noteFileChange records a change found: the first of a run is logged at error
// level and counted; while it lasts, it is not logged again.
func (c *Cache) noteFileChange(problem error) {
	c.fileMu.Lock()
	defer c.fileMu.Unlock()
	if c.file.Problem != "" {
		return
	}
	c.file.Problem, c.file.Since = problem.Error(), time.Now()
	c.file.Changes++
	c.logger.Error("cache file changed under the running server: serving from memory, backups refused until it is rewritten from memory at the next sync",
		"file", c.path, "err", problem)
}

// ensureFile checks the file before a write and, when it was changed, rewrites
// it from snap. The caller holds writeMu.
func (c *Cache) ensureFile(snap *snapshot.Snapshot) error {
	problem := c.fileChange()
	if problem == nil {
		return nil
	}
	c.noteFileChange(problem)
	aside, err := c.rewrite(snap)
	if err != nil {
		return fmt.Errorf("rewrite %s from memory: %w", c.path, err)
	}
	c.fileMu.Lock()
	c.file.Problem, c.file.Since = "", time.Time{}
	c.file.Rewrites++
	c.fileMu.Unlock()
	c.logger.Warn("cache file rewritten from memory; nothing was lost", "file", c.path, "servants", snap.Len(),
		"previous_file_moved_to", aside)
	return nil
}

// rewrite writes snap's records, rules, groups, last sync and source into a new file,
// moves whatever is at path aside (path.bad-TIME, never deleted), puts the new
// file in its place and makes it the one this Cache writes. It returns the name
// the previous file was moved to ("" when there was none).
func (c *Cache) rewrite(snap *snapshot.Snapshot) (string, error) {
	tmp, err := c.writeCopy(snap)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	// A symbolic link at path stays: the file it points to is replaced.
	target := c.path
	if resolved, err := filepath.EvalSymlinks(c.path); err == nil {
		target = resolved
	}
	aside, err := linkAside(target, time.Now()) // the rename below replaces target
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp, target); err != nil {
		return aside, err
	}
	if err := syncDir(filepath.Dir(target)); err != nil {
		return aside, err
	}
	db, err := bolt.Open(c.path, 0o600, &bolt.Options{Timeout: c.lockTimeout})
	if err != nil {
		return aside, err
	}
	c.dbMu.Lock()
	old := c.db
	c.db = db
	err = c.recordFile(db)
	c.dbMu.Unlock()
	return aside, errors.Join(err, old.Close())
}

// writeCopy writes snap into a new file in the cache file's directory and
// returns its name.
func (c *Cache) writeCopy(snap *snapshot.Snapshot) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(c.path), filepath.Base(c.path)+".rewrite-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	if err := errors.Join(f.Chmod(0o600), f.Close()); err != nil {
		os.Remove(name)
		return "", err
	}
	ch, err := wholeChange(snap, c.storedSync)
	if src := c.source.Load(); err == nil && src.Name != "" {
		ch.source = encodeSource(*src) // the file keeps where its data came from
	}
	if err == nil {
		err = writeNew(name, c.lockTimeout, ch)
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// wholeChange is the change that writes every stored record, rule and the
// groups of snap into an empty file, with the sync time lastSync.
func wholeChange(snap *snapshot.Snapshot, lastSync int64) (*change, error) {
	st := State{Groups: snap.Groups()}
	for _, id := range snap.IDs() {
		if e, ok := snap.Stored(id); ok {
			st.Servants = append(st.Servants, e.Servant)
		}
	}
	for _, id := range snap.RuleIDs() {
		r, _ := snap.SubsetRule(id)
		st.Rules = append(st.Rules, r.Rule)
	}
	ch, err := diff(snapshot.Empty(), &st)
	if err != nil {
		return nil, err
	}
	ch.lastSync = lastSync
	return ch, nil
}

// writeNew initialises the bbolt file at path and commits ch into it.
func writeNew(path string, lockTimeout time.Duration, ch *change) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := initBuckets(tx); err != nil {
			return err
		}
		return ch.write(tx)
	})
	return errors.Join(err, db.Sync(), db.Close())
}

// MoveAside renames the file at path, a cache file refused as damaged or found
// changed, to a free name path.bad-TIME[.N] in the same directory, never over an
// existing file and never deleting anything, and returns that name; "" when
// nothing is at path.
func MoveAside(path string, now time.Time) (string, error) {
	name, err := linkAside(path, now)
	if err != nil || name == "" {
		return name, err
	}
	return name, os.Remove(path)
}

// linkAside gives the file at path a second, free name path.bad-TIME[.N] (a hard
// link never replaces an existing name) and returns it; "" when nothing is at path.
func linkAside(path string, now time.Time) (string, error) {
	base := path + ".bad-" + now.UTC().Format("20060102T150405Z")
	for i := range 100 {
		name := base
		if i > 0 {
			name = fmt.Sprintf("%s.%d", base, i)
		}
		if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		err := os.Link(path, name)
		if errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("move %s aside: %w", path, err)
		}
		return name, nil
	}
	return "", fmt.Errorf("move %s aside: %s and 99 more names are taken", path, base)
}
