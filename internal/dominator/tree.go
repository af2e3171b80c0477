package dominator

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// Options choose the semantics; the defaults follow Eclipse MAT.
type Options struct {
	// IgnoreWeak leaves out the referent of java.lang.ref.Reference and its
	// subclasses (Weak, Soft, Phantom, Final); by default it counts.
	IgnoreWeak bool
	// KeepUnreachable makes objects no GC root reaches into roots of their
	// own (the first unreached object of each unreachable part, in index
	// order), instead of leaving them out.
	KeepUnreachable bool
	Progress        func(phase string, done, total int64)
	// Spare, if set, is started on a goroutine of its own when the
	// computation reaches its last phases: Semi-NCA's EVAL, which runs on
	// one core; the end of a peel's placing, once the nodes are freed
	// (what Spare allocates would add to them at the peak, and placing
	// keeps every core busy); the start of ComputeBelow's sums over a
	// forest, which its goroutine joins once it returns (ComputeBelow
	// then waits for it, and a fault on a mapped file in it panics
	// there). Otherwise Compute and ComputeBelow do not wait for it, and
	// ComputeBelow may return without starting it (when there is no
	// target, or none is reached); a fault on a mapped file ends it there
	// (par.Go) and is dropped: Spare hands it on to what waits for its
	// work.
	Spare func()
	// Beside is how many cores another computation keeps busy while
	// this one runs (the search for paths beside ComputeBelow): its
	// searches that would run on all cores leave those to it.
	Beside int
}

// Tree is the dominator tree of a graph with retained sizes.
type Tree struct {
	g *heap.Graph
	// idom[o]: object index of o's immediate dominator, TopLevel or
	// Unreachable.
	idom []int32
	// retained[o]: bytes freed if o were: o and everything it dominates.
	retained []uint64
	// retained4 and bigRetained hold them instead in a tree mapped from
	// an index (half the bytes to write and read): retained4[o] is o's
	// size, or retainedOver for one of 4 GiB or more, which bigRetained
	// holds (pairs of object and size, in object order).
	retained4   []uint32
	bigRetained []uint64
	indexPath   string // the part mapped, for errors
	// ReachableObjects and ReachableBytes count what the tree holds: what
	// the GC roots keep alive and, with KeepUnreachable, the rest too
	// (KeptObjects and KeptBytes of them).
	ReachableObjects int64
	ReachableBytes   uint64
	// UnreachableObjects and UnreachableBytes are left out of the tree
	// (none with KeepUnreachable).
	UnreachableObjects int64
	UnreachableBytes   uint64
	// KeptObjects and KeptBytes are what no GC root reaches that
	// KeepUnreachable took into the tree, as roots of their own or below
	// them: a part of ReachableObjects and ReachableBytes (0 without it).
	KeptObjects int64
	KeptBytes   uint64
	// keptRoots marks the roots KeepUnreachable made (nil without it):
	// in object order, each object neither a GC root nor such a root
	// before it reaches.
	keptRoots bitset.Set
	// ThreadLocals maps a thread object to the objects its stack frames
	// hold (JAVA FRAME and JNI LOCAL roots of a known thread), which the
	// tree treats as referenced by the thread rather than as roots.
	ThreadLocals map[heap.ObjectIndex][]heap.ObjectIndex

	childStart []uint32 // dominator-tree children CSR, built on demand
	children   []heap.ObjectIndex
	sorted     []uint64           // bitset over child lists already sorted
	topLevel   []heap.ObjectIndex // the super-root's children, sorted
	topOnce    sync.Once          // makes topLevel
	// evict, in a tree mapped from an index, drops pages of its arrays
	// from the resident set (index.Part.Evictor); nil otherwise.
	evict func([]byte)
	// idomChecked and retainedChecked, in a tree mapped from an index,
	// check the idom and retained arrays as they are used
	// (index.Deferred): a scan checks its array whole first, Idom and
	// Retained the block they read. paths and dominators read a few
	// entries of each. Nil otherwise.
	idomChecked, retainedChecked *index.Deferred
}

