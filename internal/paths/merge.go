package paths

import (
	containerheap "container/heap"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// Node is an object on the merged paths. (Its parent and whether it
// matches are kept apart, in Tree.Parent and Tree.Target: 16 bytes a node
// instead of 24, for the millions of nodes that millions of matches make,
// and linking the tree reads the parents alone.)
type Node struct {
	// Retained sums the retained sizes of the matching objects reached
	// through this node (itself included); Targets counts them.
	Retained uint64
	Object   heap.ObjectIndex
	Targets  int32
}

// Tree is the merge of the shortest paths to a set of objects: since all
// paths come from one BFS tree, two paths that share an object share all of
// the path above it. Nodes are in object order; after Rank, only those on
// the paths to the matches it keeps, each above its children.
type Tree struct {
	Nodes []Node
	// parent[k]: node k's parent, -1 for a root.
	parent []int32
	// matches: a bit per object, set for the matching ones.
	matches bitset.Set
	// childStart/children: node k's children are
	// children[childStart[k]:childStart[k+1]].
	childStart []int32
	children   []int32
	// sorted[k]: how many of node k's children are in display order at
	// the front; only nodes whose children were asked for are here.
	sorted map[int32]int32
	// rank and biggest: how many of the biggest matches Sum keeps the
	// paths to, and their nodes (see Rank).
	rank    int
	biggest []int32
	Roots   []int32 // nodes without a parent, biggest first; see Children
	// Unreached counts matching objects no GC root reaches, reached those
	// it does.
	Unreached, reached int
	// onPath, from Sum's marking until it is done: the objects on the
	// paths, numbered as the nodes are (see nodeOf). A ranked Sum makes
	// none.
	onPath bitset.Numbering
	// s and lookup: the search, whose parent array Sum walks, and whether
	// that array's blocks are to be checked as they are read (see
	// parentOf).
	s      *Search
	lookup bool
}

// parentOf returns the parent of object x in the search, checked as it
// is read when the search's parent array is mapped from an index and not
// checked whole.
func (t *Tree) parentOf(x int32) int32 {
	if t.lookup {
		t.s.checkParentAt(x)
	}
	return t.s.parent[x]
}

// nodeOf returns the node of object o, or -1 when o is on no path.
func (t *Tree) nodeOf(o int32) int32 {
	if k, ok := t.onPath.Lookup(o); ok {
		return k
	}
	return -1
}

// Parent returns node k's parent, or -1 for a root.
func (t *Tree) Parent(k int32) int32 { return t.parent[k] }

// Target reports whether node k's object is one of the matching objects.
func (t *Tree) Target(k int32) bool { return t.Matches(t.Nodes[k].Object) }

// Matches reports whether object o is one of the matching objects, on a
// path or not.
func (t *Tree) Matches(o heap.ObjectIndex) bool { return t.matches.Has(int32(o)) }

// Label says how node k's parent references it ("" for roots); computed
// on demand, as it decodes the parent's record.
func (t *Tree) Label(s *Search, k int32) string {
	p := t.parent[k]
	if p < 0 {
		return ""
	}
	return s.Label(t.Nodes[p].Object, t.Nodes[k].Object)
}

// Labels is Label for children of node k, reading k's record once.
func (t *Tree) Labels(s *Search, k int32, children []int32) []string {
	objs := make([]heap.ObjectIndex, len(children))
	for i, c := range children {
		objs[i] = t.Nodes[c].Object
	}
	return s.Labels(t.Nodes[k].Object, objs)
}

// Merge gathers the targets that a GC root reaches: Sum makes the tree
// of their shortest paths, with their counts and sizes, and must be called
// before the tree is used. A target named twice counts once.
//
// Millions of targets make millions of nodes, so the tree keeps no table
// over all objects. Without Rank, Sum marks the objects on the paths in a
// bitset (mark) and numbers them in object order, so that an object's node
// is its rank among the marked bits; then it sums each node into its
// parent from the leaves up. After Rank, it makes nodes only of the paths
// it keeps (sumRanked).
func (s *Search) Merge(targets []heap.ObjectIndex) *Tree {
	if index.ReadsMost(len(targets), len(s.parent)) {
		s.parentChecked.Check() // not one block at a time as the walks come to them
	}
	// lookup: the parent array's blocks are to be checked as they are
	// read (parentOf does, but with a call even once all are checked).
	t := &Tree{s: s, lookup: !s.parentChecked.Done()}
	t.matches = bitset.New(len(s.parent))
	for _, o := range targets {
		t.matches.Add(int32(o))
	}
	// The matches no GC root reaches leave the set: they are on no path.
	var nReached, nUnreached atomic.Int64
	par.For(len(t.matches), 0, func(lo, hi int) {
		var r, u int64
		for w := lo; w < hi; w++ {
			for b := t.matches[w]; b != 0; b &= b - 1 {
				o := int32(w<<6 + bits.TrailingZeros64(b))
				if t.parentOf(o) == unreached {
					t.matches[w] &^= 1 << (uint(o) & 63) // this share's word
					u++
				} else {
					r++
				}
			}
		}
		nReached.Add(r)
		nUnreached.Add(u)
	})
	t.reached, t.Unreached = int(nReached.Load()), int(nUnreached.Load())
	return t
}

// mark marks the objects on the paths to the matches and numbers them
// (onPath), walking each match's path up until it meets a marked object,
// on all cores. Whoever marks an object goes on to mark its parent, so
// stopping at a marked object leaves no path unmarked, whichever goroutine
// got there first.
func (t *Tree) mark() {
	onPath := bitset.New(len(t.s.parent))
	par.For(len(t.matches), 0, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			for b := t.matches[w]; b != 0; b &= b - 1 {
				for x := int32(w<<6 + bits.TrailingZeros64(b)); ; {
					bit := uint64(1) << (uint(x) & 63)
					if atomic.LoadUint64(&onPath[x>>6])&bit != 0 || atomic.OrUint64(&onPath[x>>6], bit)&bit != 0 {
						break
					}
					if x = t.parentOf(x); x == rootParent {
						break
					}
				}
			}
		}
	})
	t.onPath = bitset.Number(onPath)
}

