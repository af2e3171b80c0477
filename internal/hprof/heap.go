package hprof

import (
	"encoding/binary"
)

// SubRecord is one decoded heap-dump sub-record. Body slices point into the
// reader's window and are valid until the next call to Next.
type SubRecord struct {
	Tag    SubTag
	Offset int64 // file offset of the tag byte

	// ID is the object of an object record, or the object a root names.
	ID          uint64
	StackSerial uint32
	// ClassID is an instance's class or an object array's array class.
	ClassID uint64
	// Length is an array's element count or an instance's field byte count.
	Length   uint32
	ElemType BasicType // primitive arrays

	ThreadSerial uint32 // JNI LOCAL, JAVA FRAME, NATIVE STACK, THREAD BLOCK, THREAD OBJECT, JNI MONITOR
	// Frame is the frame number of a JAVA FRAME or JNI LOCAL root (-1: none),
	// the stack depth of a JNI MONITOR root.
	Frame int32
	// Extra is the global reference id of a JNI GLOBAL root, the heap name id
	// of a HEAP DUMP INFO, or the stack serial of a THREAD OBJECT root.
	Extra uint64
	// HeapType is the heap type of a HEAP DUMP INFO.
	HeapType uint32

	// Body holds an instance's field values, an object array's element ids,
	// or a primitive array's values when HeapReader.WantPrimData is set.
	Body []byte
	// Class is the decoded CLASS DUMP; a fresh value for every class.
	Class *ClassDump
}

// Constant is a constant-pool entry of a CLASS DUMP.
type Constant struct {
	Index uint16
	Type  BasicType
	Value uint64
}

// StaticField is a static field of a CLASS DUMP, with its value's raw bits.
type StaticField struct {
	NameID uint64
	Type   BasicType
	Value  uint64
}

// FieldDecl is an instance field declared by a CLASS DUMP.
type FieldDecl struct {
	NameID uint64
	Type   BasicType
}

// ClassDump is a CLASS DUMP sub-record.
type ClassDump struct {
	ID                 uint64
	StackSerial        uint32
	SuperID            uint64
	LoaderID           uint64
	SignersID          uint64
	ProtectionDomainID uint64
	// InstanceSize is what the writer says an instance takes; HotSpot writes
	// the sum of the HPROF field sizes, not the JVM's layout size.
	InstanceSize uint32
	Constants    []Constant
	Statics      []StaticField
	Fields       []FieldDecl // own fields only, in record order
}

// HeapReader iterates over the sub-records of a range of the file.
type HeapReader struct {
	f      *File
	w      window
	idSize int
	pos    int64 // next sub-record
	segEnd int64 // end of the body of the current HEAP DUMP (SEGMENT)
	end    int64 // end of the range
	err    error
	// WantPrimData asks for primitive array values in Rec.Body; without it
	// their bytes are skipped unread.
	WantPrimData bool
	// Rec is the current sub-record.
	Rec SubRecord
}

// RecordAt decodes the single sub-record at off, with primitive array
// values, for looking at one object. Bounds are checked against the file.
func (f *File) RecordAt(off int64) (SubRecord, error) {
	return f.recordAt(f.HeapRecordsAt(off, f.size, f.size), off)
}

// recordAt decodes the one sub-record at off with r, made to read there.
func (f *File) recordAt(r *HeapReader, off int64) (SubRecord, error) {
	r.w.refill = 64 // one object: read what it needs
	r.WantPrimData = true
	if !r.Next() {
		if r.err != nil {
			return SubRecord{}, r.err
		}
		return SubRecord{}, f.errorf(off, "expected a heap dump sub-record")
	}
	return r.Rec, nil
}

// WithRecordAt calls fn with the sub-record at off, as RecordAt decodes
// it. Where the dump is mapped, the record is decoded in place and not
// copied, which matters for arrays of millions of elements: Rec.Body is
// then valid only while fn runs.
func (f *File) WithRecordAt(off int64, fn func(SubRecord) error) error {
	rec, err := f.recordAt(f.HeapRecordsInPlace(off, f.size, f.size), off)
	if err != nil {
		return err
	}
	return fn(rec)
}

// HeapRecords reads the sub-records of dump d.
func (f *File) HeapRecords(d Dump) *HeapReader {
	return f.HeapRecordsAt(d.Start, d.Start, d.End)
}

