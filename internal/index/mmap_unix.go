//go:build unix

package index

import (
	"os"
	"syscall"
)

// mapPart maps a part file read-only: pages a command never touches are
// never read.
func mapPart(f *os.File, size int64) ([]byte, func([]byte) error, error) {
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	return data, syscall.Munmap, err
}
