package dominator

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/par"
)

// TestBelowAgainstWholeTree: on random heaps with class edges, a thread's
// stack locals and a weak reference, for random sets of targets (GC roots,
// unreachable objects and each other's descendants among them), Below
// holds exactly the objects that every path from the roots through
// reaches through a target, with the whole tree's idoms and retained sizes.
func TestBelowAgainstWholeTree(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 2))
	defer func(old int64) { maxCopyEdges = old }(maxCopyEdges)
	for iter := 0; iter < 400; iter++ {
		w := hproftest.New(8, "")
		ids, wr := randomRootedHeap(w, r, iter)
		n := len(ids)
		// The weak reference is a GC root, or held by an array that may
		// lie below a target.
		holder := uint64(0)
		if r.IntN(2) == 0 {
			w.Root(hprof.SubRootJNIGlobal, wr, 0, 0)
		} else {
			mid := w.NewID()
			holder = w.NewID()
			w.ObjArray(holder, w.ObjectArrayClass(), []uint64{wr, ids[r.IntN(n)]})
			w.ObjArray(mid, w.ObjectArrayClass(), []uint64{holder})
			w.Root(hprof.SubRootJNIGlobal, mid, 0, 0)
		}
		g := heaptest.Build(t, w.Bytes())
		opts := Options{IgnoreWeak: r.IntN(2) == 0}
		// The whole tree by peeling or by Semi-NCA, in turn (Below's
		// own search uses Semi-NCA).
		forcePeel(t, map[bool]int{true: 1 + iter%3, false: -1}[iter%2 == 0])
		tree := Compute(g, opts)
		var targets []heap.ObjectIndex
		isTarget := map[int32]bool{}
		for k := 1 + r.IntN(4); k > 0; k-- {
			x := heap.ObjectIndex(r.IntN(g.NumObjects()))
			if holder != 0 && k == 1 && r.IntN(2) == 0 {
				x = g.Lookup(holder)
			}
			targets = append(targets, x)
			isTarget[int32(x)] = true
		}
		// Every fifth heap has too many edges for the copy: U comes
		// from the whole tree.
		maxCopyEdges = math.MaxUint32
		if iter%5 == 4 {
			maxCopyEdges = 0
		}
		b := ComputeBelow(g, opts, targets)
		if none := ComputeBelow(g, opts, nil); none.Objects() != 0 || none.Contains(targets[0]) || none.Idom(targets[0]) != Outside {
			t.Fatalf("heap %d: something below no targets", iter)
		}

		// What the roots reach without entering a target, by a plain
		// search over the same successors.
		avoid := plainReach(newView(g, opts), isTarget)
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
				x := heap.ObjectIndex(o)
				want := whole.Idom(x)
				if want < 0 {
					want = Outside
				}
				if !all.Contains(x) || all.Idom(x) != want || all.Retained(x) != whole.Retained(x) {
					t.Fatalf("heap %d: keep-unreachable object %d: below %v, idom %d, retained %d; want idom %d, retained %d",
						iter, o, all.Contains(x), all.Idom(x), all.Retained(x), want, whole.Retained(x))
				}
			}
		}
	}
}

// randomRootedHeap writes a random heap of object arrays (2 to 41, or 64
// to 203 every fourth iter: bitsets of several words), a thread, a GC
// root, whose frames hold some of them, JNI globals holding others, and a
// weak reference to one, which it returns unrooted with the arrays' ids.
func randomRootedHeap(w *hproftest.Writer, r *rand.Rand, iter int) (ids []uint64, weakRef uint64) {
	n := 2 + r.IntN(40)
	if iter%4 == 3 {
		n = 64 + r.IntN(140)
	}
	ids = w.RandomArrays(r, n, 4)
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
	return ids, wr
}

// plainReach returns what v's roots reach without entering an object of
// avoid, by a plain search over successors.
func plainReach(v *view, avoid map[int32]bool) []bool {
	seen := make([]bool, v.n)
	var stack []int32
	for _, x := range v.rootList {
		if x >= 0 && !avoid[x] && !seen[x] {
			seen[x] = true
			stack = append(stack, x)
		}
	}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, y := range successors(v, x) {
			if !avoid[y] && !seen[y] {
				seen[y] = true
				stack = append(stack, y)
			}
		}
	}
	return seen
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

