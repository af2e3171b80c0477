package paths

import (
	"slices"

	"github.com/leakscan/leakscan/internal/heap"
)

// Node is an object on the merged paths.
type Node struct {
	Object heap.ObjectIndex
	Parent int32 // index in Tree.Nodes, -1 for a root
	// Targets counts the matching objects reached through this node (itself
	// included); Retained sums their retained sizes.
	Targets  int32
	sorted   int32 // how many children are in display order at the front
	Retained uint64
	Target   bool // the object itself matches
}

// Tree is the merge of the shortest paths to a set of objects: since all
// paths come from one BFS tree, two paths that share an object share all of
// the path above it.
type Tree struct {
	Nodes []Node
	// childStart/children: node k's children are
	// children[childStart[k]:childStart[k+1]], built once all nodes are in.
	childStart []int32
	children   []int32
	Roots      []int32 // nodes without a parent, biggest first; see Children
	// Unreached counts matching objects no GC root reaches.
	Unreached int
}

// Label says how node k's parent references it ("" for roots); computed
// on demand, as it decodes the parent's record.
func (t *Tree) Label(s *Search, k int32) string {
	p := t.Nodes[k].Parent
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

// Merge builds the tree of shortest paths to targets. retained gives each
// target's retained size (0 when unknown).
func (s *Search) Merge(targets []heap.ObjectIndex, retained func(heap.ObjectIndex) uint64) *Tree {
	t := &Tree{Nodes: make([]Node, 0, 2*len(targets)+16)}
	index := newNodeIndex(len(s.parent), len(targets))
	var chain []heap.ObjectIndex
	var node func(o heap.ObjectIndex) int32
	node = func(o heap.ObjectIndex) int32 {
		if k, ok := index.get(o); ok {
			return k
		}
		// Walk up to the first object already in the tree (or a root),
		// then add the ones below it in order.
		chain = chain[:0]
		parent := int32(-1)
		for x := int32(o); ; {
			chain = append(chain, heap.ObjectIndex(x))
			p := s.parent[x]
			if p == rootParent {
				break
			}
			if k, ok := index.get(heap.ObjectIndex(p)); ok {
				parent = k
				break
			}
			x = p
		}
		for i := len(chain) - 1; i >= 0; i-- {
			k := int32(len(t.Nodes))
			t.Nodes = append(t.Nodes, Node{Object: chain[i], Parent: parent})
			index.put(chain[i], k)
			if parent < 0 {
				t.Roots = append(t.Roots, k)
			}
			parent = k
		}
		return parent
	}
	for _, o := range targets {
		if !s.Reached(o) {
			t.Unreached++
			continue
		}
		k := node(o)
		if nd := &t.Nodes[k]; !nd.Target {
			nd.Target, nd.Targets, nd.Retained = true, 1, retained(o)
		}
	}
	// A node comes after its parent: one pass from the end adds every
	// node's sums into its parent's.
	for k := len(t.Nodes) - 1; k >= 0; k-- {
		if nd := &t.Nodes[k]; nd.Parent >= 0 {
			p := &t.Nodes[nd.Parent]
			p.Targets += nd.Targets
			p.Retained += nd.Retained
		}
	}
	t.childStart = make([]int32, len(t.Nodes)+1)
	for _, nd := range t.Nodes {
		if nd.Parent >= 0 {
			t.childStart[nd.Parent+1]++
		}
	}
	for k := 1; k < len(t.childStart); k++ {
		t.childStart[k] += t.childStart[k-1]
	}
	t.children = make([]int32, t.childStart[len(t.Nodes)])
	fill := slices.Clone(t.childStart[:len(t.Nodes)])
	for k, nd := range t.Nodes {
		if p := nd.Parent; p >= 0 {
			t.children[fill[p]] = int32(k)
			fill[p]++
		}
	}
	t.sortChildren(t.Roots)
	return t
}

// Children returns node k's first limit children (all when limit <= 0),
// biggest retained first (then most targets, then object index). Only what
// is asked for is ordered: a node may have millions of children.
func (t *Tree) Children(k int32, limit int) []int32 {
	c := t.children[t.childStart[k]:t.childStart[k+1]]
	if limit <= 0 || limit >= len(c) {
		if int(t.Nodes[k].sorted) < len(c) {
			t.sortChildren(c)
			t.Nodes[k].sorted = int32(len(c))
		}
		return c
	}
	if int(t.Nodes[k].sorted) < limit {
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
		t.Nodes[k].sorted = int32(limit)
	}
	return c[:limit]
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

// nodeIndex maps objects to tree nodes: a map for a few targets, an array
// over all objects for many.
type nodeIndex struct {
	small map[heap.ObjectIndex]int32
	dense []int32 // node+1, 0 = none
}

func newNodeIndex(objects, targets int) *nodeIndex {
	if targets > 1<<14 {
		return &nodeIndex{dense: make([]int32, objects)}
	}
	return &nodeIndex{small: map[heap.ObjectIndex]int32{}}
}

func (x *nodeIndex) get(o heap.ObjectIndex) (int32, bool) {
	if x.dense != nil {
		k := x.dense[o]
		return k - 1, k != 0
	}
	k, ok := x.small[o]
	return k, ok
}

func (x *nodeIndex) put(o heap.ObjectIndex, k int32) {
	if x.dense != nil {
		x.dense[o] = k + 1
		return
	}
	x.small[o] = k
}
