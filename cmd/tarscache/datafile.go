package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tarscache/tarscache/cache"
)

// This file opens the cache file of --data for every command, so that the same
// mistake reads the same whatever the command: a directory, a missing file or
// directory, a file of another kind. A command that would create the file creates
// it only when it succeeds (see createdOnFailure and buildAndRename).

// openData opens the cache file at path as cache.Open does, with errors that say
// what is wrong with the path in one line. Errors keep cache's sentinels
// (ErrNotCache, ErrLocked, ...) for errors.Is.
func openData(path string, opts cache.Options) (*cache.Cache, error) {
	if err := checkDataPath(path, opts.ReadOnly); err != nil {
		return nil, err
	}
	c, err := cache.Open(path, opts)
	if err != nil {
		return nil, dataError(path, err)
	}
	return c, nil
}

// checkDataPath refuses a --data path no command can use: empty, a directory,
// something else than a regular file, in a directory that does not exist, or
// missing when the command only reads it.
func checkDataPath(path string, readOnly bool) error {
	if path == "" {
		return usageErrorf("--data is empty: want the cache FILE, e.g. /var/lib/tarscache/tarscache.db")
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("cache file %s is a directory: want a file, e.g. --data %s", path, filepath.Join(path, "tarscache.db"))
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("cache file %s is not a regular file (%s)", path, fi.Mode().Type())
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cache file %s: %w", path, pathErr(err))
	case readOnly:
		return fmt.Errorf("cache file %s does not exist (\"tarscache sync\" or \"tarscache import\" creates it)", path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("cache file %s: directory %s does not exist", path, dir)
	}
	return nil
}

// pathErr is err without the operation and path an *fs.PathError repeats.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// bboltMagic is the magic number of a bbolt meta page, at byte 16 of the file.
const bboltMagic = 0xED0CDAED

// dataError rewrites an error of cache.Open on path: a file that is not a bbolt
// database at all is named as such (with what it looks like), and errors of the
// file system lose the repeated "open PATH:".
func dataError(path string, err error) error {
	if !errors.Is(err, cache.ErrLocked) && !errors.Is(err, cache.ErrCorrupt) && !errors.Is(err, cache.ErrNewerFormat) {
		if kind := foreignKind(path); kind != "" {
			return fmt.Errorf("cache file %s: %w: %s", path, cache.ErrNotCache, kind)
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return fmt.Errorf("cache file %s: %s: %w", path, pe.Op, pe.Err)
	}
	msg := err.Error()
	for _, prefix := range []string{"cache: open " + path + ": ", "cache: create " + path + ": "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return &fileError{msg: "cache file " + path + ": " + msg, err: err}
}

// fileError is an error of cache.Open told in dataError's words; errors.Is and
// errors.As see the original.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// foreignKind says what the file at path looks like when it is not a bbolt
// database, or "" when it is one, is empty (cache.Open explains those) or cannot
// be read.
func foreignKind(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if n == 0 || n >= 20 && binary.LittleEndian.Uint32(head[16:20]) == bboltMagic {
		return ""
	}
	if t := bytes.TrimSpace(head); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return "it holds JSON (\"tarscache import\" loads a records document into a cache file)"
	}
	return "it is not a bbolt database"
}

// createdOnFailure returns a func to call with a command's error once the cache
// file is closed: when path did not exist before and the command failed, it
// removes the file the command created, so that a failed run leaves nothing.
func createdOnFailure(path string) func(error) {
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return func(error) {}
	}
	return func(err error) {
		if err != nil {
			_ = os.Remove(path)
		}
	}
}

// buildAndRename builds a new cache file for path with fill in a private
// directory beside it and renames it over path when fill succeeded: path is
// replaced whole, or not at all. The new file keeps the mode and the owner of
// the one it replaces (an import run as root must not take the file away from
// the user serve runs as).
func buildAndRename(path string, fill func(*cache.Cache) error) error {
	tmpDir, err := os.MkdirTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-")
	if err != nil {
		return fmt.Errorf("cache file %s: %w", path, err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, filepath.Base(path))
	c, err := cache.Open(tmp, cache.Options{})
	if err != nil {
		return err
	}
	if err := errors.Join(fill(c), c.Close()); err != nil {
		return err
	}
	if err := keepModeAndOwner(tmp, path); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cache file %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// keepModeAndOwner gives the file at tmp the mode and the owner of the file at
// path, when there is one.
func keepModeAndOwner(tmp, path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cache file %s: %w", path, pathErr(err))
	}
	if err := os.Chmod(tmp, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("cache file %s: keep its mode: %w", path, pathErr(err))
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid()) {
		return nil
	}
	if err := os.Chown(tmp, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("cache file %s: keep its owner %d:%d: %w", path, st.Uid, st.Gid, pathErr(err))
	}
	return nil
}

// syncDir makes a directory's new entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
