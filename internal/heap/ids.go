package heap

import (
	"math/bits"
	"runtime"
	"slices"

	"github.com/leakscan/leakscan/internal/mem"
)

// idIndex translates object ids into dense indices. Indices follow id
// order, so index order is address order for HotSpot dumps.
//
// HotSpot ids are addresses, aligned and packed densely, so the common case
// is a rank bitmap: one bit per possible aligned address between the lowest
// and highest id, in 64-byte blocks of a running count plus 448 bits. A
// lookup reads one cache line: no binary search, no hash. When ids are too
// sparse for that (more than 64 bits of bitmap per object), the ids are
// kept sorted and looked up by binary search.
type idIndex struct {
	n      int
	base   uint64 // lowest id
	shift  uint   // ids are multiples of 1<<shift (relative to base)
	blocks []rankBlock
	sorted []uint64 // sparse mode only
}

const bitsPerBlock = 7 * 64

// rankBlock covers 448 consecutive bit positions; rank is the number of
// set bits in all earlier blocks.
type rankBlock struct {
	rank uint64
	bits [7]uint64
}

// maxBitsPerObject bounds the bitmap's size relative to the object count:
// at most the 8 bytes per object a sorted id array would take. HotSpot
// heaps need about 6 bits per object.
const maxBitsPerObject = 64

// newIDIndex builds the index from ids in any order (duplicates allowed),
// and returns how many distinct ids there are. The work is spread over all
// cores: parts are summarised in parallel, and each core sets the bits of
// its own range of blocks, reading only the parts that reach into it.
func newIDIndex(parts [][]uint64) *idIndex {
	x := &idIndex{}
	type summary struct {
		lo, hi uint64
		diff   uint64 // OR of id ^ ref: which low bits ever differ from ref
	}
	var ref uint64
	total := 0
	for _, ids := range parts {
		if total == 0 && len(ids) > 0 {
			ref = ids[0]
		}
		total += len(ids)
	}
	if total == 0 {
		return x
	}
	workers := runtime.GOMAXPROCS(0)
	sums := make([]summary, len(parts))
	runChunks(len(parts), workers, func(_, i int) {
		sm := summary{lo: 1<<64 - 1}
		for _, id := range parts[i] {
			sm.lo = min(sm.lo, id)
			sm.hi = max(sm.hi, id)
			sm.diff |= id ^ ref
		}
		sums[i] = sm
	})
	lo, hi, diff := uint64(1<<64-1), uint64(0), uint64(0)
	for _, sm := range sums {
		lo, hi, diff = min(lo, sm.lo), max(hi, sm.hi), diff|sm.diff
	}
	x.base = lo
	// Every id - lo is a multiple of 1<<shift exactly when all ids agree
	// with one of them (ref) in their low shift bits.
	if diff != 0 {
		x.shift = uint(min(bits.TrailingZeros64(diff), 16))
	}
	span := (hi-lo)>>x.shift + 1
	if span/uint64(total) > maxBitsPerObject {
		s := slices.Concat(parts...)
		slices.Sort(s)
		x.sorted = slices.Compact(s)
		x.n = len(x.sorted)
		return x
	}
	x.blocks = mem.Make[rankBlock](int(span/bitsPerBlock + 1))
	nb := uint64(len(x.blocks))
	runChunks(workers, workers, func(_, k int) {
		// Block range [from, to) of this core, as a range of ids.
		from, to := nb*uint64(k)/uint64(workers), nb*uint64(k+1)/uint64(workers)
		for i, ids := range parts {
			if len(ids) == 0 || (sums[i].hi-lo)>>x.shift/bitsPerBlock < from || (sums[i].lo-lo)>>x.shift/bitsPerBlock >= to {
				continue
			}
			for _, id := range ids {
				p := (id - lo) >> x.shift
				if bi := p / bitsPerBlock; bi >= from && bi < to {
					r := p % bitsPerBlock
					x.blocks[bi].bits[r/64] |= 1 << (r % 64)
				}
			}
		}
	})
	var rank uint64
	for i := range x.blocks {
		x.blocks[i].rank = rank
		for _, w := range x.blocks[i].bits {
			rank += uint64(bits.OnesCount64(w))
		}
	}
	x.n = int(rank)
	return x
}

// lookup returns the index of id, or -1 when no object has that id.
func (x *idIndex) lookup(id uint64) int32 {
	if x.sorted != nil {
		i, ok := slices.BinarySearch(x.sorted, id)
		if !ok {
			return -1
		}
		return int32(i)
	}
	d := id - x.base
	if id < x.base || d&(1<<x.shift-1) != 0 {
		return -1
	}
	p := d >> x.shift
	bi := p / bitsPerBlock
	if bi >= uint64(len(x.blocks)) {
		return -1
	}
	b := &x.blocks[bi]
	r := p % bitsPerBlock
	w, bit := r/64, r%64
	if b.bits[w]&(1<<bit) == 0 {
		return -1
	}
	rank := b.rank + uint64(bits.OnesCount64(b.bits[w]&(1<<bit-1)))
	for i := uint64(0); i < w; i++ {
		rank += uint64(bits.OnesCount64(b.bits[i]))
	}
	return int32(rank)
}

// id returns the id of the object with index i (0 <= i < n).
func (x *idIndex) id(i int32) uint64 {
	if x.sorted != nil {
		return x.sorted[i]
	}
	target := uint64(i)
	bi, _ := slices.BinarySearchFunc(x.blocks, target+1, func(b rankBlock, t uint64) int {
		if b.rank < t {
			return -1
		}
		return 1
	})
	bi-- // the last block whose rank <= i
	b := &x.blocks[bi]
	left := target - b.rank
	for w, word := range b.bits {
		c := uint64(bits.OnesCount64(word))
		if left < c {
			for ; ; word &= word - 1 {
				if left == 0 {
					p := uint64(bi)*bitsPerBlock + uint64(w)*64 + uint64(bits.TrailingZeros64(word))
					return x.base + p<<x.shift
				}
				left--
			}
		}
		left -= c
	}
	panic("heap: id index out of range")
}

// bytes is the memory the index holds.
func (x *idIndex) bytes() int64 { return int64(len(x.blocks))*64 + int64(len(x.sorted))*8 }
