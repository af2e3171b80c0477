//go:build !amd64

package mem

import "unsafe"

// prefetch and prefetchVia are hints this architecture is not given.
func prefetch(base, idx unsafe.Pointer, n, stride int, down, up uint) {}

func prefetchVia(base, table, idx unsafe.Pointer, n int) {}
