package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
)

// bbolt's meta page, as its file format lays it out (native byte order): a 16-byte
// page header, then magic, version, page size, flags (4 bytes each), the root
// bucket (16), the freelist page, the high-water page id and the txid (8 each),
// then an FNV-64a checksum of the meta fields before it.
const (
	boltMagic       = 0xED0CDAED
	boltPageHeader  = 16
	boltMetaLen     = 64
	boltPgidOffset  = boltPageHeader + 40
	boltTxidOffset  = boltPageHeader + 48
	boltSumOffset   = boltPageHeader + 56
	boltMinPageSize = 512
)

// checkSize refuses a bbolt file shorter than its newest valid meta page says it
// is: a truncated file would make bbolt read past its end through the memory map
// (a fault no recover catches). A file without a valid meta page is left for
// bbolt to refuse. An empty file is new when opened to write; read-only, it is
// refused, since nothing can initialise it.
func checkSize(path string, readOnly bool) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	switch {
	case err != nil:
		return err
	case st.Size() == 0 && readOnly:
		return fmt.Errorf("%w: empty: %w", ErrNotCache, errNeverInitialised)
	case st.Size() == 0:
		return nil // a new file, initialised on open
	}
	need, ok := highWater(f)
	if ok && uint64(st.Size()) < need {
		return fmt.Errorf("%w: the file holds %d bytes but its last commit needs %d: it was truncated", ErrCorrupt, st.Size(), need)
	}
	return nil
}

// highWater returns the size the newest valid meta page of f gives the file.
func highWater(f io.ReaderAt) (uint64, bool) {
	m, ok := newestMeta(f)
	return m.size(), ok
}

// newestMeta returns the valid meta page of f with the highest txid.
func newestMeta(f io.ReaderAt) (boltMeta, bool) {
	first, ok := readMeta(f, 0)
	best, found := first, ok
	offsets := []int64{int64(os.Getpagesize())}
	if ok {
		offsets = []int64{int64(first.pageSize)}
	}
	for _, off := range offsets {
		if m, ok := readMeta(f, off); ok && (!found || m.txid > best.txid) {
			best, found = m, true
		}
	}
	return best, found
}

// boltMeta holds the fields of a meta page checkSize needs.
type boltMeta struct {
	pageSize   uint32
	pgid, txid uint64
}

func (m boltMeta) size() uint64 { return m.pgid * uint64(m.pageSize) }

// readMeta reads the meta page at off and reports whether it is valid.
func readMeta(f io.ReaderAt, off int64) (boltMeta, bool) {
	var b [boltPageHeader + boltMetaLen]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		return boltMeta{}, false
	}
	ne := binary.NativeEndian
	h := fnv.New64a()
	h.Write(b[boltPageHeader:boltSumOffset])
	m := boltMeta{pageSize: ne.Uint32(b[boltPageHeader+8:]), pgid: ne.Uint64(b[boltPgidOffset:]), txid: ne.Uint64(b[boltTxidOffset:])}
	valid := ne.Uint32(b[boltPageHeader:]) == boltMagic && h.Sum64() == ne.Uint64(b[boltSumOffset:]) && m.pageSize >= boltMinPageSize
	return m, valid
}

// guard runs f, which reads the file through bbolt, and turns a panic or a memory
// fault inside it (bbolt panics on some damaged pages) into ErrCorrupt.
func guard(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: reading the file failed: %v", ErrCorrupt, r)
		}
	}()
	return f()
}
