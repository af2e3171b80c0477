//go:build !amd64

package mem

import "unsafe"

// Prefetch4 is a hint this architecture is not given.
func Prefetch4(base unsafe.Pointer, idx []int32) {}

// PrefetchLow8 is a hint this architecture is not given.
func PrefetchLow8(base unsafe.Pointer, entries []uint64) {}
