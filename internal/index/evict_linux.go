//go:build linux

package index

import (
	"syscall"
	"unsafe"
)

// evictPages drops the whole pages inside b, bytes of a read-only file
// mapping, from the process: the next read of them faults them back in
// from the page cache, where they stay.
func evictPages(b []byte) {
	page := uintptr(syscall.Getpagesize())
	if len(b) == 0 {
		return
	}
	p := uintptr(unsafe.Pointer(&b[0]))
	start := (p + page - 1) &^ (page - 1)
	end := (p + uintptr(len(b))) &^ (page - 1)
	if end > start {
		syscall.Madvise(b[start-p:end-p], syscall.MADV_DONTNEED)
	}
}