// HeapRecordsAt resumes reading at the sub-record at pos inside a heap
// record whose body ends at segEnd, up to end. With pos == segEnd, pos is
// taken to be the start of a top-level record.
func (f *File) HeapRecordsAt(pos, segEnd, end int64) *HeapReader {
	src, err := f.source()
	w := newWindow(src, f.size)
	if err != nil {
		return &HeapReader{f: f, w: w, err: err}
	}
	w.refill = max(min(windowSize, end-pos), 64)
	return &HeapReader{f: f, w: w, idSize: f.Header.IDSize, pos: pos, segEnd: segEnd, end: end}
}

// HeapRecordsIn is HeapRecordsAt reading through mapping m, as ResetIn.
func (f *File) HeapRecordsIn(m *Mapping, pos, segEnd, end int64) *HeapReader {
	r := &HeapReader{f: f, w: newWindow(m.src, f.size), idSize: f.Header.IDSize}
	r.ResetIn(m, pos, segEnd, end)
	return r
}

// HeapRecordsInPlace is HeapRecordsAt decoding where the dump is mapped,
// when it is, instead of copying through a buffer: Rec.Body then stays
// valid until the file is released or closed, and r must not be used after
// that either.
func (f *File) HeapRecordsInPlace(pos, segEnd, end int64) *HeapReader {
	r := f.HeapRecordsAt(pos, segEnd, end)
	if r.err == nil {
		r.w.use(r.w.src)
	}
	return r
}

// Reset makes r read another range, as HeapRecordsAt would, keeping its
// buffer.
func (r *HeapReader) Reset(pos, segEnd, end int64) {
	r.pos, r.segEnd, r.end, r.err = pos, segEnd, end, nil
	r.w.whole = nil // a mapping given by ResetIn may be closed by now
	r.w.refill = max(min(windowSize, end-pos), 64)
}

// ResetIn is Reset reading through mapping m. Where m's bytes can be read
// in place, records are decoded there without a copy, and Rec.Body slices
// stay valid until m is closed (not beyond: the pages are unmapped).
func (r *HeapReader) ResetIn(m *Mapping, pos, segEnd, end int64) {
	r.Reset(pos, segEnd, end)
	r.w.use(m.src)
}

// ResetOne makes r read the one sub-record at off through mapping m, as
// RecordAt reads it (a window the record's size where m cannot be read in
// place, not a full one).
func (r *HeapReader) ResetOne(m *Mapping, off int64) {
	r.ResetIn(m, off, r.f.size, r.f.size)
	r.w.refill = 64
}

// Position returns where the next sub-record starts and the end of the heap
// record that holds it: a checkpoint for HeapRecordsAt.
func (r *HeapReader) Position() (pos, segEnd int64) { return r.pos, r.segEnd }

// Err returns the error that stopped iteration, if any.
func (r *HeapReader) Err() error { return r.err }

func (r *HeapReader) fail(err error) bool {
	r.err = err
	return false
}

// Next decodes the next sub-record into r.Rec.
func (r *HeapReader) Next() bool {
	if r.err != nil || r.pos >= r.end {
		return false
	}
	for r.pos >= r.segEnd {
		if r.pos >= r.end {
			return false
		}
		h, ok := r.w.get(r.pos, recordHeaderSize)
		if !ok {
			if r.f.Truncated >= 0 {
				return false
			}
			return r.fail(r.f.truncatedf(r.pos, "expected a record header, the file ends first"))
		}
		tag := Tag(h[0])
		next := r.pos + recordHeaderSize + int64(binary.BigEndian.Uint32(h[5:]))
		if tag == TagHeapDump || tag == TagHeapDumpSegment {
			r.segEnd = min(next, r.f.size)
			r.pos += recordHeaderSize
		} else {
			r.pos = next
		}
	}
	if r.pos >= r.end {
		// A range may end where a heap record's first sub-record starts
		// (pass B's chunks do): that one is the next range's.
		return false
	}
	return r.decode()
}

// short reports a sub-record that does not fit in what remains of its
// heap record.
func (r *HeapReader) short(tag SubTag, need int64) bool {
	if r.segEnd == r.f.size && r.f.Truncated >= 0 {
		r.pos = r.end // a cut-off dump: stop quietly, the catalog warned
		return false
	}
	return r.fail(r.f.errorf(r.pos, "%s needs %d bytes, only %d remain in its heap dump record (which ends at offset %d)", tag, need, r.segEnd-r.pos, r.segEnd))
}

