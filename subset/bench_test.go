package subset_test

import (
	"fmt"
	"testing"

	"github.com/tarscache/tarscache/subset"
)

// benchKeys are route keys the benchmarks cycle through.
var benchKeys = func() []string {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("user_%d", i*7919)
	}
	return keys
}()

// BenchmarkRoute_ratio measures routing a key on a built ring of three subsets.
func BenchmarkRoute_ratio(b *testing.B) {
	r := mustParse(b, "ratio", `{"gray":10,"v1":45,"v2":45}`)
	r.Route("warm up: build the ring")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.Route(benchKeys[i%len(benchKeys)])
		i++
	}
}

// BenchmarkRoute_ratioEmptyKey measures picking a subset at random by weight.
func BenchmarkRoute_ratioEmptyKey(b *testing.B) {
	r := mustParse(b, "ratio", `{"gray":10,"v1":45,"v2":45}`)
	b.ReportAllocs()
	for b.Loop() {
		r.Route("")
	}
}

// BenchmarkRoute_key measures a key rule of an equal and three regexes, most keys
// falling through to the default.
func BenchmarkRoute_key(b *testing.B) {
	r := mustParse(b, "key", `[{"equal":"vip","route":"v2"},{"match":"tester_[a-z]+","route":"gray"},`+
		`{"match":"(?i)qa-.*","route":"gray"},{"match":"user_[0-9]*7","route":"v1"},{"default":"base"}]`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.Route(benchKeys[i%len(benchKeys)])
		i++
	}
}

// BenchmarkFilter_10 measures filtering ten endpoints, four of them in the subset.
func BenchmarkFilter_10(b *testing.B) {
	in := eps("v1", "v2", "v1", "v2", "v2", "v1", "v2", "v2", "v1", "v2")
	b.ReportAllocs()
	for b.Loop() {
		subset.Filter(in, "v1")
	}
}

// BenchmarkFilter_10fallback measures filtering ten endpoints none of which is in the
// subset: the fallback returns them all without copying.
func BenchmarkFilter_10fallback(b *testing.B) {
	in := eps("v1", "v2", "v1", "v2", "v2", "v1", "v2", "v2", "v1", "v2")
	b.ReportAllocs()
	for b.Loop() {
		subset.Filter(in, "gray")
	}
}

// BenchmarkCompiler_hit measures getting a cached rule, as a client does per request.
func BenchmarkCompiler_hit(b *testing.B) {
	const data = `[{"equal":"vip","route":"v2"},{"match":"user_[0-9]+","route":"v1"},{"default":"v1"}]`
	c := subset.NewCompiler(0)
	if _, err := c.Get("key", data); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Get("key", data)
	}
}

// BenchmarkParse_key measures validating a typical key rule, as the sync engine does
// once per rule version.
func BenchmarkParse_key(b *testing.B) {
	const data = `[{"equal":"vip","route":"v2"},{"match":"user_[0-9]+","route":"v1"},{"default":"v1"}]`
	b.ReportAllocs()
	for b.Loop() {
		subset.Parse("key", data)
	}
}

// BenchmarkRing_build measures building the ring of a two-subset ratio rule, which the
// first Route of a non-empty key on a rule version pays.
func BenchmarkRing_build(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		mustParse(b, "ratio", `{"v1":20,"v2":80}`).Route("k")
	}
}
