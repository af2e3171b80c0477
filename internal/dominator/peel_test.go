package dominator

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// forcePeel makes peelDominators peel whatever the size of P, in shares
// ranges (or never, for shares < 0), for the rest of the test.
func forcePeel(t *testing.T, shares int) {
	oldMode, oldShares := peelMode, peelShares
	peelMode, peelShares = 1, shares
	if shares < 0 {
		peelMode, peelShares = -1, 0
	}
	t.Cleanup(func() { peelMode, peelShares = oldMode, oldShares })
}

var nop = func(string, int64, int64) {}

// decorate gives v, made by adjacency from adj, the edges the graph's view
// has besides the stored references, at random: class edges (a few
// objects are class objects) in half the graphs, and in a third skipped
// first edges (weak referents) and extra edges (thread locals). It
// returns every object's successors as the naive algorithm sees them.
func decorate(r *rand.Rand, v *view, adj [][]int32) [][]int32 {
	n := v.n
	full := make([][]int32, n)
	if r.IntN(2) == 0 {
		classes := 1 + r.IntN(min(n, 4))
		v.classObject = make([]int32, classes+1)
		for c := range classes {
			v.classObject[c] = int32(r.IntN(n))
		}
		v.classObject[classes] = -1
		v.classOf = make([]heap.ClassIndex, n)
		for o := range n {
			c := heap.ClassIndex(r.IntN(classes + 1))
			v.classOf[o] = c
			if x := v.classObject[c]; x >= 0 {
				full[o] = append(full[o], x)
			}
		}
	}
	if r.IntN(3) == 0 {
		v.skipFirst = make([]uint64, (n+63)/64)
		v.hasExtra = make([]uint64, (n+63)/64)
		for o := range n {
			if len(adj[o]) > 0 && r.IntN(3) == 0 {
				v.skipFirst[o>>6] |= 1 << (o & 63)
			}
			if r.IntN(4) == 0 {
				v.hasExtra[o>>6] |= 1 << (o & 63)
				v.extra[int32(o)] = []int32{int32(r.IntN(n)), int32(r.IntN(n))}
			}
		}
	}
	for o := range n {
		stored := adj[o]
		if bit(v.skipFirst, int32(o)) {
			stored = stored[1:]
		}
		full[o] = append(full[o], stored...)
		if bit(v.hasExtra, int32(o)) {
			full[o] = append(full[o], v.extra[int32(o)]...)
		}
	}
	return full
}

// checkCarries checks what retained assumes of a peel: each object of
// P lies in its range's share of the words, and an immediate dominator
// of it in P but in another range joined in a later pass.
func checkCarries(t *testing.T, what string, p *peeled) {
	t.Helper()
	n := len(p.idom)
	words := (n + 63) / 64
	pass := make([]int, n)
	for i := range pass {
		pass[i] = -1
	}
	for j, b := range p.groups {
		for _, x := range p.porder[b[0]:b[len(b)-1]] {
			pass[x] = j
		}
	}
	for j, b := range p.groups {
		k := len(b) - 1
		for r := range k {
			lo, hi := int32(min(r*words/k*64, n)), int32(min((r+1)*words/k*64, n))
			for _, x := range p.porder[b[r]:b[r+1]] {
				if x < lo || x >= hi {
					t.Fatalf("%s: object %d of pass %d's range %d lies outside it, [%d, %d)", what, x, j, r, lo, hi)
				}
				if d := p.idom[x]; d >= 0 && (d < lo || d >= hi) && pass[d] >= 0 && pass[d] <= j {
					t.Fatalf("%s: object %d of pass %d's range %d has its dominator %d, of pass %d, in another range", what, x, j, r, d, pass[d])
				}
			}
		}
	}
}