// randomView returns a graph of n objects, each with up to maxEdges-1
// references and one of two class objects or none, some with the first
// reference skipped (a referent) or stack locals.
func randomView(r *rand.Rand, n, maxEdges int) *view {
	v := &view{n: n, start: make([]uint32, n+1), classOf: make([]heap.ClassIndex, n),
		classObject: []int32{-1, int32(r.IntN(n)), int32(r.IntN(n))},
		skipFirst:   bitset.New(n), hasExtra: bitset.New(n), extra: map[int32][]int32{}}
	for o := range n {
		for k := r.IntN(maxEdges); k > 0; k-- {
			v.edges = append(v.edges, heap.ObjectIndex(r.IntN(n)))
		}
		v.start[o+1] = uint32(len(v.edges))
		v.classOf[o] = heap.ClassIndex(r.IntN(3))
		if r.IntN(4) == 0 {
			v.skipFirst.Add(int32(o))
		}
		if r.IntN(9) == 0 {
			v.hasExtra.Add(int32(o))
			v.extra[int32(o)] = []int32{int32(r.IntN(n)), int32(r.IntN(n))}
		}
	}
	return v
}

// TestSubgraph: the subgraph of a random object set has each member's
// successors in the set, in order, renumbered.
func TestSubgraph(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for iter := 0; iter < 200; iter++ {
		n := 1 + r.IntN(700)
		v := randomView(r, n, 5)
		in := bitset.New(n)
		var members []int32
		for o := range n {
			if r.IntN(3) > 0 {
				in.Add(int32(o))
				members = append(members, int32(o))
			}
		}
		num := map[int32]int32{}
		for k, o := range members {
			num[o] = int32(k)
		}
		sub, objs, local := subgraph(v, in)
		if sub.n != len(members) || !slices.Equal(objs, members) {
			t.Fatalf("graph %d: members %v, want %v", iter, objs, members)
		}
		for k, o := range members {
			if local(o) != int32(k) {
				t.Fatalf("graph %d: local(%d) = %d, want %d", iter, o, local(o), k)
			}
			var want []heap.ObjectIndex
			for _, w := range successors(v, o) {
				if bit(in, w) {
					want = append(want, heap.ObjectIndex(num[w]))
				}
			}
			if got := sub.edges[sub.start[k]:sub.start[k+1]]; !slices.Equal(got, want) {
				t.Fatalf("graph %d: object %d's edges %v, want %v", iter, o, got, want)
			}
		}
	}
}

// TestReachAvoiding: the parallel search for R marks what a plain one
// does, and enters the same targets, on 1 to 4 cores, with blocks of 1 to
// 3 objects handed over at every step, or at the usual sizes and steps.
func TestReachAvoiding(t *testing.T) {
	defer func(every, block int) { reachEvery, reachBlock = every, block }(reachEvery, reachBlock)
	r := rand.New(rand.NewPCG(3, 14))
	for iter := 0; iter < 300; iter++ {
		n := 1 + r.IntN(3000)
		v := randomView(r, n, 4)
		for k := 1 + r.IntN(6); k > 0; k-- {
			v.rootList = append(v.rootList, int32(r.IntN(n)))
		}
		v.rootList = append(v.rootList, -1) // a root that is no object
		isTarget := bitset.New(n)
		for k := r.IntN(4); k > 0; k-- {
			isTarget.Add(int32(r.IntN(n)))
		}
		// The plain search.
		want := bitset.New(n)
		var wantEntered, queue []int32
		for _, x := range v.rootList {
			if x >= 0 && !want.Has(x) {
				want.Add(x)
				queue = append(queue, x)
			}
		}
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			if isTarget.Has(x) {
				wantEntered = append(wantEntered, x)
				continue
			}
			for _, y := range successors(v, x) {
				if !want.Has(y) {
					want.Add(y)
					queue = append(queue, y)
				}
			}
		}
		slices.Sort(wantEntered)
		reachEvery, reachBlock = 1023, 4096
		if iter%2 == 0 {
			reachEvery, reachBlock = 0, 1+iter%3
		}
		workers := 1 + iter%4
		seen, entered := reachAvoiding(v, isTarget, workers, func(string, int64, int64) {})
		slices.Sort(entered)
		if !slices.Equal(seen, want) || !slices.Equal(entered, wantEntered) {
			t.Fatalf("graph %d (%d objects, %d cores): entered %v, want %v; R differs: %v", iter, n, workers, entered, wantEntered, !slices.Equal(seen, want))
		}
	}
}

