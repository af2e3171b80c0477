// Package mem allocates the big per-object arrays of the analyses. On
// Linux it asks for transparent huge pages for them: the algorithms read
// these arrays at random, and with 4 KiB pages nearly every such read also
// misses the TLB.
package mem

import (
	"runtime/debug"
	"unsafe"
)

// hugeMin is the size from which an array is worth huge pages.
const hugeMin = 8 << 20

// Make returns a zeroed slice of n elements, backed by huge pages where
// the system offers them.
func Make[T any](n int) []T {
	s := make([]T, n)
	if n > 0 {
		var zero T
		if size := n * int(unsafe.Sizeof(zero)); size >= hugeMin {
			adviseHuge(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), size))
		}
	}
	return s
}

// Recast returns the first n values of type U in the memory of s, for
// giving a big array's pages, already faulted in, to the next phase's
// array of another type. s must hold n values of U; neither type may hold
// pointers. The values are whatever s held.
func Recast[U, T any](s []T, n int) []U {
	var t T
	var u U
	if n == 0 {
		return nil
	}
	if uintptr(n)*unsafe.Sizeof(u) > uintptr(len(s))*unsafe.Sizeof(t) {
		panic("mem.Recast: the array is too small")
	}
	return unsafe.Slice((*U)(unsafe.Pointer(&s[0])), n)
}

// Discard returns the whole pages of s to the system, where it can: they
// no longer count in the resident set, and read as zeros when touched
// again. For the part of an array that Recast does not reuse.
func Discard[T any](s []T) {
	if len(s) == 0 {
		return
	}
	var zero T
	discard(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero))))
}

// Release returns the memory of arrays that are no longer referenced to
// the system. Between phases that free one big array and allocate
// another, the garbage collector would otherwise run late, and the new
// array could not reuse the old one's scattered pages: both would count
// in the resident set at once. It costs one collection, which is quick
// when the heap holds only a few pointer-free arrays.
func Release(bytes int) {
	if bytes >= releaseMin {
		debug.FreeOSMemory()
	}
}

// releaseMin is the size below which Release does nothing.
const releaseMin = 64 << 20
