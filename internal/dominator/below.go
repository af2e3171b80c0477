package dominator

import (
	"math"
	"math/bits"
	"runtime"
	"sync/atomic"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// Outside is what Below.Idom says of an object whose immediate dominator
// is not below the targets, or that is not below them itself.
const Outside int32 = -3

// Below is the part of the dominator tree that hangs below a set of
// objects, the targets: everything that only paths through them keep
// alive, with the same immediate dominators and retained sizes as in the
// whole tree (same Options), computed without the rest of it.
//
// Let R be what the GC roots reach without entering a target, and U what
// the targets reach outside R (themselves included). Every path from a
// root to an object of U passes a target, and a reference from R into U
// can only point at a target. So whatever an object of U dominates lies in
// U, and the dominator tree of U, with the targets entered from R (or
// roots themselves) as the children of a new super-root, is the whole
// tree's below them. Finding R is one search with a bit per object. U's
// tree then comes from one pass over the objects outside R (U, and
// whatever no root reaches) when it is a forest, the common case, and
// else from Semi-NCA on a copy of them, searched from the entered
// targets. For a few targets holding a small part of the heap, this is a
// fraction of the whole tree's cost; it grows with the unreachable objects
// too, which a dump of live objects (jcmd GC.heap_dump, the default) has
// few of.
type Below struct {
	g *heap.Graph
	// in: U's objects, numbered in object order (C's while ComputeBelow
	// finds U in them). By that number: immediate dominator (object
	// index, or Outside) and retained size.
	in       bitset.Numbering
	idom     []int32
	retained []uint64
	// whole: the whole tree, when ComputeBelow computed it; in is then
	// U, idom and retained are unused, and Idom and Retained read t's,
	// by object index (fromTree).
	whole *Tree
}

// ComputeBelow computes the dominator tree below targets. With
// opts.KeepUnreachable it computes the whole tree instead (unreachable
// parts become roots in an order only the whole search knows), and every
// object counts as below the targets.
func ComputeBelow(g *heap.Graph, opts Options, targets []heap.ObjectIndex) *Below {
	n := g.NumObjects()
	b := &Below{g: g}
	if len(targets) == 0 {
		return b // nothing below nothing: no search needed
	}
	if opts.KeepUnreachable {
		// The whole tree reaches every object: all are below.
		return b.fromTree(Compute(g, opts), nil)
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	progress("reach", 0, int64(n))
	v := newView(g, opts)
	isTarget := bitset.New(n)
	for _, x := range targets {
		isTarget.Add(int32(x))
	}
	// R, and the targets entered from it, on the cores opts leaves free:
	// sharing one with another search cost more than it gained (the
	// search beside it for the bench dump's 3.75 M ArrayLists is a
	// whole one).
	seen, entered := reachAvoiding(v, isTarget, runtime.GOMAXPROCS(0)-opts.Beside, progress)
	// U lies in C, the objects outside R (targets included): C is U and
	// what nothing reaches. When what the entered targets reach of C is a
	// forest (the common case), a pass over C's references gives U's
	// tree, and the sums up from its leaves the retained sizes (see
	// forest). Else Semi-NCA searches U on a copy of C, a graph of its
	// own numbered in object order and built in one pass over the
	// objects. (Semi-NCA's search on the whole graph with R marked
	// visited instead took 1.9 s against 1.4 s with the copy, on the
	// bench dump's ArrayLists: the search alone ran twice as fast on the
	// copy.)
	if len(entered) == 0 {
		return b // no target is reached: nothing below them is either
	}
	inC := seen // in place: seen is not needed any more
	inC.Complement(n)
	for i := range inC {
		inC[i] |= isTarget[i]
	}
	isTarget = nil
	below := *v
	below.rootList = entered
	b.in = bitset.Number(inC)
	if b.forest(&below, func(o int32) uint64 { return g.ShallowSize(heap.ObjectIndex(o)) }, progress, opts.Spare) {
		return b
	}
	if 4*b.in.Len() > 3*n {
		// C is most of the heap: the whole tree, peeled (see Compute),
		// takes less time and memory than Semi-NCA on a copy of C, and
		// b is a view of it (which Whole returns, to keep). For the
		// bench dump's java.util.HashMaps, the one holding every page
		// among them (C all but 7,533 of its 30 M objects), paths
		// --no-index took 8.72-9.42 s and 1,518 MB against 12.95-14.34 s
		// and 1,978 MB (2 alternating pairs at a slow moment); at 62%
		// and 50% of the objects (java.lang.String, java.lang.Object[])
		// the copy was quicker, 8.71 against 9.84 s and 6.08 against
		// 8.16 s.
		return b.fromTree(Compute(g, opts), inC)
	}
	progress("copy", 0, int64(n))
	sub, objs, local := subgraph(v, inC)
	if sub == nil {
		// Too many edges for the copy's 32-bit offsets: U from the
		// whole tree instead.
		return b.fromTree(Compute(g, opts), inC)
	}
	for _, x := range entered {
		sub.rootList = append(sub.rootList, local(x))
	}
	idomPre, order := semiNCA(sub, nil, runtime.GOMAXPROCS(0), progress, opts.Spare)
	par.For(len(order), 0, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			order[k] = objs[order[k]]
		}
	})
	// The copy is collected before the sizes' arrays are made, which take
	// its pages (as Semi-NCA's arrays are given back as it goes): on the
	// bench dump's ArrayLists, paths --no-index peaked at 1,730 MB
	// without, 1,390-1,490 MB with. Giving its pages back to the system
	// (mem.Release) instead made 70 K more page faults, 0.2-0.4 s more
	// system time, for 1,340 MB.
	objs, sub = nil, nil
	runtime.GC()
	return b.fill(n, idomPre, order, progress)
}

