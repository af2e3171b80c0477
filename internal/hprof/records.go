package hprof

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// recordHeaderSize is tag (1) + time (4) + length (4).
const recordHeaderSize = 9

// remapEvery is how much of the file the catalog walk reads through one
// mapping.
const remapEvery = 32 << 20

// LoadClass is a LOAD CLASS record.
type LoadClass struct {
	Serial      uint32
	ClassID     uint64
	StackSerial uint32
	NameID      uint64
}

// StackFrame is a STACK FRAME record.
type StackFrame struct {
	ID           uint64
	MethodID     uint64 // UTF8 id of the method name
	SignatureID  uint64
	SourceFileID uint64
	ClassSerial  uint32
	// Line is the line number (> 0), or 0 (none), -1 (unknown),
	// -2 (compiled method), -3 (native method).
	Line int32
}

// StackTrace is a STACK TRACE record.
type StackTrace struct {
	Serial       uint32
	ThreadSerial uint32
	FrameIDs     []uint64 // innermost frame first
}

// StartThread is a START THREAD record (written by the old agent).
type StartThread struct {
	Serial       uint32
	ObjectID     uint64
	StackSerial  uint32
	NameID       uint64
	GroupNameID  uint64
	ParentNameID uint64
}

// Dump is the extent of one heap dump in the file: a HEAP DUMP record, or
// HEAP DUMP SEGMENT records up to a HEAP DUMP END. Other records may lie in
// between (the old agent interleaves them).
type Dump struct {
	Start, End int64 // file offsets: first record, and end of the last one
	Records    int   // HEAP DUMP or HEAP DUMP SEGMENT records
	// Segments are the HEAP DUMP (SEGMENT) records, in file order: no
	// sub-record spans two, so each can be decoded on its own.
	Segments []Segment
}

// Segment is one HEAP DUMP or HEAP DUMP SEGMENT record.
type Segment struct {
	Offset int64 // the record's tag byte
	End    int64 // end of its body (clamped to the file in truncated dumps)
}

// Catalog holds what the top-level records say; the heap dumps themselves
// are decoded with HeapRecords.
type Catalog struct {
	Strings      map[uint64]string
	LoadClasses  []LoadClass
	Frames       map[uint64]StackFrame
	Traces       map[uint32]StackTrace
	Threads      []StartThread
	Dumps        []Dump
	RecordCounts map[Tag]int
	// UnknownTags counts records skipped because their tag is not known.
	UnknownTags map[Tag]int
	Warnings    []string
}

// truncatedPrefix begins each warning of a dump read as far as it goes
// (Options.AllowTruncated): see truncatedWarning.
const truncatedPrefix = "dump truncated at offset "

// truncatedWarning is the warning of a dump cut at offset off.
func truncatedWarning(off int64, format string, args ...any) string {
	return truncatedPrefix + strconv.FormatInt(off, 10) + ": " + fmt.Sprintf(format, args...)
}

// IsTruncatedWarning reports whether w, one of Catalog.Warnings, says
// where the dump was cut: what File.Truncated holds, which a caller may
// report on its own.
func IsTruncatedWarning(w string) bool { return strings.HasPrefix(w, truncatedPrefix) }

// String returns the UTF8 record with the given id, or "" when absent.
func (c *Catalog) String(id uint64) string { return c.Strings[id] }

