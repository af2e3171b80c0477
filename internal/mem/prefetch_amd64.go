package mem

import "unsafe"

// prefetch asks the CPU to start loading base + i<<shift for each of n
// 32-bit indices i read stride bytes apart from idx.
//
//go:noescape
func prefetch(base, idx unsafe.Pointer, n, stride int, shift uint)
