package dominator

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

func TestSemantics(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	thread := w.Class("java/lang/Thread", obj, 0, nil, []hproftest.Field{{Name: "name", Type: hprof.TypeObject}})
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
	arr := w.ObjectArrayClass()
	th, local, big, wr, target, lost := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(th, thread, []hprof.BasicType{hprof.TypeObject}, []uint64{0})
	w.ObjArray(local, arr, []uint64{big})
	w.PrimArray(big, hprof.TypeByte, 1000, nil)
	w.Instance(wr, weak, []hprof.BasicType{hprof.TypeObject}, []uint64{target})
	w.PrimArray(target, hprof.TypeLong, 10, nil)
	w.PrimArray(lost, hprof.TypeInt, 5, nil) // no one refers to it
	for _, c := range []uint64{obj, thread, ref, weak, arr} {
		w.Root(hprof.SubRootStickyClass, c, 0, 0)
	}
	w.Root(hprof.SubRootThreadObject, th, 7, 0)
	w.Root(hprof.SubRootJavaFrame, local, 7, 0)
	w.Root(hprof.SubRootJNIGlobal, wr, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	at := func(id uint64) heap.ObjectIndex { return g.Lookup(id) }

	tr := Compute(g, Options{})
	if d := tr.Idom(at(local)); d != int32(at(th)) {
		t.Errorf("idom(local) = %d, want the thread %d", d, at(th))
	}
	if tr.Idom(at(th)) != TopLevel || tr.Idom(at(wr)) != TopLevel {
		t.Error("roots are not top-level")
	}
	if want := g.ShallowSize(at(th)) + g.ShallowSize(at(local)) + g.ShallowSize(at(big)); tr.Retained(at(th)) != want {
		t.Errorf("retained(thread) = %d, want %d", tr.Retained(at(th)), want)
	}
	if tr.Idom(at(target)) != int32(at(wr)) {
		t.Errorf("followed weak: idom(target) = %d", tr.Idom(at(target)))
	}
	if tr.Idom(at(lost)) != Unreachable || tr.UnreachableObjects != 1 || tr.UnreachableBytes != g.ShallowSize(at(lost)) {
		t.Errorf("unreachable: %d objects, %d bytes", tr.UnreachableObjects, tr.UnreachableBytes)
	}
	var total uint64
	for i := 0; i < g.NumObjects(); i++ {
		total += g.ShallowSize(heap.ObjectIndex(i))
	}
	if tr.ReachableBytes+tr.UnreachableBytes != total {
		t.Errorf("reachable %d + unreachable %d != total %d", tr.ReachableBytes, tr.UnreachableBytes, total)
	}
	top := tr.Children(heap.None)
	for i := 1; i < len(top); i++ {
		if tr.Retained(top[i-1]) < tr.Retained(top[i]) {
			t.Error("top level not sorted by retained size")
		}
	}
	if kids := tr.Children(at(th)); len(kids) != 1 || kids[0] != at(local) {
		t.Errorf("children(thread) = %v", kids)
	}

	ignore := Compute(g, Options{IgnoreWeak: true})
	if ignore.Idom(at(target)) != Unreachable {
		t.Errorf("ignored weak: idom(target) = %d, want unreachable", ignore.Idom(at(target)))
	}
	keep := Compute(g, Options{KeepUnreachable: true})
	if keep.Idom(at(lost)) != TopLevel || keep.UnreachableObjects != 0 || keep.ReachableBytes != total {
		t.Errorf("keep unreachable: idom(lost) = %d", keep.Idom(at(lost)))
	}
	// What the roots do not reach is counted, though kept in the tree.
	if keep.KeptObjects != 1 || keep.KeptBytes != g.ShallowSize(at(lost)) || tr.KeptObjects != 0 || tr.KeptBytes != 0 {
		t.Errorf("kept: %d objects, %d bytes (without the option %d, %d); want 1, %d (0, 0)", keep.KeptObjects, keep.KeptBytes, tr.KeptObjects, tr.KeptBytes, g.ShallowSize(at(lost)))
	}
	byClass := tr.ClassRetained()
	if c := g.ClassOf(at(th)); byClass[c] != tr.Retained(at(th)) {
		t.Errorf("class retained of Thread = %d, want %d", byClass[c], tr.Retained(at(th)))
	}
}

// TestRetainedAgainstBruteForce: on random heaps made of object arrays,
// every retained size equals the sum of the objects it dominates, found
// by the naive "remove and see what becomes unreachable" algorithm.
func TestRetainedAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	for iter := 0; iter < 200; iter++ {
		w := hproftest.New(8, "")
		n := 2 + r.IntN(25)
		ids := w.RandomArrays(r, n, 4)
		for k := 1 + r.IntN(2); k > 0; k-- {
			w.Root(hprof.SubRootJNIGlobal, ids[r.IntN(n)], 0, 0)
		}
		g := heaptest.Build(t, w.Bytes())
		tr := Compute(g, Options{})
		// The same graph as adjacency lists, class edges included.
		m := g.NumObjects()
		adj := make([][]int32, m)
		for o := 0; o < m; o++ {
			if c := g.ClassObject(heap.ObjectIndex(o)); c != heap.None {
				adj[o] = append(adj[o], int32(c))
			}
			for _, x := range g.Refs(heap.ObjectIndex(o)) {
				adj[o] = append(adj[o], int32(x))
			}
		}
		var roots []int32
		for _, root := range g.Roots {
			roots = append(roots, int32(root.Object))
		}
		_, doms := naiveDominators(m, adj, roots)
		// A class's retained size: its objects that no other object of
		// the class dominates.
		wantClass := make([]uint64, len(g.Classes))
		for x := 0; x < m; x++ {
			own := true
			for d := 0; d < m; d++ {
				if d != x && doms[x][d] && g.ClassOf(heap.ObjectIndex(d)) == g.ClassOf(heap.ObjectIndex(x)) {
					own = false
				}
			}
			if own {
				wantClass[g.ClassOf(heap.ObjectIndex(x))] += tr.Retained(heap.ObjectIndex(x))
			}
		}
		if got := tr.ClassRetained(); !slices.Equal(got, wantClass) {
			t.Fatalf("heap %d: ClassRetained = %v, want %v", iter, got, wantClass)
		}
		// Groups of classes (pairs, and the last class alone), as names
		// several loaders define: the same rule over a group.
		groupOf := make([]int32, len(g.Classes))
		for c := range groupOf {
			groupOf[c] = int32(c / 2)
		}
		groups := (len(g.Classes) + 1) / 2
		wantGroup := make([]uint64, groups)
		for x := 0; x < m; x++ {
			k := groupOf[g.ClassOf(heap.ObjectIndex(x))]
			own := true
			for d := 0; d < m; d++ {
				if d != x && doms[x][d] && groupOf[g.ClassOf(heap.ObjectIndex(d))] == k {
					own = false
				}
			}
			if own {
				wantGroup[k] += tr.Retained(heap.ObjectIndex(x))
			}
		}
		if got := tr.GroupRetainedFrom(tr.ClassRetained, groupOf, groups); !slices.Equal(got, wantGroup) {
			t.Fatalf("heap %d: GroupRetainedFrom = %v, want %v", iter, got, wantGroup)
		}
		// The biggest children over a size: those of Children's first
		// children that retain it, and false over a limit.
		least := max(1, tr.Retained(heap.ObjectIndex(r.IntN(m))))
		over := 0
		for x := 0; x < m; x++ {
			if tr.Retained(heap.ObjectIndex(x)) >= least {
				over++
			}
		}
		if _, ok := tr.ChildrenOver(least, over-1); ok {
			t.Fatalf("heap %d: ChildrenOver(%d, %d) took %d objects", iter, least, over-1, over)
		}
		big, ok := tr.ChildrenOver(least, over)
		if !ok {
			t.Fatalf("heap %d: ChildrenOver(%d, %d) refused", iter, least, over)
		}
		for d := -1; d < m; d++ {
			var want []heap.ObjectIndex
			for _, c := range tr.Children(heap.ObjectIndex(d)) {
				if tr.Retained(c) >= least {
					want = append(want, c)
				}
			}
			if got := big[heap.ObjectIndex(d)]; !slices.Equal(got, want) {
				t.Fatalf("heap %d: ChildrenOver(%d) gives %v for %d, want %v", iter, least, got, d, want)
			}
		}
		// The children of some objects and of the top level, each once.
		parents := bitset.New(m)
		var picked []heap.ObjectIndex
		for range 3 {
			p := heap.ObjectIndex(r.IntN(m))
			parents.Add(int32(p))
			picked = append(picked, p)
		}
		seen := map[[2]heap.ObjectIndex]int{}
		var mu sync.Mutex
		tr.EachChildOf(parents, true, 1+r.IntN(3), func(_ int, p, c heap.ObjectIndex) {
			mu.Lock()
			seen[[2]heap.ObjectIndex{p, c}]++
			mu.Unlock()
		})
		want := 0
		for _, p := range append(slices.Compact(slices.Sorted(slices.Values(picked))), heap.None) {
			for _, c := range tr.Children(p) {
				want++
				if seen[[2]heap.ObjectIndex{p, c}] != 1 {
					t.Fatalf("heap %d: EachChildOf visits %d under %d %d times", iter, c, p, seen[[2]heap.ObjectIndex{p, c}])
				}
			}
		}
		if len(seen) != want {
			t.Fatalf("heap %d: EachChildOf visits %d pairs, want %d", iter, len(seen), want)
		}
		for d := 0; d < m; d++ {
			var want uint64
			for x := 0; x < m; x++ {
				if doms[x][d] {
					want += g.ShallowSize(heap.ObjectIndex(x))
				}
			}
			if got := tr.Retained(heap.ObjectIndex(d)); got != want {
				t.Fatalf("heap %d: retained(%d) = %d, want %d", iter, d, got, want)
			}
			if want == 0 {
				continue // unreachable: no dominator tree under it
			}
			if kids, b := tr.Children(heap.ObjectIndex(d)), tr.BiggestChild(heap.ObjectIndex(d)); (len(kids) == 0) != (b == heap.None) || len(kids) > 0 && kids[0] != b {
				t.Fatalf("heap %d: BiggestChild(%d) = %d, children %v", iter, d, b, kids)
			}
			var sum uint64
			tr.Subtree(heap.ObjectIndex(d), func(x heap.ObjectIndex) {
				if !doms[x][d] {
					t.Fatalf("heap %d: Subtree(%d) visits %d, which it does not dominate", iter, d, x)
				}
				sum += g.ShallowSize(x)
			})
			if sum != want {
				t.Fatalf("heap %d: Subtree(%d) sums %d, want %d", iter, d, sum, want)
			}
			// PlaceBelow d and two other objects: the label of the
			// nearest of them that dominates an object.
			tops := slices.Compact([]heap.ObjectIndex{heap.ObjectIndex(d), heap.ObjectIndex(r.IntN(m)), heap.ObjectIndex(r.IntN(m))})
			labels := []uint8{7, 8, 9}
			place := tr.PlaceBelow(tops, labels)
			for x := 0; x < m; x++ {
				want := BelowNone
				nearest := -1
				for i, top := range tops {
					if doms[x][top] && (nearest < 0 || doms[top][tops[nearest]]) {
						nearest = i
						want = BelowTop + labels[i]
					}
				}
				if place[x] != want {
					t.Fatalf("heap %d: PlaceBelow(%v) places %d at %d, want %d", iter, tops, x, place[x], want)
				}
			}
		}
	}
}
