package hprof

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// HotSpot's jcmd GC.heap_dump -gz=N writes a chain of independent gzip
// members, each inflating to at most BLOCKSIZE bytes; the first member's
// comment reads "HPROF BLOCKSIZE=1048576". Members do not record their
// compressed length, so the chain is split by looking for gzip headers
// (1f 8b 08) and inflating every candidate speculatively on all cores; a
// candidate counts only where the previous member really ended, so a
// header-like byte run inside compressed data is harmless.
const chunkedComment = "HPROF BLOCKSIZE="

// inflateBudget is how many inflated bytes per core the chunked inflater
// holds in memory at once. It is fixed, not taken from the file: the only
// bound on a member's size is the BLOCKSIZE the file's own comment claims
// (up to 1 GiB), and holding whole members let a 1.5 MB file ask for
// 3.8 GB. A member bigger than its share is not held: the inflater writes
// the part it has and streams the rest into the output, in order. A
// variable so that tests can make members "big" with small files.
var inflateBudget int64 = 64 << 20

// aheadPerCore bounds how many candidates per core are inflated ahead of
// the one being written, when members are small enough for that many to
// fit in the budget (jcmd's default 1 MiB blocks: 16 MiB per core).
const aheadPerCore = 16

// gzipHeader is how a gzip member starts: the magic and method 8 (deflate).
var gzipHeader = []byte{0x1f, 0x8b, 0x08}

// errCut stops inflation where a truncated file ends, with AllowTruncated:
// the output then holds what the data gave.
var errCut = errors.New("compressed file cut off")

// inflated is a compressed dump inflated to a temporary file.
type inflated struct {
	src  source   // the mapped inflated copy
	tmp  *os.File // the inflated copy, kept open to map it again
	kind string   // "gzip" or "gzip (chunked)"
	// named is set where the copy could not be unlinked while open: it
	// must be removed by name when closed.
	named bool
	// cut, with AllowTruncated, says where the compressed file ended early;
	// nil when it is whole.
	cut error
}

// inflater writes the members of a gzip file, in order, to the inflated
// copy. Its errors are FormatErrors with offsets in the compressed file.
type inflater struct {
	path      string
	src       io.ReaderAt
	size      int64 // compressed bytes
	blockSize int64 // bytes a member may inflate to at most (chunked); 0 = any
	opts      Options
	out       *os.File
	w         *bufio.Writer // buffers out
	next      int64         // where the next member starts: all before it is written
	buf       []byte        // for streaming a member into w
	seq       []byte        // holds the start of a member inflated in order
	cut       error         // set with errCut
}

// inflate writes the decompressed dump to a temporary file and maps it; the
// file stays open so that it can be mapped again.
func inflate(path string, src source, opts Options) (z inflated, err error) {
	size := int64(src.Len())
	in := &inflater{path: path, src: src, size: size, opts: opts}
	cr := newCountingReader(src, 0, size, 256<<10)
	zr, err := gzip.NewReader(cr)
	if err != nil {
		if err = in.memberErr(0, cr.offset(), err); errors.Is(err, errCut) {
			err = in.cut // not even a header: nothing to analyse
		}
		return z, err
	}
	blockSize := int64(0)
	if strings.HasPrefix(zr.Comment, chunkedComment) {
		blockSize, _ = strconv.ParseInt(strings.TrimPrefix(zr.Comment, chunkedComment), 10, 64)
	}
	tmp, named, err := tempFile(opts)
	if err != nil {
		return z, fmt.Errorf("%s: creating the file to inflate it into (--tmp-dir chooses its folder): %w", path, err)
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			if named {
				os.Remove(tmp.Name())
			}
		}
	}()
	in.out, in.w = tmp, bufio.NewWriterSize(mem.Writer{W: tmp}, mem.WriteSize) // see mem.WriteSize
	in.buf, in.seq = make([]byte, 1<<20), make([]byte, 0, 1<<20)
	z.kind = "gzip"
	if blockSize > 0 && blockSize <= 1<<30 {
		z.kind = "gzip (chunked)"
		in.blockSize = blockSize
		err = in.chunked()
	} else {
		err = in.stream()
	}
	if errors.Is(err, errCut) {
		err, z.cut = nil, in.cut
	}
	if err != nil {
		return z, err
	}
	if err := in.w.Flush(); err != nil {
		return z, in.writeErr(err)
	}
	if err := tmp.Sync(); err != nil {
		return z, in.writeErr(err)
	}
	m, err := mapOpenFile(tmp)
	if err != nil {
		return z, fmt.Errorf("%s: inflated: %w", path, err)
	}
	keep = true
	z.src, z.tmp, z.named = m, tmp, named
	return z, nil
}

