package dominator

import (
	"math/bits"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// Peeling. Set the edges into GC roots aside (a root's immediate
// dominator is the super-root whatever points at it) and most of a heap
// reaches no cycle: on the bench dump all but 2,784 of 30 M objects, on
// the JDK dumps of other analyzers' test suites about 70-98%. Call those
// objects P and the others C.
//
// C is closed under predecessors: whatever points at an object that
// reaches a cycle reaches it too. So every path from a root to an object
// of C stays in C, and Semi-NCA on C alone gives C's immediate
// dominators. P is acyclic, and an object's dominators are itself and
// those common to all its predecessors; so in topological order each
// object of P is dominated by the nearest common ancestor, in the tree
// built so far, of its predecessors. Peeling finds P and that order
// without a depth-first search or predecessor lists, in passes over the
// objects on both cores, and places P on both cores too.

// peelMinShare: peeling is used when P holds at least 1/peelMinShare of
// the objects; otherwise Semi-NCA on the whole graph is cheaper than the
// copy of C it would search.
const peelMinShare = 4

// peelMode, for tests: 0 peels when it pays, 1 always, -1 never.
var peelMode int

// maxPasses bounds the passes (the class objects' round counted): each
// tests every object not joined yet at least once. The bench dump needs 8.
const maxPasses = 12

// rangesPerCore is how many ranges of objects a pass makes per core.
const rangesPerCore = 8

// peelShares, if set, is how many ranges the passes split the objects
// into, whatever their number (for tests).
var peelShares int

// peelOrder finds P: an object (not a GC root) joins when every successor
// of it but the roots has joined. It makes passes over the objects,
// alternately downwards and upwards, until two passes in a row add less
// than 1/128 of the objects, or maxPasses (what is left stays in C: still
// closed under predecessors). The objects are split into ranges, several
// per core; within a pass a range sees what the others added only when
// the pass ends, so that an object that joins in a pass points at nothing
// that joins in the same pass in another range.
//
// It returns P's objects in the order they joined, each after all of its
// successors in P, and the groups of that order: groups[k][r] to
// groups[k][r+1] is what range r added in pass k (range r of K: the
// r-th of par.InShares' K shares of the words, as retained assumes).
// work, if it holds 2n zeros, faulted in (mem.Touch), is used for the
// passes' two work arrays; else they are made. The caller starts the "peel" phase (peelDominators
// does before it makes its array, so that the sweep counts in it); the
// passes report their progress in it.
func peelOrder(g *view, isRoot bitset.Set, workers int, progress func(string, int64, int64), work []uint32) (inP bitset.Set, order []int32, groups [][]int) {
	n := g.n
	words := len(isRoot)
	sink := bitset.New(n) // P and the roots, as of the last pass
	copy(sink, isRoot)
	next := bitset.New(n) // the same, with this pass's additions
	copy(next, sink)
	// More ranges than cores: the cores take them as they come free, and
	// when the tree is placed, a pass's ranges are not all as much work
	// (on the bench dump, 3.46 s for the tree with 16 ranges against 4.0
	// with 2, medians of 3).
	k := par.Shares(n, rangesPerCore*max(1, workers))
	if peelShares > 0 {
		k = min(peelShares, words)
	}
	found := make([][]int32, k)
	// resume[x]: how many of x's successor positions are known to have
	// joined (see settled). scratch holds each range's additions.
	if len(work) < 2*n {
		work = mem.Make[uint32](2 * n)
		// settled reads resume[x] before it writes it: a page first
		// read maps the shared zero page, and the write then faults
		// again and flushes the other cores' TLBs (on the bench dump
		// 0.7 s of CPU time in 4 KiB pages). Written first, each page
		// faults once. (peelDominators' array comes faulted in.)
		mem.Touch(work[:n], workers)
	}
	resume := work[:n]
	scratch := mem.Recast[int32](work[n:], n)
	order = mem.Make[int32](n)
	// The passes append to order on one core between them: its page
	// faults took 0.5 s of that core's time on the bench dump.
	mem.Touch(order, workers)
	order = order[:0]
	// Class objects first, on one core, in up to 64 rounds: every
	// instance points at one, and a range would see a class object of
	// another range join only a pass later. (On the bench dump the
	// upper range's first pass found nothing: the byte arrays' class
	// object lies in the lower.)
	if g.classOf != nil {
		var pre []int32
		for round, more := 0, true; more && round < 64; round++ {
			more = false
			for _, c := range g.classObject {
				if c >= 0 && !next.Has(c) && g.settled(c, 0, int32(words), next, next, resume) {
					next.Add(c)
					pre = append(pre, c)
					more = true
				}
			}
		}
		if len(pre) > 0 {
			order = append(order, pre...)
			groups = append(groups, []int{0, len(pre)})
			copy(sink, next)
		}
	}
	prev := n
	// Downwards first: an object then joins in the first pass when what
	// it points at lies above it, as a container's later allocations do
	// (a grown ArrayList's elementData, a HashMap's table and the nodes
	// put into it). On the bench dump the first pass joins 17.5 M objects
	// against 10.8 M upwards, the passes try 52.9 M objects against
	// 69.7 M, and peel and placing took 1.09 and 2.54 s against 1.33 and
	// 2.98 s (BenchmarkCompute, medians of 4; a second set 0.99 and 2.40
	// against 1.18 and 2.55 s): fewer passes make fewer groups to place.
	for up := false; ; up = !up {
		par.InShares(words, k, func(t, lo, hi int) {
			a, b := int32(lo*64), int32(min(hi*64, n))
			f := scratch[a:a:b]
			try := func(x int32) {
				if g.settled(x, int32(lo), int32(hi), next, sink, resume) {
					next.Add(x)
					f = append(f, x)
				}
			}
			// The objects not joined yet, a word of the set at a time
			// (a word is the range's own: the ranges are whole words):
			// from the third pass on, most words are full. Testing each
			// object's bit took the peel 1.03 s against 0.83 s (medians
			// of 6 alternating rounds in one process).
			if up {
				for w := lo; w < hi; w++ {
					for m := ^next[w]; m != 0; m &= m - 1 {
						if x := int32(w<<6 + bits.TrailingZeros64(m)); x < b {
							try(x)
						}
					}
				}
			} else {
				for w := hi - 1; w >= lo; w-- {
					for m := ^next[w]; m != 0; {
						i := 63 - bits.LeadingZeros64(m)
						m &^= 1 << uint(i)
						if x := int32(w<<6 + i); x < b {
							try(x)
						}
					}
				}
			}
			found[t] = f
		})
		added := 0
		bounds := []int{len(order)}
		for t := range found {
			order = append(order, found[t]...)
			bounds = append(bounds, len(order))
			added += len(found[t])
		}
		groups = append(groups, bounds)
		copy(sink, next)
		progress("peel", int64(len(order)), int64(n))
		if added == 0 || added+prev < n/128 || len(groups) >= maxPasses {
			break
		}
		prev = added
	}
	inP = sink
	for i := range inP {
		inP[i] &^= isRoot[i]
	}
	return inP, order, groups
}

// settled reports whether every successor of x is in the sink, but x
// itself: a self-loop changes no dominator. Objects in words [lo, hi)
// are tested in mine, the others in other. Successor positions: 0 the
// class object, then the stored references, then the extra edges; x's
// first resume[x] are known to be in the sink, and a failed test records
// how far it got.
func (g *view) settled(x int32, lo, hi int32, mine, other bitset.Set, resume []uint32) bool {
	pm, po := unsafe.Pointer(&mine[0]), unsafe.Pointer(&other[0])
	in := func(w int32) bool {
		// The set to test is picked without a branch: the two ranges
		// come at random, and a mispredicted branch cost more than the
		// test (1.79 against 1.61 s for the bench dump's passes).
		p := po
		if i := w >> 6; i >= lo && i < hi {
			p = pm
		}
		word := *(*uint64)(unsafe.Add(p, uintptr(w>>6)*8))
		return word&(1<<(uint(w)&63)) != 0 || w == x
	}
	k := resume[x]
	if k == 0 {
		if g.classOf != nil {
			if c := g.classObject[g.classOf[x]]; c >= 0 && !in(c) {
				return false
			}
		}
		k = 1
	}
	s, e := g.start[x], g.start[x+1]
	i := s + k - 1
	if i == s && s < e && bit(g.skipFirst, x) {
		i++
	}
	for ; i < e; i++ {
		if !in(int32(g.edges[i])) {
			resume[x] = i - s + 1
			return false
		}
	}
	if bit(g.hasExtra, x) {
		ex := g.extra[x]
		for j := max(0, int(k-1)-int(e-s)); j < len(ex); j++ {
			if !in(ex[j]) {
				resume[x] = uint32(int(e-s) + j + 1)
				return false
			}
		}
	}
	return true
}

// tnode is an object's place in the dominator tree while it is built.
// Before the object is placed, idom is the nearest common ancestor of the
// predecessors seen so far, the candidate (-1: none yet), and depth holds
// -2 less the candidate's depth (-1: none). The two are one 64-bit word,
// changed by compare-and-swap: both cores fold.
type tnode struct {
	idom  int32
	depth int32 // 0 for the super-root; negative until placed
	jump  int32 // an ancestor: a skew-binary jump pointer (see place)
	spare int32 // pads the node to 16 bytes, prefetched by shifting
}

// tnodes is the tree under construction, indexed by object; the last
// node is the super-root.
type tnodes []tnode

func (t tnodes) word(o int32) *uint64 { return (*uint64)(unsafe.Pointer(&t[o])) }

// candidate packs a candidate idom d of depth dd as tnode's first word.
func candidate(d, dd int32) uint64 { return uint64(uint32(d)) | uint64(uint32(-2-dd))<<32 }

// jumpLen is how far up the jump pointer of an object at depth d > 0
// goes: the least term of d's canonical skew-binary form (Myers, "An
// applicative random-access stack", IPL 1983). From any object, any
// ancestor, and the nearest common one of two objects, is found in
// O(log depth) steps; heaps hold chains a million objects deep. It
// depends on the depth alone, so that the depth of a jump's target needs
// no read.
func jumpLen(d int32) int32 {
	for {
		w := int32(1)<<(bits.Len32(uint32(d)+1)-1) - 1 // the greatest 2^k-1 <= d
		if d == w || d == 2*w {
			return w
		}
		d -= w
	}
}

// place places o, which has a candidate: that is its immediate dominator.
// Its jump goes to the candidate's parent's jump when the lengths say so
// (jumpLen(D) = 1 + the two below it), else to the candidate itself.
func (t tnodes) place(o int32) {
	x := &t[o]
	d, dd := x.idom, -2-x.depth
	j := d
	if jumpLen(dd+1) != 1 {
		j = t[t[d].jump].jump
	}
	x.depth, x.jump = dd+1, j
}

// fold counts u, placed at depth du, as a predecessor of w, unless w is
// placed too (a root, or an object of C).
func (t tnodes) fold(w, u, du int32) {
	p := t.word(w)
	for {
		old := atomic.LoadUint64(p)
		a, ad := int32(old), int32(old>>32)
		r, rd := u, du
		switch {
		case ad >= 0 || a == int32(len(t)-1) || a == u:
			return // placed; or the super-root, or u again
		case a >= 0:
			if r, rd = t.nca(a, -2-ad, u, du); r == a {
				return
			}
		}
		if atomic.CompareAndSwapUint64(p, old, candidate(r, rd)) {
			return
		}
	}
}

// nca returns the nearest common ancestor of a and b, placed at depths da
// and db, and its depth.
func (t tnodes) nca(a, da, b, db int32) (int32, int32) {
	for da > db {
		if l := jumpLen(da); da-l >= db {
			a, da = t[a].jump, da-l
		} else {
			a, da = t[a].idom, da-1
		}
	}
	for db > da {
		if l := jumpLen(db); db-l >= da {
			b, db = t[b].jump, db-l
		} else {
			b, db = t[b].idom, db-1
		}
	}
	// At equal depths the jumps go equally far.
	for a != b {
		if ja, jb := t[a].jump, t[b].jump; ja != jb {
			a, b, da = ja, jb, da-jumpLen(da)
		} else {
			a, b, da = t[a].idom, t[b].idom, da-1
		}
	}
	return a, da
}

// push folds u, placed, into each of its successors. It walks them
// itself, not through forStored: with the callback, placing P took 2.47
// and 2.88 s against 1.81 and 2.54 s (BenchmarkCompute, 2 interleaved
// rounds of 3).
func (g *view) push(u int32, t tnodes) {
	du := t[u].depth
	if g.classOf != nil {
		if c := g.classObject[g.classOf[u]]; c >= 0 {
			t.fold(c, u, du)
		}
	}
	for _, w := range g.stored(u) {
		t.fold(int32(w), u, du)
	}
	if bit(g.hasExtra, u) {
		for _, w := range g.extra[u] {
			t.fold(w, u, du)
		}
	}
}

// prefetchCandidates prefetches the nodes of the candidates that the
// first 16 of ws, objects to fold into, hold. A fold into an object that
// has a candidate reads the candidate's node first, and mostly from
// memory: it was placed long before (on the bench dump, the first of two
// referrers of a shared string, 3.4 M times). Placing P took 2.18
// against 2.33 s and 2.23 against 2.41 s (medians of 6 and 5 alternating
// rounds in one process); prefetching the candidates' parents too, 2
// places ahead, took 2.39 s.
func prefetchCandidates(t tnodes, ws []heap.ObjectIndex) {
	var cand [16]int32
	k := 0
	for _, w := range ws[:min(len(ws), 16)] {
		// Atomic: the other core may be folding into w.
		if old := atomic.LoadUint64(t.word(int32(w))); int32(old) >= 0 && int32(old>>32) < 0 {
			cand[k] = int32(old)
			k++
		}
	}
	mem.Prefetch16(unsafe.Pointer(&t[0]), cand[:k])
}

// peeled is the dominator tree found by peeling.
type peeled struct {
	idom    []int32 // by object, as dominators returns it
	reached int64
	corder  []int32 // C's reached objects in preorder
	porder  []int32 // P's objects in the order they joined
	groups  [][]int // of porder (see peelOrder)
	work    []tnode // the tree's nodes: idom, then the retained sizes
}

// peelDominators computes immediate dominators by peeling, or reports
// false when that does not pay (P too small) or C is too big to copy.
// spare is started when P is placed and the tree's nodes are freed.
func peelDominators(v *view, workers int, progress func(string, int64, int64), spare func()) (*peeled, bool) {
	if peelMode < 0 {
		return nil, false
	}
	n := v.n
	// One array serves three phases in turn: the passes' work arrays,
	// the tree's nodes, and the retained sizes. Its pages are faulted in
	// once, not three times: on a virtual machine a fault can cost more
	// than the work done in the page (on the bench dump, faults were a
	// third of the CPU time of dominators). Zero, as the passes need.
	//
	// All of them are faulted in here, in one sweep on all cores, right
	// after the graph build gave its scratch memory back. The passes
	// faulted in the first half before, and the nodes' initialisation
	// the second: there its 60 K faults took 0.1-0.8 s of system time
	// (0.08 s for the sweep over all 120 K here). On the bench dump,
	// placing took 1.03-1.07 s against 1.09-1.68 s, dominators --no-index
	// 3.48 against 3.55 s at a quick moment and 3.68 against 4.00 s at a
	// slower one (medians of 6 and 5 alternating runs).
	progress("peel", 0, int64(n)) // the phase, and the sweep in it (--timings)
	work := mem.Make[tnode](n + 1)
	mem.Touch(work, workers)
	inP, porder, groups := peelOrder(v, v.rootSet(), workers, progress, mem.Recast[uint32](work, 2*n))
	if peelMode == 0 && len(porder) < n/peelMinShare {
		work = nil
		mem.Release(16 * n) // before Semi-NCA's arrays
		return nil, false
	}
	inC := inP // in place: P is known by porder from here on
	inC.Complement(n)
	sub, objs, local := subgraph(v, inC)
	if sub == nil {
		work = nil
		mem.Release(16 * n)
		return nil, false
	}
	if sub.n > n/16 {
		// Semi-NCA's arrays for C would come on top of the pages the
		// passes touched: give those back first.
		mem.Discard(work)
	}
	for _, r := range v.rootList {
		if r >= 0 {
			sub.rootList = append(sub.rootList, local(r))
		}
	}
	idomPre, corder := semiNCA(sub, nil, workers, func(_ string, done, total int64) { progress("dominators (C)", done, total) }, nil)
	for k, o := range corder {
		corder[k] = objs[o]
	}
	sub, objs, inC = nil, nil, nil

	progress("dominators", 0, int64(n))
	super := int32(n)
	tn := tnodes(work) // every node is set here
	par.For(n, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			tn[i] = tnode{idom: -1, depth: -1}
		}
	})
	tn[super] = tnode{idom: super, jump: super}
	// C in preorder: every object after its immediate dominator.
	for p, o := range corder {
		d := super
		if q := idomPre[p+1]; q != 0 {
			d = corder[q-1]
		}
		*tn.word(o) = candidate(d, tn[d].depth)
		tn.place(o)
	}
	idomPre = nil
	for _, o := range corder {
		v.push(o, tn)
	}
	// P in topological order: the passes from the last, and within one
	// its ranges in parallel (they share no edge), each backwards.
	placed := int64(len(corder))
	for k := len(groups) - 1; k >= 0; k-- {
		b := groups[k]
		par.Run(len(b)-1, func(r int) {
			list := porder[b[r]:b[r+1]]
			for i := len(list) - 1; i >= 0; i-- {
				// The nodes and edge offsets of the objects 32 to 64
				// places ahead, the nodes of the successors of the one
				// 8 places ahead, and the nodes of the candidates those
				// successors hold 4 places ahead.
				if i >= 64 && i&31 == 0 {
					mem.Prefetch4(unsafe.Pointer(&v.start[0]), list[i-64:i-32])
					mem.Prefetch16(unsafe.Pointer(&tn[0]), list[i-64:i-32])
				}
				if i >= 8 {
					if s, e := v.start[list[i-8]], v.start[list[i-8]+1]; s < e {
						mem.Prefetch16(unsafe.Pointer(&tn[0]), unsafe.Slice((*int32)(unsafe.Pointer(&v.edges[s])), min(e-s, 16)))
					}
				}
				if i >= 4 {
					// Not a skipped first edge: it may lead anywhere,
					// even to an object being placed.
					prefetchCandidates(tn, v.stored(list[i-4]))
				}
				x := list[i]
				if int32(atomic.LoadUint64(tn.word(x))) >= 0 {
					tn.place(x)
					v.push(x, tn)
				}
			}
		})
		placed += int64(b[len(b)-1] - b[0])
		progress("dominators", placed, int64(n))
	}

	// The immediate dominators go down to the array's first quarter
	// (compactIdoms). The array's second half becomes the retained sizes,
	// and its second quarter goes back. No array is faulted in for them
	// (114 and 228 MB on the bench dump).
	idom, reached := compactIdoms(work, workers)
	p := &peeled{idom: idom, corder: corder, porder: porder, groups: groups, work: work, reached: reached}
	mem.Discard(mem.Recast[int32](work, 2*n)[n:])
	tn = nil
	mem.Release(16 * n) // what C's search left, before spare allocates
	// The rest is quick, on both cores; spare is started now, not
	// while the nodes are held: what it allocates (the paths search
	// ahead of suspects) added to them, 1.95 GB against 1.59 at peak.
	if spare != nil {
		par.Go(spare) // its faults are for what waits for its work to see
	}
	return p, true
}

