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
	"sync"
)

// HotSpot's jcmd GC.heap_dump -gz=N writes a chain of independent gzip
// members, each inflating to at most BLOCKSIZE bytes; the first member's
// comment reads "HPROF BLOCKSIZE=1048576". Members do not record their
// compressed length, so the chain is split by looking for gzip headers
// (1f 8b 08) and inflating every candidate speculatively on all cores; a
// candidate counts only where the previous member really ended, so a
// header-like byte run inside compressed data is harmless.
const chunkedComment = "HPROF BLOCKSIZE="

// inflate writes the decompressed dump to an unlinked temporary file and
// maps it; the file stays open (returned) so that it can be mapped again.
func inflate(path string, src source, opts Options) (source, *os.File, string, error) {
	size := int64(src.Len())
	zr, err := gzip.NewReader(bufio.NewReader(io.NewSectionReader(src, 0, size)))
	if err != nil {
		return nil, nil, "", &FormatError{File: path, Offset: 0, Msg: "gzip header: " + err.Error()}
	}
	blockSize := int64(0)
	if strings.HasPrefix(zr.Comment, chunkedComment) {
		blockSize, _ = strconv.ParseInt(strings.TrimPrefix(zr.Comment, chunkedComment), 10, 64)
	}
	tmp, err := tempFile(opts)
	if err != nil {
		return nil, nil, "", err
	}
	defer os.Remove(tmp.Name())
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
		}
	}()
	kind := "gzip"
	if blockSize > 0 && blockSize <= 1<<30 {
		kind = "gzip (chunked)"
		err = inflateChunked(path, src, size, blockSize, tmp, opts)
	} else {
		err = inflateStream(path, src, size, tmp, opts)
	}
	if err != nil {
		return nil, nil, "", err
	}
	if err := tmp.Sync(); err != nil {
		return nil, nil, "", fmt.Errorf("writing inflated dump to %s: %w", tmp.Name(), err)
	}
	m, err := mapFile(tmp.Name())
	if err != nil {
		return nil, nil, "", err
	}
	keep = true
	return m, tmp, kind, nil
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

func newCountingReader(src io.ReaderAt, off, end int64) *countingReader {
	return &countingReader{src: src, off: off, end: end, buf: make([]byte, 256<<10)}
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

func inflateStream(path string, src io.ReaderAt, size int64, out *os.File, opts Options) error {
	cr := newCountingReader(src, 0, size)
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return &FormatError{File: path, Offset: 0, Msg: "gzip: " + err.Error()}
	}
	w := bufio.NewWriterSize(out, 1<<20)
	buf := make([]byte, 1<<20)
	for {
		n, err := zr.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return fmt.Errorf("writing inflated dump to %s: %w", out.Name(), werr)
			}
			if opts.Progress != nil {
				opts.Progress(cr.offset(), size)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return &FormatError{File: path, Offset: cr.offset(), Msg: "gzip: " + err.Error()}
		}
	}
	return w.Flush()
}

// member is the result of inflating one candidate gzip member.
type member struct {
	start, end int64 // compressed extent
	data       []byte
	err        error
}

func inflateMember(src io.ReaderAt, start, size, blockSize int64) member {
	m := member{start: start}
	cr := newCountingReader(src, start, size)
	zr, err := gzip.NewReader(cr)
	if err != nil {
		m.err = err
		return m
	}
	zr.Multistream(false)
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(zr, blockSize+1))
	if err == nil && n > blockSize {
		err = fmt.Errorf("member inflates to more than the block size %d", blockSize)
	}
	if err == nil {
		// Reach the trailer so the CRC and length are checked.
		_, err = zr.Read(make([]byte, 1))
		if err == io.EOF {
			err = nil
		} else if err == nil {
			err = errors.New("member longer than expected")
		}
	}
	m.err, m.data, m.end = err, buf.Bytes(), cr.offset()
	return m
}

// candidates returns the offsets in [from, size) where a gzip member header
// may start.
func candidates(src io.ReaderAt, from, size int64) []int64 {
	var out []int64
	const win = 8 << 20
	buf := make([]byte, win+2)
	for off := from; off < size; off += win {
		n := int(min(int64(len(buf)), size-off))
		src.ReadAt(buf[:n], off)
		b := buf[:n]
		for i := 0; i+3 < len(b) && i < win; {
			j := bytes.Index(b[i:], []byte{0x1f, 0x8b, 0x08})
			if j < 0 || i+j >= win {
				break
			}
			p := i + j
			if p+3 < len(b) && b[p+3]&0xE0 == 0 {
				out = append(out, off+int64(p))
			}
			i = p + 1
		}
	}
	return out
}

func inflateChunked(path string, src io.ReaderAt, size, blockSize int64, out *os.File, opts Options) error {
	cands := candidates(src, 0, size)
	w := bufio.NewWriterSize(out, 4<<20)
	next := int64(0) // where the next real member starts
	workers := runtime.GOMAXPROCS(0)
	batch := 16 * workers
	results := make([]member, batch)
	accept := func(m member) error {
		if m.err != nil {
			return &FormatError{File: path, Offset: m.start, Msg: "gzip member: " + m.err.Error()}
		}
		if _, err := w.Write(m.data); err != nil {
			return fmt.Errorf("writing inflated dump to %s: %w", out.Name(), err)
		}
		next = m.end
		if opts.Progress != nil {
			opts.Progress(next, size)
		}
		return nil
	}
	for len(cands) > 0 {
		k := min(batch, len(cands))
		var wg sync.WaitGroup
		jobs := make(chan int)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					results[i] = inflateMember(src, cands[i], size, blockSize)
				}
			}()
		}
		for i := 0; i < k; i++ {
			if cands[i] >= next {
				jobs <- i
			} else {
				results[i] = member{start: -1}
			}
		}
		close(jobs)
		wg.Wait()
		for i := 0; i < k; i++ {
			m := results[i]
			results[i] = member{}
			for m.start > next { // a member no candidate found: inflate it in order
				if err := accept(inflateMember(src, next, size, blockSize)); err != nil {
					return err
				}
			}
			if m.start == next {
				if err := accept(m); err != nil {
					return err
				}
			}
		}
		cands = cands[k:]
	}
	for next < size {
		if err := accept(inflateMember(src, next, size, blockSize)); err != nil {
			return err
		}
	}
	return w.Flush()
}