// build makes a node of every object on the paths, and links them.
func (t *Tree) build() {
	t.Nodes = mem.Make[Node](t.onPath.Len())
	t.parent = mem.Make[int32](len(t.Nodes))
	par.For(len(t.onPath.Set), 0, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			k := t.onPath.Before(w)
			for b := t.onPath.Set[w]; b != 0; b &= b - 1 {
				o := int32(w<<6 + bits.TrailingZeros64(b))
				t.Nodes[k] = Node{Object: heap.ObjectIndex(o)}
				t.parent[k] = -1
				if p := t.s.parent[o]; p != rootParent { // read, so checked, by mark
					t.parent[k] = t.onPath.Of(p) // marked: see mark
				}
				k++
			}
		}
	})
	t.link()
}

// doneWithParents drops the pages of the parent array mapped from an
// index, which millions of paths read nearly whole, at random.
func (t *Tree) doneWithParents() {
	if t.s != nil && t.s.evict != nil {
		t.s.evict(index.AsBytes(t.s.parent))
	}
}

// Sum gives each target its retained size, from retained (called from
// several goroutines; 0 when unknown), and adds the targets and their
// sizes into every node on their paths. Call it once, before Children.
//
// A target that another one dominates is part of that one's retained
// size: idom, if set, gives immediate dominators (an object index, or
// negative for none that is an object), and such a target's size then
// counts on the nodes from it up to, not including, the nearest target
// dominating it, so that no node adds the same bytes twice. (A dominator
// is on every path to what it dominates, so the nearest one is always a
// node above the target.) Without idom, no target is taken to dominate
// another.
//
// (Merge and Sum are apart so that the paths can be merged while the
// retained sizes are still computed.) Each goroutine asks for objects in
// increasing order, and calls passed(lo, hi), if set, once it will ask for
// none of the objects lo..hi-1 again: a retained array mapped from an
// index can then drop their pages (dominator.Tree.DropRetained). After
// Rank, it asks for each target twice, in two rounds, and calls passed in
// the second.
func (t *Tree) Sum(retained func(heap.ObjectIndex) uint64, idom func(heap.ObjectIndex) int32, passed func(lo, hi heap.ObjectIndex)) {
	if t.rank > 0 {
		t.sumRanked(retained, idom, passed)
		return
	}
	if t.Nodes == nil {
		if t.onPath.Set == nil {
			t.mark()
		}
		t.build()
	}
	t.doneWithParents()
	par.For(len(t.Nodes), 0, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			if nd := &t.Nodes[k]; t.matches.Has(int32(nd.Object)) {
				nd.Targets, nd.Retained = 1, retained(nd.Object)
			}
			if passed != nil && ((k+1-lo)%passChunk == 0 || k+1 == hi) {
				from := lo + (k-lo)/passChunk*passChunk
				passed(t.Nodes[from].Object, t.Nodes[k].Object+1)
			}
		}
	})
	t.sum(idom)
	t.onPath = bitset.Numbering{}
	t.sortChildren(t.Roots)
}

