package paths

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/par"
)

// TestShortestAgainstBFS: on random heaps of object arrays, every path is
// a real chain of references from a root, and as short as a plain BFS
// over the same edges says.
func TestShortestAgainstBFS(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for iter := 0; iter < 300; iter++ {
		g := randomArrayHeap(t, r, 2+r.IntN(30))
		s := Find(g, Options{})
		// Reference BFS distances from the roots.
		dist := map[heap.ObjectIndex]int{}
		var queue []heap.ObjectIndex
		roots, _ := g.RootSet()
		for _, x := range roots {
			if _, ok := dist[x]; !ok {
				dist[x] = 0
				queue = append(queue, x)
			}
		}
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			next := append([]heap.ObjectIndex{}, g.Refs(v)...)
			if c := g.ClassObject(v); c != heap.None {
				next = append(next, c)
			}
			for _, x := range next {
				if _, ok := dist[x]; !ok {
					dist[x] = dist[v] + 1
					queue = append(queue, x)
				}
			}
		}
		for o := 0; o < g.NumObjects(); o++ {
			x := heap.ObjectIndex(o)
			p := s.Path(x)
			d, reached := dist[x]
			if reached != (p != nil) {
				t.Fatalf("heap %d: object %d reached=%v, path %v", iter, o, reached, p)
			}
			if !reached {
				continue
			}
			if len(p)-1 != d {
				t.Fatalf("heap %d: path to %d has %d references, shortest is %d", iter, o, len(p)-1, d)
			}
			for i := 1; i < len(p); i++ {
				if s.Label(p[i-1], p[i]) == "?" {
					t.Fatalf("heap %d: no reference %d -> %d on the path", iter, p[i-1], p[i])
				}
			}
		}
	}
}

// TestKeepUnreachable: with KeepUnreachable, the objects no GC root
// reaches are reached from roots of their own, the ones the dominator
// tree's KeepUnreachable makes top-level; each path is a real chain, and
// what the GC roots reach has the default search's paths. An object
// only a weak referent reaches stays unreached, and is no root.
func TestKeepUnreachable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 21))
	for iter := 0; iter < 300; iter++ {
		var g *heap.Graph
		if iter%2 == 0 {
			g = randomArrayHeap(t, r, 2+r.IntN(30))
		} else {
			g = randomRootedArrayHeap(t, r, 2+r.IntN(30))
		}
		plain := Find(g, Options{})
		tree := dominator.Compute(g, dominator.Options{KeepUnreachable: true})
		searches := map[string]*Search{"Find": Find(g, Options{KeepUnreachable: true})}
		var unreached []heap.ObjectIndex
		for o := range heap.ObjectIndex(g.NumObjects()) {
			if !plain.Reached(o) {
				unreached = append(unreached, o)
			}
		}
		if len(unreached) > 0 {
			searches["FindTargets"] = FindTargets(g, Options{KeepUnreachable: true}, unreached[r.IntN(len(unreached)):])
		}
		for name, s := range searches {
			kept := 0
			for o := range heap.ObjectIndex(g.NumObjects()) {
				if !s.Reached(o) {
					if name == "Find" {
						t.Fatalf("heap %d, %s: object %d unreached", iter, name, o)
					}
					continue
				}
				p := s.Path(o)
				if s.DescribeRoot(p[0]) == UnreachableRoot {
					if len(p) == 1 {
						kept++ // o is one
					}
					if want := !plain.Reached(p[0]) && tree.Idom(p[0]) == dominator.TopLevel; !want {
						t.Fatalf("heap %d, %s: object %d a root of its own, not one of the tree's", iter, name, p[0])
					}
				}
				if plain.Reached(o) && !slices.Equal(p, plain.Path(o)) {
					t.Fatalf("heap %d, %s: path to %d %v, the default search's %v", iter, name, o, p, plain.Path(o))
				}
				for i := 1; i < len(p); i++ {
					if s.Label(p[i-1], p[i]) == "?" {
						t.Fatalf("heap %d, %s: no reference %d -> %d on the path", iter, name, p[i-1], p[i])
					}
				}
			}
			if name == "Find" {
				// The roots of their own, from a plain walk: the first
				// object in index order that nothing reached yet, each.
				reached := map[heap.ObjectIndex]bool{}
				var walk func(x heap.ObjectIndex)
				walk = func(x heap.ObjectIndex) {
					if !reached[x] {
						reached[x] = true
						if c := g.ClassObject(x); c != heap.None {
							walk(c)
						}
						for _, y := range g.Refs(x) {
							walk(y)
						}
					}
				}
				for o := range heap.ObjectIndex(g.NumObjects()) {
					if plain.Reached(o) {
						walk(o)
					}
				}
				want := 0
				for o := range heap.ObjectIndex(g.NumObjects()) {
					root := !reached[o]
					if root {
						want++
						walk(o)
						if s.DescribeRoot(o) != UnreachableRoot {
							t.Fatalf("heap %d: %d, which nothing before it reaches, is no root of its own", iter, o)
						}
					}
					// The tree's roots of their own are the same objects,
					// not every unreached one at its top level.
					if tree.KeptRoot(o) != root {
						t.Fatalf("heap %d: the tree's KeptRoot(%d) = %v, want %v", iter, o, tree.KeptRoot(o), root)
					}
				}
				if kept != want {
					t.Fatalf("heap %d: %d roots of their own, want %d", iter, kept, want)
				}
			}
		}
	}

	// A weak referent alone reaches b, and b d: neither is a root of its
	// own; c, which nothing reaches, is one, and the path to both is
	// from c.
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
	wr, b, d, c := w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(wr, weak, []hprof.BasicType{hprof.TypeObject}, []uint64{b})
	w.ObjArray(b, obj, []uint64{d})
	w.ObjArray(d, obj, []uint64{0})
	w.ObjArray(c, obj, []uint64{b})
	w.Root(hprof.SubRootJNIGlobal, wr, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	s := Find(g, Options{KeepUnreachable: true})
	for _, x := range []uint64{b, d} {
		if p := s.Path(g.Lookup(x)); len(p) < 2 || p[0] != g.Lookup(c) || s.DescribeRoot(p[0]) != UnreachableRoot {
			t.Errorf("the path to weakly reachable 0x%x: %v, want from the unreachable one, a root of its own", x, p)
		}
	}
}