// fill fills b from the dominators of U as semiNCA numbers them: order
// lists U's objects (object indices) by number, idomPre their immediate
// dominators' numbers. b.in numbers C, where U is what the search met:
// all of it where no object of C is unreachable (a dump of live objects),
// and C's numbering serves.
func (b *Below) fill(n int, idomPre []uint32, order []int32, progress func(string, int64, int64)) *Below {
	g := b.g
	if len(order) < b.in.Len() {
		in := bitset.New(n)
		for _, o := range order {
			in.Add(o)
		}
		b.in = bitset.Number(in)
	}
	m := b.in.Len()
	// Retained sizes by preorder number, as in Compute.
	r := len(order)
	ret := make([]uint64, r+1)
	par.For(r, 0, func(lo, hi int) {
		for p := lo + 1; p <= hi; p++ {
			ret[p] = g.ShallowSize(heap.ObjectIndex(order[p-1]))
		}
	})
	for p := r; p >= 1; p-- {
		ret[idomPre[p]] += ret[p]
	}
	progress("retained", int64(n), int64(n))
	b.idom = make([]int32, m)
	b.retained = make([]uint64, m)
	par.For(r, 0, func(lo, hi int) {
		for p := lo + 1; p <= hi; p++ {
			k := b.in.Of(order[p-1])
			b.retained[k] = ret[p]
			if d := idomPre[p]; d == 0 {
				b.idom[k] = Outside
			} else {
				b.idom[k] = order[d-1]
			}
		}
	})
	return b
}

// forestMode, for tests: 0 takes the forest's way when it can, -1 never.
var forestMode int