// ReadCatalog walks the top-level records once, keeping strings, classes,
// stack traces and threads, and locating the heap dumps.
func (f *File) ReadCatalog() (*Catalog, error) {
	c := &Catalog{
		Strings:      make(map[uint64]string),
		Frames:       make(map[uint64]StackFrame),
		Traces:       make(map[uint32]StackTrace),
		RecordCounts: make(map[Tag]int),
		UnknownTags:  make(map[Tag]int),
	}
	// A mapping of its own: the kernel maps in far more around each record
	// header than is read, and those pages leave with the mapping.
	m, err := f.Map()
	if err != nil {
		return nil, err
	}
	defer func() { m.Close() }()
	w := newWindow(m.src, f.size)
	remapAt := f.Header.Size + remapEvery
	// Hopping from record to record needs little of each: a big window
	// would copy the whole heap dump.
	w.refill = 64 << 10
	idSize := f.Header.IDSize
	off := f.Header.Size
	openSegmented := -1 // index in c.Dumps of a segmented dump without HEAP DUMP END yet
	for off < f.size {
		if off >= remapAt && m.own {
			// Read-around on each fault maps in much more than a record
			// header; a fresh mapping now and then keeps that from piling up.
			m.Close()
			if m, err = f.Map(); err != nil {
				return nil, err
			}
			w = newWindow(m.src, f.size)
			w.refill = 64 << 10
			remapAt = off + remapEvery
		}
		h, ok := w.get(off, recordHeaderSize)
		if !ok {
			if f.opts.AllowTruncated {
				f.Truncated = off
				c.Warnings = append(c.Warnings, truncatedWarning(off, "a record header is cut off"))
				break
			}
			return nil, f.truncatedf(off, "expected a %d-byte record header, the file ends after %d bytes (truncated dump? try --allow-truncated)", recordHeaderSize, f.size-off)
		}
		tag := Tag(h[0])
		length := int64(binary.BigEndian.Uint32(h[5:]))
		body := off + recordHeaderSize
		end := body + length
		if end > f.size {
			if !f.opts.AllowTruncated {
				return nil, f.truncatedf(off, "%s record declares %d bytes of body, only %d remain in the file (truncated dump? try --allow-truncated)", tag, length, f.size-body)
			}
			f.Truncated = off
			c.Warnings = append(c.Warnings, truncatedWarning(off, "%s record declares %d bytes, %d remain", tag, length, f.size-body))
			if tag == TagHeapDump || tag == TagHeapDumpSegment {
				end = f.size // keep the complete sub-records
			} else {
				break
			}
		}
		c.RecordCounts[tag]++
		switch tag {
		case TagHeapDump:
			c.Dumps = append(c.Dumps, Dump{Start: off, End: end, Records: 1, Segments: []Segment{{off, end}}})
			openSegmented = -1
		case TagHeapDumpSegment:
			if openSegmented < 0 {
				c.Dumps = append(c.Dumps, Dump{Start: off})
				openSegmented = len(c.Dumps) - 1
			}
			c.Dumps[openSegmented].End = end
			c.Dumps[openSegmented].Records++
			c.Dumps[openSegmented].Segments = append(c.Dumps[openSegmented].Segments, Segment{off, end})
		case TagHeapDumpEnd:
			if openSegmented >= 0 {
				c.Dumps[openSegmented].End = end
			}
			openSegmented = -1
		default:
			b, ok := w.get(body, length)
			if !ok {
				return nil, f.truncatedf(body, "cannot read %d bytes of %s record body", length, tag)
			}
			if err := c.decodeRecord(f, tag, off, b, idSize); err != nil {
				return nil, err
			}
		}
		off = end
	}
	if openSegmented >= 0 && f.Truncated < 0 {
		// Segments end with HEAP DUMP END (HotSpot, ART and the old agent
		// all write it): without it the file was cut between two
		// segments, the one cut the record checks above cannot see, and
		// what follows (the GC roots, in HotSpot's order) is missing.
		const what = "the heap dump's segments end with the file, without a HEAP DUMP END record"
		if !f.opts.AllowTruncated {
			return nil, f.truncatedf(f.size, "%s (truncated dump? try --allow-truncated)", what)
		}
		f.Truncated = f.size
		c.Warnings = append(c.Warnings, truncatedWarning(f.size, "%s", what))
	}
	// Old agents may leave several START THREAD / STACK TRACE orders; keep
	// the output deterministic.
	sort.SliceStable(c.Threads, func(i, j int) bool { return c.Threads[i].Serial < c.Threads[j].Serial })
	for tag, n := range c.UnknownTags {
		c.Warnings = append(c.Warnings, fmt.Sprintf("skipped %d record(s) with unknown %s", n, tag))
	}
	sort.Strings(c.Warnings)
	return c, nil
}

