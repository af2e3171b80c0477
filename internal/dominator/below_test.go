package dominator

import (
	"math/rand/v2"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// TestBelowAgainstWholeTree: on random heaps with class edges, a thread's
// stack locals and a weak reference, for random sets of targets (GC roots,
// unreachable objects and each other's descendants among them), Below
// holds exactly the objects that every path from the roots through
// reaches through a target, with the whole tree's idoms and retained sizes.
func TestBelowAgainstWholeTree(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 2))
	for iter := 0; iter < 400; iter++ {
		w := hproftest.New(8, "")
		n := 2 + r.IntN(40)
		ids := w.RandomArrays(r, n, 4)
		obj := w.Class("java/lang/Object", 0, 0, nil, nil)
		thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
		ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
		weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
		th, wr := w.NewID(), w.NewID()
		w.Instance(th, thread, nil, nil)
		w.Instance(wr, weak, []hprof.BasicType{hprof.TypeObject}, []uint64{ids[r.IntN(n)]})
		w.Root(hprof.SubRootThreadObject, th, 7, 0)
		for k := r.IntN(3); k > 0; k-- {
			w.Root(hprof.SubRootJavaFrame, ids[r.IntN(n)], 7, 0)
		}
		for k := 1 + r.IntN(2); k > 0; k-- {
			w.Root(hprof.SubRootJNIGlobal, ids[r.IntN(n)], 0, 0)
		}
		if r.IntN(2) == 0 {
			w.Root(hprof.SubRootJNIGlobal, wr, 0, 0)
		}
		g := heaptest.Build(t, w.Bytes())
		opts := Options{IgnoreWeak: r.IntN(2) == 0}
		tree := Compute(g, opts)
		var targets []heap.ObjectIndex
		isTarget := map[int32]bool{}
		for k := 1 + r.IntN(4); k > 0; k-- {
			x := heap.ObjectIndex(r.IntN(g.NumObjects()))
			targets = append(targets, x)
			isTarget[int32(x)] = true
		}
		b := ComputeBelow(g, opts, targets)
		if none := ComputeBelow(g, opts, nil); none.Objects() != 0 || none.Contains(targets[0]) || none.Idom(targets[0]) != Outside {
			t.Fatalf("heap %d: something below no targets", iter)
		}

		// What the roots reach without entering a target, by a plain
		// search over the same successors.
		v := newView(g, opts)
		avoid := make([]bool, v.n)
		var stack []int32
		for _, x := range v.rootList {
			if x >= 0 && !isTarget[x] && !avoid[x] {
				avoid[x] = true
				stack = append(stack, x)
			}
		}
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, y := range successors(v, x) {
				if !isTarget[y] && !avoid[y] {
					avoid[y] = true
					stack = append(stack, y)
				}
			}
		}
		below := func(o int) bool {
			return tree.Idom(heap.ObjectIndex(o)) != Unreachable && (isTarget[int32(o)] || !avoid[o])
		}
		count := 0
		for o := 0; o < g.NumObjects(); o++ {
			x := heap.ObjectIndex(o)
			if b.Contains(x) != below(o) {
				t.Fatalf("heap %d, targets %v: Contains(%d) = %v", iter, targets, o, b.Contains(x))
			}
			if !below(o) {
				if b.Idom(x) != Outside || b.Retained(x) != 0 {
					t.Fatalf("heap %d: object %d not below: idom %d, retained %d", iter, o, b.Idom(x), b.Retained(x))
				}
				continue
			}
			count++
			want := tree.Idom(x)
			if want < 0 || !below(int(want)) {
				want = Outside
			}
			if b.Idom(x) != want || b.Retained(x) != tree.Retained(x) {
				t.Fatalf("heap %d, targets %v: object %d: idom %d retained %d, want %d %d",
					iter, targets, o, b.Idom(x), b.Retained(x), want, tree.Retained(x))
			}
		}
		if b.Objects() != count {
			t.Fatalf("heap %d: %d objects below, want %d", iter, b.Objects(), count)
		}
		if iter%10 == 0 {
			// KeepUnreachable takes the whole tree.
			all := ComputeBelow(g, Options{KeepUnreachable: true}, targets)
			whole := Compute(g, Options{KeepUnreachable: true})
			for o := 0; o < g.NumObjects(); o++ {
				if all.Retained(heap.ObjectIndex(o)) != whole.Retained(heap.ObjectIndex(o)) {
					t.Fatalf("heap %d: keep-unreachable retained(%d) differs", iter, o)
				}
			}
		}
	}
}

// successors lists v's successors as the search takes them: class object,
// then the others (see forStored).
func successors(g *view, v int32) []int32 {
	var out []int32
	if g.classOf != nil {
		if c := g.classObject[g.classOf[v]]; c >= 0 {
			out = append(out, c)
		}
	}
	g.forStored(v, func(w int32) bool {
		out = append(out, w)
		return true
	})
	return out
}