// randomArrayHeap builds a heap of n object arrays holding up to 2
// references each to arrays picked at random, the first a GC root and,
// half the time, another.
func randomArrayHeap(t *testing.T, r *rand.Rand, n int) *heap.Graph {
	w := hproftest.New(8, "")
	ids := w.RandomArrays(r, n, 3)
	w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
	if r.IntN(2) == 0 {
		w.Root(hprof.SubRootJNIGlobal, ids[r.IntN(n)], 0, 0)
	}
	return heaptest.Build(t, w.Bytes())
}

// randomRootedArrayHeap is randomArrayHeap with a class a GC root (System
// Class), as the JDK's classes are in a HotSpot dump: the array class, or
// only its superclass java.lang.Object, as for HotSpot's array classes.
func randomRootedArrayHeap(t *testing.T, r *rand.Rand, n int) *heap.Graph {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	arr := w.Class("[Ljava/lang/Object;", obj, 0, nil, nil)
	ids := w.RandomArraysOf(arr, r, n, 3)
	w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
	w.Root(hprof.SubRootStickyClass, []uint64{arr, obj}[r.IntN(2)], 0, 0)
	return heaptest.Build(t, w.Bytes())
}

// TestStaticAndInheritedExcluded: a static field is left out on the class
// object that holds it (Finalizer.unfinalized by default, another static
// by --exclude), and an excluded field of a superclass on its subclass's
// instances; by the search, Successors and the labels alike.
func TestStaticAndInheritedExcluded(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	unfinalized, kept, cached, held, h := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	fin := w.Class("java/lang/ref/Finalizer", obj, 0, []hproftest.Static{
		{Name: "unfinalized", Type: hprof.TypeObject, Value: unfinalized},
		{Name: "kept", Type: hprof.TypeObject, Value: kept}}, nil)
	base := w.Class("com/example/Base", obj, 0, nil, []hproftest.Field{{Name: "cache", Type: hprof.TypeObject}})
	sub := w.Class("com/example/Sub", base, 0, nil, []hproftest.Field{{Name: "held", Type: hprof.TypeObject}})
	for _, id := range []uint64{unfinalized, kept, cached, held} {
		w.PrimArray(id, hprof.TypeInt, 1, nil)
	}
	w.Instance(h, sub, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}, []uint64{held, cached}) // Sub's field, then Base's
	w.Root(hprof.SubRootStickyClass, fin, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, h, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	at := g.Lookup
	successors := func(s *Search, v uint64) map[heap.ObjectIndex]bool {
		out := map[heap.ObjectIndex]bool{}
		s.Successors(at(v), func(o heap.ObjectIndex) { out[o] = true })
		return out
	}
	s := Find(g, Options{})
	if s.Reached(at(unfinalized)) || !s.Reached(at(kept)) || successors(s, fin)[at(unfinalized)] {
		t.Errorf("default: Finalizer.unfinalized followed, or Finalizer.kept not")
	}
	if l := s.Label(at(fin), at(unfinalized)); l != "static unfinalized" {
		t.Errorf("label %q", l)
	}
	if s := Find(g, Options{IncludeWeak: true}); !s.Reached(at(unfinalized)) {
		t.Error("--include-weak: Finalizer.unfinalized not followed")
	}
	s = Find(g, Options{IncludeWeak: true, Exclude: []FieldRef{{"Finalizer", "kept"}}})
	if s.Reached(at(kept)) || !s.Reached(at(unfinalized)) || successors(s, fin)[at(kept)] {
		t.Error("--exclude Finalizer:kept: the static followed")
	}
	s = Find(g, Options{Exclude: []FieldRef{{"Base", "cache"}}})
	if s.Reached(at(cached)) || !s.Reached(at(held)) || successors(s, h)[at(cached)] {
		t.Error("--exclude Base:cache: followed on a Sub")
	}
}

