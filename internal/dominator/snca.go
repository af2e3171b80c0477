// Package dominator computes the dominator tree of a heap's object graph
// and every object's retained size.
//
// Most of a heap is placed by peeling (peel.go); the part of it that
// reaches a cycle, and whole heaps that peeling does not suit, by
// Semi-NCA, in this file: Lengauer and Tarjan's semidominators
// ("A fast algorithm for finding dominators in a flowgraph", TOPLAS 1979),
// with immediate dominators found as nearest common ancestors in the DFS
// tree as described by Georgiadis ("Linear-Time Algorithms for Dominators
// and Related Problems", PhD thesis, Princeton 2005) and used by LLVM.
// Everything is iterative: Java heaps hold reference chains millions deep.
//
// Vertex numbering: 0 is the virtual super-root, whose children are the GC
// roots; objects reachable from it are numbered 1..R in DFS preorder. Work
// arrays are indexed by preorder number unless their comment says "object".
package dominator

import (
	"cmp"
	"slices"
	"unsafe"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// Results of dominators, indexed by object.
const (
	// TopLevel is the idom of an object dominated only by the super-root.
	TopLevel int32 = -2
	// Unreachable is the idom of an object no GC root reaches.
	Unreachable int32 = -1
)

// dfsFrame is one level of the iterative depth-first search.
type dfsFrame struct {
	v    int32  // object
	next int32  // next successor position to explore
	pv   uint32 // v's preorder number
}

// preSemi holds, per object, its preorder number (0 = not reached) and,
// while predecessors are folded in, its semidominator; kept together so
// that each edge costs one cache miss.
type preSemi struct{ pre, semi uint32 }

// forStored calls fn for v's successors but the class edge, in the
// search's order (stored references less a skipped first one, then extra
// edges), until fn returns false. The folder walks them so: collected into
// a slice, the edges of a 4.6 M-slot array kept 25 MB more resident and
// the folder fell behind the search (tried).
func (g *view) forStored(v int32, fn func(w int32) bool) {
	for _, w := range g.stored(v) {
		if !fn(int32(w)) {
			return
		}
	}
	if bit(g.hasExtra, v) {
		for _, w := range g.extra[v] {
			if !fn(w) {
				return
			}
		}
	}
}

// dominators returns idom[v] for every object v: the object index of its
// immediate dominator, TopLevel, or Unreachable; and order, the objects in
// DFS preorder (order[p-1] has preorder number p).
func dominators(g *view, extraRoots func(visited func(int32) bool) []int32, workers int, progress func(string, int64, int64)) (idom []int32, order []int32) {
	idomPre, order := semiNCA(g, extraRoots, workers, progress, nil)
	return objectIdoms(idomPre, order, g.numVertices(), workers), order
}

// objectIdoms turns idoms by preorder number into idoms by object.
func objectIdoms(idomPre []uint32, order []int32, n, workers int) []int32 {
	idom := mem.Make[int32](n)
	par.For(n, workers, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			idom[o] = Unreachable
		}
	})
	par.For(len(order), workers, func(lo, hi int) {
		for p := lo + 1; p <= hi; p++ {
			if d := idomPre[p]; d == 0 {
				idom[order[p-1]] = TopLevel
			} else {
				idom[order[p-1]] = order[d-1]
			}
		}
	})
	return idom
}

