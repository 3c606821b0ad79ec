package cache

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// Check verifies the file: bbolt's own page consistency, then every record's format
// byte and CRC32 against its content, then that the served Snapshot holds exactly the
// stored records. It returns every problem found, joined; nil means the file is sound.
// It reads the whole file in one read transaction and does not block queries.
func (c *Cache) Check() error {
	var errs []error
	c.dbMu.RLock()
	defer c.dbMu.RUnlock()
	err := guard(func() error {
		return c.db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				errs = append(errs, fmt.Errorf("bbolt: %w", err))
			}
			errs = append(errs, c.checkRecords(tx)...)
			return nil
		})
	})
	if err = errors.Join(append(errs, err)...); err != nil {
		return fmt.Errorf("cache: check %s: %w", c.path, err)
	}
	return nil
}

func (c *Cache) checkRecords(tx *bolt.Tx) []error {
	if err := checkFormat(tx); err != nil {
		return []error{err}
	}
	snap := c.Snapshot()
	errs := checkGroups(tx, snap)
	stored := 0
	_ = tx.Bucket(bucketServants).ForEach(func(k, v []byte) error {
		stored++
		_, version, err := decodeRecord(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w %q: %w", ErrCorrupt, k, err))
		} else if e, ok := snap.Stored(string(k)); !ok || e.Version != version {
			errs = append(errs, fmt.Errorf("servant %q: stored version %08x is not the one served", k, version))
		}
		return nil
	})
	if stored != snap.Len() {
		errs = append(errs, fmt.Errorf("file holds %d servants, snapshot %d", stored, snap.Len()))
	}
	return append(errs, checkRules(tx, snap)...)
}

// checkRules verifies every stored subset rule and that the snapshot serves them.
func checkRules(tx *bolt.Tx, snap *snapshot.Snapshot) []error {
	var errs []error
	stored := 0
	if b := tx.Bucket(bucketSubsets); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			stored++
			_, version, err := decodeRule(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%w: subset rule %q: %w", ErrCorrupt, k, err))
			} else if e, ok := snap.SubsetRule(string(k)); !ok || e.Version != version {
				errs = append(errs, fmt.Errorf("subset rule %q: stored version %08x is not the one served", k, version))
			}
			return nil
		})
	}
	if stored != len(snap.RuleIDs()) {
		errs = append(errs, fmt.Errorf("file holds %d subset rules, snapshot %d", stored, len(snap.RuleIDs())))
	}
	return errs
}

func checkGroups(tx *bolt.Tx, snap *snapshot.Snapshot) []error {
	_, version, err := readGroups(tx)
	switch {
	case err != nil:
		return []error{err}
	case version != snap.GroupsVersion():
		return []error{fmt.Errorf("groups: stored version %08x is not the one served (%08x)", version, snap.GroupsVersion())}
	}
	return nil
}
