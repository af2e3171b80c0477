package mem

import (
	"io"
	"os"
)

// WriteSize is the most one write system call should write to a new
// file. The page cache takes a write's pages in folios as big as the
// write, up to 2 MiB; where free memory is reported to a hypervisor (see
// HugePages), a fresh 2 MiB folio is a block the host took back and must
// fault in anew, 512 pages at once, while smaller ones mostly come from
// memory freed in pieces, which the host still backs. On the bench
// machine the index parts of the bench dump (960 MB) took 1.9-3.7 s to
// write in 8 MiB calls, 1.0-2.4 s in 2-4 MiB calls, 0.8-1.7 s in 16-64 KiB
// calls and 0.5-0.9 s in calls of 256 KiB to 1 MiB; the first run of
// dominators, writing the index, 8.11 s in 8 MiB calls and 6.96 s in
// 256 KiB calls, against 7.11 s with --no-index (medians of 5 rotating
// rounds).
const WriteSize = 256 << 10

// WriteAt writes b at offset at of f, at most WriteSize bytes a call.
func WriteAt(f *os.File, b []byte, at int64) error {
	for lo := 0; lo < len(b); lo += WriteSize {
		if _, err := f.WriteAt(b[lo:min(lo+WriteSize, len(b))], at+int64(lo)); err != nil {
			return err
		}
	}
	return nil
}

// Writer passes each write on to W in calls of at most WriteSize bytes.
type Writer struct{ W io.Writer }

func (w Writer) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := w.W.Write(b[done:min(done+WriteSize, len(b))])
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
