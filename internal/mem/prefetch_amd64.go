package mem

import "unsafe"

// Prefetch4 asks the CPU to start loading element i of the array of
// 4-byte elements at base, for every i in idx: a hint only, it reads
// nothing the caller sees. Every i must lie inside the array.
//
//go:noescape
func Prefetch4(base unsafe.Pointer, idx []int32)

// PrefetchLow8 is Prefetch4 for an array of 8-byte elements, indexed by
// the low 32 bits of each entry (little-endian: its first 4 bytes).
//
//go:noescape
func PrefetchLow8(base unsafe.Pointer, entries []uint64)