// compactIdoms writes each object's immediate dominator (TopLevel for the
// super-root, Unreachable for an object never placed) into the first
// quarter of the nodes' own array, and counts the objects placed: object
// o's lands in bytes 4o to 4o+4, inside node o/4. The objects go in
// levels, [n/4, n), [n/16, n/4) and so on, the lowest first and each on
// all cores: a level's objects write only into nodes of the levels below,
// read already, and into none it reads. (Marking each node's value, then
// moving the values down on one core, took 0.11 s on the bench dump.)
func compactIdoms(work []tnode, workers int) ([]int32, int64) {
	n := len(work) - 1 // the last node is the super-root
	tn := tnodes(work)
	super := int32(n)
	idom := mem.Recast[int32](work, n)
	move := func(lo, hi int) (reached int64) {
		for o := lo; o < hi; o++ {
			x := tn[o] // read whole before idom[o] is written: o = 0 shares its node
			switch {
			case x.depth < 0:
				idom[o] = Unreachable
			case x.idom == super:
				idom[o] = TopLevel
				reached++
			default:
				idom[o] = x.idom
				reached++
			}
		}
		return reached
	}
	bounds := idomLevels(n)
	// The lowest level in order: o writes into node o/4 <= o, read before.
	reached := move(0, bounds[len(bounds)-1])
	for i := len(bounds) - 2; i >= 0; i-- {
		var c atomic.Int64
		par.For(bounds[i]-bounds[i+1], workers, func(lo, hi int) {
			c.Add(move(bounds[i+1]+lo, bounds[i+1]+hi))
		})
		reached += c.Load()
	}
	return idom, reached
}