func (in *inflater) writeErr(err error) error {
	return fmt.Errorf("%s: writing the inflated dump to %s (--tmp-dir chooses its folder): %w", in.path, in.out.Name(), err)
}

// memberErr turns an error from inflating the member that starts at start
// into a FormatError; at is how far the compressed file had been read.
// When the file ends early and AllowTruncated is set, it returns errCut
// and keeps the error in in.cut.
func (in *inflater) memberErr(start, at int64, err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The offset is where the data ends, the file's end: where the
		// member started says little when members are a GiB.
		msg := fmt.Sprintf("gzip: the compressed file ends early (truncated): expected the rest of the member that starts at offset %d", start)
		if in.opts.AllowTruncated {
			in.cut = &truncatedError{FormatError{File: in.path, Offset: in.size, Msg: msg}}
			return errCut
		}
		return &truncatedError{FormatError{File: in.path, Offset: in.size, Msg: msg + " (try --allow-truncated to analyse what it holds)"}}
	case errors.Is(err, gzip.ErrHeader):
		var head [10]byte
		n, _ := in.src.ReadAt(head[:], start)
		return &FormatError{File: in.path, Offset: start, Msg: fmt.Sprintf("expected a gzip member header (1f 8b 08, flags, ...), found % x", head[:n])}
	case errors.Is(err, gzip.ErrChecksum):
		return &FormatError{File: in.path, Offset: at - 8, Msg: fmt.Sprintf("gzip: the CRC-32 or length in the trailer of the member that starts at offset %d does not match its inflated data", start)}
	}
	return &FormatError{File: in.path, Offset: at, Msg: fmt.Sprintf("gzip: in the member that starts at offset %d: %v", start, err)}
}

// atEnd reports whether the gzip data ends at in.next: at the end of the
// file, or with zero bytes up to it, which gzip(1) accepts as padding
// (tape blocks, preallocated files). Anything else there must be the
// start of a member.
func (in *inflater) atEnd() (bool, error) {
	off := in.next
	var head [3]byte
	n, _ := in.src.ReadAt(head[:min(int64(len(head)), max(in.size-off, 0))], off)
	if n == 0 {
		return true, nil
	}
	if head[0] == 0 {
		chunk := make([]byte, 1<<20)
		for p := off; p < in.size; {
			k, _ := in.src.ReadAt(chunk[:min(int64(len(chunk)), in.size-p)], p)
			if k == 0 {
				break
			}
			for i, c := range chunk[:k] {
				if c != 0 {
					return false, &FormatError{File: in.path, Offset: p + int64(i), Msg: fmt.Sprintf(
						"expected only zero bytes (padding) from offset %d to the end of the file, after the last gzip member, found 0x%02x", off, c)}
				}
			}
			p += int64(k)
		}
		return true, nil
	}
	if !bytes.HasPrefix(gzipHeader, head[:n]) {
		return false, &FormatError{File: in.path, Offset: off, Msg: fmt.Sprintf(
			"expected another gzip member (1f 8b 08) or the end of the file, found % x", head[:n])}
	}
	return false, nil
}

// stream inflates a gzip file member after member, in order.
func (in *inflater) stream() error {
	cr := newCountingReader(in.src, 0, in.size, 256<<10)
	var zr *gzip.Reader
	for {
		if end, err := in.atEnd(); end || err != nil {
			return err
		}
		start := cr.offset()
		var err error
		if zr, err = openMember(zr, cr); err != nil {
			return in.memberErr(start, cr.offset(), err)
		}
		if err := in.copyMember(zr, cr, start, 0); err != nil {
			return err
		}
	}
}

// openMember reads the header of the gzip member r starts at, with zr if
// not nil (a reader is costly to make: a file may hold many small
// members), and returns a reader that stops at the member's end, to see
// where each ends and what follows.
func openMember(zr *gzip.Reader, r *countingReader) (*gzip.Reader, error) {
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(r)
	} else {
		err = zr.Reset(r)
	}
	if err == nil {
		zr.Multistream(false)
	}
	return zr, err
}