// passChunk is how many nodes Sum takes between calls to passed.
const passChunk = 1 << 16

// link builds the children lists and the roots from the parent links, on
// up to linkShares cores: each share of the nodes counts its children of
// every node in an array of its own, and then puts them in place behind
// the other shares' (so each list is in node order, as one core would
// make it).
func (t *Tree) link() {
	n := len(t.Nodes)
	k := min(par.Shares(n, 0), linkShares)
	// at[j][p+1]: first how many children of node p share j has, then
	// where it puts the next of them.
	at := make([][]int32, k)
	for j := range at {
		at[j] = mem.Make[int32](n + 1)
		mem.Touch(at[j], runtime.GOMAXPROCS(0)) // counted up in place: see mem.Touch
	}
	roots := make([][]int32, k)
	par.InShares(n, k, func(j, lo, hi int) {
		c := at[j]
		for q, p := range t.parent[lo:hi] {
			if p >= 0 {
				c[p+1]++
			} else {
				roots[j] = append(roots[j], int32(lo+q))
			}
		}
	})
	t.Roots = slices.Concat(roots...)
	next := int32(0)
	for p := 1; p <= n; p++ {
		for _, c := range at {
			c[p], next = next, next+c[p]
		}
	}
	t.children = mem.Make[int32](int(next))
	par.InShares(n, k, func(j, lo, hi int) {
		c := at[j]
		for q, p := range t.parent[lo:hi] {
			if p >= 0 {
				t.children[c[p+1]] = int32(lo + q)
				c[p+1]++
			}
		}
	})
	// The last share's positions end each node's list, where the next
	// node's starts.
	t.childStart = at[k-1]
	t.childStart[0] = 0
}

// linkShares bounds the shares of link: each costs an array over the
// nodes.
const linkShares = 2

// sum adds every node's counts into its parent's, children first: in
// post-order, from each root down the children lists with a stack as deep
// as the tree (no array over all nodes, as counting each node's children
// left to add would need). The subtrees of a node with many children (the
// table of a map holding the matches) are summed on all cores. With idom,
// a target below another target has its size taken back at the nearest
// target dominating it (see Sum).
func (t *Tree) sum(idom func(heap.ObjectIndex) int32) {
	s := &summer{t: t, idom: idom, workers: runtime.GOMAXPROCS(0)}
	for _, r := range t.Roots {
		s.below(r, false)
	}
}

// summer is one goroutine's state in sum.
type summer struct {
	t       *Tree
	idom    func(heap.ObjectIndex) int32
	workers int
	stack   []sumFrame
	// nearest[o]: the nearest target dominating object o (not a target
	// itself), or -1 for none; found on the way up from targets, so that
	// a long chain under a target is walked once.
	nearest map[int32]int32
	walked  []int32
}

// sumFrame is a node on the stack: the next of its children to visit, and
// whether a target is above it.
type sumFrame struct {
	k, next int32
	under   bool
}

