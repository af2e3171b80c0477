//go:build !amd64

package mem

import "unsafe"

// prefetch, prefetchVia and prefetchBits are hints this architecture is
// not given.
func prefetch(base, idx unsafe.Pointer, n, stride int, shift uint) {}

func prefetchVia(base, table, idx unsafe.Pointer, n int) {}

func prefetchBits(bits, idx unsafe.Pointer, n int) {}
