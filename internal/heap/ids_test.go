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
		"regions": nil, "superblock ends": nil,
	}
	// bitmap: whether the case must be kept as a bitmap, not sorted.
	bitmap := map[string]bool{"dense aligned": true, "agent serials": true, "single": true, "regions": true, "superblock ends": true}
	const super = bitsPerSuper * 8 // a superblock's bytes, for 8-byte aligned ids
	for i := 0; i < 5000; i++ {
		cases["dense aligned"] = append(cases["dense aligned"], 0x700000000+uint64(r.IntN(40000))*8)
		cases["sparse"] = append(cases["sparse"], r.Uint64())
		cases["agent serials"] = append(cases["agent serials"], uint64(r.IntN(20000)+1))
		// G1-like: regions far apart in a 2 GB range, so that the span
		// is over maxBitsPerObject per id, and so are more superblocks
		// than smallBitmap, but the superblocks in use are not.
		region := uint64(r.IntN(4)) * (512 << 20)
		for range 4 {
			cases["regions"] = append(cases["regions"], 0x600000000+100<<10+region+uint64(r.IntN(bitsPerSuper))*8)
		}
	}
	// The first and last position of superblocks, and either side of
	// block ends, with empty superblocks between.
	for _, sb := range []uint64{0, 1, 2, 5, 6, 40} {
		for _, off := range []uint64{0, 8, bitsPerBlock*8 - 8, bitsPerBlock * 8, super - 8} {
			cases["superblock ends"] = append(cases["superblock ends"], 0x800000000+sb*super+off)
		}
	}
	if n := len(cases["regions"]); uint64(512<<20*3/8/n) <= maxBitsPerObject || 512<<20*3/super <= smallBitmap {
		t.Fatalf("the regions case would be a bitmap without superblocks")
	}
	// The ids come in parts, as a dump's stretches: halves, but for the
	// regions one part per region, the last region split between two.
	partsOf := func(name string, ids []uint64) [][]uint64 {
		if name != "regions" {
			return [][]uint64{ids[:len(ids)/2], ids[len(ids)/2:]}
		}
		byRegion := make([][]uint64, 5)
		for i, id := range ids {
			k := (id - 0x600000000) / (512 << 20)
			if k == 3 && i%2 == 0 {
				k = 4
			}
			byRegion[k] = append(byRegion[k], id)
		}
		return byRegion
	}
	for name, ids := range cases {
		t.Run(name, func(t *testing.T) {
			x := newIDIndex(partsOf(name, ids))
			if bitmap[name] && x.sorted != nil {
				t.Fatalf("ids kept sorted, not as a bitmap")
			}
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
				probe := want[r.IntN(len(want))] + uint64(r.IntN(64)) - 32
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
