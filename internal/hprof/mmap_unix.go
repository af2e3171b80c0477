//go:build unix

package hprof

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/leakscan/leakscan/internal/par"
)

// fileMapping is a read-only mapping of a whole file. Unlike
// golang.org/x/exp/mmap (used where there is no mmap system call) it hands
// its bytes to the readers of a Mapping, which decode records in place
// instead of copying the dump through a buffer.
type fileMapping struct{ data []byte }

// unlinkOpenFiles says that a file can be unlinked while open and still be
// read, written and mapped through its descriptor.
const unlinkOpenFiles = true

// mapOpenFile maps the open file f; the mapping outlives the descriptor.
func mapOpenFile(f *os.File) (source, error) {
	path := f.Name()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size == 0 {
		return &fileMapping{}, nil
	}
	if size < 0 || int64(int(size)) != size {
		return nil, fmt.Errorf("%s: %d bytes: too large to map", path, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	par.Mapped(path, data) // a fault in it names the file
	m := &fileMapping{data: data}
	runtime.SetFinalizer(m, (*fileMapping).Close)
	return m, nil
}

func (m *fileMapping) Len() int      { return len(m.data) }
func (m *fileMapping) bytes() []byte { return m.data }

func (m *fileMapping) ReadAt(p []byte, off int64) (int, error) {
	return bytesSource(m.data).ReadAt(p, off)
}

func (m *fileMapping) Close() error {
	if m.data == nil {
		return nil
	}
	data := m.data
	m.data = nil
	runtime.SetFinalizer(m, nil)
	return syscall.Munmap(data)
}