// below adds up the subtree of node r into r and, but for r itself,
// every node's parent; under says whether a target is above r. A node with
// children enough for par.For to split on the workers has its children's
// subtrees summed on them.
func (s *summer) below(r int32, under bool) {
	t := s.t
	s.enter(r, under)
	s.stack = append(s.stack[:0], sumFrame{r, t.childStart[r], under})
	for len(s.stack) > 0 {
		top := &s.stack[len(s.stack)-1]
		end := t.childStart[top.k+1]
		if top.next == t.childStart[top.k] && par.Shares(int(end-top.next), s.workers) > 1 {
			k, children := top.k, t.children[top.next:end]
			under := top.under || t.Target(k)
			var targets atomic.Int64
			var retained atomic.Uint64
			par.For(len(children), s.workers, func(lo, hi int) {
				var n int64
				var b uint64
				sub := &summer{t: t, idom: s.idom, workers: 1}
				for _, c := range children[lo:hi] {
					sub.below(c, under)
					n += int64(t.Nodes[c].Targets)
					b += t.Nodes[c].Retained
				}
				targets.Add(n)
				retained.Add(b)
			})
			t.Nodes[k].Targets += int32(targets.Load())
			t.Nodes[k].Retained += retained.Load()
			top.next = end
		}
		if top.next < end {
			c := t.children[top.next]
			top.next++
			under := top.under || t.Target(top.k)
			s.enter(c, under)
			s.stack = append(s.stack, sumFrame{c, t.childStart[c], under})
			continue
		}
		if nd, up := &t.Nodes[top.k], t.parent[top.k]; up >= 0 && top.k != r {
			p := &t.Nodes[up]
			p.Targets += nd.Targets
			p.Retained += nd.Retained
		}
		s.stack = s.stack[:len(s.stack)-1]
	}
}

// enter is called for node k before its children: a target below another
// target gives its size back at the nearest target dominating it. That
// node is above k, so its sum is not finished; it may be above a node
// whose subtrees are summed on several cores, hence the atomic subtraction
// (uint64 arithmetic wraps, so the order of the additions and this does
// not matter).
func (s *summer) enter(k int32, under bool) {
	nd := &s.t.Nodes[k]
	if s.idom == nil || !under || !s.t.matches.Has(int32(nd.Object)) {
		return
	}
	if d := s.dominatingTarget(nd.Object); d >= 0 {
		atomic.AddUint64(&s.t.Nodes[s.t.nodeOf(d)].Retained, -nd.Retained) // nd.Retained is still its own
	}
}

// dominatingTarget returns the nearest target dominating object o, or -1.
func (s *summer) dominatingTarget(o heap.ObjectIndex) int32 {
	t := s.t
	s.walked = s.walked[:0]
	found := int32(-1)
	for x := s.idom(o); x >= 0; x = s.idom(heap.ObjectIndex(x)) {
		if d, ok := s.nearest[x]; ok {
			found = d
			break
		}
		if t.onPath.Set != nil && !t.onPath.Has(x) {
			// Not on a path, so not a dominator after all: none. (A
			// ranked Sum marks no paths; a dominator of a match is on
			// every path to it, the search's included.)
			break
		}
		if t.matches.Has(x) {
			found = x
			break
		}
		s.walked = append(s.walked, x)
	}
	if len(s.walked) > 0 && s.nearest == nil {
		s.nearest = map[int32]int32{}
	}
	for _, x := range s.walked {
		s.nearest[x] = found
	}
	return found
}

// Rank asks Sum to keep only the paths to the n matching objects that
// retain the most, when more are reached; the counts and sizes on them
// stay those of all the matching objects. Call it after Merge.
func (t *Tree) Rank(n int) {
	if n > 0 && n < t.reached {
		t.rank = n
	}
}

// Biggest returns the nodes of the matching objects that retain the most,
// as many as Rank asked for (by their own retained sizes, not the nodes'
// sums), biggest first, then by object index; all of them when there are
// no more.
func (t *Tree) Biggest() []int32 { return t.biggest }

// rankedMatch is a matching object's node and its retained size.
type rankedMatch struct {
	size uint64
	k    int32
}

