//go:build !unix

package hprof

import (
	"os"

	"golang.org/x/exp/mmap"
)

// unlinkOpenFiles says that a file can be unlinked while open and still be
// read, written and mapped through its descriptor: not on Windows, which
// refuses to remove an open file.
const unlinkOpenFiles = false

// mapFile maps the file at path.
func mapFile(path string) (source, error) {
	m, err := mmap.Open(path)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// mapOpenFile maps the open file f, by its name.
func mapOpenFile(f *os.File) (source, error) { return mapFile(f.Name()) }