// TestUnusedExcludes: an exclusion whose pattern matches no class, or
// whose field no class it applies to has as a reference (instance,
// inherited or static), is reported; one that leaves something out, on
// the class, a superclass or a subclass, is not.
func TestUnusedExcludes(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	fin := w.Class("java/lang/ref/Finalizer", obj, 0, []hproftest.Static{{Name: "kept", Type: hprof.TypeObject, Value: 0}}, nil)
	base := w.Class("com/example/Base", obj, 0, nil, []hproftest.Field{{Name: "cache", Type: hprof.TypeObject}, {Name: "size", Type: hprof.TypeInt}})
	w.Class("com/example/Sub", base, 0, nil, []hproftest.Field{{Name: "held", Type: hprof.TypeObject}})
	w.Root(hprof.SubRootStickyClass, fin, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	refs := []FieldRef{
		{"Finalizer", "kept"}, // a static
		{"Sub", "cache"},      // inherited
		{"Base", "held"},      // a subclass's
		{"Bogus", "field"},
		{"Base", "nosuch"},
		{"Base", "size"}, // not a reference
		{"Finalizer", "cache"},
	}
	want := []UnusedExclude{
		{Ref: FieldRef{"Bogus", "field"}, NoClass: true},
		{Ref: FieldRef{"Base", "nosuch"}, Fields: []string{"cache"}},
		{Ref: FieldRef{"Base", "size"}, Fields: []string{"cache"}},
		{Ref: FieldRef{"Finalizer", "cache"}, Fields: []string{"kept"}},
	}
	got := UnusedExcludes(g, refs)
	if !slices.EqualFunc(got, want, func(a, b UnusedExclude) bool {
		return a.Ref == b.Ref && a.NoClass == b.NoClass && slices.Equal(a.Fields, b.Fields)
	}) {
		t.Errorf("UnusedExcludes:\n got %+v\nwant %+v", got, want)
	}
}

func TestWeakAndExcluded(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
	holder := w.Class("com/example/Holder", obj, 0, nil, []hproftest.Field{{Name: "cache", Type: hprof.TypeObject}, {Name: "keep", Type: hprof.TypeObject}})
	wr, a, h, b, c := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(wr, weak, []hprof.BasicType{hprof.TypeObject}, []uint64{a})
	w.PrimArray(a, hprof.TypeInt, 1, nil)
	w.Instance(h, holder, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}, []uint64{b, c})
	w.PrimArray(b, hprof.TypeInt, 1, nil)
	w.PrimArray(c, hprof.TypeInt, 1, nil)
	w.Root(hprof.SubRootJNIGlobal, wr, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, h, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	at := g.Lookup
	if Find(g, Options{}).Reached(at(a)) {
		t.Error("reached a weak referent by default")
	}
	s := Find(g, Options{IncludeWeak: true})
	if !s.Reached(at(a)) || s.Label(at(wr), at(a)) != "referent" {
		t.Error("--include-weak did not follow the referent")
	}
	s = Find(g, Options{Exclude: []FieldRef{{"Holder", "cache"}}})
	if s.Reached(at(b)) || !s.Reached(at(c)) {
		t.Errorf("exclude Holder:cache: reached b=%v c=%v", s.Reached(at(b)), s.Reached(at(c)))
	}
	m := s.Merge([]heap.ObjectIndex{at(c), at(b)})
	m.Sum(func(heap.ObjectIndex) uint64 { return 10 }, nil, nil)
	if m.Unreached != 1 || len(m.Roots) != 1 || m.Nodes[m.Roots[0]].Targets != 1 || m.Nodes[m.Roots[0]].Retained != 10 {
		t.Errorf("merge: %+v", m)
	}
	if _, err := ParseFieldRef("nocolon"); err == nil {
		t.Error("ParseFieldRef accepted a bad value")
	}
}

func TestChildrenTopK(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for iter := 0; iter < 200; iter++ {
		n := 1 + r.IntN(50)
		tr := &Tree{Nodes: []Node{{}}, childStart: []int32{0, int32(n)}}
		for i := 0; i < n; i++ {
			tr.Nodes = append(tr.Nodes, Node{Object: heap.ObjectIndex(i), Retained: uint64(r.IntN(10)), Targets: int32(1 + r.IntN(3))})
			tr.children = append(tr.children, int32(i+1))
			tr.childStart = append(tr.childStart, int32(n))
		}
		full := &Tree{Nodes: append([]Node{}, tr.Nodes...), childStart: tr.childStart, children: slices.Clone(tr.children)}
		want := full.Children(0, 0)
		k := 1 + r.IntN(n)
		got := tr.Children(0, k)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("top %d of %d: %v, want %v", k, n, got, want[:k])
			}
		}
		if all := tr.Children(0, 0); len(all) != n {
			t.Fatalf("children lost: %d of %d", len(all), n)
		}
	}
}

// TestLabelsOfArray: one pass over a big array names every slot asked
// for, the first where an id repeats, and falls back to "<class>" and "?";
// in arrays of 4- and 8-byte ids, small and big enough to be scanned on
// all cores (findIDs), where a later share finds an object again.
func TestLabelsOfArray(t *testing.T) {
	for _, idSize := range []int{4, 8} {
		for _, n := range []int{10000, 1<<20 + 10} {
			w := hproftest.New(idSize, "")
			ac := w.ObjectArrayClass()
			arr, fill, x, y, z, none := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
			elems := make([]uint64, n)
			for i := range elems {
				elems[i] = fill
			}
			elems[5000], elems[n-3000], elems[n-1000], elems[n-1] = x, y, x, z
			w.ObjArray(arr, ac, elems)
			for _, id := range []uint64{fill, x, y, z, none} {
				w.PrimArray(id, hprof.TypeInt, 1, nil)
			}
			w.Root(hprof.SubRootJNIGlobal, arr, 0, 0)
			g := heaptest.Build(t, w.Bytes())
			s := Find(g, Options{})
			at := g.Lookup
			to := []heap.ObjectIndex{at(y), at(x), at(z), at(none), g.ClassObject(at(arr)), at(x)}
			got := s.Labels(at(arr), to)
			want := []string{fmt.Sprintf("[%d]", n-3000), "[5000]", fmt.Sprintf("[%d]", n-1), "?", "<class>", "[5000]"}
			if !slices.Equal(got, want) {
				t.Errorf("%d-byte ids, %d elements: Labels = %q, want %q", idSize, n, got, want)
			}
			for i, o := range to {
				if l := s.Label(at(arr), o); l != want[i] {
					t.Errorf("%d-byte ids, %d elements: Label(%d) = %q, want %q", idSize, n, i, l, want[i])
				}
			}
		}
	}
}