// semiNCA numbers the objects the GC roots reach 1..r in DFS preorder and
// returns idom[p], the preorder number of p's immediate dominator (0 = the
// super-root; idom[0] unused), and order (order[p-1] has number p).
// spare, if set, is started on its own goroutine when EVAL begins.
func semiNCA(g *view, extraRoots func(visited func(int32) bool) []int32, workers int, progress func(string, int64, int64), spare func()) (idom []uint32, order []int32) {
	n := g.numVertices()
	rootList := g.roots()
	progress("dfs", 0, int64(n))
	ps := mem.Make[preSemi](n) // object-indexed
	order = mem.Make[int32](n)[:0]
	// parent[p]: preorder number of p's DFS-tree parent (0 = super-root).
	// It becomes idom[p] in place in the NCA step.
	parent := mem.Make[uint32](n + 1)[:1]

	// Depth-first search from the super-root. A frame's next counts
	// successor positions: 0 the class object (when there are class
	// edges), then stored references, then extra edges.
	var stack []dfsFrame
	hasClass := g.classOf != nil
	// The search tests a bitset, not ps: at 1 bit per object it stays in
	// cache, where ps, read at random once per edge, would not.
	visited := make([]uint64, (n+63)/64)
	// A GC root has the super-root as a predecessor: semi 0 from the
	// start, whatever parent the search gives it, and nothing else matters.
	isRoot := g.rootSet()
	visit := func(v int32, from uint32) {
		visited[v>>6] |= 1 << (uint(v) & 63)
		order = append(order, v)
		parent = append(parent, from)
		pv := uint32(len(order))
		semi := from
		if bit(isRoot, v) {
			semi = 0
		}
		ps[v] = preSemi{pre: pv, semi: semi}
		stack = append(stack, dfsFrame{v: v, pv: pv})
		// The search will look at these objects' edge offsets soon (the
		// first few: the hint is one loop the scheduler cannot preempt).
		if s, e := g.start[v], g.start[v+1]; s < e {
			mem.Prefetch4(unsafe.Pointer(&g.start[0]), unsafe.Slice((*int32)(unsafe.Pointer(&g.edges[s])), min(e-s, 64)))
		}
	}
	// Once the search leaves v, every successor of v has its number: a
	// folder goroutine takes finished objects in batches and sorts out
	// their edges while the search goes on (the search itself uses one
	// core).
	fold := startFolder(g, ps)
	batch := fold.batch()
	search := func(rootList []int32) {
		for _, r := range rootList {
			if r < 0 || bit(visited, r) {
				continue
			}
			visit(r, 0)
			for len(stack) > 0 {
				top := len(stack) - 1
				v, k := stack[top].v, stack[top].next
				next := int32(-1)
				if hasClass {
					if k == 0 {
						k++
						if c := g.classObject[g.classOf[v]]; c >= 0 && !bit(visited, c) {
							next = c
						}
					}
					k--
				}
				if next < 0 {
					s, e := g.start[v], g.start[v+1]
					i := s + uint32(k)
					if i == s && i < e && bit(g.skipFirst, v) {
						i++
					}
					for ; i < e; i++ {
						if w := int32(g.edges[i]); !bit(visited, w) {
							next = w
							i++
							break
						}
					}
					k = int32(i - s)
					if next < 0 && bit(g.hasExtra, v) {
						x := g.extra[v]
						j := k - int32(e-s)
						for ; int(j) < len(x); j++ {
							if w := x[j]; !bit(visited, w) {
								next = w
								j++
								break
							}
						}
						k = int32(e-s) + j
					}
				}
				if hasClass {
					k++
				}
				if next < 0 {
					if batch = append(batch, uint64(stack[top].pv)<<32|uint64(v)); len(batch) == cap(batch) {
						batch = fold.send(batch)
					}
					stack = stack[:top]
					continue
				}
				stack[top].next = k
				visit(next, stack[top].pv) // may move the stack
				if len(order)&0xfffff == 0 {
					progress("dfs", int64(len(order)), int64(n))
				}
			}
		}
	}
	search(rootList)
	if extraRoots != nil {
		search(extraRoots(func(v int32) bool { return bit(visited, v) }))
	}
	stack, visited, isRoot = nil, nil, nil
	r := len(order) // reachable objects, numbered 1..r

	// Semidominator candidates: predecessors numbered below w folded into
	// semi right away; those numbered above w are pairs, sorted by w for
	// the EVAL phase.
	progress("predecessors", 0, int64(n))
	pairs, classPairs := fold.finish(batch)
	// The class objects with pairs, by number, highest first: EVAL meets
	// them in that order.
	type classAt struct {
		pre   uint32
		class heap.ClassIndex
	}
	var classesAt []classAt
	for c, bs := range classPairs.byClass {
		if len(bs) > 0 {
			classesAt = append(classesAt, classAt{ps[g.classObject[c]].pre, heap.ClassIndex(c)})
		}
	}
	slices.SortFunc(classesAt, func(a, b classAt) int { return cmp.Compare(b.pre, a.pre) })
	progress("sort preds", 0, int64(n))
	// semi[p]: preorder number of p's semidominator (so far).
	semi := mem.Make[uint32](r + 1)
	par.For(r, workers, func(lo, hi int) {
		for p := lo + 1; p <= hi; p++ {
			semi[p] = ps[order[p-1]].semi
		}
	})
	ps = nil
	mem.Release(8 * n)
	// upper: the pairs sorted by w, walked from the end below.
	upper := sortByHigh(pairs, keyBitsFor(r), workers)
	pairs = nil
	mem.Release(8 * len(upper)) // the radix sort's spare, before the forest
	progress("semi (eval)", 0, int64(n))
	if spare != nil {
		par.Go(spare) // its faults are for what waits for its work to see
	}

	// forest[p]: p's node in the LINK-EVAL forest, set when p is linked:
	// its parent there, and the least semi on the compressed path from p
	// up to it. Semi-NCA needs only that value from EVAL, not the vertex
	// that has it (which Lengauer-Tarjan keeps as the label). Vertices are
	// linked in decreasing order, so while w is processed exactly those
	// numbered above w are linked: whether a path goes on is a comparison
	// with w, not a read of the next node.
	forest := mem.Make[forestNode](r + 1)
	var path []uint32
	k := len(upper)
	for w := uint32(r); w >= 1; w-- {
		s := semi[w]
		for ; k > 0 && uint32(upper[k-1]>>32) == w; k-- {
			if k&(prefetchAhead-1) == 0 && k >= 2*prefetchAhead {
				// The forest nodes of the pairs after the next ones:
				// EVAL's reads of them miss the cache, and do not
				// depend on one another.
				mem.PrefetchLow8(unsafe.Pointer(&forest[0]), upper[k-2*prefetchAhead:k-prefetchAhead])
			}
			if s == 0 {
				continue // no predecessor can lower it further
			}
			// EVAL(v) with path compression; v > w is linked.
			v := uint32(upper[k-1])
			if forest[v].ancestor > w {
				path = compress(forest, path, v, w)
			}
			s = min(s, forest[v].minSemi)
		}
		for len(classesAt) > 0 && classesAt[0].pre == w {
			// A class object: its instances' pairs, the same way.
			for _, b := range classPairs.byClass[classesAt[0].class] {
				for _, v := range b {
					if s == 0 {
						break
					}
					if forest[v].ancestor > w {
						path = compress(forest, path, v, w)
					}
					s = min(s, forest[v].minSemi)
				}
			}
			classPairs.byClass[classesAt[0].class] = nil
			classesAt = classesAt[1:]
		}
		semi[w] = s
		forest[w] = forestNode{ancestor: parent[w], minSemi: s} // LINK; w's semi is final
	}
	upper, forest, path = nil, nil, nil
	mem.Release(16 * r)

	progress("nca", 0, int64(n))
	// NCA: idom[w] is the nearest ancestor of parent[w] in the dominator
	// tree numbered at most semi[w]; parent becomes idom in place.
	idom = parent
	for w := 1; w <= r; w++ {
		d := idom[w]
		for d > semi[w] {
			d = idom[d]
		}
		idom[w] = d
	}
	return idom, order
}

