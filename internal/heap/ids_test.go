package heap

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestIDIndexAgainstSortedSearch: lookup, lookupAll and id agree with a
// search of the sorted ids, for ids dense, sparse, in regions far apart, at superblock
// and block ends, and in parts that overlap, on 1 to 8 cores (each core
// sets the bits of its own range of blocks); each case is kept as a bitmap
// or sorted as its density says.
func TestIDIndexAgainstSortedSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const super = bitsPerSuper * 8 // a superblock's bytes, for 8-byte aligned ids
	type idCase struct {
		parts  [][]uint64
		bitmap bool // kept as a bitmap, not sorted
	}
	cases := map[string]*idCase{}
	add := func(name string, bitmap bool, parts ...[]uint64) { cases[name] = &idCase{parts, bitmap} }

	var dense, sparse, serials []uint64
	for range 5000 {
		dense = append(dense, 0x700000000+uint64(r.IntN(40000))*8)
		sparse = append(sparse, r.Uint64())
		serials = append(serials, uint64(r.IntN(20000)+1))
	}
	// Dense, in parts that overlap (all, then either half again).
	add("dense aligned", true, dense, dense[:2500], dense[2500:])
	add("sparse", false, sparse[:2500], sparse[2500:])
	add("agent serials", true, serials[:2500], serials[2500:])
	add("single", false, []uint64{0x7f0000010})
	add("ends of the id range", false, []uint64{0}, []uint64{math.MaxUint64})

	// G1-like: four regions 512 MB apart, each within two superblocks,
	// written in address order in parts of 100 ids (the last region's
	// parts overlapping): far more than maxBitsPerObject over the whole
	// span, well under it over the superblocks in use.
	var regions []uint64
	for reg := range 4 {
		var ids []uint64
		for range 5000 {
			ids = append(ids, 0x600000000+100<<10+uint64(reg)*(512<<20)+uint64(r.IntN(bitsPerSuper))*8)
		}
		slices.Sort(ids)
		regions = append(regions, ids...)
	}
	var regionParts [][]uint64
	for i := 0; i < len(regions); i += 100 {
		regionParts = append(regionParts, regions[i:min(i+100, len(regions))])
	}
	regionParts = append(regionParts, regions[15000:17000]) // overlaps
	if n := len(regions); uint64(3*(512<<20)/8/n) <= maxBitsPerObject {
		t.Fatalf("the regions case would be a bitmap without superblocks")
	}
	add("regions", true, regionParts...)

	// The first and last position of superblocks and either side of
	// block ends, in superblocks dense enough for a bitmap, with empty
	// superblocks between.
	var ends []uint64
	for _, sb := range []uint64{0, 1, 2, 5, 6, 40} {
		for _, off := range []uint64{0, 8, bitsPerBlock*8 - 8, bitsPerBlock * 8, super - 8} {
			ends = append(ends, 0x800000000+sb*super+off)
		}
		for range 1000 {
			ends = append(ends, 0x800000000+sb*super+uint64(r.IntN(bitsPerSuper))*8)
		}
	}
	slices.Sort(ends)
	var endParts [][]uint64 // a part per superblock
	for i := 0; i < len(ends); {
		j := i + 1
		for j < len(ends) && (ends[j]-0x800000000)/super == (ends[i]-0x800000000)/super {
			j++
		}
		endParts, i = append(endParts, ends[i:j]), j
	}
	add("superblock ends", true, endParts...)

	// One id per superblock, each in a part of its own: few superblocks
	// for the ids, but too sparse within them.
	var lonely [][]uint64
	for sb := range 1000 {
		lonely = append(lonely, []uint64{0x900000000 + uint64(sb)*super + uint64(r.IntN(1000))*8})
	}
	add("one per superblock", false, lonely...)

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			all := slices.Concat(c.parts...)
			want := slices.Compact(slices.Sorted(slices.Values(all)))
			for _, cores := range []int{1, 2, 3, 8} {
				runtime.GOMAXPROCS(cores)
				x := newIDIndex(c.parts)
				if c.bitmap != (x.sorted == nil) {
					t.Fatalf("kept as a bitmap: %v, want %v", x.sorted == nil, c.bitmap)
				}
				if x.sorted == nil && len(x.blocks) != len(x.runs)*blocksPerSuper {
					t.Fatalf("%d blocks for %d superblocks", len(x.blocks), len(x.runs))
				}
				if !x.consistent(nil) {
					t.Fatal("ranks or order inconsistent")
				}
				if x.n != len(want) {
					t.Fatalf("n = %d, want %d", x.n, len(want))
				}
				for i, id := range want {
					if got := x.lookup(id); got != int32(i) {
						t.Fatalf("%d cores: lookup(%#x) = %d, want %d", cores, id, got, i)
					}
					if got := x.id(int32(i)); got != id {
						t.Fatalf("%d cores: id(%d) = %#x, want %#x", cores, i, got, id)
					}
				}
				// Near the ids, and beyond either end of them by up to a
				// few superblocks, and at the ends of the id range.
				probes := []uint64{0, 1, math.MaxUint64, want[0] - 8, want[len(want)-1] + 8}
				for k := range 2000 {
					probes = append(probes, want[r.IntN(len(want))]+uint64(r.IntN(64))-32)
					if k < 100 {
						probes = append(probes, want[len(want)-1]+uint64(r.IntN(4*super)), want[0]-uint64(r.IntN(4*super)))
					}
				}
				for _, probe := range probes {
					_, found := slices.BinarySearch(want, probe)
					if got := x.lookup(probe); (got >= 0) != found {
						t.Fatalf("lookup(%#x) = %d, present = %v", probe, got, found)
					}
				}
				// lookupAll, in groups of lookupGroup prefetched ahead,
				// answers as lookup does, whatever the length.
				mixed := slices.Concat(probes, want)
				r.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
				for _, n := range []int{0, 1, lookupGroup - 1, lookupGroup, lookupGroup + 1, 3*lookupGroup + 5, len(mixed)} {
					out := make([]ObjectIndex, n)
					missing := x.lookupAll(mixed[:n], out)
					wantMissing := 0
					for k, id := range mixed[:n] {
						if want := x.lookup(id); int32(out[k]) != want {
							t.Fatalf("lookupAll of %d ids: #%d (%#x) = %d, lookup says %d", n, k, id, out[k], want)
						}
						if out[k] < 0 {
							wantMissing++
						}
					}
					if missing != wantMissing {
						t.Fatalf("lookupAll of %d ids: %d missing, want %d", n, missing, wantMissing)
					}
				}
			}
		})
	}
}

// TestIDIndexInconsistent: an id index whose ranks do not count its bits
// (read from a damaged file with a good checksum) is refused.
func TestIDIndexInconsistent(t *testing.T) {
	var ids []uint64
	for i := range 3000 {
		ids = append(ids, 0x700000000+uint64(i)*24)
	}
	x := newIDIndex([][]uint64{ids})
	if !x.consistent(nil) {
		t.Fatal("a fresh index is inconsistent")
	}
	x.blocks[len(x.blocks)/2].rank++
	if x.consistent(nil) {
		t.Error("a rank one too high passed")
	}
	x.blocks[len(x.blocks)/2].rank--
	x.n++
	if x.consistent(nil) {
		t.Error("a count one too high passed")
	}
	s := newIDIndex([][]uint64{{5, 1 << 62}, {3, 1 << 40}})
	if s.sorted == nil || !s.consistent(nil) {
		t.Fatal("sparse ids not kept sorted, or inconsistent")
	}
	s.sorted[1], s.sorted[2] = s.sorted[2], s.sorted[1]
	if s.consistent(nil) {
		t.Error("sorted ids out of order passed")
	}
}
