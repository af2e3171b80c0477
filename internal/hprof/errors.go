package hprof

import (
	"errors"
	"fmt"
)

// FormatError reports malformed input: the file, the byte offset where the
// problem was found, and what was expected there.
type FormatError struct {
	File   string
	Offset int64
	Msg    string
	// Inflated: Offset is in the dump a compressed File inflates to, not
	// in the file on disk.
	Inflated bool
}

func (e *FormatError) Error() string {
	if e.Inflated {
		return fmt.Sprintf("%s: offset %d of the inflated dump: %s", e.File, e.Offset, e.Msg)
	}
	return fmt.Sprintf("%s: offset %d: %s", e.File, e.Offset, e.Msg)
}

// ErrTruncated is wrapped by FormatErrors that stem from the file ending
// early (a JVM killed mid-dump). Such files can be read as far as they go
// with Options.AllowTruncated.
var ErrTruncated = errors.New("truncated")

// truncatedError is a FormatError that also matches ErrTruncated.
type truncatedError struct{ FormatError }

func (e *truncatedError) Unwrap() error { return ErrTruncated }

// IsTruncated reports whether err was caused by the file ending early.
func IsTruncated(err error) bool { return errors.Is(err, ErrTruncated) }
