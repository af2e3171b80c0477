package heap

import (
	"math/bits"
	"runtime"
	"slices"
	"unsafe"

	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// idIndex translates object ids into dense indices. Indices follow id
// order, so index order is address order for HotSpot dumps.
//
// HotSpot ids are addresses, aligned and packed densely, so the common case
// is a rank bitmap: one bit per possible aligned address between the lowest
// and highest id, in 64-byte blocks of a running count plus 448 bits. A
// heap's regions can lie far apart (G1 leaves most of a big heap's address
// range unused), so the bitmap is kept only for the superblocks, runs of 64
// blocks, that the ids reach: a small table says where each superblock's
// blocks are. A lookup reads that table (about 80 KB, in cache) and one
// cache line: no binary search, no hash. When ids are too sparse even for
// that (more than 64 bits of bitmap per object), the ids are kept sorted and
// looked up by binary search.
type idIndex struct {
	n     int
	base  uint64 // lowest id
	shift uint   // ids are multiples of 1<<shift (relative to base)
	// supers[s]: which run of blocksPerSuper blocks in blocks holds bit
	// positions [s*bitsPerSuper, (s+1)*bitsPerSuper), or -1 when the ids
	// do not reach there; runs follow superblock order. runs is the reverse:
	// runs[c] is the superblock of run c.
	supers []int32
	runs   []int32
	blocks []rankBlock
	sorted []uint64 // sparse mode only
}

const (
	bitsPerBlock   = 7 * 64
	blocksPerSuper = 64
	bitsPerSuper   = blocksPerSuper * bitsPerBlock
)

// rankBlock covers 448 consecutive bit positions; rank is the number of
// set bits in all earlier blocks.
type rankBlock struct {
	rank uint64
	bits [7]uint64
}

// maxBitsPerObject bounds the bitmap's size relative to the object count:
// at most the 8 bytes per object a sorted id array would take. HotSpot
// heaps need about 6 bits per object within the superblocks they use.
const maxBitsPerObject = 64

// maxSupers bounds the table of superblocks (4 bytes each) beyond a byte
// per id: ids spread wider are taken as sparse without a look at which
// superblocks they use.
const maxSupers = 4096

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
	par.Each(len(parts), workers, func(_, i int) {
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
	// The superblocks in use are taken to be those between the least and
	// the greatest id of some part: a part is a stretch of the dump, in
	// which HotSpot writes the heap's objects in address order, so this
	// misses few empty superblocks (a fifth more are kept on the bench
	// dump) without reading the ids again.
	nsup := (hi-lo)>>x.shift/bitsPerSuper + 1 // no overflow for ids 0 and 2^64-1
	inUse := 0
	if nsup <= uint64(total)/4+maxSupers {
		// Each part adds 1 at its first superblock and takes it back after
		// its last; the running sum is how many parts reach a superblock.
		x.supers = make([]int32, nsup+1)
		for i, ids := range parts {
			if len(ids) > 0 {
				x.supers[(sums[i].lo-lo)>>x.shift/bitsPerSuper]++
				x.supers[(sums[i].hi-lo)>>x.shift/bitsPerSuper+1]--
			}
		}
		reach := int32(0)
		for sb := range x.supers {
			reach += x.supers[sb]
			x.supers[sb] = min(reach, 1)
			inUse += int(x.supers[sb])
		}
		x.supers = x.supers[:nsup]
	}
	if x.supers == nil || uint64(inUse)*bitsPerSuper/uint64(total) > maxBitsPerObject {
		x.supers = nil
		s := slices.Concat(parts...)
		slices.Sort(s)
		x.sorted = slices.Compact(s)
		x.n = len(x.sorted)
		return x
	}
	x.runs = make([]int32, 0, inUse)
	for sb, u := range x.supers {
		x.supers[sb] = -1
		if u != 0 {
			x.supers[sb] = int32(len(x.runs))
			x.runs = append(x.runs, int32(sb))
		}
	}
	x.blocks = mem.Make[rankBlock](inUse * blocksPerSuper)
	// Written before the bits are or-ed in: a page first read maps the
	// zero page, and the write then faults again (see peelOrder).
	mem.Touch(x.blocks, workers)
	nb := uint64(len(x.blocks))
	par.Each(workers, workers, func(_, k int) {
		// Block range [from, to) of this core; a part is read only if its
		// ids reach into it (blocks follow id order).
		from, to := nb*uint64(k)/uint64(workers), nb*uint64(k+1)/uint64(workers)
		blocks, supers, shift := x.blocks, x.supers, x.shift
		for i, ids := range parts {
			if len(ids) == 0 || x.block(sums[i].hi) < from || x.block(sums[i].lo) >= to {
				continue
			}
			for _, id := range ids {
				p := (id - lo) >> shift
				g := p / bitsPerBlock
				bi := uint64(supers[g/blocksPerSuper])*blocksPerSuper + g%blocksPerSuper
				if bi >= from && bi < to {
					r := p - g*bitsPerBlock
					blocks[bi].bits[r/64] |= 1 << (r % 64)
				}
			}
		}
	})
	var rank uint64
	for i := range x.blocks {
		x.blocks[i].rank = rank
		rank += x.blocks[i].count()
	}
	x.n = int(rank)
	return x
}

// count is how many ids the block holds.
func (b *rankBlock) count() uint64 {
	n := 0
	for _, w := range b.bits {
		n += bits.OnesCount64(w)
	}
	return uint64(n)
}

// setRuns rebuilds runs from supers, and reports whether supers numbers
// its runs 0, 1, 2, ... in order, as newIDIndex does.
func (x *idIndex) setRuns() bool {
	x.runs = nil
	for sb, c := range x.supers {
		if c >= 0 {
			if int(c) != len(x.runs) {
				return false
			}
			x.runs = append(x.runs, int32(sb))
		}
	}
	return true
}

// consistent reports whether an id index read from a file keeps lookup
// and id in range: each block's rank counts the bits before it and all of
// them make n, or the sorted ids increase. evict, if set, drops the pages
// read behind the check (a lookup needs few of them).
func (x *idIndex) consistent(evict func([]byte)) bool {
	const stretch = 1 << 16 // blocks or ids between evictions
	if evict == nil {
		evict = func([]byte) {}
	}
	if x.sorted != nil {
		for lo := 0; lo < len(x.sorted); lo += stretch {
			s := x.sorted[lo:min(lo+stretch, len(x.sorted))]
			for i := range s {
				if lo+i > 0 && x.sorted[lo+i] <= x.sorted[lo+i-1] {
					return false
				}
			}
			evict(index.AsBytes(s))
		}
		return len(x.sorted) == x.n
	}
	var rank uint64
	for lo := 0; lo < len(x.blocks); lo += stretch {
		bs := x.blocks[lo:min(lo+stretch, len(x.blocks))]
		for i := range bs {
			if bs[i].rank != rank {
				return false
			}
			rank += bs[i].count()
		}
		evict(index.AsBytes(bs))
	}
	return rank == uint64(x.n)
}

// block returns the block of an id known to fall in a superblock in use.
func (x *idIndex) block(id uint64) uint64 {
	p := (id - x.base) >> x.shift
	bi := p / bitsPerBlock
	return uint64(x.supers[bi/blocksPerSuper])*blocksPerSuper + bi%blocksPerSuper
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
	b, r := x.locate(id)
	if b < 0 {
		return -1
	}
	return x.rankAt(b, r)
}

// locate returns the block that would hold id's bit and the bit's place in
// it, or block -1 when id lies where no block is (bitmap mode only). It
// reads the superblock table alone, which stays in cache.
func (x *idIndex) locate(id uint64) (block int32, bit uint32) {
	d := id - x.base
	if id < x.base || d&(1<<x.shift-1) != 0 {
		return -1, 0
	}
	p := d >> x.shift
	bi := p / bitsPerBlock // superblocks are whole blocks
	sb := bi / blocksPerSuper
	if sb >= uint64(len(x.supers)) {
		return -1, 0
	}
	c := x.supers[sb]
	if c < 0 {
		return -1, 0
	}
	return int32(uint64(c)*blocksPerSuper + bi%blocksPerSuper), uint32(p - bi*bitsPerBlock)
}

// rankAt returns the index of the id whose bit is bit r of block b, or -1
// when that bit is clear: the one cache line a lookup reads at random.
func (x *idIndex) rankAt(b int32, r uint32) int32 {
	blk := &x.blocks[b]
	w, bit := r/64, r%64
	if blk.bits[w]&(1<<bit) == 0 {
		return -1
	}
	rank := blk.rank + uint64(bits.OnesCount64(blk.bits[w]&(1<<bit-1)))
	for i := uint32(0); i < w; i++ {
		rank += uint64(bits.OnesCount64(blk.bits[i]))
	}
	return int32(rank)
}

// lookupGroup is how many ids lookupAll locates, and prefetches the blocks
// of, ahead of those it ranks.
const lookupGroup = 32

// lookupAll sets out[k] to lookup(ids[k]) for every k, and returns how
// many ids no object has. Pass B looks up every reference of the dump, and
// the blocks they read, tens of megabytes, miss the caches: the blocks of
// each group of ids are prefetched while the group before is ranked, so
// that the misses overlap rather than come one after another.
func (x *idIndex) lookupAll(ids []uint64, out []ObjectIndex) (missing int) {
	out = out[:len(ids)]
	if x.sorted != nil || len(x.blocks) == 0 {
		for k, id := range ids {
			out[k] = ObjectIndex(x.lookup(id))
			if out[k] < 0 {
				missing++
			}
		}
		return missing
	}
	// Two groups: one located and prefetched, one being ranked.
	var blocks, ahead [2][lookupGroup]int32 // ahead: to prefetch, 0 for none
	var at [2][lookupGroup]uint32
	locate := func(g, from int) {
		n := min(lookupGroup, len(ids)-from)
		for k := range n {
			b, r := x.locate(ids[from+k])
			blocks[g][k], at[g][k], ahead[g][k] = b, r, max(b, 0)
		}
		mem.Prefetch64(unsafe.Pointer(&x.blocks[0]), ahead[g][:n])
	}
	locate(0, 0)
	for from, g := 0, 0; from < len(ids); from, g = from+lookupGroup, 1-g {
		if from+lookupGroup < len(ids) {
			locate(1-g, from+lookupGroup)
		}
		for k := range min(lookupGroup, len(ids)-from) {
			o := int32(-1)
			if b := blocks[g][k]; b >= 0 {
				o = x.rankAt(b, at[g][k])
			}
			out[from+k] = ObjectIndex(o)
			if o < 0 {
				missing++
			}
		}
	}
	return missing
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
					p := uint64(x.runs[bi/blocksPerSuper])*bitsPerSuper + uint64(bi%blocksPerSuper)*bitsPerBlock +
						uint64(w)*64 + uint64(bits.TrailingZeros64(word))
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
func (x *idIndex) bytes() int64 {
	return int64(len(x.blocks))*64 + int64(len(x.sorted))*8 + int64(len(x.supers)+len(x.runs))*4
}
