package heap

import (
	"math/rand/v2"
	"testing"
)

// benchIDs returns n ids laid out as a heap's addresses (objects of 16 to
// 80 bytes, 8-byte aligned) and, for lookups, refs ids of them picked at
// random: the worst case for the id index's caches.
func benchIDs(n, refs int) (ids, lookups []uint64) {
	rng := rand.New(rand.NewPCG(1, 2))
	ids = make([]uint64, n)
	a := uint64(0x600000000)
	for i := range ids {
		ids[i] = a
		a += 16 + 8*uint64(rng.IntN(9))
	}
	lookups = make([]uint64, refs)
	for i := range lookups {
		lookups[i] = ids[rng.IntN(n)]
	}
	return ids, lookups
}

func BenchmarkLookup(b *testing.B) {
	ids, lookups := benchIDs(30_000_000, 1<<20)
	x := newIDIndex([][]uint64{ids})
	out := make([]ObjectIndex, len(lookups))
	b.Run("one", func(b *testing.B) {
		for b.Loop() {
			for k, id := range lookups {
				out[k] = ObjectIndex(x.lookup(id))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lookups)), "ns/id")
	})
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			for k := 0; k < len(lookups); k += refBatchSize {
				x.lookupAll(lookups[k:min(k+refBatchSize, len(lookups))], out[k:])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lookups)), "ns/id")
	})
}
