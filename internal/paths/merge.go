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
// the path above it. Nodes are in object order.
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
	// kept, after Keep: the children of each node on the kept paths, in
	// display order; Children answers from it.
	kept map[int32][]int32
	// rank and biggest: how many of the biggest matches Sum keeps, and
	// their nodes (see Rank).
	rank    int
	biggest []int32
	Roots   []int32 // nodes without a parent, biggest first; see Children
	// Unreached counts matching objects no GC root reaches.
	Unreached int
	// onPath, from Merge until Sum is done: the objects on the paths,
	// numbered as the nodes are (see nodeOf).
	onPath bitset.Numbering
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
func (t *Tree) Target(k int32) bool { return t.matches.Has(int32(t.Nodes[k].Object)) }

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

// Merge builds the tree of shortest paths to targets, without their
// counts and sizes: Sum adds those, and must be called before the tree is
// used. A target named twice counts once.
//
// Millions of targets make millions of nodes, so Merge keeps no table over
// all objects: it marks the objects on the paths in a bitset, walking each
// target's path up until it meets a marked object (on all cores), numbers
// the marked objects in object order, so that an object's node is its rank
// among the marked bits, and then sums each node into its parent from the
// leaves up (in Sum).
func (s *Search) Merge(targets []heap.ObjectIndex) *Tree {
	if index.ReadsMost(len(targets), len(s.parent)) {
		s.parentChecked.Check() // not one block at a time as the walks come to them
	}
	// lookup: the parent array's blocks are to be checked as they are
	// read (parentOf does, but with a call even once all are checked).
	lookup := !s.parentChecked.Done()
	t := &Tree{}
	words := (len(s.parent) + 63) / 64
	t.matches = bitset.New(len(s.parent))
	reached := make([]heap.ObjectIndex, 0, len(targets))
	for _, o := range targets {
		if t.matches.Has(int32(o)) {
			continue
		}
		t.matches.Add(int32(o))
		if lookup {
			s.checkParentAt(int32(o))
		}
		if s.parent[o] != unreached {
			reached = append(reached, o)
		} else {
			t.Unreached++
		}
	}
	// Whoever marks an object goes on to mark its parent, so stopping at
	// a marked object leaves no path unmarked, whichever goroutine got
	// there first.
	onPath := bitset.New(len(s.parent))
	par.For(len(reached), 0, func(lo, hi int) {
		for _, o := range reached[lo:hi] {
			for x := int32(o); ; {
				bit := uint64(1) << (uint(x) & 63)
				if atomic.LoadUint64(&onPath[x>>6])&bit != 0 || atomic.OrUint64(&onPath[x>>6], bit)&bit != 0 {
					break
				}
				if lookup {
					s.checkParentAt(x)
				}
				if x = s.parent[x]; x == rootParent {
					break
				}
			}
		}
	})
	t.onPath = bitset.Number(onPath)
	t.Nodes = mem.Make[Node](t.onPath.Len())
	t.parent = mem.Make[int32](len(t.Nodes))
	par.For(words, 0, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			k := t.onPath.Before(w)
			for b := onPath[w]; b != 0; b &= b - 1 {
				o := int32(w<<6 + bits.TrailingZeros64(b))
				t.Nodes[k] = Node{Object: heap.ObjectIndex(o)}
				t.parent[k] = -1
				if p := s.parent[o]; p != rootParent { // read, so checked, by the walk above
					t.parent[k] = t.onPath.Of(p) // marked: see the walk above
				}
				k++
			}
		}
	})
	if s.evict != nil {
		// Millions of paths read the parent array nearly whole, at
		// random; the nodes now hold what is needed of it.
		s.evict(index.AsBytes(s.parent))
	}
	t.link()
	return t
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
// index can then drop their pages (dominator.Tree.DropRetained).
//
// With Rank(n) called before, Sum also keeps the n matching objects that
// retain the most (Biggest), as it reads their sizes: read again after,
// the retained array's pages came back, 150 MB of them for the bench
// dump's 3.75 M ArrayLists from the index.
func (t *Tree) Sum(retained func(heap.ObjectIndex) uint64, idom func(heap.ObjectIndex) int32, passed func(lo, hi heap.ObjectIndex)) {
	var (
		mu   sync.Mutex
		best []rankedMatch // each share's n best
	)
	par.For(len(t.Nodes), 0, func(lo, hi int) {
		var mine lastOnTop
		for k := lo; k < hi; k++ {
			if nd := &t.Nodes[k]; t.matches.Has(int32(nd.Object)) {
				nd.Targets, nd.Retained = 1, retained(nd.Object)
				if t.rank > 0 {
					mine.offer(rankedMatch{nd.Retained, int32(k)}, t.rank)
				}
			}
			if passed != nil && ((k+1-lo)%passChunk == 0 || k+1 == hi) {
				from := lo + (k-lo)/passChunk*passChunk
				passed(t.Nodes[from].Object, t.Nodes[k].Object+1)
			}
		}
		mu.Lock()
		best = append(best, mine...)
		mu.Unlock()
	})
	if t.rank > 0 {
		slices.SortFunc(best, func(a, b rankedMatch) int {
			if a.before(b) {
				return -1
			}
			return 1 // no two have the same node
		})
		t.biggest = make([]int32, min(t.rank, len(best)))
		for i := range t.biggest {
			t.biggest[i] = best[i].k
		}
	}
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
	// nearest[o]: the node of the nearest target dominating object o (not
	// a target itself), or -1 for none; found on the way up from targets,
	// so that a long chain under a target is walked once.
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
		atomic.AddUint64(&s.t.Nodes[d].Retained, -nd.Retained) // nd.Retained is still its own
	}
}

// dominatingTarget returns the node of the nearest target dominating
// object o, or -1.
func (s *summer) dominatingTarget(o heap.ObjectIndex) int32 {
	t := s.t
	s.walked = s.walked[:0]
	found := int32(-1)
	for x := s.idom(o); x >= 0; x = s.idom(heap.ObjectIndex(x)) {
		if d, ok := s.nearest[x]; ok {
			found = d
			break
		}
		k := t.nodeOf(x)
		if k < 0 {
			break // not on a path, so not a dominator after all: none
		}
		if t.Target(k) {
			found = k
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

// Rank asks Sum to keep the n matching objects that retain the most.
func (t *Tree) Rank(n int) { t.rank = n }

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

// Keep leaves only the paths to nodes (from Biggest) in Roots and
// Children; the counts and sizes on them stay those of all the matching
// objects. Call it after Sum.
func (t *Tree) Keep(nodes []int32) {
	kept := map[int32][]int32{}
	on := map[int32]bool{}
	var roots []int32
	for _, k := range nodes {
		for !on[k] {
			on[k] = true
			p := t.parent[k]
			if p < 0 {
				roots = append(roots, k)
				break
			}
			kept[p] = append(kept[p], k)
			k = p
		}
	}
	for _, c := range kept {
		t.sortChildren(c)
	}
	t.sortChildren(roots)
	t.kept, t.Roots = kept, roots
}

// Children returns node k's first limit children (all when limit <= 0),
// biggest retained first (then most targets, then object index); after
// Keep, only those on the kept paths. Only what is asked for is ordered:
// a node may have millions of children.
func (t *Tree) Children(k int32, limit int) []int32 {
	if t.kept != nil {
		c := t.kept[k]
		if limit > 0 && limit < len(c) {
			c = c[:limit]
		}
		return c
	}
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
