// Package heaptest builds graphs from HPROF bytes for the tests of the
// packages above heap.
package heaptest

import (
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
