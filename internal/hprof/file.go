package hprof

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Options control how a dump is opened.
type Options struct {
	// AllowTruncated reads a dump that ends early as far as it goes instead
	// of failing; File.Truncated then says where it ended.
	AllowTruncated bool
	// TempDir receives the inflated copy of a compressed dump
	// ("" = os.TempDir()).
	TempDir string
	// Progress, if set, is told how far inflating a compressed dump got.
	Progress func(done, total int64)
}

// Header is the file header.
type Header struct {
	Version   string // "JAVA PROFILE 1.0.2"
	IDSize    int    // 4 or 8
	Timestamp time.Time
	Size      int64 // bytes in the header, i.e. the offset of the first record
}

// File is an opened heap dump: a read-only mapping of the (inflated) file.
type File struct {
	Path   string
	Header Header
	// Compressed names the compression the file had on disk ("" = none,
	// "gzip", "gzip (chunked)").
	Compressed     string
	CompressedSize int64
	// Truncated is the offset at which a truncated dump was cut off, or -1.
	Truncated int64
	opts      Options

	srcMu sync.Mutex // guards src: readers map it again after Release
	src   source
	size  int64
	// reopen maps the dump again after Release; nil when it cannot be.
	reopen func() (source, error)
	// keep holds the temporary file of an inflated dump open, to map it
	// again; it is unlinked (see tempFile) unless scratch names it.
	keep    *os.File
	scratch string // the name of keep, to remove on Close; "" when unlinked
}

// source is the uncompressed dump: a mapping, or bytes in memory.
type source interface {
	io.ReaderAt
	Len() int
	Close() error
}

// inPlace is a source whose bytes can be read where they lie.
type inPlace interface{ bytes() []byte }

type bytesSource []byte

func (b bytesSource) Len() int      { return len(b) }
func (b bytesSource) bytes() []byte { return b }
func (b bytesSource) Close() error  { return nil }
func (b bytesSource) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// OpenBytes reads a dump held in memory; name is used in errors. Compressed
// dumps are inflated to a temporary file as with Open.
func OpenBytes(name string, data []byte, opts Options) (*File, error) {
	return open(name, bytesSource(data), opts)
}

// Size returns the number of (uncompressed) bytes in the dump.
func (f *File) Size() int64 { return f.size }

// ReadAt reads uncompressed dump bytes.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	src, err := f.source()
	if err != nil {
		return 0, err
	}
	return src.ReadAt(p, off)
}

// source returns the mapping, mapping the dump again after Release.
func (f *File) source() (source, error) {
	f.srcMu.Lock()
	defer f.srcMu.Unlock()
	if f.src == nil {
		if f.reopen == nil {
			return nil, fmt.Errorf("%s: released and cannot be mapped again", f.Path)
		}
		src, err := f.reopen()
		if err != nil {
			return nil, err
		}
		f.src = src
	}
	return f.src, nil
}

// Mapping is a mapping of the dump for one stretch of work. Closing it
// drops the pages it touched from the process's resident set, so a pass
// over a dump larger than memory keeps only its current chunk resident.
type Mapping struct {
	src source
	own bool
}

// Map returns a new mapping of the dump, or the file's own when the dump
// cannot be mapped again (in-memory dumps).
func (f *File) Map() (*Mapping, error) {
	if f.reopen == nil {
		src, err := f.source()
		return &Mapping{src: src}, err
	}
	src, err := f.reopen()
	if err != nil {
		return nil, err
	}
	return &Mapping{src: src, own: true}, nil
}

// Close unmaps a mapping made by Map.
func (m *Mapping) Close() {
	if m != nil && m.own {
		m.src.Close()
	}
}

// Release unmaps the dump so that its pages leave the process's resident
// set during long computations that need only the graph; the next read
// maps it again. Readers made before Release must not be used after it.
// In-memory dumps are not released.
func (f *File) Release() {
	f.srcMu.Lock()
	defer f.srcMu.Unlock()
	if f.reopen != nil && f.src != nil {
		f.src.Close()
		f.src = nil
	}
}

// Close unmaps the file.
func (f *File) Close() error {
	if f.keep != nil {
		f.keep.Close()
	}
	f.srcMu.Lock()
	defer f.srcMu.Unlock()
	var err error
	if f.src != nil {
		err = f.src.Close()
	}
	if f.scratch != "" {
		os.Remove(f.scratch) // once unmapped: Windows keeps a mapped file
		f.scratch = ""
	}
	return err
}

func (f *File) errorf(off int64, format string, args ...any) error {
	return f.FormatErrorAt(off, format, args...)
}

func (f *File) truncatedf(off int64, format string, args ...any) error {
	return &truncatedError{*f.FormatErrorAt(off, format, args...)}
}

// FormatErrorAt says what is wrong at offset off of the dump: of the
// inflated dump, when the file is compressed (the offset is beyond the end
// of the file named, and "the file" in the message is the inflated dump).
func (f *File) FormatErrorAt(off int64, format string, args ...any) *FormatError {
	msg := fmt.Sprintf(format, args...)
	if f.Compressed != "" {
		msg = strings.ReplaceAll(msg, "the file", "the inflated dump")
	}
	return &FormatError{File: f.Path, Offset: off, Msg: msg, Inflated: f.Compressed != ""}
}

var gzipMagic = []byte{0x1f, 0x8b}