// forest fills b, whose in numbers the members (the objects of C, which
// it may leave out of in), when what g's roots reach of them is a forest:
// every member other than a root has one predecessor among the members at
// most (a reference of an object to itself left out: it changes no
// dominator; the same one's references to it, however many, make one).
// Every object's immediate dominator is then its predecessor, and a
// root's is the super-root (Outside), even where another member refers to
// it. A few members with more predecessors (joins) are placed too, where
// joinDominators can. It reports false for any other graph, and leaves b
// as it was.
//
// The check runs over the members in object order, reading their
// references as they lie, and notes each one's predecessor and how many
// members have it as theirs; the sums of sizes then run up from the
// leaves, a member summed into its predecessor once all its own are
// summed into it, with no search. What no root reaches (members without
// a predecessor, members on a cycle, joins whose predecessors no root
// reaches, and what hangs below them: a search from those finds it, as
// each of its members but the joins has the one predecessor) is then left
// out of b.
//
// What paths --class puts below its targets is often such a forest:
// containers and what they alone hold (their arrays, entries, fresh
// strings and the strings' arrays), while what is shared lies outside,
// reached without the targets. On the bench dump's 3.75 M ArrayLists
// (18.7 M objects below them), ComputeBelow took 2.13 against 2.80 s
// with Semi-NCA (medians of 4 alternating runs in one process), when
// both searched a copy of C. A search of the forest on the graph itself
// then took ComputeBelow to 1.70-2.23 s (BenchmarkComputeBelow). The sums
// up from the leaves, without a search, took it to 1.64-2.12 s against
// 1.94-2.78 s (medians of 3 runs in 5 alternating rounds; the check and
// the sums 1.19-1.36 against 1.46-2.05 s for the check, the search and
// fill), and paths --no-index peaked 228 MB lower: the search's order
// and idoms, and fill's sums by number, are not needed.
func (b *Below) forest(g *view, size func(int32) uint64, progress func(string, int64, int64), spare func()) bool {
	if forestMode < 0 {
		return false
	}
	progress("forest", 0, int64(g.n))
	in := b.in.Set
	m := b.in.Len()
	isRoot := g.rootSet()
	// one: the members with a predecessor. By member number: parent, the
	// predecessor (an object index); kids, how many members have this
	// one as theirs; ret, the sum of sizes. k is the number of v, the
	// member whose references are read.
	one := bitset.New(g.n)
	parent := mem.Make[int32](m)
	kids := mem.Make[uint32](m)
	ret := mem.Make[uint64](m)
	k := int32(0)
	// Joins: the members with more than one predecessor, each with its
	// predecessors, the first of them in parent; few are taken (see
	// joinDominators).
	var (
		joins    []int32
		joinPred = map[int32][]int32{}
	)
	maxJoins, entries := 1+m/joinShare, 0
	pred := func(v, w int32) bool {
		switch {
		case w == v || !in.Has(w) || isRoot.Has(w):
		case one.Has(w):
			if p := parent[b.in.Of(w)]; p != v { // the same one again is none
				if joinPred[w] == nil {
					if len(joins) == maxJoins {
						return false
					}
					joins = append(joins, w)
				}
				if entries++; entries > m { // their walks could not pay
					return false
				}
				joinPred[w] = append(joinPred[w], v)
			}
		default:
			one.Add(w)
			parent[b.in.Of(w)] = v
			kids[k]++
		}
		return true
	}
	// The words of in that the references about 256 places ahead fall
	// in are prefetched, 64 or more references at a time: testing in
	// took a quarter of the check's time on the bench dump, and the
	// check 0.91-0.95 s against 1.01-1.24 s with the prefetch, in 4
	// alternating rounds.
	const ahead = 256
	edges := g.edges
	fetched := 0
	for wd, x := range in {
		for ; x != 0; x, k = x&(x-1), k+1 {
			v := int32(wd<<6 + bits.TrailingZeros64(x))
			if next := int(g.start[v]) + ahead; next > fetched {
				lo, hi := max(fetched, next-64), min(next+64, len(edges))
				if lo < hi {
					mem.PrefetchBits(in, edges[lo:hi])
				}
				fetched = hi
			}
			ret[k] = size(v)
			if g.classOf != nil {
				if c := g.classObject[g.classOf[v]]; c >= 0 && !pred(v, c) {
					return false
				}
			}
			for _, w := range g.stored(v) {
				if !pred(v, int32(w)) {
					return false
				}
			}
			if bit(g.hasExtra, v) {
				for _, w := range g.extra[v] {
					if !pred(v, w) {
						return false
					}
				}
			}
		}
	}
	// The roots' sums stop at the super-root, and so do those of the
	// members that have no predecessor and are not roots, for now (their
	// parent notUp until the joins are placed).
	var lost []int32
	for wd, x := range in {
		for x &^= one[wd] | isRoot[wd]; x != 0; x &= x - 1 {
			v := int32(wd<<6 + bits.TrailingZeros64(x))
			lost = append(lost, v)
			parent[b.in.Of(v)] = notUp
		}
	}
	one = nil
	for _, r := range g.rootList {
		if r >= 0 {
			parent[b.in.Of(r)] = Outside
		}
	}
	if len(joins) > 0 {
		unreached, ok := b.joinDominators(joins, joinPred, parent, kids, m)
		if !ok {
			return false
		}
		lost = append(lost, unreached...)
	}
	for _, v := range lost {
		parent[b.in.Of(v)] = Outside
	}
	progress("retained", int64(g.n), int64(g.n))
	// Each member's sum goes to its parent's once its own members' have
	// (Kahn's order), on all cores: the members are taken in chunks, and
	// a walk up stays in its chunk, whose counts no other core touches.
	// It leaves a sum bound for another chunk (a carry) to the walks made
	// after, on one core. A parent is mostly near its members in the
	// dump's order: on the bench dump, paths --class java.util.ArrayList
	// leaves 712 carries of 18.75 M members, and the sums take 0.09-0.11 s
	// on two cores against 0.17-0.24 s on one.
	//
	// One core takes chunks only once spare is done: the work beside,
	// which may keep it busy still (paths' search, the longer side at a
	// slow host's moments, where the sums' taking its core made the
	// command slower in 13 of 16 pairs).
	const summed = math.MaxUint32
	chunks := max(1, m/sumChunk)
	workers := runtime.GOMAXPROCS(0)
	carries := make([][]carry, max(2, workers))
	counted := make([]int, len(carries)) // the members summed, by worker
	var next atomic.Int64
	sum := func(w int) {
		for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
			lo, hi := c*m/chunks, (c+1)*m/chunks
			// The walk inline, on the chunk's own (as a call it took
			// 0.3 s on one core).
			kids, parent, ret := kids[lo:hi], parent[lo:hi], ret[lo:hi]
			n := 0
			for k := range kids {
				for x := int32(k); kids[x] == 0; {
					kids[x] = summed
					n++
					p := parent[x]
					if p == Outside {
						break
					}
					q := b.in.Of(p) - int32(lo)
					if uint32(q) >= uint32(len(kids)) {
						carries[w] = append(carries[w], carry{to: q + int32(lo), from: x + int32(lo)})
						break
					}
					ret[q] += ret[x]
					kids[q]--
					x = q
				}
			}
			counted[w] += n
		}
	}
	others := par.Go(func() {
		par.Run(max(1, workers-1), func(t int) {
			if t == 0 && spare != nil {
				spare()
			}
			sum(1 + t)
		})
	})
	sum(0)
	others()
	n := 0 // (the walk again, on the whole of C)
	for _, cs := range carries {
		for _, c := range cs {
			ret[c.to] += ret[c.from]
			kids[c.to]--
			for x := c.to; kids[x] == 0; {
				kids[x] = summed
				n++
				p := parent[x]
				if p == Outside {
					break
				}
				q := b.in.Of(p)
				ret[q] += ret[x]
				kids[q]--
				x = q
			}
		}
	}
	for _, c := range counted {
		n += c
	}
	// A member whose count never came to 0 is on a cycle: one of its
	// own is summed only after it. (Looked for only when there is one: a
	// pass over C took 0.07 s on the bench dump.)
	if n < m {
		k = 0
		for wd, x := range in {
			for ; x != 0; x, k = x&(x-1), k+1 {
				if kids[k] != summed {
					lost = append(lost, int32(wd<<6+bits.TrailingZeros64(x)))
				}
			}
		}
	}
	kids = nil
	b.idom, b.retained = parent, ret
	if len(lost) > 0 {
		gone := bitset.New(g.n)
		for _, v := range lost {
			gone.Add(v)
		}
		meet := func(w int32) bool { // a join left out is among lost already
			if in.Has(w) && !isRoot.Has(w) && !gone.Has(w) && joinPred[w] == nil {
				gone.Add(w)
				lost = append(lost, w)
			}
			return true
		}
		for i := 0; i < len(lost); i++ {
			v := lost[i]
			if g.classOf != nil {
				if c := g.classObject[g.classOf[v]]; c >= 0 {
					meet(c)
				}
			}
			g.forStored(v, meet)
		}
		b.without(gone)
	}
	return true
}

