package hprof

import "io"

// windowSize is how many bytes a window reads from the mapping at once.
const windowSize = 8 << 20

// window serves byte ranges of the file from a large buffer refilled from
// the mapping, so that decoding works on plain slices.
type window struct {
	// refill is how much to read at once (windowSize when 0).
	refill int64
	src    io.ReaderAt
	limit  int64 // bytes past this offset are never read
	buf    []byte
	start  int64 // file offset of buf[0]
	// whole, when set, is the entire file, served in place: slices stay
	// valid as long as its mapping, not just until the next call.
	whole []byte
}

func newWindow(src io.ReaderAt, limit int64) window {
	return window{src: src, limit: limit}
}

// use makes w read src: in place where src's bytes can be read there,
// else through w's buffer, which keeps its memory but not its bytes (they
// may be another source's; sources are not compared, as a source may be
// an uncomparable byte slice).
func (w *window) use(src io.ReaderAt) {
	w.src = src
	w.start, w.buf = 0, w.buf[:0]
	w.whole = nil
	if b, ok := src.(inPlace); ok {
		w.whole = b.bytes()
	}
}

// get returns the n bytes at off, or ok=false when they lie past the limit.
// The slice is valid until the next call.
func (w *window) get(off, n int64) (b []byte, ok bool) {
	if w.whole != nil {
		if n < 0 || off < 0 || off+n > w.limit || off+n > int64(len(w.whole)) {
			return nil, false
		}
		return w.whole[off : off+n : off+n], true
	}
	if off >= w.start && off+n <= w.start+int64(len(w.buf)) {
		return w.buf[off-w.start : off-w.start+n], true
	}
	if n < 0 || off < 0 || off+n > w.limit {
		return nil, false
	}
	refill := w.refill
	if refill == 0 {
		refill = windowSize
	}
	want := max(n, refill)
	if off+want > w.limit {
		want = w.limit - off
	}
	if int64(cap(w.buf)) < want {
		w.buf = make([]byte, want)
	}
	w.buf = w.buf[:want]
	m, _ := w.src.ReadAt(w.buf, off)
	w.buf = w.buf[:m]
	w.start = off
	if int64(m) < n {
		return nil, false
	}
	return w.buf[:n], true
}
