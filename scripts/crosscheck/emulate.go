package main

import (
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// semantics is one choice of what a dominator tree counts. The value
// leakscanSemantics is leakscan's (Eclipse MAT's); each field moves one
// choice to what VisualVM's heap library (2.1) does.
type semantics struct {
	// vvSizes takes shallow sizes from VisualVM's listing: a class object
	// is an instance of java.lang.Class by its declared fields (72 bytes
	// on JDK 11+ dumps), not the mirror with its statics; VM-injected
	// fields (Module's) are left out.
	vvSizes bool
	// localsRoots makes the stack locals of a known thread GC roots of
	// their own, not references of the thread.
	localsRoots bool
	// classRefs says which references of a class object count: VisualVM
	// has its statics and its loader (a synthetic static), not the
	// superclass, signers or protection domain.
	classRefs uint8
	// classEdges: which instance → class references count.
	classEdges classEdgeRule
	// strongOnly makes objects that roots reach only through a
	// Reference.referent unreachable (size and retained 0): VisualVM's
	// search for the nearest GC root skips referents, and only what it
	// finds is summed. Dominators are still computed over referents.
	strongOnly bool
	// unreachedReferrers makes an object dominated by the super-root
	// alone when an object the root search did not reach references it:
	// VisualVM intersects dominator chains over all referrers, and an
	// unreached one has no chain.
	unreachedReferrers bool
	// vvSums adds up as VisualVM does: an object that heads a tree (all
	// it references, recursively, is referenced by it alone) gets the
	// tree's size, class objects included; otherwise only instance and
	// array records pass their size up the dominator chain, so a class
	// object outside a tree never counts its own size, and a tree headed
	// by a class object never reaches the class object's dominators.
	vvSums bool
}

// Which references of a class object count.
const (
	refSuper uint8 = 1 << iota
	refLoader
	refSigners
	refDomain
	refStatics
	allClassRefs = refSuper | refLoader | refSigners | refDomain | refStatics
)

type classEdgeRule uint8

const (
	// everyInstance: every object references its class (MAT, leakscan).
	everyInstance classEdgeRule = iota
	// noInstance: no instance → class reference.
	noInstance
	// firstInstance: VisualVM's root search, when it first meets an
	// instance (not an array) of a class not reached yet, records that
	// one instance → class reference; no other counts.
	firstInstance
)

var leakscanSemantics = semantics{classRefs: allClassRefs}

// emulate computes retained sizes under s on a graph of its own (not
// leakscan's dominator package), so that each semantic choice can be
// switched on its own. vv gives VisualVM's shallow sizes by object, -1 for
// objects VisualVM does not list. It returns retained sizes, -1 for objects
// no root reaches, and immediate dominators: -1 for the super-root, -2 for
// none.
func emulate(g *heap.Graph, s semantics, vv []int64) (retained []int64, dom []int32) {
	n := g.NumObjects()
	super := int32(n)
	isClass := func(v int32) bool { return v < super && g.IsClassObject(heap.ObjectIndex(v)) }
	size := make([]int64, n)
	for o := range n {
		size[o] = int64(g.ShallowSize(heap.ObjectIndex(o)))
		if s.vvSizes && vv[o] >= 0 {
			size[o] = vv[o]
		}
	}

	// GC roots, each once, in dump order.
	roots, locals := g.RootSet()
	var rootList []int32
	isRoot := make([]bool, n)
	addRoot := func(o heap.ObjectIndex) {
		if o != heap.None && !isRoot[o] {
			isRoot[o] = true
			rootList = append(rootList, int32(o))
		}
	}
	if s.localsRoots {
		for _, r := range g.Roots {
			addRoot(r.Object)
		}
	} else {
		for _, r := range roots {
			addRoot(r)
		}
	}

	// Stored references (less the class edges), in CSR form. The first
	// stored reference of an object with referent is its referent.
	lookup := func(id uint64) int32 {
		if id == 0 {
			return -1
		}
		return int32(g.Lookup(id))
	}
	start := make([]int64, n+1)
	var edges []int32
	referent := make([]bool, n)
	for v := range n {
		o := heap.ObjectIndex(v)
		if g.IsClassObject(o) {
			if c, ok := g.MirrorClass(o); ok {
				cl := &g.Classes[c]
				if s.classRefs&refSuper != 0 && cl.Super >= 0 {
					if t := g.Classes[cl.Super].Object; t != heap.None {
						edges = append(edges, int32(t))
					}
				}
				for _, x := range []struct {
					bit uint8
					id  uint64
				}{{refLoader, cl.LoaderID}, {refSigners, cl.SignersID}, {refDomain, cl.ProtectionDomainID}} {
					if t := lookup(x.id); s.classRefs&x.bit != 0 && t >= 0 {
						edges = append(edges, t)
					}
				}
				for _, st := range cl.Statics {
					if t := lookup(st.Value); s.classRefs&refStatics != 0 && st.Type == hprof.TypeObject && t >= 0 {
						edges = append(edges, t)
					}
				}
			}
		} else {
			refs := g.Refs(o)
			referent[v] = g.ReferentFirst(o) && len(refs) > 0
			for _, t := range refs {
				edges = append(edges, int32(t))
			}
		}
		if !s.localsRoots {
			for _, l := range locals[o] {
				edges = append(edges, int32(l.Object))
			}
		}
		start[v+1] = int64(len(edges))
	}
	stored := func(v int32) []int32 { return edges[start[v]:start[v+1]] }

	// The class edge of each object, -1 for none.
	classEdge := make([]int32, n)
	for v := range n {
		classEdge[v] = -1
		if s.classEdges == everyInstance {
			classEdge[v] = int32(g.ClassObject(heap.ObjectIndex(v)))
		}
	}
	// The root search, breadth first; strongOnly skips referents.
	found := make([]bool, n)
	if s.classEdges == firstInstance || s.strongOnly || s.unreachedReferrers {
		seenClass := make([]bool, len(g.Classes))
		queue := make([]int32, 0, n)
		for _, r := range rootList {
			found[r] = true
			queue = append(queue, r)
		}
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			es := stored(v)
			if s.strongOnly && referent[v] {
				es = es[1:]
			}
			for _, w := range es {
				if !found[w] {
					found[w] = true
					queue = append(queue, w)
				}
			}
			switch s.classEdges {
			case everyInstance:
				if w := classEdge[v]; w >= 0 && !found[w] {
					found[w] = true
					queue = append(queue, w)
				}
			case firstInstance:
				o := heap.ObjectIndex(v)
				if k := g.Kind(o); k == heap.KindInstance || k == heap.KindClass {
					c := g.ClassOf(o)
					if w := int32(g.Classes[c].Object); !seenClass[c] && w >= 0 {
						seenClass[c] = true
						if !found[w] {
							found[w] = true
							queue = append(queue, w)
							classEdge[v] = w
						}
					}
				}
			}
		}
	}

	// All successors of v, the super-root's being the roots.
	var buf []int32
	succ := func(v int32) []int32 {
		if v == super {
			return rootList
		}
		buf = append(buf[:0], stored(v)...)
		if classEdge[v] >= 0 {
			buf = append(buf, classEdge[v])
		}
		return buf
	}

	// Postorder of an iterative depth-first search from the super-root.
	post := make([]int32, n+1) // postorder number + 1; 0 = unreached
	var order []int32          // vertices by postorder number
	type frame struct {
		v    int32
		next []int32
	}
	stack := []frame{{super, rootList}}
	post[super] = -1
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if len(f.next) > 0 {
			w := f.next[0]
			f.next = f.next[1:]
			if post[w] == 0 {
				post[w] = -1
				stack = append(stack, frame{w, append([]int32(nil), succ(w)...)})
			}
			continue
		}
		order = append(order, f.v)
		post[f.v] = int32(len(order))
		stack = stack[:len(stack)-1]
	}
	r := len(order)
	top := int32(r - 1)
	weakOnly := func(v int32) bool {
		return (s.strongOnly || s.unreachedReferrers) && v < super && !found[v]
	}

	// Predecessors of reached vertices, by postorder number, and the
	// number of references (from objects reached or not; an object that
	// references another twice counts twice) to every object.
	pstart := make([]int64, r+1)
	referrers := make([]int32, n+1)
	pinned := make([]bool, r)
	for v := int32(0); v <= super; v++ {
		for _, w := range succ(v) {
			referrers[w]++
			if post[w] <= 0 {
				continue
			}
			if post[v] <= 0 || (s.unreachedReferrers && weakOnly(v)) {
				pinned[post[w]-1] = s.unreachedReferrers
				continue
			}
			pstart[post[w]]++
		}
	}
	for p := 1; p <= r; p++ {
		pstart[p] += pstart[p-1]
	}
	preds := make([]int32, pstart[r])
	fill := append([]int64(nil), pstart[:r]...)
	for p := range r {
		if s.unreachedReferrers && weakOnly(order[p]) {
			continue
		}
		for _, w := range succ(order[p]) {
			q := post[w] - 1
			preds[fill[q]] = int32(p)
			fill[q]++
		}
	}

	// Cooper, Harvey and Kennedy's iterative dominators, on postorder
	// numbers (the super-root has the highest).
	idom := make([]int32, r)
	for p := range idom {
		idom[p] = -1
	}
	idom[top] = top
	for changed := true; changed; {
		changed = false
		for p := top - 1; p >= 0; p-- {
			nd := int32(-1)
			if pinned[p] {
				nd = top
			}
			for _, q := range preds[pstart[p]:pstart[p+1]] {
				if idom[q] < 0 {
					continue
				}
				if nd < 0 {
					nd = q
					continue
				}
				a, b := q, nd
				for a != b {
					for a < b {
						a = idom[a]
					}
					for b < a {
						b = idom[b]
					}
				}
				nd = a
			}
			if idom[p] != nd {
				idom[p] = nd
				changed = true
			}
		}
	}

	// Sizes by postorder number; a vertex's number is below its
	// dominators'.
	sz := make([]int64, r)
	for p := range top {
		if v := order[p]; !weakOnly(v) {
			sz[p] = size[v]
		}
	}
	ret := make([]int64, r)
	if !s.vvSums {
		for p := range top {
			ret[p] += sz[p]
			ret[idom[p]] += ret[p]
		}
	} else {
		// In postorder, what an object references comes before it
		// unless it is referenced twice or lies on a cycle. Being a GC
		// root counts as a reference here; VisualVM's tree pass, which
		// follows nearest-root pointers level by level, sometimes puts
		// a root referenced once inside its referrer's tree, an order
		// effect this does not reproduce.
		tree := make([]bool, r)
		for p := range top {
			v := order[p]
			if weakOnly(v) {
				continue
			}
			tree[p] = true
			total := sz[p]
			for _, w := range succ(v) {
				q := post[w] - 1
				if referrers[w] != 1 || q >= p || !tree[q] {
					tree[p] = false
					break
				}
				total += ret[q]
			}
			if tree[p] {
				ret[p] = total
			}
		}
		for p := range top {
			if !tree[p] && !isClass(order[p]) {
				ret[p] += sz[p]
			}
		}
		for p := range top {
			// ret[p] is final here: all it dominates came before.
			if d := idom[p]; !tree[d] && (!tree[p] || !isClass(order[p])) {
				ret[d] += ret[p]
			}
		}
	}

	retained = make([]int64, n)
	dom = make([]int32, n)
	for o := range n {
		retained[o], dom[o] = -1, -2
		if post[o] > 0 {
			p := post[o] - 1
			if !weakOnly(int32(o)) {
				retained[o] = ret[p]
			}
			dom[o] = order[idom[p]]
			if dom[o] == super {
				dom[o] = -1
			}
		}
	}
	return retained, dom
}