// before: m ranks before o, bigger or as big and lower in object order
// (as the nodes are).
func (m rankedMatch) before(o rankedMatch) bool {
	return m.size > o.size || m.size == o.size && m.k < o.k
}

// lastOnTop is a container/heap of matches, the one ranking last on top.
type lastOnTop []rankedMatch

// offer keeps m if it is among the n best so far: a million matches for
// the default 20 are not all sorted.
func (h *lastOnTop) offer(m rankedMatch, n int) {
	switch {
	case len(*h) < n:
		containerheap.Push(h, m)
	case m.before((*h)[0]):
		(*h)[0] = m
		containerheap.Fix(h, 0)
	}
}

func (h lastOnTop) Len() int           { return len(h) }
func (h lastOnTop) Less(i, j int) bool { return h[j].before(h[i]) }
func (h lastOnTop) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *lastOnTop) Push(x any)        { *h = append(*h, x.(rankedMatch)) }
func (h *lastOnTop) Pop() any {
	x := (*h)[len(*h)-1]
	*h = (*h)[:len(*h)-1]
	return x
}

// Children returns node k's first limit children (all when limit <= 0),
// biggest retained first (then most targets, then object index). Only
// what is asked for is ordered: a node may have millions of children.
func (t *Tree) Children(k int32, limit int) []int32 {
	c := t.children[t.childStart[k]:t.childStart[k+1]]
	if limit <= 0 || limit >= len(c) {
		if int(t.sorted[k]) < len(c) {
			t.sortChildren(c)
			t.setSorted(k, len(c))
		}
		return c
	}
	if int(t.sorted[k]) < limit {
		// Keep the limit biggest, in order, at the front: a child that
		// beats the last of them swaps places with it and is inserted.
		h := c[:limit]
		slices.SortFunc(h, t.cmp)
		for j := limit; j < len(c); j++ {
			if t.cmp(c[j], h[limit-1]) < 0 {
				c[j], h[limit-1] = h[limit-1], c[j]
				for i := limit - 1; i > 0 && t.cmp(h[i], h[i-1]) < 0; i-- {
					h[i], h[i-1] = h[i-1], h[i]
				}
			}
		}
		t.setSorted(k, limit)
	}
	return c[:limit]
}

func (t *Tree) setSorted(k int32, n int) {
	if t.sorted == nil {
		t.sorted = map[int32]int32{}
	}
	t.sorted[k] = int32(n)
}

func (t *Tree) sortChildren(ks []int32) { slices.SortFunc(ks, t.cmp) }

// cmp orders nodes biggest retained first, then most targets, then
// object index.
func (t *Tree) cmp(a, b int32) int {
	na, nb := &t.Nodes[a], &t.Nodes[b]
	switch {
	case na.Retained != nb.Retained:
		if na.Retained > nb.Retained {
			return -1
		}
		return 1
	case na.Targets != nb.Targets:
		return int(nb.Targets) - int(na.Targets)
	}
	return int(na.Object - nb.Object)
}

