package mem

import "unsafe"

// prefetch asks the CPU to start loading base + (i>>down)<<up for each of
// n 32-bit indices i read stride bytes apart from idx.
//
//go:noescape
func prefetch(base, idx unsafe.Pointer, n, stride int, down, up uint)

// prefetchVia asks the CPU to start loading base + 4*table[i] for each of
// n 32-bit indices i, 4 bytes apart from idx, table holding 32-bit
// offsets (read, so they had better be in cache already).
//
//go:noescape
func prefetchVia(base, table, idx unsafe.Pointer, n int)