// TestLink: the children lists and roots link builds from the parent
// links are each node's children in node order, on enough nodes for link
// to split them on two cores (where there are two), with a node holding
// a third of them.
func TestLink(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	if par.Shares(200_000, 2) < 2 {
		t.Fatal("200,000 nodes are too few for par to split on two cores")
	}
	for _, n := range []int{0, 1, 7, 200_000} {
		tr := &Tree{Nodes: make([]Node, n), parent: make([]int32, n)}
		want := make([][]int32, n)
		var roots []int32
		for k := range n {
			p := int32(-1)
			switch {
			case k%50 == 0:
			case k%3 == 0:
				p = 0
			default:
				p = int32(r.IntN(n))
			}
			tr.parent[k] = p
			if p < 0 {
				roots = append(roots, int32(k))
			} else {
				want[p] = append(want[p], int32(k))
			}
		}
		tr.link()
		if !slices.Equal(tr.Roots, roots) {
			t.Fatalf("%d nodes: roots %v, want %v", n, tr.Roots, roots)
		}
		if len(tr.childStart) != n+1 || tr.childStart[n] != int32(len(tr.children)) {
			t.Fatalf("%d nodes: %d offsets, the last %d, for %d children", n, len(tr.childStart), tr.childStart[n], len(tr.children))
		}
		for k := range n {
			if got := tr.children[tr.childStart[k]:tr.childStart[k+1]]; !slices.Equal(got, want[k]) {
				t.Fatalf("%d nodes: node %d's children %v, want %v", n, k, got, want[k])
			}
		}
	}
}

// TestMergeAgainstNaive: on random heaps and random sets of targets (some
// named twice, some unreachable), every node of the merged tree is an
// object on a target's path, with that object's BFS parent as its parent,
// and its counts and sums are those of walking every target's whole path.
func TestMergeAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 3))
	for iter := 0; iter < 300; iter++ {
		w := hproftest.New(8, "")
		n, refs := 2+r.IntN(60), 3
		if iter == 0 {
			// Enough reached targets for Merge to mark on all cores.
			n, refs = 400_000, 6
		}
		ids := w.RandomArrays(r, n, refs)
		w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
		if r.IntN(2) == 0 {
			w.Root(hprof.SubRootJNIGlobal, ids[r.IntN(n)], 0, 0)
		}
		g := heaptest.Build(t, w.Bytes())
		s := Find(g, Options{})
		size := func(o heap.ObjectIndex) uint64 { return uint64(o)*7 + 1 }
		var targets []heap.ObjectIndex
		k := r.IntN(n + 1)
		if iter == 0 {
			k = n
		}
		for ; k > 0; k-- {
			targets = append(targets, g.Lookup(ids[r.IntN(n)]))
		}
		type sums struct {
			targets  int32
			retained uint64
		}
		want := map[heap.ObjectIndex]sums{}
		unreached, seen := 0, map[heap.ObjectIndex]bool{}
		for _, o := range targets {
			if seen[o] {
				continue
			}
			seen[o] = true
			p := s.Path(o)
			if p == nil {
				unreached++
			}
			for _, x := range p {
				sm := want[x]
				sm.targets++
				sm.retained += size(o)
				want[x] = sm
			}
		}
		m := s.Merge(targets)
		m.Sum(size, nil, nil)
		if m.Unreached != unreached || len(m.Nodes) != len(want) {
			t.Fatalf("heap %d: %d nodes, %d unreached; want %d, %d", iter, len(m.Nodes), m.Unreached, len(want), unreached)
		}
		roots := 0
		for k, nd := range m.Nodes {
			sm, ok := want[nd.Object]
			if !ok || nd.Targets != sm.targets || nd.Retained != sm.retained || m.Target(int32(k)) != seen[nd.Object] {
				t.Fatalf("heap %d: node %+v, want %+v (on a path: %v)", iter, nd, sm, ok)
			}
			path := s.Path(nd.Object)
			if m.Parent(int32(k)) < 0 {
				roots++
				if len(path) != 1 {
					t.Fatalf("heap %d: root node %+v has path %v", iter, nd, path)
				}
			} else if parent := m.Nodes[m.Parent(int32(k))].Object; parent != path[len(path)-2] {
				t.Fatalf("heap %d: node %+v has parent %d, path %v", iter, nd, parent, path)
			}
			for _, c := range m.Children(int32(k), 0) {
				if m.Parent(c) != int32(k) {
					t.Fatalf("heap %d: node %d lists child %d whose parent is %d", iter, k, c, m.Parent(c))
				}
			}
		}
		if roots != len(m.Roots) {
			t.Fatalf("heap %d: %d roots listed, %d nodes without a parent", iter, len(m.Roots), roots)
		}
		total := 0
		for k := range m.Nodes {
			total += len(m.Children(int32(k), 0))
		}
		if total != len(m.Nodes)-roots {
			t.Fatalf("heap %d: %d child links for %d nodes and %d roots", iter, total, len(m.Nodes), roots)
		}
		// Ranked: the same sums, on the paths to the biggest alone.
		var reached []heap.ObjectIndex
		for o := range seen {
			if s.Reached(o) {
				reached = append(reached, o)
			}
		}
		checkRanked(t, r, s, targets, reached, size, nil, func(x heap.ObjectIndex) (int32, uint64) {
			return want[x].targets, want[x].retained
		})
	}
}