// forestNode is a vertex's node in the LINK-EVAL forest (see semiNCA).
type forestNode struct{ ancestor, minSemi uint32 }

// compress is EVAL's path compression: it points every node on the forest
// path from v up to the first not linked after w (numbered at most w) at
// that node, each keeping the least semi on the way. path is a buffer.
func compress(forest []forestNode, path []uint32, v, w uint32) []uint32 {
	path = path[:0]
	for x := v; forest[x].ancestor > w; x = forest[x].ancestor {
		path = append(path, x)
	}
	for i := len(path) - 1; i >= 0; i-- {
		x := &forest[path[i]]
		a := &forest[x.ancestor]
		x.minSemi = min(x.minSemi, a.minSemi)
		x.ancestor = a.ancestor
	}
	return path
}

// prefetchAhead is how many pairs ahead EVAL prefetches forest nodes, in
// batches of as many.
const prefetchAhead = 32

// pairBlocks collects pairs in fixed blocks: no copying as it grows, no
// garbage twice its size.
type pairBlocks struct{ blocks [][]uint64 }

const pairBlock = 1 << 20

func (p *pairBlocks) add(x uint64) {
	if n := len(p.blocks); n == 0 || len(p.blocks[n-1]) == pairBlock {
		p.blocks = append(p.blocks, make([]uint64, 0, pairBlock))
	}
	last := &p.blocks[len(p.blocks)-1]
	*last = append(*last, x)
}

// folder sorts out the edges of objects the search has finished, on a
// goroutine of its own: an edge v → w where v is numbered below w lowers
// ps[w].semi at once; one where v is numbered above w is a pair
// pw<<32 | pv for EVAL, unless w is a root. It alone writes semi of
// reached objects; the search writes ps only for objects it reaches, and
// those are never finished yet, so the two do not race.
type folder struct {
	g          *view
	ps         []preSemi
	full       chan []uint64 // batches of pv<<32 | v
	empty      chan []uint64
	wait       func() // for the folder; panics with its fault
	pairs      pairBlocks
	classPairs classPairs
}

