package dominator

import (
	"math/bits"

	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// sortByHigh returns the values of runs sorted by their high 32 bits, each
// below 1<<keyBits; the order among equal keys is the input order. It is a
// least-significant-digit radix sort with digits of at most radixBits bits,
// each pass split over workers: sequential reads, and writes to a few
// thousand cursors, where a comparison sort or a counting sort into one
// array per key would read and write at random. It drops its references to
// runs after the first pass, and holds at most two more arrays.
func sortByHigh(runs [][]uint64, keyBits, workers int) []uint64 {
	total := 0
	for _, r := range runs {
		total += len(r)
	}
	passes := max(1, (keyBits+radixBits-1)/radixBits)
	digit := (keyBits + passes - 1) / passes
	src := runs
	var spare, out []uint64
	for pass := range passes {
		dst := spare
		if dst == nil {
			dst = mem.Make[uint64](total)
		}
		radixPass(src, dst, 32+uint(pass*digit), uint(digit), workers)
		if pass == 0 {
			clear(runs)
			mem.Release(8 * total) // the runs, before the spare is made
		} else {
			spare = out
		}
		src, out = [][]uint64{dst}, dst
	}
	return out
}

// radixBits bounds a digit: 2^13 cursors' cache lines (512 KiB) fit in a
// core's L2 (2 MiB here), and keys below 2^26 objects take two passes
// instead of the three 12-bit digits needed (the sort was 12-15% faster
// for the bench dump's 25-bit keys).
const radixBits = 13

// radixPass scatters src stably into dst by the digit of width bits at
// shift. Each worker takes a contiguous share of src, counts its digits,
// and writes from its own cursors.
func radixPass(src [][]uint64, dst []uint64, shift, width uint, workers int) {
	total := len(dst)
	workers = par.Shares(total, workers)
	buckets := 1 << width
	mask := uint64(buckets - 1)
	// span visits the elements [lo, hi) of src, which is cut into runs.
	span := func(lo, hi int, fn func([]uint64)) {
		at := 0
		for _, r := range src {
			a, b := max(lo-at, 0), min(hi-at, len(r))
			if a < b {
				fn(r[a:b])
			}
			at += len(r)
			if at >= hi {
				return
			}
		}
	}
	counts := make([][]int, workers)
	par.InShares(total, workers, func(t, lo, hi int) {
		c := make([]int, buckets)
		span(lo, hi, func(part []uint64) {
			for _, e := range part {
				c[e>>shift&mask]++
			}
		})
		counts[t] = c
	})
	// Worker t writes digit b from the position after every smaller
	// digit, and after digit b of the workers before t.
	at := 0
	for b := range buckets {
		for t := range workers {
			c := counts[t][b]
			counts[t][b] = at
			at += c
		}
	}
	par.InShares(total, workers, func(t, lo, hi int) {
		cur := counts[t]
		span(lo, hi, func(part []uint64) {
			for _, e := range part {
				d := e >> shift & mask
				dst[cur[d]] = e
				cur[d]++
			}
		})
	})
}

// keyBitsFor is how many bits keys up to max need.
func keyBitsFor(max int) int { return bits.Len(uint(max)) }
