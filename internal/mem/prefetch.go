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

// PrefetchLow8 prefetches element i of the array of 8-byte elements at
// base, for i the low 32 bits of every entry.
func PrefetchLow8(base unsafe.Pointer, entries []uint64) {
	if len(entries) > 0 {
		prefetch(base, unsafe.Pointer(&entries[0]), len(entries), 8, 3)
	}
}