// carry is a member's sum (from) bound for its parent (to), both by
// member number.
type carry struct{ to, from int32 }

// sumChunk: forest sums the members in chunks of this many (a variable,
// for tests).
var sumChunk = 1 << 16

// joinShare: forest takes one join per joinShare members at most (a
// variable, for tests).
var joinShare = 1024

// notUp is forest's parent, for a while, of the members without a
// predecessor that are not roots: no root is above them.
const notUp = Outside - 1

// joinDominators places the joins (members with several predecessors) in
// the tree, given every other member's parent (its predecessor, its idom),
// Outside for a root and notUp for a member without a predecessor. A
// join's immediate dominator is the nearest common dominator of its
// predecessors that a root reaches: walked up to from each through the
// parents, as long as no walk passes a join, whose own place is not known
// yet (else it reports false, as when the walks take more than m steps in
// all: a long chain, or a cycle). It moves each join's count in kids from
// its first predecessor to its dominator, and returns the joins no root
// reaches.
//
// On the bench dump, one object that two of the 18.7 M java.lang.Strings
// below them share sent paths --class java.lang.String --no-index to
// Semi-NCA on a copy of C: 5.20-6.04 s and 1,682 MB, against 3.99-4.93 s
// and 1,427 MB with the join placed so (the same output). Up to one join
// per 1,024 members is taken.
func (b *Below) joinDominators(joins []int32, joinPred map[int32][]int32, parent []int32, kids []uint32, m int) (unreached []int32, ok bool) {
	steps := 0
	// up walks from x through the parents until the super-root (top), a
	// member without a predecessor, or one that stop reports, with visit
	// called for each member before it is left; false for a join met, or
	// the steps spent.
	up := func(x int32, stop func(int32) bool, visit func(int32)) (top, fine bool) {
		for !stop(x) {
			if joinPred[x] != nil || steps > m { // a join
				return false, false
			}
			steps++
			visit(x)
			switch p := parent[b.in.Of(x)]; p {
			case Outside:
				return true, true
			case notUp:
				return false, true
			default:
				x = p
			}
		}
		return false, true
	}
	// The dominators common to the predecessors so far: common[lo:],
	// on[x] giving x's place there.
	var common []int32
	on := map[int32]int{}
	never := func(int32) bool { return false }
	note := func(x int32) { on[x] = len(common); common = append(common, x) }
	for _, j := range joins {
		first := parent[b.in.Of(j)]
		reached, top := false, false // top: the super-root is the nearest
		lo := 0
		for _, p := range append(joinPred[j], first) {
			if !reached {
				clear(on)
				common = common[:0]
				isTop, fine := up(p, never, note)
				if !fine {
					return nil, false
				}
				reached = isTop // else no root reaches p
				continue
			}
			// Up from p to the nearest dominator common so far.
			met := -1
			isTop, fine := up(p, func(x int32) bool {
				i, ok := on[x]
				if ok {
					met = i
				}
				return ok
			}, func(int32) {})
			switch {
			case !fine:
				return nil, false
			case met >= 0:
				for _, y := range common[lo:met] {
					delete(on, y)
				}
				lo = met
			case isTop:
				top = true
			}
			if top {
				break
			}
		}
		kids[b.in.Of(first)]--
		switch {
		case !reached:
			unreached = append(unreached, j)
			parent[b.in.Of(j)] = notUp
		case top:
			parent[b.in.Of(j)] = Outside
		default:
			parent[b.in.Of(j)] = common[lo]
			kids[b.in.Of(common[lo])]++
		}
	}
	return unreached, true
}