// copyMember streams the rest of the member that starts at start into the
// output; done of its bytes are written already. A chunked file's member
// may inflate to the block size at most. It leaves in.next after the
// member.
func (in *inflater) copyMember(zr *gzip.Reader, cr *countingReader, start, done int64) error {
	for {
		n, err := zr.Read(in.buf)
		if n > 0 {
			done += int64(n)
			if in.blockSize > 0 && done > in.blockSize {
				return &FormatError{File: in.path, Offset: cr.offset(), Msg: fmt.Sprintf(
					"gzip: the member that starts at offset %d inflates to more than the block size %d that the first member's comment (%s%d) declares",
					start, in.blockSize, chunkedComment, in.blockSize)}
			}
			if _, werr := in.w.Write(in.buf[:n]); werr != nil {
				return in.writeErr(werr)
			}
			if in.opts.Progress != nil {
				in.opts.Progress(cr.offset(), in.size)
			}
		}
		if err == io.EOF {
			in.next = cr.offset()
			return nil
		}
		if err != nil {
			return in.memberErr(start, cr.offset(), err)
		}
	}
}

// member is the result of inflating the start of one candidate gzip
// member.
type member struct {
	start int64  // compressed offset of its header
	data  []byte // inflated bytes: the whole member, or its start when zr is set
	// zr, when set, is the member's reader, still open after len(data)
	// bytes (all the memory it was given): the rest is streamed.
	zr  *gzip.Reader
	cr  *countingReader // the compressed bytes zr reads
	err error
}

// inflateMember inflates up to hold bytes of the member at start into buf.
//
// zr, if not nil, is a reader to reuse; the reader to reuse next is
// returned (nil when m keeps it to go on with its member). Small members
// are many: a file declaring 16-byte blocks spent its time making a
// reader (and a 256 KiB buffer, now sized by hold) for each.
func inflateMember(src io.ReaderAt, start, size, hold int64, buf []byte, zr *gzip.Reader) (member, *gzip.Reader) {
	// A member's compressed bytes are about its inflated ones at most.
	m := member{start: start, cr: newCountingReader(src, start, size, int(min(hold+4096, 256<<10)))}
	zr, err := openMember(zr, m.cr)
	if err != nil {
		m.err = err
		return m, zr
	}
	m.data, err = readUpTo(zr, buf, int(hold))
	switch {
	case err == io.EOF: // the whole member, its CRC and length checked
	case err != nil:
		m.err = err
	default:
		m.zr = zr
		return m, nil
	}
	return m, zr
}

