package dominator

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
)

// adjacency builds a view from adjacency lists.
func adjacency(n int, adj [][]int32, roots []int32) *view {
	v := &view{n: n, start: make([]uint32, n+1), rootList: roots, extra: map[int32][]int32{}}
	for i := 0; i < n; i++ {
		v.start[i+1] = v.start[i] + uint32(len(adj[i]))
		for _, w := range adj[i] {
			v.edges = append(v.edges, heap.ObjectIndex(w))
		}
	}
	return v
}

// naiveDominators: w is dominated by d when removing d leaves w
// unreachable from the roots; the immediate dominator is the dominator
// with the most dominators of its own.
func naiveDominators(n int, adj [][]int32, roots []int32) (idom []int32, doms [][]bool) {
	reach := func(removed int32) []bool {
		seen := make([]bool, n)
		var stack []int32
		for _, r := range roots {
			if r != removed && !seen[r] {
				seen[r] = true
				stack = append(stack, r)
			}
		}
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, w := range adj[v] {
				if w != removed && !seen[w] {
					seen[w] = true
					stack = append(stack, w)
				}
			}
		}
		return seen
	}
	all := reach(-1)
	doms = make([][]bool, n) // doms[w][d]: d dominates w
	for w := range doms {
		doms[w] = make([]bool, n)
	}
	for d := int32(0); d < int32(n); d++ {
		without := reach(d)
		for w := 0; w < n; w++ {
			if all[w] && (int32(w) == d || !without[w]) {
				doms[w][d] = true
			}
		}
	}
	count := func(w int) (c int) {
		for _, b := range doms[w] {
			if b {
				c++
			}
		}
		return c
	}
	idom = make([]int32, n)
	for w := 0; w < n; w++ {
		if !all[w] {
			idom[w] = Unreachable
			continue
		}
		idom[w] = TopLevel
		best := 0
		for d := 0; d < n; d++ {
			if d != w && doms[w][d] && count(d) > best {
				best, idom[w] = count(d), int32(d)
			}
		}
	}
	return idom, doms
}

func randomGraph(r *rand.Rand) (int, [][]int32, []int32) {
	n := 1 + r.IntN(40)
	adj := make([][]int32, n)
	shape := r.IntN(4)
	for v := 0; v < n; v++ {
		deg := r.IntN(4)
		if shape == 0 {
			deg = r.IntN(2) // sparse: long chains and trees
		}
		for k := 0; k < deg; k++ {
			w := int32(r.IntN(n))
			if shape == 1 && w < int32(v) && r.IntN(3) > 0 {
				w = int32(min(n-1, v+1+r.IntN(3))) // mostly forward: diamonds
			}
			adj[v] = append(adj[v], w) // self-loops and duplicate edges allowed
		}
	}
	var roots []int32
	for k := 0; k < 1+r.IntN(3); k++ {
		roots = append(roots, int32(r.IntN(n)))
	}
	return n, adj, roots
}

func TestAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 42))
	for iter := 0; iter < 3000; iter++ {
		n, adj, roots := randomGraph(r)
		got, _ := dominators(adjacency(n, adj, roots), nil, 2, func(string, int64, int64) {})
		want, _ := naiveDominators(n, adj, roots)
		for w := 0; w < n; w++ {
			if got[w] != want[w] {
				t.Fatalf("graph %d (n=%d, roots %v, adj %v): idom(%d) = %d, want %d", iter, n, roots, adj, w, got[w], want[w])
			}
		}
	}
}

func TestLongChain(t *testing.T) {
	const n = 1_000_000
	adj := make([][]int32, n)
	for i := 0; i+1 < n; i++ {
		adj[i] = []int32{int32(i + 1)}
	}
	adj[n-1] = []int32{0} // and a cycle back
	idom, order := dominators(adjacency(n, adj, []int32{0}), nil, 2, func(string, int64, int64) {})
	if len(order) != n || idom[0] != TopLevel {
		t.Fatalf("reached %d, idom(0) = %d", len(order), idom[0])
	}
	for i := 1; i < n; i++ {
		if idom[i] != int32(i-1) {
			t.Fatalf("idom(%d) = %d", i, idom[i])
		}
	}
}

func TestExtraEdgesAndSkip(t *testing.T) {
	// 0 → 1 (skipped: a weak referent), thread 2 holds local 1 via an extra edge.
	v := adjacency(3, [][]int32{{1}, nil, nil}, []int32{0, 2})
	v.skipFirst = []uint64{1}
	v.hasExtra = []uint64{1 << 2}
	v.extra[2] = []int32{1}
	idom, _ := dominators(v, nil, 2, func(string, int64, int64) {})
	if idom[1] != 2 {
		t.Errorf("idom(1) = %d, want the thread 2", idom[1])
	}
	if popcount(v.hasExtra) != 1 {
		t.Error("popcount")
	}
}

// TestClassEdgesAgainstNaive gives random graphs implicit class edges:
// some vertices are class objects, every vertex may have one as its
// class, and many vertices have no stored references at all, so that the
// search meets leaves whose class object it has or has not reached yet.
func TestClassEdgesAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 4))
	for iter := 0; iter < 3000; iter++ {
		n, adj, roots := randomGraph(r)
		if r.IntN(2) == 0 {
			for v := range adj {
				if r.IntN(3) > 0 {
					adj[v] = nil // a leaf but for its class edge
				}
			}
		}
		classes := 1 + r.IntN(min(n, 4))
		v := adjacency(n, adj, roots)
		v.classObject = make([]int32, classes+1)
		for c := range classes {
			v.classObject[c] = int32(r.IntN(n))
		}
		v.classObject[classes] = -1 // a class without an object
		v.classOf = make([]heap.ClassIndex, n)
		full := make([][]int32, n)
		for o := range n {
			c := heap.ClassIndex(r.IntN(classes + 1))
			v.classOf[o] = c
			if x := v.classObject[c]; x >= 0 {
				full[o] = append(full[o], x)
			}
			full[o] = append(full[o], adj[o]...)
		}
		got, _ := dominators(v, nil, 2, func(string, int64, int64) {})
		want, _ := naiveDominators(n, full, roots)
		for w := 0; w < n; w++ {
			if got[w] != want[w] {
				t.Fatalf("graph %d (n=%d, roots %v, adj %v, classOf %v, classObject %v): idom(%d) = %d, want %d",
					iter, n, roots, adj, v.classOf, v.classObject, w, got[w], want[w])
			}
		}
	}
}

// TestClassPairs: the buckets keep every instance number of every class,
// in order, across the doubling blocks.
func TestClassPairs(t *testing.T) {
	var p classPairs
	want := map[heap.ClassIndex][]uint32{}
	r := rand.New(rand.NewPCG(2, 2))
	for i := range 300_000 {
		c := heap.ClassIndex(r.IntN(5) * r.IntN(3)) // some classes far more often
		p.add(c, uint32(i))
		want[c] = append(want[c], uint32(i))
	}
	for c, w := range want {
		var got []uint32
		for _, b := range p.byClass[c] {
			got = append(got, b...)
		}
		if !slices.Equal(got, w) {
			t.Fatalf("class %d: %d numbers, want %d", c, len(got), len(w))
		}
	}
}