// checkRanked merges the paths to targets and sums them after Rank with
// a random rank below the count of reached, the targets reached, and
// checks the tree: Biggest is the rank biggest (their sizes, then the
// lower object), the nodes are the objects on their paths, each with its
// BFS parent as its parent, and with the counts and sums that want gives.
// It returns the tree, or nil when fewer than two targets are reached.
func checkRanked(t *testing.T, r *rand.Rand, s *Search, targets, reached []heap.ObjectIndex, size func(heap.ObjectIndex) uint64, idom func(heap.ObjectIndex) int32, want func(heap.ObjectIndex) (int32, uint64)) *Tree {
	t.Helper()
	if len(reached) < 2 {
		return nil
	}
	rank := 1 + r.IntN(len(reached)-1)
	m := s.Merge(targets)
	m.Rank(rank)
	m.Sum(size, idom, nil)
	ranked := slices.Clone(reached)
	slices.SortFunc(ranked, func(a, b heap.ObjectIndex) int {
		if c := cmp.Compare(size(b), size(a)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	var biggest []heap.ObjectIndex
	for _, k := range m.Biggest() {
		biggest = append(biggest, m.Nodes[k].Object)
	}
	if !slices.Equal(biggest, ranked[:rank]) {
		t.Fatalf("rank %d: Biggest %v, want %v", rank, biggest, ranked[:rank])
	}
	onPaths := map[heap.ObjectIndex]bool{}
	for _, o := range ranked[:rank] {
		for _, x := range s.Path(o) {
			onPaths[x] = true
		}
	}
	if len(m.Nodes) != len(onPaths) {
		t.Fatalf("rank %d: %d nodes, want %d", rank, len(m.Nodes), len(onPaths))
	}
	roots := 0
	for k, nd := range m.Nodes {
		targets, retained := want(nd.Object)
		if !onPaths[nd.Object] || nd.Targets != targets || nd.Retained != retained {
			t.Fatalf("rank %d: node %+v, want %d targets, %d bytes (on the paths: %v)", rank, nd, targets, retained, onPaths[nd.Object])
		}
		path := s.Path(nd.Object)
		if p := m.Parent(int32(k)); p < 0 {
			roots++
			if len(path) != 1 {
				t.Fatalf("rank %d: root node %+v has path %v", rank, nd, path)
			}
		} else if m.Nodes[p].Object != path[len(path)-2] {
			t.Fatalf("rank %d: node %+v has parent %d, path %v", rank, nd, m.Nodes[p].Object, path)
		}
		for _, c := range m.Children(int32(k), 0) {
			if m.Parent(c) != int32(k) {
				t.Fatalf("rank %d: node %d lists child %d whose parent is %d", rank, k, c, m.Parent(c))
			}
		}
	}
	if roots != len(m.Roots) {
		t.Fatalf("rank %d: %d roots listed, %d nodes without a parent", rank, len(m.Roots), roots)
	}
	return m
}

// TestSumPassed: Sum on more nodes than it takes between calls to passed
// gives the same sums as a walk up from each target, tells passed about
// every node's object exactly once, and never asks for an object it has
// said it is past; with Rank, it keeps the paths to the biggest matches,
// each share's. On a random forest, and on one where two nodes, one in
// the other's subtree, have more children than sum takes one at a time
// (the outer one's subtrees are summed on two cores).
func TestSumPassed(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	for _, hot := range []bool{false, true} {
		for _, rank := range []int{0, 25} {
			testSumPassed(t, hot, rank)
		}
	}
}

func testSumPassed(t *testing.T, hot bool, rank int) {
	r := rand.New(rand.NewPCG(7, 7))
	n := 8*passChunk + 123
	// Node k is object 3k+1. The tree as Merge leaves it, from a search
	// that holds only the parents by object, with the matches; and, for
	// Sum without Rank, the objects on the paths already marked.
	objects := 3*n + 1
	m := &Tree{s: &Search{parent: make([]int32, objects)}, matches: bitset.New(objects)}
	onPath := bitset.New(objects)
	parent := make([]int32, n)
	for k := range n {
		o := int32(3*k + 1)
		onPath.Add(o)
		if k%5 != 0 {
			m.matches.Add(o)
			m.reached++
		}
		up := int32(-1)
		switch {
		case k == 0 || k%100 == 0:
		case k == 1:
			up = 0
		case hot && k == 3:
			up = 1
		case hot && k > 3 && k%2 == 1:
			up = 1 // node 1, below root 0: half the nodes are its children
		case hot && k > 3 && k%4 == 2:
			up = 3 // node 3, below node 1: a quarter
		default:
			up = int32(r.IntN(k))
		}
		parent[k] = up
		m.s.parent[o] = rootParent
		if up >= 0 {
			m.s.parent[o] = 3*up + 1
		}
	}
	m.onPath = bitset.Number(onPath)
	// Sizes 1-7, and 107-ish for one node in 40,000 (objects 3k+1), so
	// that the biggest matches lie in both of Sum's shares.
	size := func(o heap.ObjectIndex) uint64 {
		if (o-1)/3%40000 == 7 {
			return uint64(o%7 + 101)
		}
		return uint64(o%7 + 1)
	}
	want := make([]Node, n)
	var ranked []int32 // the matches' nodes, biggest first
	for k := range n {
		o := heap.ObjectIndex(3*k + 1)
		if !m.matches.Has(int32(o)) {
			continue
		}
		ranked = append(ranked, int32(k))
		for x := int32(k); x >= 0; x = parent[x] {
			want[x].Targets++
			want[x].Retained += size(o)
		}
	}
	slices.SortStableFunc(ranked, func(a, b int32) int { return cmp.Compare(size(heap.ObjectIndex(3*b+1)), size(heap.ObjectIndex(3*a+1))) })
	var mu sync.Mutex
	passedTimes := map[heap.ObjectIndex]int{}
	asked := func(o heap.ObjectIndex) uint64 {
		mu.Lock()
		defer mu.Unlock()
		if passedTimes[o] > 0 {
			t.Errorf("object %d asked for after it was passed", o)
		}
		return size(o)
	}
	m.Rank(rank)
	m.Sum(asked, nil, func(lo, hi heap.ObjectIndex) {
		mu.Lock()
		defer mu.Unlock()
		for o := lo; o < hi; o++ {
			if (o-1)%3 == 0 {
				passedTimes[o]++
			}
		}
	})
	if hot && rank == 0 {
		for _, k := range []int32{1, 3} {
			if c := m.childStart[k+1] - m.childStart[k]; par.Shares(int(c), 0) < 2 {
				t.Fatalf("node %d has %d children, too few for par.For to split", k, c)
			}
		}
	}
	// With rank, the biggest matches by their own size, ties by object,
	// and their paths: all of them and nothing else.
	var biggest []int32
	for _, k := range m.Biggest() {
		biggest = append(biggest, (int32(m.Nodes[k].Object)-1)/3)
	}
	if rank > 0 && !slices.Equal(biggest, ranked[:rank]) || rank == 0 && biggest != nil {
		t.Fatalf("hot %v, rank %d: Biggest %v, want %v", hot, rank, biggest, ranked[:rank])
	}
	nodes := n
	if rank > 0 {
		onPaths := map[int32]bool{}
		for _, k := range ranked[:rank] {
			for x := k; x >= 0 && !onPaths[x]; x = parent[x] {
				onPaths[x] = true
			}
		}
		nodes = len(onPaths)
	}
	if len(m.Nodes) != nodes {
		t.Fatalf("hot %v, rank %d: %d nodes, want %d", hot, rank, len(m.Nodes), nodes)
	}
	for k, nd := range m.Nodes {
		x := (int32(nd.Object) - 1) / 3
		if nd.Targets != want[x].Targets || nd.Retained != want[x].Retained {
			t.Fatalf("hot %v, rank %d, node %d: %d targets, %d bytes; want %d, %d", hot, rank, x, nd.Targets, nd.Retained, want[x].Targets, want[x].Retained)
		}
		if p := m.Parent(int32(k)); p >= 0 && (int32(m.Nodes[p].Object)-1)/3 != parent[x] || p < 0 && parent[x] >= 0 {
			t.Fatalf("hot %v, rank %d, node %d: parent node %d, want object %d's", hot, rank, x, p, parent[x])
		}
	}
	for k := range n {
		if o := heap.ObjectIndex(3*k + 1); passedTimes[o] != 1 {
			t.Fatalf("hot %v, rank %d: object %d passed %d times", hot, rank, o, passedTimes[o])
		}
	}
}

// TestSumNested: where one target dominates another, the nodes above the
// outer one count the inner one's size once, inside the outer one's. On
// random heaps with many dominated objects, a node's sum is that of the
// targets below it that no other target below it dominates (dominance
// found by removing an object and searching again), with the immediate
// dominators of the whole tree and of the tree below the targets alike.
func TestSumNested(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 4))
	nested := 0 // nodes where some target below counts inside another
	long := 0   // matches whose walk up in sumRanked is longer than maxWalk
	for iter := 0; iter < 200; iter++ {
		n, l := checkSumNested(t, r, iter%10 == 9)
		nested += n
		long += l
	}
	if nested < 100 {
		t.Errorf("only %d nodes with a target inside another below them", nested)
	}
	if long < 100 {
		t.Errorf("only %d matches more than maxWalk below the paths kept", long)
	}
}

// FuzzSumNested is TestSumNested's check on the heap that the seeds draw.
func FuzzSumNested(f *testing.F) {
	f.Add(uint64(9), uint64(4), false)
	f.Add(uint64(1), uint64(2), true)
	f.Fuzz(func(t *testing.T, a, b uint64, chain bool) {
		checkSumNested(t, rand.New(rand.NewPCG(a, b)), chain)
	})
}

// checkSumNested checks Sum, without Rank and with, on a random heap
// with random targets, against sums found naively; chain makes the heap a
// chain longer than maxWalk. It returns how many nodes have a target
// inside another below them, and how many targets are more than maxWalk
// below the paths a ranked Sum kept.
func checkSumNested(t *testing.T, r *rand.Rand, chain bool) (nested, long int) {
	t.Helper()
	w := hproftest.New(8, "")
	n := 2 + r.IntN(40)
	var ids []uint64
	if chain {
		// Two chains longer than maxWalk, each from its last array to
		// its first, with some references across: walks up from matches
		// deep below the biggest, which sumRanked finishes on one core,
		// and from matches on a chain with none of the biggest, up to a
		// GC root that is on no path kept.
		n = 6*maxWalk + r.IntN(200)
		h := n/2 + r.IntN(maxWalk) // the second chain's first array
		arr := w.ObjectArrayClass()
		ids = make([]uint64, n)
		for i := range ids {
			ids[i] = w.NewID()
		}
		for i := range ids {
			var elems []uint64
			if i > 0 && i != h {
				elems = append(elems, ids[i-1])
			}
			if r.IntN(20) == 0 {
				elems = append(elems, ids[r.IntN(n)])
			}
			w.ObjArray(ids[i], arr, elems)
		}
		w.Root(hprof.SubRootJNIGlobal, ids[h-1], 0, 0)
		ids[0], ids[n-1] = ids[n-1], ids[0] // the other root: ids[0]
	} else {
		ids = w.RandomArrays(r, n, 3) // up to 2 references: chains and trees
	}
	w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
	g := heaptest.Build(t, w.Bytes())
	s := Find(g, Options{})
	var targets []heap.ObjectIndex
	isTarget := map[heap.ObjectIndex]bool{}
	for _, id := range ids {
		if x := g.Lookup(id); r.IntN(3) == 0 && s.Reached(x) {
			targets = append(targets, x)
			isTarget[x] = true
		}
	}
	// reachableWithout[a][o]: o is reached from the roots when a is
	// taken out of the heap.
	reachableWithout := func(a heap.ObjectIndex) map[heap.ObjectIndex]bool {
		seen := map[heap.ObjectIndex]bool{}
		roots, _ := g.RootSet()
		var queue []heap.ObjectIndex
		for _, x := range roots {
			if x != a && !seen[x] {
				seen[x] = true
				queue = append(queue, x)
			}
		}
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			s.Successors(v, func(x heap.ObjectIndex) {
				if x != a && !seen[x] {
					seen[x] = true
					queue = append(queue, x)
				}
			})
		}
		return seen
	}
	without := map[heap.ObjectIndex]map[heap.ObjectIndex]bool{}
	for _, a := range targets {
		without[a] = reachableWithout(a)
	}
	dominates := func(a, b heap.ObjectIndex) bool { return a != b && !without[a][b] }
	size := func(o heap.ObjectIndex) uint64 { return uint64(o)*7 + 1 }
	// below[x]: the targets whose path passes x.
	below := map[heap.ObjectIndex][]heap.ObjectIndex{}
	for _, o := range targets {
		for _, x := range s.Path(o) {
			below[x] = append(below[x], o)
		}
	}
	want := func(x heap.ObjectIndex) uint64 {
		var sum uint64
		for _, b := range below[x] {
			inner := false
			for _, a := range below[x] {
				inner = inner || dominates(a, b)
			}
			if !inner {
				sum += size(b)
			}
		}
		return sum
	}
	for x, bs := range below {
		var all uint64
		for _, b := range bs {
			all += size(b)
		}
		if all != want(x) {
			nested++
		}
	}
	tree := dominator.Compute(g, dominator.Options{})
	part := dominator.ComputeBelow(g, dominator.Options{}, targets)
	for name, idom := range map[string]func(heap.ObjectIndex) int32{"tree": tree.Idom, "below": part.Idom} {
		m := s.Merge(targets)
		m.Sum(size, idom, nil)
		for _, nd := range m.Nodes {
			if nd.Retained != want(nd.Object) || int(nd.Targets) != len(below[nd.Object]) {
				t.Fatalf("%s: node %+v, want %d targets, %d bytes", name, nd, len(below[nd.Object]), want(nd.Object))
			}
		}
		if m := checkRanked(t, r, s, targets, targets, size, idom, func(x heap.ObjectIndex) (int32, uint64) {
			return int32(len(below[x])), want(x)
		}); m != nil {
			long += longWalks(s, m, targets)
		}
	}
	return nested, long
}