// checkPeeled compares peeling with the naive algorithm on one graph:
// every immediate dominator, the reached count, and every retained size
// (object o weighing o+1 bytes) against the sum over what it dominates.
func checkPeeled(t *testing.T, what string, v *view, full [][]int32) {
	t.Helper()
	n := v.n
	p, ok := peelDominators(v, 2, nop, nil)
	if !ok {
		t.Fatalf("%s: not peeled", what)
	}
	want, doms := naiveDominators(n, full, v.rootList)
	reached := 0
	for w := 0; w < n; w++ {
		if p.idom[w] != want[w] {
			t.Fatalf("%s: idom(%d) = %d, want %d", what, w, p.idom[w], want[w])
		}
		if want[w] != Unreachable {
			reached++
		}
	}
	if p.reached != int64(reached) {
		t.Fatalf("%s: reached %d, want %d", what, p.reached, reached)
	}
	checkCarries(t, what, p)
	ret, total := p.retained(func(o int32) uint64 { return uint64(o) + 1 }, 2)
	var wantTotal uint64
	for d := 0; d < n; d++ {
		var sum uint64
		for x := 0; x < n; x++ {
			if doms[x][d] {
				sum += uint64(x) + 1
			}
		}
		if ret[d] != sum {
			t.Fatalf("%s: retained(%d) = %d, want %d", what, d, ret[d], sum)
		}
		if want[d] == TopLevel {
			wantTotal += sum
		}
	}
	if total != wantTotal {
		t.Fatalf("%s: reachable bytes %d, want %d", what, total, wantTotal)
	}
}

// TestPeelAgainstNaive: random graphs (cycles, diamonds, self-loops,
// duplicate edges, several roots, unreachable parts), peeled in one to
// three ranges, some with implicit class edges, weak referents skipped
// and thread locals as extra edges.
func TestPeelAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 23))
	for iter := 0; iter < 3000; iter++ {
		forcePeel(t, 1+iter%3)
		n, adj, roots := randomGraph(r)
		v := adjacency(n, adj, roots)
		full := decorate(r, v, adj)
		checkPeeled(t, "graph", v, full)
	}
}

// TestPeelRangesAgainstNaive: graphs of a few hundred objects, several
// words, peeled in 1 to 14 ranges, so that a range's objects have
// dominators in other ranges (retained sums carried across them) and in
// its own; edges mostly to objects after or mostly to objects before
// each one in object order, so that the passes join objects in either
// direction, with a few cycles, and the edges decorate adds.
func TestPeelRangesAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 3))
	for iter := 0; iter < 400; iter++ {
		forcePeel(t, 1+r.IntN(14))
		n := 65 + r.IntN(700)
		after := r.IntN(2) == 0
		adj := make([][]int32, n)
		for v := range n {
			for range r.IntN(4) {
				w := int32(r.IntN(n)) // anywhere, 1 time in 20: cycles
				if r.IntN(20) > 0 {
					span := 1 + r.IntN(300)
					if after {
						w = int32(min(n-1, v+1+r.IntN(span)))
					} else {
						w = int32(max(0, v-1-r.IntN(span)))
					}
				}
				adj[v] = append(adj[v], w)
			}
		}
		var roots []int32
		for range 1 + r.IntN(4) {
			roots = append(roots, int32(r.IntN(n)))
		}
		roots = append(roots, 0, int32(n-1))
		v := adjacency(n, adj, roots)
		checkPeeled(t, "ranges", v, decorate(r, v, adj))
	}
}

