package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// errNeverInitialised explains an empty or bucket-less bbolt file: a tarscache
// older than atomic creation, killed in its first milliseconds, leaves one.
var errNeverInitialised = errors.New("the file was never initialised (a serve stopped while creating it?); " +
	"tarscache serve initialises it, or remove it")

// createIfMissing makes path a new, initialised tarscache file when nothing is
// there. The file is built under a temporary name in the same directory and
// linked into place only once complete, so a process killed while creating it
// leaves no file at path, never a half-made one; a file another process created
// meanwhile is kept.
//
// A symbolic link whose target does not exist is refused rather than followed:
// the file would be created wherever the link points.
func createIfMissing(path string, opts Options) error {
	st, err := os.Lstat(path)
	if !errors.Is(err, os.ErrNotExist) {
		if err == nil && st.Mode()&os.ModeSymlink != 0 {
			return refuseDanglingLink(path)
		}
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".creating-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := errors.Join(tmp.Chmod(0o600), tmp.Close()); err != nil {
		return err
	}
	if err := initFile(name, opts); err != nil {
		return err
	}
	if err := os.Link(name, path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("link %s into place: %w", name, err)
	}
	return syncDir(filepath.Dir(path))
}

// refuseDanglingLink fails when the symbolic link at path points at nothing.
func refuseDanglingLink(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	target, err := os.Readlink(path)
	if err != nil {
		return err
	}
	return fmt.Errorf("it is a symbolic link to %s, which does not exist: refusing to create the file through it "+
		"(point --data at the file itself, or create the target)", target)
}

// initFile writes the buckets and format mark into the bbolt file at path.
func initFile(path string, opts Options) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		return err
	}
	return errors.Join(db.Update(initBuckets), db.Close())
}

// syncDir makes a directory's new entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