const foldBatch = 1 << 14

// foldAhead is how many objects ahead the folder prefetches.
const foldAhead = 4

func startFolder(g *view, ps []preSemi) *folder {
	f := &folder{g: g, ps: ps, full: make(chan []uint64, 8), empty: make(chan []uint64, 8)}
	f.wait = par.Go(func() {
		// After a fault, the batches still sent, until finish waits.
		defer func() {
			for range f.full {
			}
		}()
		g := f.g
		for b := range f.full {
			for i, e := range b {
				// The numbers of the successors of the object a few
				// places ahead (reads at random that miss the cache),
				// and that object's edge offsets before. The folder's
				// CPU time fell 10% (medians of 9 runs, 2.70 -> 2.43 s
				// on the bench dump); the search is the slower of the
				// two, so the phase gains less.
				if i+foldAhead < len(b) {
					v := int32(uint32(b[i+foldAhead]))
					if lo, hi := g.start[v], g.start[v+1]; lo < hi {
						mem.Prefetch8(unsafe.Pointer(&f.ps[0]), unsafe.Slice((*int32)(unsafe.Pointer(&g.edges[lo])), min(hi-lo, 16)))
					}
					if i+2*foldAhead < len(b) {
						mem.Prefetch4(unsafe.Pointer(&g.start[0]), unsafe.Slice((*int32)(unsafe.Pointer(&b[i+2*foldAhead])), 1))
					}
				}
				f.edges(int32(uint32(e)), uint32(e>>32))
			}
			select {
			case f.empty <- b[:0]:
			default:
			}
		}
	})
	return f
}

// batch returns an empty batch.
func (f *folder) batch() []uint64 {
	select {
	case b := <-f.empty:
		return b
	default:
		return make([]uint64, 0, foldBatch)
	}
}

// send hands over a full batch and returns an empty one.
func (f *folder) send(b []uint64) []uint64 {
	f.full <- b
	return f.batch()
}

// finish hands over the last batch, waits for the folder, and returns the
// pairs and the class edges' buckets.
func (f *folder) finish(b []uint64) ([][]uint64, classPairs) {
	f.full <- b
	close(f.full)
	f.wait()
	f.ps = nil // the caller frees it soon
	return f.pairs.blocks, f.classPairs
}

// classPairs holds the pairs of class edges apart, by class: only the
// numbers of the instances, 4 bytes a pair, and unsorted, since the EVAL
// of a class object takes them all at once and their order does not
// matter. Most objects' classes are GC roots, whose edges make no pairs;
// but an array class need not be one, and on the bench dump 13 M of the
// 30 M pairs pointed at two of them: kept out of the radix sort.
type classPairs struct {
	// byClass[c]: blocks of instance numbers, doubling in size.
	byClass [][][]uint32
}

func (p *classPairs) add(c heap.ClassIndex, pv uint32) {
	if int(c) >= len(p.byClass) {
		p.byClass = append(p.byClass, make([][][]uint32, int(c)+1-len(p.byClass))...)
	}
	bs := p.byClass[c]
	if n := len(bs); n == 0 || len(bs[n-1]) == cap(bs[n-1]) {
		size := 256
		if n > 0 {
			size = min(2*cap(bs[n-1]), 1<<20)
		}
		bs = append(bs, make([]uint32, 0, size))
		p.byClass[c] = bs
	}
	last := &bs[len(bs)-1]
	*last = append(*last, pv)
}

// edges sorts out the edges of v, numbered pv. A class edge that makes a
// pair goes to its class's bucket instead (see classPairs).
func (f *folder) edges(v int32, pv uint32) {
	if g := f.g; g.classOf != nil {
		cl := g.classOf[v]
		if c := g.classObject[cl]; c >= 0 && f.fold(c, pv) != 0 {
			f.classPairs.add(cl, pv)
		}
	}
	f.g.forStored(v, func(w int32) bool {
		if pw := f.fold(w, pv); pw != 0 {
			f.pairs.add(uint64(pw)<<32 | uint64(pv))
		}
		return true
	})
}

// fold sorts out the edge into w from an object numbered pv: when w is
// numbered above pv, pv lowers w's semi at once; when below, fold returns
// w's number, for a pair, unless w is a root (semi 0 already); else 0.
func (f *folder) fold(w int32, pv uint32) (pw uint32) {
	x := &f.ps[w]
	switch pw = x.pre; {
	case pw > pv:
		x.semi = min(x.semi, pv)
	case pw < pv && x.semi != 0:
		return pw
	}
	return 0
}
