package dominator

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"unsafe"

	"github.com/leakscan/leakscan/internal/heap"
)

// TestBiggestChildren: the scan's k best children of each parent are the
// first k of Children's sorted lists, on trees with hubs of many children,
// ties in retained size, leaves and unreachable objects, a parent named
// twice, on 1 to 3 shares (with shares of more than one block), keeping
// the best or sorting all; with the table built it answers alike; k <= 0
// gives empty lists; and a mapped tree's idom and retained arrays are each
// dropped once behind the scan.
func TestBiggestChildren(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for _, n := range []int{1, 40, 1000, 2*heap.ScanBlock + 5} {
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
		withTable.UnorderedChildren(0) // builds the table
		for _, k := range []int{-1, 0, 1, 3, 5, keepAll, keepAll + 1, 1 << 20} {
			for shares := 1; shares <= 3; shares++ {
				scan := &Tree{idom: idom, retained: retained}
				evicted := [2][]int32{make([]int32, n), make([]int32, n)}
				var mu sync.Mutex
				scan.evict = func(b []byte) {
					mu.Lock()
					defer mu.Unlock()
					p := uintptr(unsafe.Pointer(&b[0]))
					if base := uintptr(unsafe.Pointer(&idom[0])); p >= base && p < base+uintptr(4*n) {
						for i := (p - base) / 4; i < (p-base+uintptr(len(b)))/4; i++ {
							evicted[0][i]++
						}
					} else {
						base := uintptr(unsafe.Pointer(&retained[0]))
						for i := (p - base) / 8; i < (p-base+uintptr(len(b)))/8; i++ {
							evicted[1][i]++
						}
					}
				}
				got, counts := scan.biggestChildren(parents, k, shares)
				fromTable, tableCounts := withTable.BiggestChildren(parents, k)
				for i, p := range parents {
					all := withTable.Children(p)
					want := all[:max(0, min(k, len(all)))]
					if !slices.Equal(got[i], want) {
						t.Fatalf("n=%d k=%d shares=%d: children of %d: %v, want %v", n, k, shares, p, got[i], want)
					}
					if k > 0 && (counts[i] != len(all) || tableCounts[i] != len(all)) {
						t.Fatalf("n=%d k=%d shares=%d: %d has %d children, counted %d (scan) and %d (table)", n, k, shares, p, len(all), counts[i], tableCounts[i])
					}
					if !slices.Equal(fromTable[i], want) {
						t.Fatalf("n=%d k=%d: children of %d from the table: %v, want %v", n, k, p, fromTable[i], want)
					}
				}
				if k <= 0 {
					continue
				}
				for a := range evicted {
					for x, e := range evicted[a] {
						if e != 1 {
							t.Fatalf("n=%d k=%d shares=%d: element %d of array %d evicted %d times", n, k, shares, x, a, e)
						}
					}
				}
			}
		}
	}
}