// TestReachAvoidingFault: a fault on a mapped graph in one core's search
// ends the others' wait for work, and reaches the caller as the fault.
func TestReachAvoidingFault(t *testing.T) {
	n := 64
	v := &view{n: n, start: make([]uint32, n+1), classOf: make([]heap.ClassIndex, n),
		classObject: []int32{-1}, skipFirst: bitset.New(n), hasExtra: bitset.New(n),
		rootList: []int32{0, int32(n - 1)}}
	for o := range n - 2 { // a chain from root 0; root n-1 holds nothing
		v.edges = append(v.edges, heap.ObjectIndex(o+1))
		v.start[o+1] = uint32(len(v.edges))
	}
	v.start[n-1], v.start[n] = uint32(len(v.edges)), uint32(len(v.edges))
	fault := &par.FaultError{Path: "graph"}
	done := make(chan any)
	go func() {
		defer func() { done <- recover() }()
		reachAvoiding(v, bitset.New(n), 2, func(string, int64, int64) { panic(fault) })
	}()
	select {
	case r := <-done:
		if r != fault {
			t.Fatalf("recovered %v, want the fault", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the search still waits after a fault")
	}
}

// TestForest: forest takes the graphs whose members other than roots have
// one predecessor among the members at most (and some with joins, more in
// every other graph), and gives them the naive algorithm's idoms and
// retained sizes (on the members, with the references among them), with
// what no root reaches left out. The graphs mix in class edges, stack
// locals, references repeated, into roots, to non-members and to the
// object itself, objects no reference reaches and cycles; one in ten spans
// several bitset words and the check's prefetches. Most are summed in
// chunks of a few members, so that sums cross chunks.
func TestForest(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 40))
	forests, whole := 0, 0
	joined, refused := 0, 0 // graphs with joins, taken and not
	defer func(old, chunk int) { joinShare, sumChunk = old, chunk }(joinShare, sumChunk)
	for iter := range 3000 {
		// Every other graph with as many joins taken as members; two in
		// three summed in chunks of a few members.
		joinShare = map[bool]int{true: 1, false: 1024}[iter%2 == 1]
		sumChunk = map[bool]int{true: 1 << 16, false: 1 + r.IntN(4)}[iter%3 == 0]
		n := 1 + r.IntN(30)
		if iter%10 == 0 {
			n = 100 + r.IntN(300)
		}
		var roots []int32
		for k := 1 + r.IntN(3); k > 0; k-- {
			roots = append(roots, int32(r.IntN(n)))
		}
		isRoot := map[int32]bool{}
		for _, x := range roots {
			isRoot[x] = true
		}
		member := make([]bool, n)
		sparse := r.IntN(2) == 0 // some objects not members
		for o := range member {
			member[o] = isRoot[int32(o)] || !sparse || r.IntN(10) > 0
		}
		// Each object one predecessor (itself now and then), in half
		// the graphs a few none; then a second one for an object, the
		// same reference twice, references into roots.
		adj := make([][]int32, n)
		noPred := map[int]bool{}
		for k := r.IntN(2) * r.IntN(3); k > 0; k-- {
			noPred[r.IntN(n)] = true
		}
		for w := range n {
			if !noPred[w] {
				v := r.IntN(n)
				adj[v] = append(adj[v], int32(w))
			}
		}
		if r.IntN(3) == 0 || iter%2 == 1 { // a second predecessor or more
			for k := 1 + r.IntN(3+5*(iter%2)); k > 0; k-- {
				adj[r.IntN(n)] = append(adj[r.IntN(n)], int32(r.IntN(n)))
			}
		}
		if v := r.IntN(n); r.IntN(3) == 0 && len(adj[v]) > 0 {
			adj[v] = append(adj[v], adj[v][r.IntN(len(adj[v]))])
		}
		for range r.IntN(3) {
			adj[r.IntN(n)] = append(adj[r.IntN(n)], roots[r.IntN(len(roots))])
		}
		g := adjacency(n, adj, roots)
		// Class edges in half the graphs: to a root, a non-member, none,
		// and now and then any object.
		full := make([][]int32, n) // every reference, for the naive way
		for v := range n {
			full[v] = slices.Clone(adj[v])
		}
		if r.IntN(2) == 0 {
			g.classObject = make([]int32, 1+r.IntN(3))
			for c := range g.classObject {
				switch r.IntN(4) {
				case 0:
					g.classObject[c] = roots[0]
				case 1:
					g.classObject[c] = int32(r.IntN(n))
					if r.IntN(4) > 0 {
						member[g.classObject[c]] = isRoot[g.classObject[c]]
					}
				default:
					g.classObject[c] = -1
				}
			}
			g.classOf = make([]heap.ClassIndex, n)
			for v := range n {
				g.classOf[v] = heap.ClassIndex(r.IntN(len(g.classObject)))
				if c := g.classObject[g.classOf[v]]; c >= 0 {
					full[v] = append(full[v], c)
				}
			}
		}
		// A thread's stack locals now and then.
		if r.IntN(4) == 0 {
			th, l := int32(r.IntN(n)), int32(r.IntN(n))
			g.hasExtra = bitset.New(n)
			g.hasExtra.Add(th)
			g.extra[th] = []int32{l}
			full[th] = append(full[th], l)
		}
		in := bitset.New(n)
		for o, ok := range member {
			if ok {
				in.Add(int32(o))
			}
		}
		members := popcount(in) // forest leaves out of in what is not reached
		size := func(v int32) uint64 { return uint64(1 + v%7) }
		b := &Below{in: bitset.Number(in)}
		ok := b.forest(g, size, func(string, int64, int64) {}, nil)
		// The naive way, on the members and the references among them.
		among := make([][]int32, n)
		preds := make([]map[int32]bool, n)
		for v := range n {
			for _, w := range full[v] {
				if member[v] && member[w] {
					among[v] = append(among[v], w)
					if int(w) != v {
						if preds[w] == nil {
							preds[w] = map[int32]bool{}
						}
						preds[w][int32(v)] = true
					}
				}
			}
		}
		forest := true
		for w := range n {
			if len(preds[w]) > 1 && !isRoot[int32(w)] {
				forest = false
			}
		}
		if forest && !ok {
			t.Fatalf("graph %d (%v, roots %v, members %v): a forest not taken", iter, full, roots, member)
		}
		switch {
		case !forest && ok:
			joined++
		case !forest:
			refused++
		}
		if !ok {
			if b.idom != nil || b.in.Len() != members || popcount(in) != members {
				t.Fatalf("graph %d: not a forest, yet b changed", iter)
			}
			continue
		}
		forests++
		naive, doms := naiveDominators(n, among, roots)
		reached := 0
		for o := range n {
			if naive[o] == Unreachable {
				if b.Contains(heap.ObjectIndex(o)) {
					t.Fatalf("graph %d (%v, roots %v): object %d is unreachable, yet below", iter, among, roots, o)
				}
				continue
			}
			reached++
			want := naive[o]
			if want == TopLevel {
				want = Outside
			}
			var sum uint64
			for w := range n {
				if doms[w][o] {
					sum += size(int32(w))
				}
			}
			if got := b.Idom(heap.ObjectIndex(o)); got != want || b.Retained(heap.ObjectIndex(o)) != sum {
				t.Fatalf("graph %d (%v, roots %v): object %d: idom %d retained %d, naive %d %d", iter, among, roots, o, got, b.Retained(heap.ObjectIndex(o)), want, sum)
			}
		}
		if reached == members {
			whole++
		}
		if b.Objects() != reached || len(b.retained) != reached {
			t.Fatalf("graph %d: %d objects below, %d reached", iter, b.Objects(), reached)
		}
	}
	if whole < 200 || forests-whole < 200 || joined < 200 || refused < 100 {
		t.Fatalf("%d of the graphs taken, %d of them reached whole; %d with joins taken, %d not", forests, whole, joined, refused)
	}
}

