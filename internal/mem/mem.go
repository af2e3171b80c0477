// Package mem allocates the big per-object arrays of the analyses. On
// Linux it asks for transparent huge pages for them: the algorithms read
// these arrays at random, and with 4 KiB pages nearly every such read also
// misses the TLB.
package mem

import "unsafe"

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
