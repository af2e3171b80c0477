//go:build unix

package index

import (
	"os"
	"syscall"

	"github.com/leakscan/leakscan/internal/par"
)

// mapPart maps a part file read-only: pages a command never touches are
// never read. The mapping is registered (par.Mapped), so that a fault on
// it (the file cut short under it) names the part.
func mapPart(f *os.File, size int64) ([]byte, func([]byte) error, error) {
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err == nil {
		par.Mapped(f.Name(), data)
	}
	return data, syscall.Munmap, err
}

// running reports whether a process with this id runs on this machine.
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM // EPERM: it runs, as another user
}