// TestWithout: the objects left out, the others keep their idoms and
// sums under their new numbers, on sets with whole words untouched.
func TestWithout(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 50))
	for iter := range 2000 {
		n := 1 + r.IntN(600)
		in, gone := bitset.New(n), bitset.New(n)
		density := r.IntN(4) // of the objects left out: none, few, some, many
		for o := range n {
			if r.IntN(3) > 0 {
				in.Add(int32(o))
				if density > 0 && r.IntN(200) < density*density*density {
					gone.Add(int32(o))
				}
			}
		}
		b := &Below{in: bitset.Number(slices.Clone(in))}
		for k := range b.in.Len() {
			b.idom = append(b.idom, int32(k))
			b.retained = append(b.retained, uint64(k)*3)
		}
		want := map[int32][2]uint64{}
		for o := range int32(n) {
			if in.Has(o) && !gone.Has(o) {
				k := b.in.Of(o)
				want[o] = [2]uint64{uint64(b.idom[k]), b.retained[k]}
			}
		}
		b.without(gone)
		if b.Objects() != len(want) || len(b.retained) != len(want) {
			t.Fatalf("set %d: %d objects left, want %d", iter, b.Objects(), len(want))
		}
		for o := range int32(n) {
			w, ok := want[o]
			if b.Contains(heap.ObjectIndex(o)) != ok {
				t.Fatalf("set %d: object %d below %v, want %v", iter, o, !ok, ok)
			}
			if ok && (uint64(b.Idom(heap.ObjectIndex(o))) != w[0] || b.Retained(heap.ObjectIndex(o)) != w[1]) {
				t.Fatalf("set %d: object %d: %d %d, want %v", iter, o, b.Idom(heap.ObjectIndex(o)), b.Retained(heap.ObjectIndex(o)), w)
			}
		}
	}
}