func (c *Catalog) decodeRecord(f *File, tag Tag, off int64, b []byte, idSize int) error {
	cur := cursor{b: b, idSize: idSize}
	want := -1 // exact body length when the record has one
	switch tag {
	case TagUTF8:
		id := cur.id()
		if !cur.short {
			c.Strings[id] = modifiedUTF8(b[cur.pos:])
		}
	case TagLoadClass:
		c.LoadClasses = append(c.LoadClasses, LoadClass{Serial: cur.u4(), ClassID: cur.id(), StackSerial: cur.u4(), NameID: cur.id()})
		want = 8 + 2*idSize
	case TagUnloadClass:
		cur.u4()
		want = 4
	case TagStackFrame:
		fr := StackFrame{ID: cur.id(), MethodID: cur.id(), SignatureID: cur.id(), SourceFileID: cur.id(), ClassSerial: cur.u4(), Line: int32(cur.u4())}
		c.Frames[fr.ID] = fr
		want = 8 + 4*idSize
	case TagStackTrace:
		tr := StackTrace{Serial: cur.u4(), ThreadSerial: cur.u4()}
		n := int(cur.u4())
		if !cur.short && n > (len(b)-cur.pos)/idSize {
			return f.errorf(off, "STACK TRACE record declares %d frames, its body holds at most %d", n, (len(b)-cur.pos)/idSize)
		}
		tr.FrameIDs = make([]uint64, 0, n)
		for i := 0; i < n && !cur.short; i++ {
			tr.FrameIDs = append(tr.FrameIDs, cur.id())
		}
		c.Traces[tr.Serial] = tr
		want = 12 + n*idSize
	case TagAllocSites:
		cur.skip(2 + 4 + 4 + 4 + 8 + 8)
		n := int(cur.u4())
		want = 34 + 25*n
		if n > len(b)/25 {
			want = -2
		}
	case TagHeapSummary:
		want = 24
	case TagStartThread:
		c.Threads = append(c.Threads, StartThread{Serial: cur.u4(), ObjectID: cur.id(), StackSerial: cur.u4(), NameID: cur.id(), GroupNameID: cur.id(), ParentNameID: cur.id()})
		want = 8 + 4*idSize
	case TagEndThread:
		want = 4
	case TagCPUSamples:
		cur.u4()
		n := int(cur.u4())
		want = 8 + 8*n
		if n > len(b)/8 {
			want = -2
		}
	case TagControlSettings:
		want = 6
	default:
		c.UnknownTags[tag]++
		delete(c.RecordCounts, tag)
		return nil
	}
	if cur.short || want == -2 || (want >= 0 && want != len(b)) {
		return f.errorf(off, "%s record has a %d-byte body, which does not fit its fields (expected %s)", tag, len(b), expectLen(want))
	}
	return nil
}

func expectLen(want int) string {
	if want < 0 {
		return "a longer body"
	}
	return fmt.Sprintf("%d bytes", want)
}

// modifiedUTF8 turns the JVM's modified UTF-8, which UTF8 records hold, into
// UTF-8: a character beyond U+FFFF is two 3-byte surrogates there (an emoji
// in a name came out as 6 replacement characters), and U+0000 is C0 80.
// Other bytes are kept as they are, valid or not.
func modifiedUTF8(b []byte) string {
	if bytes.IndexByte(b, 0xED) < 0 && bytes.IndexByte(b, 0xC0) < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == 0xC0 && i+1 < len(b) && b[i+1] == 0x80:
			out = append(out, 0)
			i++
		case b[i] == 0xED && i+5 < len(b) && b[i+1]&0xF0 == 0xA0 && b[i+2]&0xC0 == 0x80 &&
			b[i+3] == 0xED && b[i+4]&0xF0 == 0xB0 && b[i+5]&0xC0 == 0x80:
			hi := 0xD000 | rune(b[i+1]&0x3F)<<6 | rune(b[i+2]&0x3F)
			lo := 0xD000 | rune(b[i+4]&0x3F)<<6 | rune(b[i+5]&0x3F)
			out = utf8.AppendRune(out, utf16.DecodeRune(hi, lo))
			i += 5
		default:
			out = append(out, b[i])
		}
	}
	return string(out)
}