// TestPeelDeep: a chain a million objects long whose every link also
// points at one shared object, and the links' class object, so that the
// nearest common ancestors are asked a million times from ever deeper
// (with parent steps alone, 5·10^11 of them); and a chain closed into a
// cycle below the root, which stays in C.
func TestPeelDeep(t *testing.T) {
	forcePeel(t, 2)
	const n = 1_000_000
	shared, class := int32(n-2), int32(n-1)
	adj := make([][]int32, n)
	for i := 0; i < n-2; i++ {
		if i+1 < n-2 {
			adj[i] = append(adj[i], int32(i+1))
		}
		adj[i] = append(adj[i], shared)
	}
	v := adjacency(n, adj, []int32{0})
	v.classOf = make([]heap.ClassIndex, n)
	v.classObject = []int32{class, -1}
	v.classOf[shared], v.classOf[class] = 1, 1
	start := time.Now()
	p, ok := peelDominators(v, 2, nop, nil)
	if !ok {
		t.Fatal("not peeled")
	}
	for i := 1; i < n-2; i++ {
		if p.idom[i] != int32(i-1) {
			t.Fatalf("idom(%d) = %d", i, p.idom[i])
		}
	}
	if p.idom[0] != TopLevel || p.idom[shared] != 0 || p.idom[class] != 0 {
		t.Fatalf("idom(0, shared, class) = %d, %d, %d", p.idom[0], p.idom[shared], p.idom[class])
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v: the ancestor search is not logarithmic", d)
	}

	// The cycle must not pass the root: edges into roots are set aside.
	adj = make([][]int32, n)
	for i := range n - 1 {
		adj[i] = []int32{int32(i + 1)}
	}
	adj[n-1] = []int32{1}
	p, ok = peelDominators(adjacency(n, adj, []int32{0}), 2, nop, nil)
	if !ok || len(p.corder) != n {
		t.Fatalf("cycle: peeled %v, C reached %d", ok, len(p.corder))
	}
	for i := 1; i < n; i++ {
		if p.idom[i] != int32(i-1) {
			t.Fatalf("cycle: idom(%d) = %d", i, p.idom[i])
		}
	}
}

// isIndexDir reports whether a path the shared dumps' glob found is an
// index leakscan wrote beside a dump (DUMP.leakscan), not a dump.
func isIndexDir(path string) bool { return strings.HasSuffix(path, ".leakscan") }

// TestPeelMatchesSNCA: on the fixture dumps (and the shared dumps of
// other analyzers' suites, when present), peeling in one to three ranges
// and Semi-NCA on the whole graph agree on every object's immediate
// dominator and retained size, with weak references followed and not.
func TestPeelMatchesSNCA(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	shared, _ := filepath.Glob("../../../shared/dumps/*/*.hprof*")
	shared = slices.DeleteFunc(shared, isIndexDir) // an index leakscan wrote beside one
	bins, _ := filepath.Glob("../../../shared/dumps/*/*.bin")
	shared = append(shared, bins...)
	dumps = append(dumps, shared...)
	if len(dumps) == 0 {
		t.Skip("no dumps in testdata/dumps")
	}
	if len(shared) == 0 {
		t.Log("../shared/dumps absent: the fixture dumps only")
	}
	for _, path := range dumps {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		size := func(o int32) uint64 { return g.ShallowSize(heap.ObjectIndex(o)) }
		for _, weak := range []bool{false, true} {
			forcePeel(t, -1)
			whole := Compute(g, Options{IgnoreWeak: weak}) // Semi-NCA's sums, in preorder
			for shares := 1; shares <= 3; shares++ {
				forcePeel(t, shares)
				v := newView(g, Options{IgnoreWeak: weak})
				want, _ := dominators(v, nil, 2, nop)
				p, ok := peelDominators(v, 2, nop, nil)
				if !ok {
					t.Fatalf("%s: not peeled", path)
				}
				for o := range want {
					if p.idom[o] != want[o] {
						t.Fatalf("%s (weak ignored %v, %d ranges): idom(%d) = %d, Semi-NCA says %d", path, weak, shares, o, p.idom[o], want[o])
					}
				}
				checkCarries(t, path, p)
				ret, total := p.retained(size, 2)
				if total != whole.ReachableBytes {
					t.Fatalf("%s (weak ignored %v, %d ranges): reachable bytes %d, Semi-NCA's tree %d", path, weak, shares, total, whole.ReachableBytes)
				}
				for o := range ret {
					if ret[o] != whole.retained[o] {
						t.Fatalf("%s (weak ignored %v, %d ranges): retained(%d) = %d, Semi-NCA's tree %d", path, weak, shares, o, ret[o], whole.retained[o])
					}
				}
			}
		}
		g.Close()
	}
}

