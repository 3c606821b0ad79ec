package cache

import "errors"

// ErrLocked is returned by Open when another process (usually a running
// "tarscache serve") holds the file's lock past Options.LockTimeout.
var ErrLocked = errors.New("file is locked by another process")

// ErrCorrupt is returned (wrapped, naming the record or saying what is wrong) when a
// stored value does not decode or its CRC32 does not match its content, when the
// file is shorter than its last commit (truncated), or when bbolt cannot read a page.
var ErrCorrupt = errors.New("corrupt data")

// ErrNewerFormat is returned by Open when the file was written by a newer tarscache
// whose format this one does not understand.
var ErrNewerFormat = errors.New("file format is newer than this tarscache")

// ErrNotCache is returned by Open when the file is a bbolt database without
// tarscache's metadata, or not a bbolt database at all.
var ErrNotCache = errors.New("not a tarscache file")

// ErrWrite is returned (wrapped, with the cause such as ENOSPC) by Apply when the
// file cannot be written: a full disk, a file size limit, an I/O error. Nothing of
// the Apply is kept, in the file or in memory; the previous snapshot stays served.
var ErrWrite = errors.New("cannot write the cache file")

// ErrDuplicateServant is returned by Apply when the fetch lists one servant twice.
var ErrDuplicateServant = errors.New("servant listed twice")

// ErrBadRecord is returned (wrapped, naming the servant and the field) when a record
// given to Apply or Import is invalid, for example an empty id or a port out of range.
var ErrBadRecord = errors.New("invalid record")

// ErrFileChanged is returned (wrapped, saying what happened) by WriteTo while the
// file under a writable Cache is found truncated, overwritten, replaced or
// deleted by something other than this Cache. The Cache keeps serving from
// memory and its next Apply rewrites the file; see FileStatus.
var ErrFileChanged = errors.New("the cache file was changed under the running server")
