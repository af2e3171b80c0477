package mem

import (
	"testing"
	"unsafe"
)

// TestPrefetchInBounds runs the hints over every index of small arrays,
// the last ones included: they must neither fault nor change anything.
func TestPrefetchInBounds(t *testing.T) {
	a4 := make([]uint32, 1000)
	a8 := make([]uint64, 1000)
	a16 := make([][2]uint64, 1000)
	a64 := make([][8]uint64, 1000)
	idx := make([]int32, len(a4))
	entries := make([]uint64, len(a8))
	for i := range idx {
		idx[i] = int32(len(idx) - 1 - i)
		entries[i] = uint64(i)<<32 | uint64(len(a8)-1-i)
	}
	Prefetch4(unsafe.Pointer(&a4[0]), idx)
	PrefetchLow8(unsafe.Pointer(&a8[0]), entries)
	Prefetch8(unsafe.Pointer(&a8[0]), idx)
	Prefetch16(unsafe.Pointer(&a16[0]), idx)
	Prefetch64(unsafe.Pointer(&a64[0]), idx)
	Prefetch4(unsafe.Pointer(&a4[0]), nil)
	bits := make([]uint64, (len(idx)+63)/64) // a bitset of len(idx) bits
	PrefetchBits(bits, idx)
	PrefetchBits(bits, idx[:0])
	// Edge offsets into a4, the last one its length.
	start := make([]uint32, len(a4)+1)
	for i := range start {
		start[i] = uint32(i)
	}
	for head := range idx { // the queue's last places included
		PrefetchQueue(idx, head, start, unsafe.Pointer(&a4[0]), unsafe.Pointer(&a4[0]))
		PrefetchQueue(idx, head, start, unsafe.Pointer(&a4[0]), nil) // no classes
	}
	for i := range a4 {
		if a4[i] != 0 || a8[i] != 0 || a16[i] != [2]uint64{} || a64[i] != [8]uint64{} {
			t.Fatal("a prefetch changed memory")
		}
	}
	for _, w := range bits {
		if w != 0 {
			t.Fatal("a prefetch changed memory")
		}
	}
}