// rootSizes[tag] is the size of a root sub-record's body after the id:
// -1 marks tags that are not roots.
var rootBodySizes = func() [256]int8 {
	var s [256]int8
	for i := range s {
		s[i] = -1
	}
	for _, t := range []SubTag{SubRootUnknown, SubRootStickyClass, SubRootMonitorUsed, SubRootInternedString,
		SubRootFinalizing, SubRootDebugger, SubRootReferenceCleanup, SubRootVMInternal, SubUnreachable} {
		s[t] = 0
	}
	s[SubRootNativeStack], s[SubRootThreadBlock] = 4, 4
	s[SubRootJNILocal], s[SubRootJavaFrame], s[SubRootThreadObject], s[SubRootJNIMonitor] = 8, 8, 8, 8
	s[SubRootJNIGlobal] = -2 // an id follows
	return s
}()

func (r *HeapReader) decode() bool {
	pos, idSize := r.pos, int64(r.idSize)
	t, ok := r.w.get(pos, 1)
	if !ok {
		return r.short(0, 1)
	}
	tag := SubTag(t[0])
	rec := &r.Rec
	*rec = SubRecord{Tag: tag, Offset: pos, Frame: -1}
	switch tag {
	case SubInstanceDump:
		hdr := 1 + 2*idSize + 8
		b, ok := r.w.get(pos, hdr)
		if !ok || pos+hdr > r.segEnd {
			return r.short(tag, hdr)
		}
		rec.ID = ReadID(b[1:], r.idSize)
		rec.StackSerial = binary.BigEndian.Uint32(b[1+idSize:])
		rec.ClassID = ReadID(b[5+idSize:], r.idSize)
		rec.Length = binary.BigEndian.Uint32(b[5+2*idSize:])
		n := int64(rec.Length)
		if pos+hdr+n > r.segEnd {
			return r.short(tag, hdr+n)
		}
		if rec.Body, ok = r.w.get(pos+hdr, n); !ok {
			return r.short(tag, hdr+n)
		}
		r.pos = pos + hdr + n
		return true
	case SubObjArrayDump:
		hdr := 1 + 2*idSize + 8
		b, ok := r.w.get(pos, hdr)
		if !ok || pos+hdr > r.segEnd {
			return r.short(tag, hdr)
		}
		rec.ID = ReadID(b[1:], r.idSize)
		rec.StackSerial = binary.BigEndian.Uint32(b[1+idSize:])
		rec.Length = binary.BigEndian.Uint32(b[5+idSize:])
		rec.ClassID = ReadID(b[9+idSize:], r.idSize)
		n := int64(rec.Length) * idSize
		if pos+hdr+n > r.segEnd {
			return r.short(tag, hdr+n)
		}
		if rec.Body, ok = r.w.get(pos+hdr, n); !ok {
			return r.short(tag, hdr+n)
		}
		r.pos = pos + hdr + n
		return true
	case SubPrimArrayDump, SubPrimArrayNoData:
		hdr := 1 + idSize + 9
		b, ok := r.w.get(pos, hdr)
		if !ok || pos+hdr > r.segEnd {
			return r.short(tag, hdr)
		}
		rec.ID = ReadID(b[1:], r.idSize)
		rec.StackSerial = binary.BigEndian.Uint32(b[1+idSize:])
		rec.Length = binary.BigEndian.Uint32(b[5+idSize:])
		rec.ElemType = BasicType(b[9+idSize])
		if rec.ElemType == TypeObject || !rec.ElemType.Valid() {
			return r.fail(r.f.errorf(pos+hdr-1, "%s has element type %d, expected a primitive type (4-11)", tag, rec.ElemType))
		}
		n := int64(rec.Length) * int64(rec.ElemType.Size(r.idSize))
		if tag == SubPrimArrayNoData {
			n = 0
		}
		if pos+hdr+n > r.segEnd {
			return r.short(tag, hdr+n)
		}
		if r.WantPrimData && n > 0 {
			if rec.Body, ok = r.w.get(pos+hdr, n); !ok {
				return r.short(tag, hdr+n)
			}
		}
		r.pos = pos + hdr + n
		return true
	case SubClassDump:
		return r.decodeClass()
	case SubHeapDumpInfo:
		hdr := 1 + 4 + idSize
		b, ok := r.w.get(pos, hdr)
		if !ok || pos+hdr > r.segEnd {
			return r.short(tag, hdr)
		}
		rec.HeapType = binary.BigEndian.Uint32(b[1:])
		rec.Extra = ReadID(b[5:], r.idSize)
		r.pos = pos + hdr
		return true
	}
	body := int64(rootBodySizes[tag])
	if body == -1 {
		return r.fail(r.f.errorf(pos, "unknown heap dump sub-record tag 0x%02X (expected a root, CLASS DUMP 0x20, INSTANCE DUMP 0x21, OBJ ARRAY DUMP 0x22 or PRIM ARRAY DUMP 0x23)", uint8(tag)))
	}
	if body == -2 {
		body = idSize
	}
	hdr := 1 + idSize + body
	b, ok := r.w.get(pos, hdr)
	if !ok || pos+hdr > r.segEnd {
		return r.short(tag, hdr)
	}
	rec.ID = ReadID(b[1:], r.idSize)
	rest := b[1+idSize:]
	switch tag {
	case SubRootJNIGlobal:
		rec.Extra = ReadID(rest, r.idSize)
	case SubRootJNILocal, SubRootJavaFrame:
		rec.ThreadSerial = binary.BigEndian.Uint32(rest)
		rec.Frame = int32(binary.BigEndian.Uint32(rest[4:]))
	case SubRootJNIMonitor:
		rec.ThreadSerial = binary.BigEndian.Uint32(rest)
		rec.Frame = int32(binary.BigEndian.Uint32(rest[4:]))
	case SubRootNativeStack, SubRootThreadBlock:
		rec.ThreadSerial = binary.BigEndian.Uint32(rest)
	case SubRootThreadObject:
		rec.ThreadSerial = binary.BigEndian.Uint32(rest)
		rec.Extra = uint64(binary.BigEndian.Uint32(rest[4:]))
	}
	r.pos = pos + hdr
	return true
}