// readUpTo reads r into buf[:0] until r ends (io.EOF) or limit bytes are
// read (nil). A buf too small is replaced by one of limit bytes: its pages
// take memory only as they are written (fresh spans are not cleared), and
// growing by doubling would leave as much again behind as garbage.
func readUpTo(r io.Reader, buf []byte, limit int) ([]byte, error) {
	if cap(buf) < limit {
		buf = make([]byte, 0, limit)
	}
	buf = buf[:0]
	for len(buf) < limit {
		n, err := r.Read(buf[len(buf):limit])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// finish writes the member m, which starts at in.next, and continues it
// when it was bigger than what it was given to hold.
func (in *inflater) finish(m *member) error {
	if _, err := in.w.Write(m.data); err != nil {
		return in.writeErr(err)
	}
	switch {
	case m.err != nil:
		return in.memberErr(m.start, m.cr.offset(), m.err)
	case m.zr != nil:
		if err := in.copyMember(m.zr, m.cr, m.start, int64(len(m.data))); err != nil {
			return err
		}
	default:
		in.next = m.cr.offset()
	}
	if in.opts.Progress != nil {
		in.opts.Progress(in.next, in.size)
	}
	return nil
}

// sequential inflates the member at in.next in order, holding little of
// it in memory; it reports end when the gzip data ends there.
func (in *inflater) sequential() (end bool, err error) {
	if end, err := in.atEnd(); end || err != nil {
		return end, err
	}
	hold := int64(cap(in.seq))
	if in.blockSize > 0 {
		hold = min(hold, in.blockSize) // more is streamed, and checked against it
	}
	m, _ := inflateMember(in.src, in.next, in.size, hold, in.seq, nil)
	return false, in.finish(&m)
}

// candidateStretch is how much of the compressed file is searched for
// member headers at a time.
const candidateStretch = 4 << 20

// chunked inflates a jcmd-style chain of members: a window of candidates
// speculatively on all cores, then written in order. The window holds at
// most inflateBudget bytes per core, whatever the block size.
func (in *inflater) chunked() error {
	workers := runtime.GOMAXPROCS(0)
	hold := min(in.blockSize, inflateBudget) // bytes of one member held in memory
	ahead := int(min(int64(workers)*inflateBudget/hold, int64(aheadPerCore*workers)))
	results := make([]member, ahead)
	bufs := make([][]byte, ahead) // reused: each grows to hold bytes at most
	// Candidates are looked for as the window needs them, a stretch of the
	// file at a time: listed all at once, a file of gzip headers and
	// nothing else took 8 bytes of list for every 4 of file (a 200 MB one
	// reached 1.5 GB before its first member failed).
	var cands []int64
	scanned := int64(0)
	for {
		for len(cands) > 0 && cands[0] < in.next {
			cands = cands[1:] // inside a member already written
		}
		for len(cands) < ahead && scanned < in.size {
			from := max(scanned, in.next)
			more, next := candidates(in.src, from, min(from+candidateStretch, in.size), in.size, ahead-len(cands))
			cands = append(cands, more...)
			scanned = next
		}
		if len(cands) == 0 {
			break
		}
		k := min(ahead, len(cands))
		// par.Group: a .gz cut short under its mapping faults in a
		// worker, which Wait hands to this goroutine as an error's panic.
		var wg par.Group
		jobs := make(chan int)
		for range workers {
			wg.Go(func() {
				defer func() {
					for range jobs { // after a fault, let the sender finish
					}
				}()
				var zr *gzip.Reader // this worker's, reused
				for i := range jobs {
					results[i], zr = inflateMember(in.src, cands[i], in.size, hold, bufs[i], zr)
				}
			})
		}
		for i := range k {
			if cands[i] >= in.next {
				jobs <- i
			} else {
				results[i] = member{start: -1} // inside a member already written
			}
		}
		close(jobs)
		wg.Wait()
		for i := range k {
			m := &results[i]
			for m.start > in.next { // a member no candidate found: inflate it in order
				if end, err := in.sequential(); end || err != nil {
					return err
				}
			}
			if m.start == in.next {
				if err := in.finish(m); err != nil {
					return err
				}
			}
			if m.data != nil {
				bufs[i] = m.data[:0]
			}
			*m = member{}
		}
		cands = cands[k:]
	}
	for {
		if end, err := in.sequential(); end || err != nil {
			return err
		}
	}
}

// countingReader reads from a ReaderAt and knows how many bytes it has
// handed out; it is an io.ByteReader, so compress/flate reads no further
// than the end of a member.
type countingReader struct {
	src  io.ReaderAt
	off  int64 // file offset of buf[0]
	end  int64
	buf  []byte
	pos  int
	size int
}

func newCountingReader(src io.ReaderAt, off, end int64, bufSize int) *countingReader {
	return &countingReader{src: src, off: off, end: end, buf: make([]byte, bufSize)}
}

func (c *countingReader) fill() error {
	c.off += int64(c.size)
	c.pos, c.size = 0, 0
	if c.off >= c.end {
		return io.EOF
	}
	n := int(min(int64(len(c.buf)), c.end-c.off))
	m, err := c.src.ReadAt(c.buf[:n], c.off)
	c.size = m
	if m == 0 {
		if err == nil {
			err = io.EOF
		}
		return err
	}
	return nil
}

func (c *countingReader) ReadByte() (byte, error) {
	if c.pos >= c.size {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	b := c.buf[c.pos]
	c.pos++
	return b, nil
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.pos >= c.size {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.buf[c.pos:c.size])
	c.pos += n
	return n, nil
}

// offset is the file offset of the next byte to be read.
func (c *countingReader) offset() int64 { return c.off + int64(c.pos) }

// candidates returns the offsets in [from, to) where a gzip member header
// may start, in order, at most limit of them, and where the search stopped
// (to, or just past the last one returned); the file is size bytes.
func candidates(src io.ReaderAt, from, to, size int64, limit int) ([]int64, int64) {
	var out []int64
	// Read a little at a time: the search stops after limit headers, and
	// a file of small members asks for a few dozen at a time.
	win := min(64<<10, max(to-from, 0))
	buf := make([]byte, win+3)
	for off := from; off < to; off += win {
		n := int(min(int64(len(buf)), size-off))
		src.ReadAt(buf[:n], off)
		b := buf[:n]
		for i := 0; i+3 < len(b) && int64(i) < win && off+int64(i) < to; {
			j := bytes.Index(b[i:], gzipHeader)
			if j < 0 || int64(i+j) >= win || off+int64(i+j) >= to {
				break
			}
			p := i + j
			if p+3 < len(b) && b[p+3]&0xE0 == 0 { // reserved flag bits clear
				out = append(out, off+int64(p))
				if len(out) == limit {
					return out, off + int64(p) + 1
				}
			}
			i = p + 1
		}
	}
	return out, to
}