// without leaves the objects of gone out of b, moving the idoms and sums
// of the others down to their new numbers.
func (b *Below) without(gone bitset.Set) {
	in := b.in.Set
	from, to := 0, 0
	for wd, x := range in {
		c := bits.OnesCount64(x)
		if x&gone[wd] == 0 {
			copy(b.idom[to:to+c], b.idom[from:from+c])
			copy(b.retained[to:to+c], b.retained[from:from+c])
			from, to = from+c, to+c
			continue
		}
		for ; x != 0; x &= x - 1 {
			if gone[wd]&(x&-x) == 0 {
				b.idom[to], b.retained[to] = b.idom[from], b.retained[from]
				to++
			}
			from++
		}
		in[wd] &^= gone[wd]
	}
	b.in = bitset.Number(in)
	b.idom, b.retained = b.idom[:to], b.retained[:to]
}

// fromTree makes b a view of the whole tree t: U is what t reaches
// outside R (inC, the objects outside R; nil for no R), an idom outside U
// is Outside, and the retained sizes are t's (see Below). t's arrays serve
// as they are (Whole returns t).
func (b *Below) fromTree(t *Tree, inC []uint64) *Below {
	t.idomChecked.Check()
	t.retainedChecked.Check()
	in := bitset.New(len(t.idom))
	for o, d := range t.idom {
		if d != Unreachable && (inC == nil || bit(inC, int32(o))) {
			in.Add(int32(o))
		}
	}
	b.in = bitset.Number(in)
	b.whole = t
	return b
}

