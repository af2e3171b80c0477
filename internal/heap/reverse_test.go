package heap

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"unsafe"
)

// TestReferrers checks the scan against the definition, object by object,
// on 1 to 3 shares and on heaps that end on either side of a block (and
// with shares of more than one block), and
// that a mapped graph's class, offset and reference arrays are each
// dropped from memory exactly once behind it.
func TestReferrers(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	for _, n := range []int{1, 5, 200, ScanBlock - 1, ScanBlock + 3, 2*ScanBlock + 5} {
		g := &Graph{class: make([]ClassIndex, n), edgeStart: make([]uint32, n+1)}
		// Three classes, two with class objects among the objects.
		g.Classes = []Class{{Object: 0}, {Object: ObjectIndex(n / 2)}, {Object: None}}
		want := map[ObjectIndex][]ObjectIndex{}
		for i := range n {
			g.class[i] = ClassIndex(r.IntN(3))
			refers := map[ObjectIndex]bool{}
			if c := g.Classes[g.class[i]].Object; c != None {
				refers[c] = true
			}
			for range r.IntN(4) {
				w := ObjectIndex(r.IntN(min(n, 50))) // repeats, and self-references
				if r.IntN(4) == 0 {
					w = ObjectIndex(r.IntN(n))
				}
				g.edges = append(g.edges, w)
				refers[w] = true
			}
			g.edgeStart[i+1] = uint32(len(g.edges))
			for w := range refers {
				want[w] = append(want[w], ObjectIndex(i))
			}
		}
		arrays := [][]byte{asBytes(g.class), asBytes(g.edgeStart[:n]), asBytes(g.edges)}
		for _, k := range []int{1, 2, 3} {
			var mu sync.Mutex
			evicted := make([][]int32, len(arrays)) // per 4-byte element of each array
			g.evict = func(b []byte) {
				mu.Lock()
				defer mu.Unlock()
				p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
				for a, arr := range arrays {
					if base := uintptr(unsafe.Pointer(unsafe.SliceData(arr))); len(b) > 0 && p >= base && p < base+uintptr(len(arr)) {
						for i := (p - base) / 4; i < (p-base+uintptr(len(b)))/4; i++ {
							evicted[a][i]++
						}
					}
				}
			}
			for _, o := range []ObjectIndex{0, ObjectIndex(n / 2), ObjectIndex(n - 1), ObjectIndex(r.IntN(n))} {
				for a, arr := range arrays {
					evicted[a] = make([]int32, len(arr)/4)
				}
				got := g.referrers(o, k)
				w := want[o]
				slices.Sort(w)
				if !slices.Equal(got, w) {
					t.Fatalf("%d objects, %d shares: referrers of %d: %v, want %v", n, k, o, head(got), head(w))
				}
				for a := range arrays {
					for i, e := range evicted[a] {
						if e != 1 {
							t.Fatalf("%d objects, %d shares: element %d of array %d evicted %d times", n, k, i, a, e)
						}
					}
				}
			}
		}
	}
}

func head(s []ObjectIndex) []ObjectIndex { return s[:min(len(s), 10)] }

func asBytes[T any](s []T) []byte {
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}
