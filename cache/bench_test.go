package cache_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
)

// The size of the registry the benchmarks use: 20,000 servants on 5 nodes each,
// 100,000 endpoints in all.
const (
	benchServants = 20000
	benchNodes    = 5
)

// benchFetch returns n servants of k active tcp endpoints each: servant i listens
// on port 10000+i of hosts 10.0.0.1 to 10.0.0.k, so every endpoint is distinct
// (past 50,000 servants the ports wrap as the scale registry's do, keeping them in
// range; the ids stay distinct).
func benchFetch(n, k int) []snapshot.Servant {
	hosts := make([]string, k)
	for j := range hosts {
		hosts[j] = fmt.Sprintf("10.0.%d.%d", (j+1)/250, (j+1)%250)
	}
	out := make([]snapshot.Servant, n)
	for i := range out {
		out[i] = cachetest.Servant(fmt.Sprintf("App.S%d.Obj", i+1), int32(10000+(i+1)%50000), hosts...)
	}
	return out
}

// cloneFetch deep-copies a fetch, since Apply takes ownership of what it is given.
func cloneFetch(src []snapshot.Servant) []snapshot.Servant {
	out := make([]snapshot.Servant, len(src))
	for i, s := range src {
		out[i] = snapshot.Servant{ID: s.ID, Endpoints: slices.Clone(s.Endpoints)}
	}
	return out
}

// filledCache returns a cache file (checked and closed when the benchmark ends)
// that already holds src.
func filledCache(b *testing.B, src []snapshot.Servant) *cache.Cache {
	b.Helper()
	c := cachetest.Open(b, "")
	stats, err := c.Apply(cache.State{Servants: cloneFetch(src)})
	require.NoError(b, err)
	require.Equal(b, len(src), stats.Written)
	return c
}

// BenchmarkApply_intoEmptyFile measures one Apply of 20,000 servants × 5 endpoints
// into a new, empty file: validate, encode, one bbolt write transaction with its
// commit (fsync) and the new snapshot. Creating, closing and removing the file and
// copying the fetch are outside the timer.
func BenchmarkApply_intoEmptyFile(b *testing.B) {
	src := benchFetch(benchServants, benchNodes)
	dir := b.TempDir()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		path := filepath.Join(dir, fmt.Sprintf("empty-%d.db", n))
		c, err := cache.Open(path, cache.Options{})
		require.NoError(b, err)
		servants := cloneFetch(src)
		b.StartTimer()

		stats, err := c.Apply(cache.State{Servants: servants})

		b.StopTimer()
		require.NoError(b, err)
		require.Equal(b, benchServants, stats.Written)
		require.NoError(b, c.Close())
		require.NoError(b, os.Remove(path))
		b.StartTimer()
	}
}

// BenchmarkApply_unchanged measures the idle sync's Apply: the same 20,000 × 5 fetch
// applied to a file that already holds it (encode and compare every record, write
// nothing, open no write transaction).
func BenchmarkApply_unchanged(b *testing.B) {
	src := benchFetch(benchServants, benchNodes)
	c := filledCache(b, src)
	stats, err := c.Apply(cache.State{Servants: src}) // Apply keeps nothing of an unchanged fetch, so src can be reused
	require.NoError(b, err)
	require.Zero(b, stats.Written)
	require.Zero(b, stats.Deleted)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Apply(cache.State{Servants: src}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply_oneChanged measures an Apply of the 20,000 × 5 fetch in which one
// servant changed since the last one: one record written and committed, and a new
// snapshot map of 20,000 entries. Changing the servant is outside the timer.
func BenchmarkApply_oneChanged(b *testing.B) {
	applyOneChanged(b, func(src []snapshot.Servant, _ int) cache.State { return cache.State{Servants: src} })
}

// BenchmarkApply_partialOneChanged measures what an incremental sync applies after
// one server changed: a partial State of one servant among 20,000, written and
// committed, and the new snapshot swapped in.
func BenchmarkApply_partialOneChanged(b *testing.B) {
	applyOneChanged(b, func(src []snapshot.Servant, i int) cache.State {
		return cache.State{Partial: true, Servants: src[i : i+1]}
	})
}

// applyOneChanged times the Apply of state(src, i) after servant i of the 20,000 ×
// 5 fetch changed; it fails unless exactly that record is written.
func applyOneChanged(b *testing.B, state func(src []snapshot.Servant, i int) cache.State) {
	src := benchFetch(benchServants, benchNodes)
	c := filledCache(b, src)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		b.StopTimer()
		i := n % len(src)
		n++
		src[i].Endpoints = slices.Clone(src[i].Endpoints) // the snapshot owns the previous array
		src[i].Endpoints[0].Timeout++
		st := state(src, i)
		b.StartTimer()

		stats, err := c.Apply(st)
		if err != nil || stats.Written != 1 || stats.Deleted != 0 {
			b.Fatalf("apply: %+v, %v; want exactly one record written", stats, err)
		}
	}
}

// BenchmarkSnapshot_Lookup measures the lookup of one servant id in a snapshot of
// 20,000 servants: the cache's share of every QueryF call.
func BenchmarkSnapshot_Lookup(b *testing.B) {
	c := filledCache(b, benchFetch(benchServants, benchNodes))
	snap := c.Snapshot()
	id := fmt.Sprintf("App.S%d.Obj", benchServants/2)
	_, ok := snap.Lookup(id)
	require.True(b, ok)
	b.ReportAllocs()
	for b.Loop() {
		snap.Lookup(id)
	}
}

// BenchmarkCache_Open20k measures Open of a file holding 20,000 servants × 5
// endpoints: the start-up cost until tarscache can answer queries (lock and map
// the file, check the format, decode and verify every record, build the snapshot).
// Closing the file is outside the timer.
func BenchmarkCache_Open20k(b *testing.B) { benchOpen(b, benchServants) }

// scaleEnv opts in to the 1,000,000-endpoint benchmarks: building their file takes
// seconds and about a gigabyte, too much for every make bench.
const scaleEnv = "TARSCACHE_BENCH_SCALE"

// BenchmarkCache_Open200k is BenchmarkCache_Open20k at 200,000 servants × 5
// endpoints (1,000,000), the start of a large site's replica with MySQL
// unreachable. It runs only with TARSCACHE_BENCH_SCALE=1.
func BenchmarkCache_Open200k(b *testing.B) {
	if os.Getenv(scaleEnv) == "" {
		b.Skip("set " + scaleEnv + "=1 to build a 1,000,000-endpoint file and time its Open")
	}
	benchOpen(b, 10*benchServants)
}

// benchOpen times Open of a file of n servants × benchNodes endpoints, built once.
func benchOpen(b *testing.B, n int) {
	path := cachetest.Path(b)
	c, err := cache.Open(path, cache.Options{})
	require.NoError(b, err)
	_, err = c.Apply(cache.State{Servants: benchFetch(n, benchNodes)})
	require.NoError(b, err)
	require.NoError(b, c.Close())
	b.ReportAllocs()
	for b.Loop() {
		c, err := cache.Open(path, cache.Options{})

		b.StopTimer()
		require.NoError(b, err)
		require.Equal(b, n, c.Snapshot().Len())
		require.NoError(b, c.Close())
		b.StartTimer()
	}
}
