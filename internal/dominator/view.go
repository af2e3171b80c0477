package dominator

import (
	"math/bits"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
)

// view presents a heap graph to the algorithm without copying it: an
// object's successors are its class object (the implicit instance → class
// reference), its stored references (less a skipped first one, the
// referent of a java.lang.ref.Reference when weak references are not
// followed), and extra edges (thread → the locals of its stack frames).
type view struct {
	n     int
	start []uint32           // CSR offsets, len n+1
	edges []heap.ObjectIndex // CSR targets
	// classOf[v] and classObject[c]: the class object reached from v, or
	// -1. classOf is nil when there are no implicit class edges.
	classOf     []heap.ClassIndex
	classObject []int32
	skipFirst   bitset.Set // ignore v's first stored edge; nil = none
	hasExtra    bitset.Set // v has extra edges; nil = none
	extra       map[int32][]int32
	rootList    []int32
}

// newView presents g with opts' semantics.
func newView(g *heap.Graph, opts Options) *view {
	n := g.NumObjects()
	start, edges := g.EdgeArrays()
	v := &view{n: n, start: start, edges: edges, classOf: g.ClassArray(), classObject: g.ClassObjects(), extra: map[int32][]int32{}}
	if opts.IgnoreWeak {
		v.skipFirst = g.ReferentBits()
	}
	roots, locals := g.RootSet()
	for _, r := range roots {
		v.rootList = append(v.rootList, int32(r))
	}
	if len(locals) > 0 {
		v.hasExtra = bitset.New(n)
		for th, ls := range locals {
			for _, l := range ls {
				v.extra[int32(th)] = append(v.extra[int32(th)], int32(l.Object))
			}
			v.hasExtra.Add(int32(th))
		}
	}
	return v
}

func (g *view) numVertices() int { return g.n }
func (g *view) roots() []int32   { return g.rootList }

// rootSet returns the GC roots as a set.
func (g *view) rootSet() bitset.Set {
	s := bitset.New(g.n)
	for _, r := range g.rootList {
		if r >= 0 {
			s.Add(r)
		}
	}
	return s
}

// eachSuccessor calls fn with each of x's successors: its class object,
// its stored references (less a skipped first one), its extra edges.
func (g *view) eachSuccessor(x int32, fn func(w int32)) {
	if g.classOf != nil {
		if c := g.classObject[g.classOf[x]]; c >= 0 {
			fn(c)
		}
	}
	for _, y := range g.stored(x) {
		fn(int32(y))
	}
	if bit(g.hasExtra, x) {
		for _, y := range g.extra[x] {
			fn(y)
		}
	}
}

// mark walks on from the objects of queue, which in holds, and adds to
// in every object they reach through objects ok lets in; it returns the
// queue, for its array to serve again.
func (g *view) mark(queue []int32, in bitset.Set, ok func(int32) bool) []int32 {
	for head := 0; head < len(queue); head++ {
		g.eachSuccessor(queue[head], func(w int32) {
			if ok(w) && !in.Has(w) {
				in.Add(w)
				queue = append(queue, w)
			}
		})
	}
	return queue
}

// stored returns v's stored references, less a skipped first one.
func (g *view) stored(v int32) []heap.ObjectIndex {
	s, e := g.start[v], g.start[v+1]
	if s < e && bit(g.skipFirst, v) {
		s++
	}
	return g.edges[s:e]
}

func bit(b []uint64, v int32) bool { return b != nil && b[v>>6]&(1<<(uint(v)&63)) != 0 }

// popcount counts set bits, for tests.
func popcount(b []uint64) (n int) {
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}