// sumRanked is Sum after Rank: it makes nodes of the objects on the paths
// to the rank biggest matches alone. Each node's counts and sizes are
// still those of every match below it, found without a node per object on
// the paths: the nodes kept are all the objects above any one of them, so
// a match's path passes a kept node exactly when the first kept object on
// the path passes it. Sum adds each match at that object (its kept
// object, from a walk up that stops there), and then each kept node into
// its parent.
func (t *Tree) sumRanked(retained func(heap.ObjectIndex) uint64, idom func(heap.ObjectIndex) int32, passed func(lo, hi heap.ObjectIndex)) {
	words := len(t.matches)
	// Round 1: the biggest matches.
	var (
		mu   sync.Mutex
		best []rankedMatch // each share's rank best; k is the object
	)
	par.For(words, 0, func(lo, hi int) {
		var mine lastOnTop
		for w := lo; w < hi; w++ {
			for b := t.matches[w]; b != 0; b &= b - 1 {
				o := int32(w<<6 + bits.TrailingZeros64(b))
				mine.offer(rankedMatch{retained(heap.ObjectIndex(o)), o}, t.rank)
			}
		}
		mu.Lock()
		best = append(best, mine...)
		mu.Unlock()
	})
	slices.SortFunc(best, func(a, b rankedMatch) int {
		if a.before(b) {
			return -1
		}
		return 1 // no two have the same object
	})
	best = best[:min(t.rank, len(best))]

	// The kept nodes, numbered from each path's top down, so that a node
	// comes after its parent: keptObj[k] is node k's object, t.parent[k]
	// its parent node.
	memo := newKeptMemo(t)
	var keptObj, chain []int32
	t.parent = nil
	for _, m := range best {
		chain = chain[:0]
		x := m.k
		for ; x != rootParent && !memo.isKept.Has(x); x = t.parentOf(x) {
			chain = append(chain, x)
		}
		up, above := int32(-1), false
		if x != rootParent {
			up, above = memo.keptOf(x)
			above = above || t.matches.Has(x)
		}
		for i := len(chain) - 1; i >= 0; i-- {
			k := int32(len(keptObj))
			keptObj = append(keptObj, chain[i])
			t.parent = append(t.parent, up)
			memo.keep(chain[i], k, above)
			up, above = k, above || t.matches.Has(chain[i])
		}
	}

	// Round 2: each match added at its kept node, on each share's own
	// counts, with its size taken back at the kept node of the nearest
	// match that dominates it. The walks up only read, on all cores; one
	// longer than maxWalk is left for a walk that writes down what it
	// finds, on one core (see keptMemo).
	shares := par.Shares(words, 0)
	counts := make([][]int32, shares)
	sizes := make([][]uint64, shares)
	long := make([][]rankedMatch, shares) // size, object
	add := func(j int, s *summer, m *keptMemo, o int32, r uint64, k int32, above bool) {
		if k < 0 {
			return // on no kept path
		}
		counts[j][k]++
		sizes[j][k] += r
		if idom == nil || !above {
			return
		}
		if d := s.dominatingTarget(heap.ObjectIndex(o)); d >= 0 {
			// d is on the path above o: below o's kept node, or at it,
			// its size then counts on no kept node; else kept itself.
			kd := k
			if m.isKept.Has(d) {
				kd, _ = m.keptOf(d)
			}
			sizes[j][kd] -= r // uint64 arithmetic wraps: the sum comes right
		}
	}
	par.InShares(words, shares, func(j, lo, hi int) {
		counts[j], sizes[j] = make([]int32, len(keptObj)), make([]uint64, len(keptObj))
		s := &summer{t: t, idom: idom}
		m := memo // its own cache of the last kept object met
		from := lo
		for w := lo; w < hi; w++ {
			for b := t.matches[w]; b != 0; b &= b - 1 {
				o := int32(w<<6 + bits.TrailingZeros64(b))
				r := retained(heap.ObjectIndex(o))
				if k, above, ok := m.walk(o); ok {
					add(j, s, &m, o, r, k, above)
				} else {
					long[j] = append(long[j], rankedMatch{r, o})
				}
			}
			if passed != nil && (w+1-from == passChunk/64 || w+1 == hi) {
				passed(heap.ObjectIndex(from<<6), heap.ObjectIndex(min((w+1)<<6, len(t.s.parent))))
				from = w + 1
			}
		}
	})
	s := &summer{t: t, idom: idom}
	for _, l := range long {
		for _, m := range l {
			k, above := memo.resolve(m.k, &chain)
			add(0, s, &memo, m.k, m.size, k, above)
		}
	}
	t.doneWithParents()

	t.Nodes = make([]Node, len(keptObj))
	for k, o := range keptObj {
		nd := &t.Nodes[k]
		nd.Object = heap.ObjectIndex(o)
		for j := range shares {
			nd.Targets += counts[j][k]
			nd.Retained += sizes[j][k]
		}
	}
	for k := len(t.Nodes) - 1; k >= 0; k-- { // children before their parents
		if p := t.parent[k]; p >= 0 {
			t.Nodes[p].Targets += t.Nodes[k].Targets
			t.Nodes[p].Retained += t.Nodes[k].Retained
		}
	}
	t.biggest = make([]int32, len(best))
	for i, m := range best {
		t.biggest[i], _ = memo.keptOf(m.k)
	}
	t.link()
	t.sortChildren(t.Roots)
}

