package hprof

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
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
	// keep holds the unlinked temporary file of an inflated dump open.
	keep *os.File
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
	if f.src == nil {
		return nil
	}
	return f.src.Close()
}

func (f *File) errorf(off int64, format string, args ...any) error {
	return &FormatError{File: f.Path, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func (f *File) truncatedf(off int64, format string, args ...any) error {
	return &truncatedError{FormatError{File: f.Path, Offset: off, Msg: fmt.Sprintf(format, args...)}}
}

var gzipMagic = []byte{0x1f, 0x8b}

// Open maps the dump at path and reads its header. Compressed dumps are
// recognised by their magic bytes and inflated first.
func Open(path string, opts Options) (*File, error) {
	m, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	f, err := open(path, m, opts)
	if err == nil && f.reopen == nil {
		f.reopen = func() (source, error) { return mapFile(path) }
	}
	return f, err
}

func open(path string, src source, opts Options) (*File, error) {
	f := &File{Path: path, src: src, size: int64(src.Len()), opts: opts, Truncated: -1}
	var magic [2]byte
	if f.size >= 2 {
		src.ReadAt(magic[:], 0)
	}
	if bytes.Equal(magic[:], gzipMagic) {
		inflated, tmp, kind, err := inflate(path, src, opts)
		src.Close()
		if err != nil {
			return nil, err
		}
		f.Compressed, f.CompressedSize = kind, f.size
		f.src, f.size = inflated, int64(inflated.Len())
		if tmp != nil {
			// The inflated copy is unlinked; its open descriptor maps it again.
			f.keep = tmp
			fdPath := fmt.Sprintf("/proc/self/fd/%d", tmp.Fd())
			f.reopen = func() (source, error) { return mapFile(fdPath) }
		}
	}
	if err := f.readHeader(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
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

// tempFile creates the unlinked-on-close scratch file for an inflated dump.
func tempFile(opts Options) (*os.File, error) {
	return os.CreateTemp(opts.TempDir, "leakscan-*.hprof")
}

var _ io.ReaderAt = (*File)(nil)
