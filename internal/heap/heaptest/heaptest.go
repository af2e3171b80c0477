// Package heaptest builds graphs from HPROF bytes for the tests of the
// packages above heap.
package heaptest

import (
	"os"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// Build decodes an in-memory dump (made with hproftest) into a graph,
// failing the test on any error.
func Build(t testing.TB, data []byte) *heap.Graph {
	t.Helper()
	f, err := hprof.OpenBytes("test.hprof", data, hprof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := f.ReadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	g, err := heap.Build(f, cat, heap.Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// BenchGraph opens the dump LEAKSCAN_BENCH_DUMP names (make bench's) for
// the benchmarks that time an analysis on it, built once, and skips the
// benchmark when it names none.
func BenchGraph(b *testing.B) *heap.Graph {
	path := os.Getenv("LEAKSCAN_BENCH_DUMP")
	if path == "" {
		b.Skip("LEAKSCAN_BENCH_DUMP names no dump (make bench fetches one)")
	}
	g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	return g
}

// BenchInstances returns the objects of the classes named class in g,
// BenchGraph's, and skips the benchmark when there are none.
func BenchInstances(b *testing.B, g *heap.Graph, class string) []heap.ObjectIndex {
	match := make([]bool, len(g.Classes))
	for c := range g.Classes {
		match[c] = g.Classes[c].Name == class
	}
	objs := g.ObjectsOf(match)
	if len(objs) == 0 {
		b.Skip("no " + class + " in the bench dump")
	}
	return objs
}