// longWalks counts the targets more than maxWalk references below the
// nodes of m.
func longWalks(s *Search, m *Tree, targets []heap.ObjectIndex) int {
	kept := map[heap.ObjectIndex]bool{}
	for _, nd := range m.Nodes {
		kept[nd.Object] = true
	}
	long := 0
	for _, o := range targets {
		p := s.Path(o)
		d := 0
		for i := len(p) - 1; i >= 0 && !kept[p[i]]; i-- {
			d++
		}
		if d > maxWalk {
			long++
		}
	}
	return long
}

// TestSumNestedOnCores: targets below a node whose subtrees are summed on
// two cores give their sizes back at a target above it (atomically, from
// both); and at one inside their own subtree, on the same core.
func TestSumNestedOnCores(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	// Node k is object k. 0: a target, root; 1: below 0, the hub; then
	// pairs (middle, leaf) below the hub: the leaf is a target, and every
	// tenth middle is one too.
	const pairs = 3 * (1 << 16)
	n := 2 + 2*pairs
	m := &Tree{Nodes: make([]Node, n), parent: make([]int32, n), matches: bitset.New(n)}
	idom := make([]int32, n)
	node := func(k, up int32, target bool) {
		m.Nodes[k], m.parent[k] = Node{Object: heap.ObjectIndex(k)}, up
		if target {
			m.matches.Add(k)
		}
	}
	node(0, -1, true)
	node(1, 0, false)
	idom[0], idom[1] = -2, 0
	for p := 0; p < pairs; p++ {
		mid, leaf := int32(2+2*p), int32(3+2*p)
		node(mid, 1, p%10 == 0)
		node(leaf, mid, true)
		idom[mid], idom[leaf] = 1, mid
	}
	onPath := bitset.New(n)
	for k := range n {
		onPath.Add(int32(k))
	}
	m.onPath = bitset.Number(onPath)
	m.link()
	if c := m.childStart[2] - m.childStart[1]; par.Shares(int(c), 0) < 2 {
		t.Fatalf("the hub has %d children, too few for par.For to split", c)
	}
	size := func(o heap.ObjectIndex) uint64 { return uint64(o) + 1 }
	m.Sum(size, func(o heap.ObjectIndex) int32 { return idom[o] }, nil)
	// A leaf below a target middle counts in the middle only; the others
	// count up to the hub, and the root holds only its own size.
	var hub uint64
	for p := 0; p < pairs; p++ {
		mid, leaf := 2+2*p, 3+2*p
		want := size(heap.ObjectIndex(leaf))
		if p%10 == 0 {
			want = size(heap.ObjectIndex(mid))
		} else if m.Nodes[mid].Retained != want {
			t.Fatalf("middle %d: %d bytes, want %d", mid, m.Nodes[mid].Retained, want)
		}
		hub += want
	}
	if m.Nodes[1].Retained != hub || m.Nodes[0].Retained != size(0) {
		t.Errorf("hub %d bytes, root %d; want %d, %d", m.Nodes[1].Retained, m.Nodes[0].Retained, hub, size(0))
	}
}

