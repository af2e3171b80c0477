package heap

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestIDIndexAgainstSortedSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := map[string][]uint64{
		"dense aligned": nil, "sparse": nil, "agent serials": nil, "single": {0x7f0000010},
	}
	for i := 0; i < 5000; i++ {
		cases["dense aligned"] = append(cases["dense aligned"], 0x700000000+uint64(r.IntN(40000))*8)
		cases["sparse"] = append(cases["sparse"], r.Uint64())
		cases["agent serials"] = append(cases["agent serials"], uint64(r.IntN(20000)+1))
	}
	for name, ids := range cases {
		t.Run(name, func(t *testing.T) {
			x := newIDIndex([][]uint64{ids[:len(ids)/2], ids[len(ids)/2:]})
			want := slices.Compact(slices.Sorted(slices.Values(ids)))
			if x.n != len(want) {
				t.Fatalf("n = %d, want %d", x.n, len(want))
			}
			for i, id := range want {
				if got := x.lookup(id); got != int32(i) {
					t.Fatalf("lookup(%#x) = %d, want %d", id, got, i)
				}
				if got := x.id(int32(i)); got != id {
					t.Fatalf("id(%d) = %#x, want %#x", i, got, id)
				}
			}
			for k := 0; k < 2000; k++ {
				probe := want[r.IntN(len(want))] + uint64(r.IntN(64))
				_, found := slices.BinarySearch(want, probe)
				if got := x.lookup(probe); (got >= 0) != found {
					t.Fatalf("lookup(%#x) = %d, present = %v", probe, got, found)
				}
			}
			if x.lookup(0) >= 0 && !slices.Contains(want, 0) {
				t.Fatal("lookup(0) found a missing id")
			}
		})
	}
}
