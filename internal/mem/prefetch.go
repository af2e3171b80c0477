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
		prefetch(base, unsafe.Pointer(&idx[0]), len(idx), 4, 2)
	}
}

// Prefetch8 prefetches element i of the array of 8-byte elements at base,
// for every i in idx.
func Prefetch8(base unsafe.Pointer, idx []int32) {
	if len(idx) > 0 {
		prefetch(base, unsafe.Pointer(&idx[0]), len(idx), 4, 3)
	}
}

// Prefetch16 prefetches element i of the array of 16-byte elements at
// base, for every i in idx.
func Prefetch16(base unsafe.Pointer, idx []int32) {
	if len(idx) > 0 {
		prefetch(base, unsafe.Pointer(&idx[0]), len(idx), 4, 4)
	}
}

// Prefetch64 prefetches element i of the array of 64-byte elements at
// base, for every i in idx.
func Prefetch64(base unsafe.Pointer, idx []int32) {
	if len(idx) > 0 {
		prefetch(base, unsafe.Pointer(&idx[0]), len(idx), 4, 6)
	}
}

// PrefetchLow8 prefetches element i of the array of 8-byte elements at
// base, for i the low 32 bits of every entry.
func PrefetchLow8(base unsafe.Pointer, entries []uint64) {
	if len(entries) > 0 {
		prefetch(base, unsafe.Pointer(&entries[0]), len(entries), 8, 3)
	}
}

// queueAhead is how far ahead PrefetchQueue looks, and how often.
const queueAhead = 32

// PrefetchQueue is for a breadth-first search at position head of its
// queue, whose next objects are known: every 32 positions it prefetches,
// for the objects 32 to 64 places ahead, their elements of the two arrays
// of 4-byte elements at a and b (their edge offsets and classes, say).
func PrefetchQueue(queue []int32, head int, a, b unsafe.Pointer) {
	if head&(queueAhead-1) == 0 { // inlined: the call is made once in 32
		prefetchQueue(queue, head, a, b)
	}
}

func prefetchQueue(queue []int32, head int, a, b unsafe.Pointer) {
	if next := queue[min(head+queueAhead, len(queue)):min(head+2*queueAhead, len(queue))]; len(next) > 0 {
		Prefetch4(a, next)
		Prefetch4(b, next)
	}
}