// keptMemo says, for an object on the paths, what sumRanked needs: its
// kept node (the first kept object on its path from itself up, or -1 for
// none) and whether a match lies above it on its path. It knows the kept
// objects from the start (isKept, and kept); a walk up from a match that
// takes more than maxWalk steps adds every object it passes (more), so
// that no object is walked past twice (a linked list of a million matches
// would be walked a million times over).
type keptMemo struct {
	t *Tree
	// isKept: a bit per object, set for the kept ones, which the walks on
	// all cores look for.
	isKept bitset.Set
	// kept: the kept objects' values, by object, only read once they are
	// made; last, one goroutine's cache of the last one found (most
	// matches meet the same one: the table of the map that holds them).
	kept map[int32]int32
	last keptValue
	// more: the values of objects that long walks passed, not kept.
	more map[int32]int32
}

type keptValue struct {
	o int32
	v int32 // (kept node + 2) << 1 | above
}

func newKeptMemo(t *Tree) keptMemo {
	return keptMemo{t: t, isKept: bitset.New(len(t.s.parent)), kept: map[int32]int32{}, last: keptValue{o: -1}}
}

// maxWalk bounds the walks up that Sum makes on all cores: a match's path
// meets its kept node within a few steps, up to the map table that holds
// them.
const maxWalk = 32

func pack(k int32, above bool) int32 {
	v := (k + 2) << 1
	if above {
		v |= 1
	}
	return v
}

func unpack(v int32) (int32, bool) { return v>>1 - 2, v&1 != 0 }

// keep records kept object x as node k.
func (m *keptMemo) keep(x, k int32, above bool) {
	m.isKept.Add(x)
	m.kept[x] = pack(k, above)
}

// keptOf returns kept object x's node, and whether a match is above it.
func (m *keptMemo) keptOf(x int32) (int32, bool) {
	if m.last.o != x {
		m.last = keptValue{x, m.kept[x]}
	}
	return unpack(m.last.v)
}

// walk returns x's kept node and whether a match is above x, from a walk
// up of at most maxWalk steps that writes nothing but the cache (ok false
// when it is longer).
func (m *keptMemo) walk(x int32) (k int32, above, ok bool) {
	t := m.t
	if m.isKept.Has(x) {
		k, above = m.keptOf(x)
		return k, above, true
	}
	for range maxWalk {
		if x = t.parentOf(x); x == rootParent {
			return -1, false, true
		}
		if m.isKept.Has(x) {
			k, a := m.keptOf(x)
			return k, above || a || t.matches.Has(x), true
		}
		above = above || t.matches.Has(x)
	}
	return 0, false, false
}

// resolve is walk without a bound: it records the values of every object
// it passes, on the way back; chain is room for the walk.
func (m *keptMemo) resolve(x int32, chain *[]int32) (int32, bool) {
	t := m.t
	if m.more == nil {
		m.more = map[int32]int32{}
	}
	known := func(x int32) (int32, bool, bool) {
		if m.isKept.Has(x) {
			k, above := m.keptOf(x)
			return k, above, true
		}
		if v, ok := m.more[x]; ok {
			k, above := unpack(v)
			return k, above, true
		}
		return 0, false, false
	}
	c := (*chain)[:0]
	k, above := int32(-1), false // at a GC root not kept: no kept node
	for ; x != rootParent; x = t.parentOf(x) {
		if xk, xabove, ok := known(x); ok {
			if len(c) == 0 {
				return xk, xabove
			}
			k, above = xk, xabove || t.matches.Has(x)
			break
		}
		c = append(c, x)
	}
	for i := len(c) - 1; i >= 0; i-- {
		m.more[c[i]] = pack(k, above)
		if i > 0 {
			above = above || t.matches.Has(c[i])
		}
	}
	*chain = c
	return k, above
}