// maxClassDump bounds a CLASS DUMP: three u2-counted tables of at most
// 65535 entries of at most 17 bytes each, plus the fixed part.
const maxClassDump = 1 + 7*8 + 10 + 3*65535*(2+8+1+8)

func (r *HeapReader) decodeClass() bool {
	// A CLASS DUMP's length is only known by decoding it: start small and
	// read more while the decoder runs short.
	limit := min(r.segEnd-r.pos, maxClassDump)
	for n := min(limit, 4096); ; n = min(2*n, limit) {
		b, ok := r.w.get(r.pos, n)
		if !ok {
			return r.short(SubClassDump, n)
		}
		cd, used, short, err := r.parseClass(b)
		if err != nil {
			return r.fail(err)
		}
		if !short {
			r.Rec.ID = cd.ID
			r.Rec.StackSerial = cd.StackSerial
			r.Rec.ClassID = cd.SuperID
			r.Rec.Class = cd
			r.pos += int64(used)
			return true
		}
		if n == limit {
			return r.short(SubClassDump, n+1)
		}
	}
}

// parseClass decodes a CLASS DUMP from b; short reports that b ended first.
func (r *HeapReader) parseClass(b []byte) (cd *ClassDump, used int, short bool, err error) {
	pos := r.pos
	c := cursor{b: b, pos: 1, idSize: r.idSize}
	cd = &ClassDump{ID: c.id(), StackSerial: c.u4(), SuperID: c.id(), LoaderID: c.id(), SignersID: c.id(), ProtectionDomainID: c.id()}
	c.id()
	c.id()
	cd.InstanceSize = c.u4()
	badType := func(t BasicType, what string) (*ClassDump, int, bool, error) {
		return nil, 0, false, r.f.errorf(pos+int64(c.pos)-1, "CLASS DUMP 0x%x: %s has type %d, expected a basic type (2, 4-11)", cd.ID, what, t)
	}
	nc := int(c.u2())
	if nc > 0 {
		cd.Constants = make([]Constant, 0, min(nc, len(b)/4))
	}
	for i := 0; i < nc && !c.short; i++ {
		k := Constant{Index: c.u2(), Type: BasicType(c.u1())}
		if !c.short && !k.Type.Valid() {
			return badType(k.Type, "a constant pool entry")
		}
		k.Value = c.value(k.Type)
		cd.Constants = append(cd.Constants, k)
	}
	ns := int(c.u2())
	if ns > 0 {
		cd.Statics = make([]StaticField, 0, min(ns, len(b)/(r.idSize+2)))
	}
	for i := 0; i < ns && !c.short; i++ {
		s := StaticField{NameID: c.id(), Type: BasicType(c.u1())}
		if !c.short && !s.Type.Valid() {
			return badType(s.Type, "a static field")
		}
		s.Value = c.value(s.Type)
		cd.Statics = append(cd.Statics, s)
	}
	nf := int(c.u2())
	if nf > 0 {
		cd.Fields = make([]FieldDecl, 0, min(nf, len(b)/(r.idSize+1)))
	}
	for i := 0; i < nf && !c.short; i++ {
		fd := FieldDecl{NameID: c.id(), Type: BasicType(c.u1())}
		if !c.short && !fd.Type.Valid() {
			return badType(fd.Type, "an instance field")
		}
		cd.Fields = append(cd.Fields, fd)
	}
	return cd, c.pos, c.short, nil
}