// TestBelowForest: below targets that alone hold trees of fresh arrays
// (and arrays shared with a root's), ComputeBelow takes the forest's way,
// and gives Semi-NCA's and the whole tree's idoms and retained sizes.
func TestBelowForest(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	for iter := range 100 {
		w := hproftest.New(8, "")
		arr := w.ObjectArrayClass()
		shared := make([]uint64, 1+r.IntN(5))
		for i := range shared {
			shared[i] = w.NewID()
			w.ObjArray(shared[i], arr, nil)
		}
		var containers []uint64
		for range 1 + r.IntN(20) {
			// A tree of fresh arrays below each container, written
			// leaves first, with a shared array here and there.
			var build func(depth int) uint64
			build = func(depth int) uint64 {
				id := w.NewID()
				var elems []uint64
				for k := r.IntN(4); k > 0 && depth < 4; k-- {
					elems = append(elems, build(depth+1))
				}
				if r.IntN(3) == 0 {
					elems = append(elems, shared[r.IntN(len(shared))])
				}
				w.ObjArray(id, arr, elems)
				return id
			}
			containers = append(containers, build(0))
		}
		top := w.NewID()
		w.ObjArray(top, arr, append(slices.Clone(containers), shared...))
		w.Root(hprof.SubRootJNIGlobal, top, 0, 0)
		g := heaptest.Build(t, w.Bytes())
		var targets []heap.ObjectIndex
		for _, c := range containers {
			targets = append(targets, g.Lookup(c))
		}
		// What the targets reach of C is a forest.
		v := newView(g, Options{})
		isTarget := bitset.New(g.NumObjects())
		for _, x := range targets {
			isTarget.Add(int32(x))
		}
		seen, entered := reachAvoiding(v, isTarget, 1, func(string, int64, int64) {})
		seen.Complement(g.NumObjects())
		for i := range seen {
			seen[i] |= isTarget[i]
		}
		v.rootList = entered
		check := &Below{in: bitset.Number(seen)}
		size := func(o int32) uint64 { return g.ShallowSize(heap.ObjectIndex(o)) }
		if !check.forest(v, size, func(string, int64, int64) {}, nil) {
			t.Fatalf("heap %d: not a forest below the targets", iter)
		}
		tree := Compute(g, Options{})
		b := ComputeBelow(g, Options{}, targets)
		// Semi-NCA's way gives the same.
		forestMode = -1
		semi := ComputeBelow(g, Options{}, targets)
		forestMode = 0
		if b.Objects() != semi.Objects() {
			t.Fatalf("heap %d: %d objects below the forest's way, %d Semi-NCA's", iter, b.Objects(), semi.Objects())
		}
		for o := range g.NumObjects() {
			x := heap.ObjectIndex(o)
			if b.Contains(x) != semi.Contains(x) || b.Idom(x) != semi.Idom(x) || b.Retained(x) != semi.Retained(x) {
				t.Fatalf("heap %d: object %d: the forest's way and Semi-NCA's differ", iter, o)
			}
		}
		for o := range g.NumObjects() {
			x := heap.ObjectIndex(o)
			if !b.Contains(x) {
				continue
			}
			want := tree.Idom(x)
			if want < 0 || !b.Contains(heap.ObjectIndex(want)) {
				want = Outside
			}
			if b.Idom(x) != want || b.Retained(x) != tree.Retained(x) {
				t.Fatalf("heap %d: object %d: idom %d retained %d, want %d %d", iter, o, b.Idom(x), b.Retained(x), want, tree.Retained(x))
			}
		}
		for _, x := range targets {
			if !b.Contains(x) {
				t.Fatalf("heap %d: target %d not below", iter, x)
			}
		}
	}
}
