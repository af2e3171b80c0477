//go:build !amd64

package mem

import "unsafe"

// Prefetch4 is a hint this architecture is not given.
func Prefetch4(base unsafe.Pointer, idx []int32) {}