// maxCopyEdges bounds the edges of subgraph's copy, whose offsets are
// 32-bit (a variable, for tests).
var maxCopyEdges int64 = math.MaxUint32

// subgraph returns the objects of in as a graph of their own, numbered in
// object order (objs[k] is object k's index in v, local the inverse), with
// the edges among them in v's order, built in one pass over the objects;
// or nil when those are more than maxCopyEdges. (On both cores, in two
// ranges of objects, it took as long.)
func subgraph(v *view, in bitset.Set) (sub *view, objs []int32, local func(int32) int32) {
	num := bitset.Number(in)
	local = num.Of
	m := num.Len()
	sub = &view{n: m, start: make([]uint32, m+1), extra: map[int32][]int32{}}
	objs = make([]int32, 0, m)
	// Room for every edge the copy can have: the members' stored
	// references, one class edge each, and their stack locals. (A slice
	// grown by append would copy, and at the end hold up to twice as
	// much.) Counted, not taken as all of the graph's edges: where the
	// heap had freed memory before, Go clears all of a new slice, and
	// 188 MB of room for the bench dump's 2,784 members of C were cleared
	// and faulted in for nothing.
	room := m
	for w, x := range in {
		for ; x != 0; x &= x - 1 {
			o := int32(w<<6 + bits.TrailingZeros64(x))
			room += int(v.start[o+1] - v.start[o])
			if bit(v.hasExtra, o) {
				room += len(v.extra[o])
			}
		}
	}
	edges := make([]heap.ObjectIndex, 0, min(int64(room), maxCopyEdges+1))
	for w, x := range in {
		for ; x != 0; x &= x - 1 {
			o := int32(w<<6 + bits.TrailingZeros64(x))
			objs = append(objs, o)
			if v.classOf != nil {
				if c := v.classObject[v.classOf[o]]; c >= 0 && in.Has(c) {
					edges = append(edges, heap.ObjectIndex(num.Of(c)))
				}
			}
			for _, y := range v.stored(o) {
				if in.Has(int32(y)) {
					edges = append(edges, heap.ObjectIndex(num.Of(int32(y))))
				}
			}
			if bit(v.hasExtra, o) {
				for _, y := range v.extra[o] {
					if in.Has(y) {
						edges = append(edges, heap.ObjectIndex(num.Of(y)))
					}
				}
			}
			if int64(len(edges)) > maxCopyEdges {
				return nil, nil, nil
			}
			sub.start[len(objs)] = uint32(len(edges))
		}
	}
	sub.edges = edges
	return sub, objs, local
}

// Graph returns the graph the tree was computed on.
func (b *Below) Graph() *heap.Graph { return b.g }

// Contains reports whether o is below the targets: a target some GC root
// reaches, or an object only paths through the targets reach (any object
// with KeepUnreachable, which computes the whole tree).
func (b *Below) Contains(o heap.ObjectIndex) bool { return b.in.Has(int32(o)) }

// Objects returns the number of objects below the targets.
func (b *Below) Objects() int { return b.in.Len() }

// Whole returns the whole tree when ComputeBelow computed it (nil
// otherwise): one worth keeping, as an index's dominators part.
func (b *Below) Whole() *Tree { return b.whole }

// Idom returns o's immediate dominator when it is below the targets too,
// and Outside otherwise.
func (b *Below) Idom(o heap.ObjectIndex) int32 {
	if !b.Contains(o) {
		return Outside
	}
	if b.whole != nil {
		if d := b.whole.idom[o]; d >= 0 && b.in.Has(d) {
			return d
		}
		return Outside
	}
	return b.idom[b.in.Of(int32(o))]
}

// Retained returns o's retained size, 0 for an object not below the
// targets (as for an unreachable one in the whole tree).
func (b *Below) Retained(o heap.ObjectIndex) uint64 {
	if !b.Contains(o) {
		return 0
	}
	if b.whole != nil {
		return b.whole.retainedAt(o)
	}
	return b.retained[b.in.Of(int32(o))]
}
