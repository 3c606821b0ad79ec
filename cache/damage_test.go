package cache_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// damageSource returns the bytes of a closed cache file holding 500 servants.
func damageSource(t *testing.T) []byte {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	var servants []snapshot.Servant
	for i := range 500 {
		servants = append(servants, cachetest.Servant(fmt.Sprintf("App.S%d.Obj", i), int32(10000+i), "10.0.0.1", "10.0.0.2"))
	}
	_, err = c.Apply(cache.State{Servants: servants})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// recordAt returns the offset of a servant id's bytes inside a stored record.
func recordAt(t *testing.T, file []byte, id string) int {
	i := bytes.LastIndex(file, []byte(id))
	require.Positive(t, i, "record %s not found", id)
	return i
}

// A damaged file is refused with ErrCorrupt, ErrNotCache or ErrNewerFormat, never
// served, never a crash, and left byte for byte as it was.
func TestCache_Open_refusesDamagedFiles(t *testing.T) {
	orig := damageSource(t)
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
		want   error
		msg    string
	}{
		{"truncated to half", func(b []byte) []byte { return b[:len(b)/2] }, cache.ErrCorrupt, "it was truncated"},
		{"truncated to one page", func(b []byte) []byte { return b[:4096] }, cache.ErrCorrupt, "it was truncated"},
		{"empty", func([]byte) []byte { return []byte{} }, nil, ""},
		{"a record byte flipped", func(b []byte) []byte { b[recordAt(t, b, "App.S77.Obj")+len("App.S77.Obj")+3] ^= 0x40; return b },
			cache.ErrCorrupt, `"App.S77.Obj"`},
		{"both meta pages zeroed", func(b []byte) []byte { clear(b[:8192]); return b }, cache.ErrNotCache, ""},
		{"text file", func([]byte) []byte { return []byte("not a database\n") }, cache.ErrNotCache, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			damaged := tc.damage(bytes.Clone(orig))
			path := filepath.Join(t.TempDir(), "damaged.db")
			require.NoError(t, os.WriteFile(path, damaged, 0o600))
			c, err := cache.Open(path, cache.Options{})
			if tc.want == nil {
				require.NoError(t, err, "an empty file is a new file")
				require.NoError(t, c.Close())
				return
			}
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.msg)
			after, _ := os.ReadFile(path)
			require.Equal(t, damaged, after, "a refused file must not change")
		})
	}
}

// Random damage (truncation, flipped bytes, overwritten pages) never crashes Open
// or Check: the file is refused, or it opens and every servant it serves is intact.
func TestCache_Open_randomDamage(t *testing.T) {
	orig := damageSource(t)
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for trial := range 60 {
		b := bytes.Clone(orig)
		switch trial % 3 {
		case 0:
			b = b[:r.IntN(len(b))]
		case 1:
			for range 16 {
				b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
			}
		case 2:
			off := r.IntN(len(b) - 4096)
			for i := range 4096 {
				b[off+i] = byte(r.Uint32())
			}
		}
		path := filepath.Join(t.TempDir(), "damaged.db")
		require.NoError(t, os.WriteFile(path, b, 0o600))
		c, err := cache.Open(path, cache.Options{ReadOnly: true})
		if err != nil {
			continue
		}
		_ = c.Check()
		for _, id := range c.Snapshot().IDs() {
			e, _ := c.Snapshot().Lookup(id)
			require.Len(t, e.Servant.Endpoints, 2, "trial %d: %s served damaged", trial, id)
		}
		require.NoError(t, c.Close())
	}
}

// A file written by a newer tarscache is refused, saying so.
func TestCache_Open_newerFormat(t *testing.T) {
	path := cachetest.Path(t)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte("2")) }))
	require.NoError(t, db.Close())
	_, err = cache.Open(path, cache.Options{})
	require.ErrorIs(t, err, cache.ErrNewerFormat)
	require.ErrorContains(t, err, "file format 2, this tarscache reads 1")
}