// TestFindTargets: the search stopped at its targets gives each object it
// reached the parent the whole search gives, reaches every target the
// whole search reaches, and on a long chain stops well before its end.
// It is never saved as the whole search.
func TestFindTargets(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 21))
	skipped := 0
	for iter := 0; iter < 300; iter++ {
		var g *heap.Graph
		if iter%2 == 0 {
			g = randomArrayHeap(t, r, 2+r.IntN(60))
		} else { // the array class a GC root: empty arrays need no search
			g = randomRootedArrayHeap(t, r, 2+r.IntN(60))
		}
		whole := Find(g, Options{})
		var targets []heap.ObjectIndex
		for k := r.IntN(4); k >= 0; k-- { // some twice, some unreached
			targets = append(targets, heap.ObjectIndex(r.IntN(g.NumObjects())))
		}
		s := FindTargets(g, Options{}, targets)
		// A target no root reaches: the search runs to its end, and what
		// it leaves unreached, it skipped.
		runs := slices.ContainsFunc(targets, func(x heap.ObjectIndex) bool { return !whole.Reached(x) })
		for o := range s.parent {
			if s.parent[o] != unreached && s.parent[o] != whole.parent[o] {
				t.Fatalf("heap %d: object %d has parent %d, the whole search gives %d", iter, o, s.parent[o], whole.parent[o])
			}
			if s.parent[o] == unreached && whole.parent[o] != unreached && runs {
				skipped++
			}
		}
		for _, x := range targets {
			if s.Reached(x) != whole.Reached(x) || !slices.Equal(s.Path(x), whole.Path(x)) {
				t.Fatalf("heap %d: target %d: path %v, the whole search's %v", iter, x, s.Path(x), whole.Path(x))
			}
		}
	}

	if skipped == 0 {
		t.Error("no search skipped an object")
	}

	// A chain of 1,000 arrays from one root: the third is found after
	// three objects are searched, and the rest is left alone.
	w := hproftest.New(8, "")
	arr := w.ObjectArrayClass()
	ids := make([]uint64, 1000)
	for i := range ids {
		ids[i] = w.NewID()
	}
	for i, id := range ids {
		var next []uint64
		if i+1 < len(ids) {
			next = []uint64{ids[i+1]}
		}
		w.ObjArray(id, arr, next)
	}
	w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
	g := heaptest.Build(t, w.Bytes())
	s := FindTargets(g, Options{}, []heap.ObjectIndex{g.Lookup(ids[2])})
	if got := len(s.Path(g.Lookup(ids[2]))); got != 3 {
		t.Fatalf("path to the third array: %d objects, want 3", got)
	}
	if s.Reached(g.Lookup(ids[10])) {
		t.Fatal("the search went on past its only target")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a stopped search was saved as the whole search")
		}
	}()
	s.SaveIndex(&index.Writer{})
}