// idomLevels returns the bounds of compactIdoms' levels, from n down:
// level i holds objects bounds[i+1] to bounds[i]-1, and the last bound
// ends the lowest level, which starts at 0. A level's writes end in the
// node of byte 4*bounds[i]-1, node (bounds[i]+3)/4 - 1: its start, the
// one above's divided by 4 and rounded up, is past them.
func idomLevels(n int) []int {
	bounds := []int{n}
	for b := n; b > 1<<12; {
		b = (b + 3) / 4
		bounds = append(bounds, b)
	}
	return bounds
}

// retained returns every object's retained size (0 for one no root
// reaches) and the sum of the reachable objects' sizes, once: it takes
// the peel's arrays for its own. An object's size goes to its immediate
// dominator once all it dominates has come in: so in the order P joined
// (the ranges of a pass in parallel, as they were placed), then C in
// reverse preorder.
//
// A range adds into the dominators among its own objects with plain
// adds. An object whose dominator lies in another range is noted (in
// place, over the part of P's order the range has read), and its sum
// added on one core once the pass's ranges are done: before that
// dominator's own sum is read. A dominator of C (a GC root among them)
// is read only after P. One of P joined in a later pass: a path from it
// to the object avoids the roots (else a root would reach the object
// without it), so it lies in P, and along it each object joined in a
// later pass than its successor or in the same range of the same pass
// (settled tests a successor of another range against the last pass's
// set). On the bench dump, where 6.6 M of the 30 M adds cross ranges,
// the sums took 0.19-0.20 s, against 0.31-0.35 s with an atomic add for
// every object (5 alternating runs; each atomic add waits for its cache
// line, where plain ones overlap their misses), and 0.22-0.27 s with
// atomic adds on both cores for the crossing ones (4).
func (p *peeled) retained(size func(int32) uint64, workers int) (ret []uint64, total uint64) {
	n := len(p.idom)
	ret, p.work = mem.Recast[uint64](p.work, 2*n)[n:], nil // not zero
	par.For(n, workers, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			var s uint64
			if p.idom[o] != Unreachable {
				s = size(int32(o))
			}
			ret[o] = s
		}
	})
	words := (n + 63) / 64
	var top atomic.Uint64
	var across [][]int32
	for _, b := range p.groups {
		k := len(b) - 1
		// Range r's objects are peelOrder's r-th share of the words (all
		// of them for a single range).
		bound := func(r int) int32 { return int32(min(r*words/k*64, n)) }
		across = slices.Grow(across[:0], k)[:k]
		par.Run(k, func(r int) {
			lo, hi := bound(r), bound(r+1)
			list := p.porder[b[r]:b[r+1]]
			out := list[:0]
			var sum uint64
			for _, x := range list {
				switch d := p.idom[x]; {
				case d >= lo && d < hi:
					ret[d] += ret[x]
				case d >= 0:
					out = append(out, x)
				case d == TopLevel:
					sum += ret[x]
				}
			}
			across[r] = out
			top.Add(sum)
		})
		for _, xs := range across {
			for _, x := range xs {
				ret[p.idom[x]] += ret[x]
			}
		}
	}
	p.porder = nil
	total = top.Load()
	for i := len(p.corder) - 1; i >= 0; i-- {
		x := p.corder[i]
		if d := p.idom[x]; d >= 0 {
			ret[d] += ret[x]
		} else {
			total += ret[x]
		}
	}
	return ret, total
}