// Open maps the dump at path and reads its header. Compressed dumps are
// recognised by their magic bytes and inflated first.
func Open(path string, opts Options) (*File, error) {
	// Stat, not Open: opening a FIFO blocks until something writes to it.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(path, fi.Mode())
	}
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := mapOpenFile(fd)
	if err != nil {
		fd.Close()
		return nil, err
	}
	f, err := open(path, m, opts)
	if err != nil || f.reopen != nil { // a compressed dump maps its inflated copy
		fd.Close()
		return f, err
	}
	// The dump is mapped again (after Release, for each pass) through the
	// descriptor, not the path: a dump replaced under the same name (jmap
	// writing a new one) is not read half old, half new. One truncated or
	// rewritten in place shows in its size or time, and is said so, not
	// met later as a puzzling format error.
	f.keep = fd
	size, mod := fi.Size(), fi.ModTime()
	f.reopen = func() (source, error) {
		if st, err := fd.Stat(); err != nil || st.Size() != size || !st.ModTime().Equal(mod) {
			return nil, fmt.Errorf("%s: the file changed (was truncated or rewritten) while being read", path)
		}
		return mapOpenFile(fd)
	}
	return f, nil
}

func open(path string, src source, opts Options) (*File, error) {
	f := &File{Path: path, src: src, size: int64(src.Len()), opts: opts, Truncated: -1}
	var magic [2]byte
	if f.size >= 2 {
		src.ReadAt(magic[:], 0)
	}
	var cut error // the compressed file ended early (AllowTruncated)
	if bytes.Equal(magic[:], gzipMagic) {
		z, err := inflate(path, src, opts)
		src.Close()
		if err != nil {
			return nil, err
		}
		f.Compressed, f.CompressedSize = z.kind, f.size
		f.src, f.size = z.src, int64(z.src.Len())
		f.keep, cut = z.tmp, z.cut
		if z.named {
			f.scratch = z.tmp.Name()
		}
		// The open descriptor maps the inflated copy again.
		f.reopen = func() (source, error) { return mapOpenFile(z.tmp) }
	}
	if err := f.readHeader(); err != nil {
		if cut != nil {
			// Too little was inflated to hold a header: the cut is the news.
			err = cut
		}
		f.Close()
		return nil, err
	}
	if cut != nil {
		// The inflated dump may end on a record's boundary, which the
		// record checks would take for a whole dump: it is truncated
		// where the inflation stopped.
		f.Truncated = f.size
	}
	return f, nil
}

// notRegular explains why a file that is not a regular file cannot be read.
func notRegular(path string, mode os.FileMode) error {
	const need = "leakscan needs a regular file it can map"
	switch {
	case mode&os.ModeNamedPipe != 0:
		// <(cat dump), /dev/stdin from a pipe, a FIFO: a pipe's bytes can
		// be read only once and in order, while the dump is read in
		// several passes and at random.
		return fmt.Errorf("%s is a pipe, not a regular file: %s; save the dump to a file first", path, need)
	case mode.IsDir():
		return fmt.Errorf("%s is a directory, not a heap dump: %s", path, need)
	case mode&os.ModeSocket != 0:
		return fmt.Errorf("%s is a socket, not a regular file: %s; save the dump to a file first", path, need)
	case mode&os.ModeDevice != 0:
		return fmt.Errorf("%s is a device, not a regular file: %s; copy the dump to a file first", path, need)
	}
	return fmt.Errorf("%s is not a regular file (%v): %s", path, mode.Type(), need)
}

// maxVersionLen bounds the search for the version string's NUL.
const maxVersionLen = 64

func (f *File) readHeader() error {
	n := int64(maxVersionLen + 13)
	if n > f.size {
		n = f.size
	}
	buf := make([]byte, n)
	f.src.ReadAt(buf, 0)
	nul := bytes.IndexByte(buf, 0)
	if nul < 0 || !bytes.HasPrefix(buf, []byte("JAVA PROFILE ")) {
		if bytes.HasPrefix(buf, []byte("JAVA PROFILE ")) {
			return f.truncatedf(0, "expected the NUL-terminated version string of an HPROF header, the file ends first")
		}
		return f.errorf(0, "not an HPROF heap dump: expected %q, found %q", "JAVA PROFILE 1.0.x", printable(buf, 20))
	}
	version := string(buf[:nul])
	switch version {
	case "JAVA PROFILE 1.0.1", "JAVA PROFILE 1.0.2", "JAVA PROFILE 1.0.3":
	default:
		return f.errorf(0, "unsupported HPROF version %q (expected JAVA PROFILE 1.0.1, 1.0.2 or 1.0.3)", version)
	}
	if int64(nul)+13 > f.size {
		return f.truncatedf(int64(nul)+1, "expected identifier size and timestamp after the version string, the file ends first")
	}
	idSize := binary.BigEndian.Uint32(buf[nul+1:])
	if idSize != 4 && idSize != 8 {
		return f.errorf(int64(nul)+1, "identifier size %d (expected 4 or 8)", idSize)
	}
	ms := binary.BigEndian.Uint64(buf[nul+5:])
	f.Header = Header{Version: version, IDSize: int(idSize), Timestamp: time.UnixMilli(int64(ms)).UTC(), Size: int64(nul) + 13}
	return nil
}

func printable(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// tempFile creates the scratch file for an inflated dump. Where an open
// file can be unlinked (unix), it is unlinked at once and written, mapped
// and mapped again through its descriptor alone: it has no name to leave
// behind however leakscan ends, by an error, Ctrl-C, SIGTERM, SIGKILL or a
// crash, and the kernel frees its blocks when the process's descriptor
// closes. Elsewhere it is named (named = true) until File.Close removes
// it, and may be left behind when leakscan is killed.
func tempFile(opts Options) (f *os.File, named bool, err error) {
	f, err = os.CreateTemp(opts.TempDir, "leakscan-*.hprof")
	if err != nil || !unlinkOpenFiles {
		return f, err == nil, err
	}
	if os.Remove(f.Name()) != nil {
		return f, true, nil // removed by name later, then
	}
	return f, false, nil
}

var _ io.ReaderAt = (*File)(nil)
