package mem

import "unsafe"

// Prefetching: the analyses read big arrays at indices they know a little
// ahead of time. A prefetch asks the CPU to start loading those cache lines
// so that the misses overlap instead of coming one after another. It is a
// hint only (amd64 assembly, nothing elsewhere): it reads nothing the
// caller sees. Every index must lie inside the array.

// Prefetch4 prefetches element i of the array of 4-byte elements at base,
// for every i in idx.
func Prefetch4(base unsafe.Pointer, idx []int32) {
	if len(idx) > 0 {
		prefetch(base, unsafe.Pointer(&idx[0]), len(idx), 4, 0, 2)
	}
}

// Prefetch8 prefetches element i of the array of 8-byte elements at base,
// for every i in idx.
func Prefetch8(base unsafe.Pointer, idx []int32) {
	if len(idx) > 0 {
		prefetch(base, unsafe.Pointer(&idx[0]), len(idx), 4, 0, 3)
	}
}

// Prefetch16 prefetches element i of the array of 16-byte elements at
// base, for every i in idx.
func Prefetch16(base unsafe.Pointer, idx []int32) {
	if len(idx) > 0 {
		prefetch(base, unsafe.Pointer(&idx[0]), len(idx), 4, 0, 4)
	}
}

// Prefetch64 prefetches element i of the array of 64-byte elements at
// base, for every i in idx.
func Prefetch64(base unsafe.Pointer, idx []int32) {
	if len(idx) > 0 {
		prefetch(base, unsafe.Pointer(&idx[0]), len(idx), 4, 0, 6)
	}
}

// PrefetchLow8 prefetches element i of the array of 8-byte elements at
// base, for i the low 32 bits of every entry.
func PrefetchLow8(base unsafe.Pointer, entries []uint64) {
	if len(entries) > 0 {
		prefetch(base, unsafe.Pointer(&entries[0]), len(entries), 8, 0, 3)
	}
}

// PrefetchBits prefetches the words of the bitset bits that hold the bits
// of idx (object indices, say).
func PrefetchBits[T ~int32](bits []uint64, idx []T) {
	if len(idx) > 0 {
		prefetch(unsafe.Pointer(&bits[0]), unsafe.Pointer(&idx[0]), len(idx), 4, 6, 3)
	}
}

// queueAhead is how far ahead PrefetchQueue looks, and how often.
const queueAhead = 32

// PrefetchQueue is for a breadth-first search at position head of its
// queue, whose next objects are known, that reads each object's class and
// references (a CSR: edge offsets start, of len objects+1, into the 4-byte
// edges at edges). Every 32 positions it prefetches in two stages: for the
// objects 64 to 96 places ahead, their edge offsets and classes (classes,
// 4 bytes each; nil for none); for those 32 to 64 ahead, whose offsets the
// last call fetched, the first line of their edges. (With the first stage
// only, the search for paths waited on the edges' misses for a quarter of
// its time on the bench dump. A third stage, for the words of the search's
// bitset that the edges' first 16 references fall in, gained nothing
// measurable.)
func PrefetchQueue(queue []int32, head int, start []uint32, edges, classes unsafe.Pointer) {
	if head&(queueAhead-1) == 0 { // inlined: the call is made once in 32
		prefetchQueue(queue, head, start, edges, classes)
	}
}

func prefetchQueue(queue []int32, head int, start []uint32, edges, classes unsafe.Pointer) {
	if next := queue[min(head+2*queueAhead, len(queue)):min(head+3*queueAhead, len(queue))]; len(next) > 0 {
		Prefetch4(unsafe.Pointer(&start[0]), next)
		if classes != nil {
			Prefetch4(classes, next)
		}
	}
	if next := queue[min(head+queueAhead, len(queue)):min(head+2*queueAhead, len(queue))]; len(next) > 0 {
		// An offset may be the edges' length (an object without
		// references at the end): a prefetch never faults.
		prefetchVia(edges, unsafe.Pointer(&start[0]), unsafe.Pointer(&next[0]), len(next))
	}
}