// Compute builds the dominator tree of g.
func Compute(g *heap.Graph, opts Options) *Tree {
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	n := g.NumObjects()
	v := newView(g, opts)
	t := &Tree{g: g, ThreadLocals: map[heap.ObjectIndex][]heap.ObjectIndex{}}
	for th, ls := range v.extra {
		for _, l := range ls {
			t.ThreadLocals[heap.ObjectIndex(th)] = append(t.ThreadLocals[heap.ObjectIndex(th)], heap.ObjectIndex(l))
		}
	}
	var extraRoots func(func(int32) bool) []int32
	if opts.KeepUnreachable {
		// Called once the search from the GC roots is done: every object
		// it has not visited is one they do not reach.
		extraRoots = func(visited func(int32) bool) []int32 {
			var out []int32
			for o := 0; o < n; o++ {
				if !visited(int32(o)) {
					out = append(out, int32(o))
					t.KeptObjects++
					t.KeptBytes += g.ShallowSize(heap.ObjectIndex(o))
				}
			}
			t.keptRoots = keptRoots(v, out, visited)
			return out
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if extraRoots == nil {
		if p, ok := peelDominators(v, workers, progress, opts.Spare); ok {
			progress("retained", 0, int64(n))
			t.idom = p.idom
			t.retained, t.ReachableBytes = p.retained(func(o int32) uint64 { return g.ShallowSize(heap.ObjectIndex(o)) }, workers)
			t.count(p.reached)
			progress("dominators", int64(n), int64(n))
			return t
		}
	}
	idomPre, order := semiNCA(v, extraRoots, workers, progress, opts.Spare)
	progress("retained", 0, int64(n))

	// Retained sizes, by preorder number: in reverse preorder every object
	// comes after all it dominates, and its idom's number is below its
	// own, so the sums run over arrays in that order, not at random by
	// object. ret[0], the super-root, ends with all that is reachable.
	r := len(order)
	ret := mem.Make[uint64](r + 1)
	par.For(r, workers, func(lo, hi int) {
		for p := lo + 1; p <= hi; p++ {
			ret[p] = g.ShallowSize(heap.ObjectIndex(order[p-1]))
		}
	})
	for p := r; p >= 1; p-- {
		ret[idomPre[p]] += ret[p]
	}
	t.ReachableBytes = ret[0]
	t.retained = mem.Make[uint64](n)
	par.For(r, workers, func(lo, hi int) {
		for p := lo + 1; p <= hi; p++ {
			t.retained[order[p-1]] = ret[p]
		}
	})
	ret = nil
	mem.Release(8 * r) // ret, and semi from the NCA step
	t.idom = objectIdoms(idomPre, order, n, workers)
	idomPre = nil
	t.count(int64(r))
	order = nil
	mem.Release(4 * n)
	progress("dominators", int64(n), int64(n))
	return t
}

// count sets the totals, given how many objects are reachable (idom and
// ReachableBytes set).
func (t *Tree) count(reached int64) {
	t.ReachableObjects = reached
	t.UnreachableObjects = int64(len(t.idom)) - reached
	t.UnreachableBytes = t.g.ShallowTotal() - t.ReachableBytes // a scan on all cores
}

// Graph returns the graph the tree was computed on.
func (t *Tree) Graph() *heap.Graph { return t.g }

// KeptRoot reports whether KeepUnreachable made o a root of the tree: no
// GC root reaches it, nor another such root before it in object order (an
// object two such roots reach is at the top level too, but no root).
func (t *Tree) KeptRoot(o heap.ObjectIndex) bool {
	return t.keptRoots != nil && t.keptRoots.Has(int32(o))
}

// keptRoots returns the roots KeepUnreachable makes of the objects
// unreached (no GC root reaches them; in object order): each one no root
// before it reaches, as the search takes them in turn.
func keptRoots(v *view, unreached []int32, visited func(int32) bool) bitset.Set {
	roots := bitset.New(v.n)
	seen := bitset.New(v.n)
	var queue []int32
	for _, r := range unreached {
		if seen.Has(r) {
			continue
		}
		roots.Add(r)
		seen.Add(r)
		queue = v.mark(append(queue[:0], r), seen, func(w int32) bool { return !visited(w) })
	}
	return roots
}

// Idom returns o's immediate dominator, or TopLevel, or Unreachable.
func (t *Tree) Idom(o heap.ObjectIndex) int32 {
	if t.idomChecked != nil { // no call in a tree computed here
		t.checkIdomAt(o)
	}
	return t.idom[o]
}

// checkIdomAt checks the block of the idom array that Idom(o) reads (a
// call of its own, so that Idom stays inlined).
func (t *Tree) checkIdomAt(o heap.ObjectIndex) { t.idomChecked.CheckEntry(uint64(o), 4) }

// Retained returns o's retained size in bytes (0 when unreachable).
func (t *Tree) Retained(o heap.ObjectIndex) uint64 {
	if t.retainedChecked != nil { // no call in a tree computed here
		t.checkRetainedAt(o)
		return t.mappedRetained(o)
	}
	return t.retained[o]
}

// retainedOver in retained4 says that the size is in bigRetained.
const retainedOver = math.MaxUint32

// retainedAt is Retained without a check.
func (t *Tree) retainedAt(o heap.ObjectIndex) uint64 {
	if t.retained4 != nil {
		return t.mappedRetained(o)
	}
	return t.retained[o]
}

// mappedRetained is retainedAt in a tree mapped from an index.
func (t *Tree) mappedRetained(o heap.ObjectIndex) uint64 {
	if v := t.retained4[o]; v != retainedOver {
		return uint64(v)
	}
	pairs := t.bigRetained
	lo := sort.Search(len(pairs)/2, func(m int) bool { return pairs[2*m] >= uint64(o) })
	if 2*lo >= len(pairs) || pairs[2*lo] != uint64(o) {
		// Both sections pass their checksums, so the part was written
		// so: damaged all the same, and rebuilt as a failed check is.
		panic(&par.FaultError{Path: t.indexPath, Damaged: fmt.Errorf("%s: object %d's retained size is marked as 4 GiB or more, but section bigRetained does not hold it (corrupt)", t.indexPath, o)})
	}
	return pairs[2*lo+1]
}

// RetainedReader returns Retained for a scan of millions of objects'
// sizes: checked whole first if mapped from an index, instead of one
// call each.
func (t *Tree) RetainedReader() func(heap.ObjectIndex) uint64 {
	if t.retained4 == nil {
		r := t.retained
		return func(o heap.ObjectIndex) uint64 { return r[o] }
	}
	t.retainedChecked.Check()
	return t.mappedRetained
}

// checkRetainedAt checks the block of the retained array that
// Retained(o) reads (a call of its own, so that Retained stays inlined).
func (t *Tree) checkRetainedAt(o heap.ObjectIndex) {
	t.retainedChecked.CheckEntry(uint64(o), 4)
}

// DropRetained says that the retained sizes of objects lo..hi-1 will not be
// asked for again soon: when the tree is mapped from an index, their pages
// leave the resident set (and are read back from the page cache if they
// are asked for after all). A scan over millions of objects' sizes calls it
// behind itself.
func (t *Tree) DropRetained(lo, hi heap.ObjectIndex) {
	switch {
	case t.evict == nil || lo >= hi:
	case t.retained4 != nil:
		t.evict(index.AsBytes(t.retained4[lo:hi]))
	default:
		t.evict(index.AsBytes(t.retained[lo:hi]))
	}
}

// Children returns the objects o immediately dominates, biggest retained
// first (then index); heap.None asks for the top-level objects. The
// children table is built on the first call.
//
// The top level is made once and not changed after, so it may be asked for
// from several goroutines (the index writer does); deeper lists only from
// one.
func (t *Tree) Children(o heap.ObjectIndex) []heap.ObjectIndex {
	if o == heap.None {
		// The top level alone needs no children table.
		t.topOnce.Do(func() {
			t.idomChecked.Check()
			t.topLevel = []heap.ObjectIndex{}
			for x, d := range t.idom {
				if d == TopLevel {
					t.topLevel = append(t.topLevel, heap.ObjectIndex(x))
				}
			}
			t.SortByRetained(t.topLevel)
		})
		return t.topLevel
	}
	c := t.UnorderedChildren(o)
	k := int(o) + 1 // slot 0 is the super-root
	if t.sorted[k>>6]&(1<<(uint(k)&63)) == 0 {
		t.sorted[k>>6] |= 1 << (uint(k) & 63)
		t.SortByRetained(c)
	}
	return c
}

// BiggestChild returns the object o immediately dominates that retains the
// most (the first of Children), or heap.None when o dominates nothing,
// without sorting o's children.
func (t *Tree) BiggestChild(o heap.ObjectIndex) heap.ObjectIndex {
	best := heap.None
	for _, c := range t.UnorderedChildren(o) {
		if best == heap.None || t.order(c, best) < 0 {
			best = c
		}
	}
	return best
}

// IndexChildren builds the table of every object's children now, if it is
// not there yet: BiggestChildren then looks children up instead of
// scanning every object's dominator, which pays when many levels of the
// tree are to be expanded (a scan a level: a 1,000-deep chain on the
// bench dump would take 1,000 scans).
func (t *Tree) IndexChildren() {
	if t.childStart == nil {
		t.buildChildren()
	}
}

// UnorderedChildren returns the objects o immediately dominates (heap.None: the
// top level) in no particular order, sorting nothing.
func (t *Tree) UnorderedChildren(o heap.ObjectIndex) []heap.ObjectIndex {
	if t.childStart == nil {
		t.buildChildren()
	}
	k := int(o) + 1
	return t.children[t.childStart[k]:t.childStart[k+1]]
}

// Subtree calls visit for o and every object it dominates, depth first, in
// no particular order (for sums over a retained set: it sorts nothing).
// visit must not call Children, which sorts the lists the walk is in.
// (For most of the heap, PlaceBelow and a scan take less time.)
func (t *Tree) Subtree(o heap.ObjectIndex, visit func(heap.ObjectIndex)) {
	if t.childStart == nil {
		t.buildChildren()
	}
	// The stack holds the unvisited rest of each children list on the
	// way down, not copies of the lists (a map's table dominates
	// millions).
	type rest struct{ from, to uint32 }
	visit(o)
	stack := []rest{{t.childStart[int(o)+1], t.childStart[int(o)+2]}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.from == top.to {
			stack = stack[:len(stack)-1]
			continue
		}
		x := t.children[top.from]
		top.from++
		visit(x)
		if from, to := t.childStart[int(x)+1], t.childStart[int(x)+2]; from < to {
			stack = append(stack, rest{from, to})
		}
	}
}

// Below values for PlaceBelow: an object below none of the tops is
// BelowNone; one below a top is BelowTop plus the top's label.
const (
	BelowNone uint8 = 1
	BelowTop  uint8 = 2
)

// PlaceBelow returns, for every object, what it is below: BelowTop plus
// labels[i] when tops[i] is the nearest of tops that is it or dominates
// it, else BelowNone (unreachable objects included). It needs no children
// table: each object's place is found up its dominators and noted for
// every object met on the way, so each is looked at a bounded number of
// times. It reads the whole idom array, so it pays when tops retain much
// of the heap, as suspects' do.
func (t *Tree) PlaceBelow(tops []heap.ObjectIndex, labels []uint8) []uint8 {
	t.idomChecked.Check()
	const unknown = 0
	place := make([]uint8, len(t.idom))
	for i, x := range tops {
		if t.idom[x] != Unreachable { // (which dominates nothing, itself included)
			place[x] = BelowTop + labels[i]
		}
	}
	var path []int32
	for o, p := range place {
		if p != unknown {
			continue
		}
		x := int32(o)
		for place[x] == unknown {
			path = append(path, x)
			if x = t.idom[x]; x < 0 { // TopLevel, Unreachable
				break
			}
		}
		p = BelowNone
		if x >= 0 {
			p = place[x]
		}
		for _, y := range path {
			place[y] = p
		}
		path = path[:0]
	}
	return place
}

// SortByRetained orders objects as Children does: biggest retained size
// first, then by index.
func (t *Tree) SortByRetained(c []heap.ObjectIndex) { slices.SortFunc(c, t.order) }

// order compares a and b as Children orders them: biggest retained size
// first, then by index.
func (t *Tree) order(a, b heap.ObjectIndex) int {
	ra, rb := t.Retained(a), t.Retained(b)
	switch {
	case ra > rb:
		return -1
	case ra < rb:
		return 1
	}
	return int(a - b)
}

func (t *Tree) buildChildren() {
	t.idomChecked.Check()
	n := len(t.idom)
	start := make([]uint32, n+2)
	slot := func(d int32) int { return int(d) + 1 } // object d's list; the super-root's is 0
	for _, d := range t.idom {
		switch {
		case d == TopLevel:
			start[1]++
		case d >= 0:
			start[slot(d)+1]++
		}
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	children := make([]heap.ObjectIndex, start[n+1])
	// Fill from the end, counting each list's end back down to its
	// start, so that no array of fill positions is needed (120 MB on
	// the bench dump): start[k+1] ends as where list k starts.
	for o := n - 1; o >= 0; o-- {
		k := -1
		switch d := t.idom[o]; {
		case d == TopLevel:
			k = 0
		case d >= 0:
			k = slot(d)
		}
		if k >= 0 {
			start[k+1]--
			children[start[k+1]] = heap.ObjectIndex(o)
		}
	}
	copy(start, start[1:])
	start[n+1] = uint32(len(children))
	if t.evict != nil {
		// A mapped idom array has been read whole. dominators and
		// inspect ask for a few of its entries after this; suspects
		// reads it in order again, from the page cache.
		t.evict(index.AsBytes(t.idom))
	}
	t.childStart, t.children = start, children
	t.sorted = make([]uint64, (n+2+63)/64)
}

// ClassRetained returns, per class, the retained size of its objects that
// no other object of the same class dominates (MAT's retained size of a
// class).
func (t *Tree) ClassRetained() []uint64 {
	groupOf := make([]int32, len(t.g.Classes))
	for c := range groupOf {
		groupOf[c] = int32(c)
	}
	return t.GroupRetained(groupOf, len(groupOf))
}

// GroupRetainedFrom is GroupRetained taking a group of one class's size
// from byClass (ClassRetained, which an index keeps; called only if such
// a group exists): the tree is walked only when some group has several
// classes, and then for those alone.
func (t *Tree) GroupRetainedFrom(byClass func() []uint64, groupOf []int32, groups int) []uint64 {
	size := make([]int32, groups)
	for _, k := range groupOf {
		if k >= 0 {
			size[k]++
		}
	}
	out := make([]uint64, groups)
	several := make([]int32, len(groupOf)) // groupOf, for the groups of several classes
	var classes []uint64
	walk := false
	for c, k := range groupOf {
		several[c] = -1
		switch {
		case k < 0:
		case size[k] == 1:
			if classes == nil {
				classes = byClass()
			}
			out[k] = classes[c]
		default:
			several[c], walk = k, true
		}
	}
	if walk {
		walked := t.GroupRetained(several, groups)
		for k, n := range size {
			if n > 1 {
				out[k] = walked[k]
			}
		}
	}
	return out
}

// GroupRetained is ClassRetained for groups of classes (all the classes of
// one name, say, across class loaders): per group, the retained size of
// its objects that no other object of the group dominates. groupOf[c] is
// class c's group, or -1 for none.
func (t *Tree) GroupRetained(groupOf []int32, groups int) []uint64 {
	t.retainedChecked.Check() // the walk reads the sizes of most objects
	out := make([]uint64, groups)
	// active[k]: how many objects of group k are on the walk's stack,
	// that is, dominate the object being visited.
	active := make([]int32, groups)
	classes := t.g.ClassArray()
	type frame struct {
		o    heap.ObjectIndex
		next int
	}
	stack := []frame{}
	push := func(o heap.ObjectIndex) {
		if k := groupOf[classes[o]]; k >= 0 {
			if active[k] == 0 {
				out[k] += t.retainedAt(o)
			}
			active[k]++
		}
		stack = append(stack, frame{o: o})
	}
	for _, top := range t.UnorderedChildren(heap.None) {
		push(top)
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			kids := t.UnorderedChildren(f.o)
			if f.next < len(kids) {
				k := kids[f.next]
				f.next++
				push(k)
				continue
			}
			if k := groupOf[classes[f.o]]; k >= 0 {
				active[k]--
			}
			stack = stack[:len(stack)-1]
		}
	}
	return out
}