// TestLabelAll: LabelAll, reading each referring object's record once in
// dump order, labels every edge as Label does reading it on its own: the
// references of a third of the objects (fewer, spread out, in a big dump:
// fields, array slots, statics and class objects), thread locals, repeated edges and references that do
// not exist ("?"), in shuffled order, on the fixture dumps and the shared
// ones (JDK 5 to 11, 32 and 64 bit).
func TestLabelAll(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	shared, _ := filepath.Glob("../../../shared/dumps/*/*.hprof")
	if len(shared) == 0 {
		t.Log("../shared/dumps absent: the fixture dumps only")
	}
	if len(dumps) == 0 {
		t.Skip("no dumps in testdata/dumps")
	}
	r := rand.New(rand.NewPCG(7, 11))
	// Those dumps' records lie outside numbered chunks, read at their
	// offsets; this one's in chunks the walk goes through.
	chunked := filepath.Join(t.TempDir(), "chunked.hprof")
	if err := os.WriteFile(chunked, chunkedHeap(r), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range append(append(dumps, shared...), chunked) {
		g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		s := Find(g, Options{})
		var edges []Edge
		n := g.NumObjects()
		for o := 0; o < n && len(edges) < 60_000; o++ {
			if r.IntN(max(3, n/20_000)) != 0 { // a third, or fewer spread over a big dump
				continue
			}
			x := heap.ObjectIndex(o)
			for _, y := range g.Refs(x) {
				edges = append(edges, Edge{x, y})
			}
			if c := g.ClassObject(x); c != heap.None {
				edges = append(edges, Edge{x, c})
			}
			edges = append(edges, Edge{x, heap.ObjectIndex(r.IntN(n))}) // mostly no reference
		}
		locals := 0
		for from, ls := range s.locals {
			for _, l := range ls {
				edges = append(edges, Edge{from, l.Object})
				locals++
			}
		}
		edges = append(edges, edges[:100]...)
		r.Shuffle(len(edges), func(i, j int) { edges[i], edges[j] = edges[j], edges[i] })
		got := s.LabelAll(edges)
		unknown := 0
		for i, e := range edges {
			if want := s.Label(e.From, e.To); got[i] != want {
				t.Fatalf("%s: edge %d -> %d: LabelAll %q, Label %q", filepath.Base(path), e.From, e.To, got[i], want)
			}
			if got[i] == "?" {
				unknown++
			}
		}
		if unknown == len(edges) || unknown == 0 {
			t.Errorf("%s: %d of %d edges unlabelled: the test compares nothing", filepath.Base(path), unknown, len(edges))
		}
		if filepath.Base(path) == "Spark22713.hprof" && locals == 0 {
			t.Errorf("%s: no thread locals among the edges", filepath.Base(path))
		}
		g.Close()
	}
}

// chunkedHeap writes 150,000 objects with ascending ids, in segments of
// 5,000: instances of a class with two reference fields and object arrays
// of three, each referring to earlier objects or to nothing, a tenth of
// them held by JNI globals.
func chunkedHeap(r *rand.Rand) []byte {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	node := w.Class("com/example/Node", obj, 0, nil, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}, {Name: "n", Type: hprof.TypeInt}, {Name: "other", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	var ids []uint64
	pick := func() uint64 {
		if len(ids) == 0 || r.IntN(4) == 0 {
			return 0
		}
		return ids[r.IntN(len(ids))]
	}
	for k := range 150_000 {
		if k%5000 == 4999 {
			w.Flush()
		}
		id := w.NewID()
		if k%10 == 0 {
			w.ObjArray(id, arr, []uint64{pick(), pick(), pick()})
			w.Root(hprof.SubRootJNIGlobal, id, 0, 0)
		} else {
			w.Instance(id, node, []hprof.BasicType{hprof.TypeObject, hprof.TypeInt, hprof.TypeObject}, []uint64{pick(), uint64(k), pick()})
		}
		ids = append(ids, id)
	}
	return w.Bytes()
}
