package paths

import (
	"testing"

	"github.com/leakscan/leakscan/internal/heap/heaptest"
)

// BenchmarkFindTargets times the search for the bench dump's
// java.util.ArrayLists (3.75 M of them), as paths --class
// java.util.ArrayList runs it without an index, on a graph built once:
// repeated runs in one process show what a change to the search does
// without the noise of a whole command's runs. The dump is the one
// LEAKSCAN_BENCH_DUMP names (make bench's).
func BenchmarkFindTargets(b *testing.B) {
	g := heaptest.BenchGraph(b)
	targets := heaptest.BenchInstances(b, g, "java.util.ArrayList")
	b.ResetTimer()
	for range b.N {
		FindTargets(g, Options{}, targets)
	}
}

// BenchmarkFind times the whole search on the bench dump.
func BenchmarkFind(b *testing.B) {
	g := heaptest.BenchGraph(b)
	b.ResetTimer()
	for range b.N {
		Find(g, Options{})
	}
}
