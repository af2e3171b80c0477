package dominator

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortByHigh(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	for _, tc := range []struct{ n, maxKey, workers, runs int }{
		{0, 10, 2, 1}, {1, 1, 2, 1}, {1000, 7, 1, 3}, {300_000, 30_000_000, 2, 5}, {200_000, 1 << 31, 3, 1}, {150_000, 5000, 2, 40},
	} {
		var in []uint64
		for i := range tc.n {
			// The low half numbers the input, to check stability.
			in = append(in, uint64(r.IntN(tc.maxKey+1))<<32|uint64(i))
		}
		var runs [][]uint64
		for k := range tc.runs {
			runs = append(runs, in[k*len(in)/tc.runs:(k+1)*len(in)/tc.runs])
		}
		got := sortByHigh(runs, keyBitsFor(tc.maxKey), tc.workers)
		want := slices.Clone(in)
		slices.SortStableFunc(want, func(a, b uint64) int { return int(a>>32) - int(b>>32) })
		if len(want) == 0 {
			want = nil
		}
		if len(got) == 0 {
			got = nil
		}
		if !slices.Equal(got, want) {
			t.Errorf("n=%d maxKey=%d workers=%d runs=%d: not sorted stably by the high half", tc.n, tc.maxKey, tc.workers, tc.runs)
		}
	}
}
