//go:build !unix

package hprof

import "golang.org/x/exp/mmap"

// mapFile maps the file at path.
func mapFile(path string) (source, error) {
	m, err := mmap.Open(path)
	if err != nil {
		return nil, err
	}
	return m, nil
}
