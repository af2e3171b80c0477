package dominator

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/par"
)

// TestRetainedInIndex: the retained sizes a dominators part holds, in 4
// bytes each with a table for those of 4 GiB or more, read back as the
// tree had them, through Retained and RetainedReader, and so does the
// top level's order; a size marked as big that the table lacks is a
// damaged part, not a wrong answer.
func TestRetainedInIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	w := hproftest.New(8, "")
	ids := w.RandomArrays(r, 3000, 3)
	w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
	g := heaptest.Build(t, w.Bytes())
	tree := Compute(g, Options{})
	n := g.NumObjects()
	// Sizes no test heap could have, about the 4-byte limit and past it.
	sizes := []uint64{math.MaxUint32 - 1, math.MaxUint32, math.MaxUint32 + 1, 1<<40 + 5}
	for o := 0; o < n; o += 7 {
		tree.retained[o] = sizes[o/7%len(sizes)]
	}
	tree.ReachableBytes = 1 << 41 // what the tree holds says so too
	dir := t.TempDir()
	dump := filepath.Join(dir, "x.hprof")
	if err := os.WriteFile(dump, []byte(strings.Repeat("JAVA PROFILE 1.0.2\x00", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	id, err := index.Identify(dump)
	if err != nil {
		t.Fatal(err)
	}
	var iw index.Writer
	if err := tree.SaveIndex(&iw, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := iw.Commit(dir, "dominators", id); err != nil {
		t.Fatal(err)
	}
	p, err := index.Open(dir, "dominators", id)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	back, ok, err := LoadIndex(p, g, Options{})
	if !ok || err != nil {
		t.Fatalf("LoadIndex: %v %v", ok, err)
	}
	bigs := 0
	for _, s := range tree.retained {
		if s >= math.MaxUint32 {
			bigs++
		}
	}
	if len(back.bigRetained) != 2*bigs || bigs < 300 {
		t.Errorf("%d entries in the table of big sizes, for %d", len(back.bigRetained)/2, bigs)
	}
	read := back.RetainedReader()
	big := heap.None
	for o := range heap.ObjectIndex(n) {
		if got, want := back.Retained(o), tree.retained[o]; got != want || read(o) != want {
			t.Fatalf("object %d: retained %d (reader %d), want %d", o, got, read(o), want)
		}
		if tree.retained[o] >= math.MaxUint32 && big == heap.None {
			big = o
		}
	}
	if !slices.Equal(back.Children(heap.None), tree.Children(heap.None)) {
		t.Error("the top level read back is in another order")
	}
	// The table without the first big size: asking for it fails as a
	// damaged part does, for the command to rebuild it.
	back.bigRetained = back.bigRetained[2:]
	defer func() {
		var fe *par.FaultError
		if rec := recover(); rec == nil {
			t.Error("a missing big size gave an answer")
		} else if e, ok := rec.(error); !ok || !errors.As(e, &fe) || fe.Damaged == nil || !strings.Contains(fe.Error(), "bigRetained") {
			t.Errorf("a missing big size panicked with %v", rec)
		}
	}()
	back.Retained(big)
}
