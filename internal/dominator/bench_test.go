package dominator

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/heap/heaptest"
)

// BenchmarkCompute times the dominator tree of the dump named by
// LEAKSCAN_BENCH_DUMP (make bench's dump), phase by phase, on a graph
// built once: repeated runs in one process show what a change to the
// algorithm does without the noise of a whole command's runs.
func BenchmarkCompute(b *testing.B) {
	g := heaptest.BenchGraph(b)
	benchPhases(b, func(progress func(string, int64, int64)) {
		Compute(g, Options{Progress: progress})
	})
}

// BenchmarkComputeBelow times the tree below the bench dump's
// java.util.ArrayLists (3.75 M of them, holding 62% of its objects), as
// paths --class java.util.ArrayList computes it without an index.
func BenchmarkComputeBelow(b *testing.B) {
	g := heaptest.BenchGraph(b)
	targets := heaptest.BenchInstances(b, g, "java.util.ArrayList")
	benchPhases(b, func(progress func(string, int64, int64)) {
		ComputeBelow(g, Options{Progress: progress}, targets)
	})
}

// benchPhases runs run b.N times and prints each phase's median and least
// time, a phase lasting from its first progress report to the next
// phase's, or to the end of run.
func benchPhases(b *testing.B, run func(progress func(string, int64, int64))) {
	phases := map[string][]time.Duration{}
	var names []string
	b.ResetTimer()
	for range b.N {
		last, at := "", time.Now()
		end := func() { // of the phase last
			if last == "" {
				return
			}
			if _, ok := phases[last]; !ok {
				names = append(names, last)
			}
			phases[last] = append(phases[last], time.Since(at))
		}
		run(func(phase string, done, total int64) {
			if phase != last {
				end()
				last, at = phase, time.Now()
			}
		})
		end()
	}
	b.StopTimer()
	for _, name := range names {
		d := slices.Clone(phases[name])
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		// b.Logf output is cut after a few lines: print every phase.
		fmt.Fprintf(os.Stderr, "%-14s median %6.3f s  min %6.3f s  (%d runs)\n", name, d[len(d)/2].Seconds(), d[0].Seconds(), len(d))
	}
}