// TestJumpLen: the arithmetic jump lengths are those of the recursive
// rule (a node's jump goes to its parent's jump's jump when the two
// below are as long as each other, else to its parent).
func TestJumpLen(t *testing.T) {
	const n = 1 << 20
	j := make([]int32, n) // j[d]: the depth a jump from depth d reaches
	for d := int32(1); d < n; d++ {
		p := d - 1
		if jp := j[p]; p-jp == jp-j[jp] {
			j[d] = j[jp]
		} else {
			j[d] = p
		}
		if got := jumpLen(d); got != d-j[d] {
			t.Fatalf("jumpLen(%d) = %d, want %d", d, got, d-j[d])
		}
	}
}

// TestPeelPassLimit: a chain laid out so that its links point up and down
// the object order in turn, which each pass peels only a link or two of:
// the passes stop at maxPasses, and the chain's head stays in C.
func TestPeelPassLimit(t *testing.T) {
	forcePeel(t, 1)
	const n = 100
	pos := func(i int) int32 { // the object holding link i
		if i%2 == 0 {
			return int32(i / 2)
		}
		return int32(n - 1 - i/2)
	}
	adj := make([][]int32, n)
	for i := 0; i+1 < n; i++ {
		adj[pos(i)] = []int32{pos(i + 1)}
	}
	v := adjacency(n, adj, []int32{pos(0)})
	isRoot := make([]uint64, 2)
	isRoot[0] |= 1 << uint(pos(0))
	_, _, groups := peelOrder(v, isRoot, 1, nop, nil)
	if len(groups) != maxPasses {
		t.Errorf("%d passes, want %d", len(groups), maxPasses)
	}
	checkPeeled(t, "zigzag chain", v, adj)
}

// TestCompactIdoms: the immediate dominators moved down in place, in
// levels on several cores, equal each node's value read from a copy, for
// sizes around the lowest level's bound and beyond several levels.
func TestCompactIdoms(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 5, 4095, 4096, 4097, 16389, 70001, 300000} {
		work := make([]tnode, n+1)
		for o := range work[:n] {
			switch r := rng.IntN(10); {
			case r == 0:
				work[o] = tnode{idom: -1, depth: -1}
			case r == 1:
				work[o] = tnode{idom: int32(n), depth: 1}
			default:
				work[o] = tnode{idom: rng.Int32N(int32(n)), depth: 1 + rng.Int32N(50), jump: rng.Int32(), spare: rng.Int32()}
			}
		}
		want := make([]int32, n)
		var wantReached int64
		for o, x := range work[:n] {
			switch {
			case x.depth < 0:
				want[o] = Unreachable
			case x.idom == int32(n):
				want[o] = TopLevel
				wantReached++
			default:
				want[o] = x.idom
				wantReached++
			}
		}
		// No level writes into a node it reads.
		bounds := idomLevels(n)
		for i := 0; i+1 < len(bounds); i++ {
			if lastNode := (4*bounds[i] - 1) / 16; lastNode >= bounds[i+1] {
				t.Fatalf("%d objects: level %d to %d writes into node %d, its own", n, bounds[i+1], bounds[i], lastNode)
			}
		}
		for _, workers := range []int{1, 2, 3} {
			w := slices.Clone(work)
			got, reached := compactIdoms(w, workers)
			if !slices.Equal(got, want) || reached != wantReached {
				t.Fatalf("%d objects, %d workers: %d placed (want %d), immediate dominators equal: %v", n, workers, reached, wantReached, slices.Equal(got, want))
			}
		}
	}
}
