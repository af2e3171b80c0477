package dominator

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
)

// TestBiggestChildren: the scan's k best children of each parent are the
// first k of Children's sorted lists, on trees with hubs of many children,
// ties in retained size, leaves and unreachable objects, a parent named
// twice, on one share and on two, keeping the best or sorting all.
func TestBiggestChildren(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for _, n := range []int{1, 40, 1000, 300_000} {
		idom := make([]int32, n)
		retained := make([]uint64, n)
		hubs := []int32{0, int32(n / 3), int32(n - 1)}
		for x := range n {
			switch v := r.IntN(10); {
			case x == 0 || v == 0:
				idom[x] = TopLevel
			case v == 1:
				idom[x] = Unreachable
			case v < 6:
				idom[x] = hubs[r.IntN(len(hubs))]
			default:
				idom[x] = int32(r.IntN(n))
			}
			if idom[x] == int32(x) {
				idom[x] = TopLevel
			}
			retained[x] = uint64(r.IntN(20)) // many ties: then by index
		}
		var parents []heap.ObjectIndex
		for _, h := range hubs {
			parents = append(parents, heap.ObjectIndex(h))
		}
		for range 20 {
			parents = append(parents, heap.ObjectIndex(r.IntN(n)))
		}
		parents = append(parents, parents[1]) // a parent named twice
		withTable := &Tree{idom: idom, retained: retained}
		for _, k := range []int{1, 3, 5, keepAll, keepAll + 1, 1 << 20} {
			got := (&Tree{idom: idom, retained: retained}).BiggestChildren(parents, k)
			fromTable := withTable.BiggestChildren(parents, k) // builds no table yet: same scan
			withTable.UnorderedChildren(0)                     // now the table exists
			for i, p := range parents {
				all := withTable.Children(p)
				want := all[:min(k, len(all))]
				if !slices.Equal(got[i], want) {
					t.Fatalf("n=%d k=%d: children of %d: %v, want %v", n, k, p, got[i], want)
				}
				if !slices.Equal(fromTable[i], want) {
					t.Fatalf("n=%d k=%d: children of %d from the scan before the table: %v, want %v", n, k, p, fromTable[i], want)
				}
			}
			if tabled := withTable.BiggestChildren(parents, k); !slices.EqualFunc(tabled, got, slices.Equal) {
				t.Fatalf("n=%d k=%d: from the table %v, from the scan %v", n, k, tabled, got)
			}
			withTable = &Tree{idom: idom, retained: retained}
		}
	}
}
