//go:build !unix

package index

import "os"

// Where there is no mmap system call (Windows), a part is read whole.
func mapPart(f *os.File, size int64) ([]byte, func([]byte) error, error) {
	return readPart(f, size)
}

// running reports whether a process with this id may run: always, where
// there is no way here to ask (its temporary files go once old enough).
func running(pid int) bool { return true }
