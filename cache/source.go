package cache

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// keySource is the meta key of the source the data came from.
var keySource = []byte("source")

// Source says where the data of a file came from: the database a sync read (its
// DSN with the password hidden) and since when that database has been the source.
type Source struct {
	Name  string
	Since time.Time
}

// encodeSource is the stored value: Since in Unix nanoseconds (8 bytes, big
// endian), then Name.
func encodeSource(s Source) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(s.Since.UnixNano())), s.Name...)
}

// readSource reads the stored source; a missing or malformed value (a label, not
// data: it never makes the file unusable) reads as none.
func readSource(tx *bolt.Tx) *Source {
	v := tx.Bucket(bucketMeta).Get(keySource)
	if len(v) <= 8 {
		return &Source{}
	}
	return &Source{Name: string(v[8:]), Since: time.Unix(0, int64(binary.BigEndian.Uint64(v[:8])))}
}

// Source returns where the file's data came from, as the last Apply that named a
// source stored it (State.Source); the zero Source when none did (an imported or
// older file). It survives restarts.
func (c *Cache) Source() Source { return *c.source.Load() }

// sourceToWrite returns the value an Apply writes for s, or nil when s is nil or
// already stored.
func (c *Cache) sourceToWrite(s *Source) []byte {
	if s == nil || (s.Name == c.source.Load().Name && s.Since.Equal(c.source.Load().Since)) {
		return nil
	}
	return encodeSource(*s)
}
