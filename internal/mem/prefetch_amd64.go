package mem

import "unsafe"

// Prefetch4 asks the CPU to start loading element i of the array of
// 4-byte elements at base, for every i in idx: a hint only, it reads
// nothing the caller sees. Every i must lie inside the array.
//
//go:noescape
func Prefetch4(base unsafe.Pointer, idx []int32)
