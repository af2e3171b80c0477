package dominator

import (
	"math/rand/v2"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// TestRetainedSetAgainstNaive: on random heaps, with weak references
// followed or not and extra roots or none, the retained set of 1 to 4
// objects is what the roots reach less what they reach with the targets
// taken out, by plain searches over the same successors; for one target,
// it is also the target's part of the dominator tree.
func TestRetainedSetAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 13))
	total := 0
	for iter := range 400 {
		w := hproftest.New(8, "")
		_, wr := randomRootedHeap(w, r, iter)
		w.Root(hprof.SubRootJNIGlobal, wr, 0, 0)
		g := heaptest.Build(t, w.Bytes())
		opts := Options{IgnoreWeak: r.IntN(2) == 0}
		var targets, also []heap.ObjectIndex
		isTarget := map[int32]bool{}
		for k := 1 + r.IntN(4); k > 0; k-- {
			x := heap.ObjectIndex(r.IntN(g.NumObjects()))
			targets = append(targets, x)
			isTarget[int32(x)] = true
		}
		if iter%3 == 0 {
			for k := 1 + r.IntN(3); k > 0; k-- {
				also = append(also, heap.ObjectIndex(r.IntN(g.NumObjects())))
			}
		}
		got := RetainedSet(g, opts, targets, also)

		v := newView(g, opts)
		for _, x := range also {
			v.rootList = append(v.rootList, int32(x))
		}
		all, without := plainReach(v, nil), plainReach(v, isTarget)
		size := 0
		for o := range v.n {
			if want := all[o] && !without[o]; got.Has(int32(o)) != want {
				t.Fatalf("heap %d, targets %v, also %v: object %d in the set %v, want %v", iter, targets, also, o, got.Has(int32(o)), want)
			}
			if got.Has(int32(o)) {
				size++
			}
		}
		if len(targets) == 1 && len(also) == 0 {
			tree := Compute(g, opts)
			for o := range v.n {
				in := false // (an unreachable object is below nothing)
				for x := int32(o); x >= 0 && tree.Idom(heap.ObjectIndex(o)) != Unreachable; x = tree.Idom(heap.ObjectIndex(x)) {
					if x == int32(targets[0]) {
						in = true
						break
					}
				}
				if in != got.Has(int32(o)) {
					t.Fatalf("heap %d, target %d: object %d in the set %v, below it in the tree %v", iter, targets[0], o, got.Has(int32(o)), in)
				}
			}
		}
		total += size
	}
	if total < 1000 {
		t.Errorf("the sets hold %d objects in all: the test compares little", total)
	}
}
