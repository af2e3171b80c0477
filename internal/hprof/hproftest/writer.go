// Package hproftest writes small HPROF dumps for tests: hand-built and
// random object graphs, and malformed inputs.
package hproftest

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/leakscan/leakscan/internal/hprof"
)

// Writer accumulates an HPROF file. Heap sub-records go into the current
// HEAP DUMP SEGMENT until Flush or Bytes.
type Writer struct {
	IDSize int
	out    []byte
	seg    []byte
	nextID uint64
	names  map[string]uint64
	serial uint32
}

// New starts a dump with the given identifier size and version
// ("JAVA PROFILE 1.0.2" when empty).
func New(idSize int, version string) *Writer {
	if version == "" {
		version = "JAVA PROFILE 1.0.2"
	}
	w := &Writer{IDSize: idSize, nextID: 0x1000, names: map[string]uint64{}}
	w.out = append(w.out, version...)
	w.out = append(w.out, 0)
	w.out = binary.BigEndian.AppendUint32(w.out, uint32(idSize))
	w.out = binary.BigEndian.AppendUint64(w.out, 1700000000000)
	return w
}

// NewID returns a fresh id, 8-aligned like an address.
func (w *Writer) NewID() uint64 {
	w.nextID += 8
	return w.nextID
}

func (w *Writer) id(b []byte, v uint64) []byte {
	if w.IDSize == 4 {
		return binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return binary.BigEndian.AppendUint64(b, v)
}

// Record appends a top-level record with the given body.
func (w *Writer) Record(tag hprof.Tag, body []byte) {
	w.out = append(w.out, byte(tag))
	w.out = binary.BigEndian.AppendUint32(w.out, 0)
	w.out = binary.BigEndian.AppendUint32(w.out, uint32(len(body)))
	w.out = append(w.out, body...)
}

// Name returns the UTF8 record id for s, writing the record once.
func (w *Writer) Name(s string) uint64 {
	if id, ok := w.names[s]; ok {
		return id
	}
	id := w.NewID()
	w.names[s] = id
	w.Record(hprof.TagUTF8, append(w.id(nil, id), s...))
	return id
}

// Field is an instance field declaration.
type Field struct {
	Name string
	Type hprof.BasicType
}

// Static is a static field with its raw value.
type Static struct {
	Name  string
	Type  hprof.BasicType
	Value uint64
}

// Class writes LOAD CLASS and CLASS DUMP records and returns the class id.
// name uses slashes or dots ("java/lang/String").
func (w *Writer) Class(name string, super, loader uint64, statics []Static, fields []Field) uint64 {
	id := w.NewID()
	w.ClassWithID(id, name, super, loader, statics, fields)
	return id
}

// ClassWithID is Class with a chosen id.
func (w *Writer) ClassWithID(id uint64, name string, super, loader uint64, statics []Static, fields []Field) {
	w.serial++
	lc := binary.BigEndian.AppendUint32(nil, w.serial)
	lc = w.id(lc, id)
	lc = binary.BigEndian.AppendUint32(lc, 0)
	lc = w.id(lc, w.Name(name))
	w.Record(hprof.TagLoadClass, lc)
	b := []byte{byte(hprof.SubClassDump)}
	b = w.id(b, id)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = w.id(b, super)
	b = w.id(b, loader)
	b = w.id(b, 0)
	b = w.id(b, 0)
	b = w.id(b, 0)
	b = w.id(b, 0)
	size := 0
	for _, f := range fields {
		size += f.Type.Size(w.IDSize)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(size))
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(statics)))
	for _, s := range statics {
		b = w.id(b, w.Name(s.Name))
		b = append(b, byte(s.Type))
		b = w.value(b, s.Type, s.Value)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(fields)))
	for _, f := range fields {
		b = w.id(b, w.Name(f.Name))
		b = append(b, byte(f.Type))
	}
	w.seg = append(w.seg, b...)
}

func (w *Writer) value(b []byte, t hprof.BasicType, v uint64) []byte {
	switch t.Size(w.IDSize) {
	case 1:
		return append(b, byte(v))
	case 2:
		return binary.BigEndian.AppendUint16(b, uint16(v))
	case 4:
		return binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return binary.BigEndian.AppendUint64(b, v)
}

// Instance writes an INSTANCE DUMP whose field values (own class first,
// then supers) are given with their types.
func (w *Writer) Instance(id, class uint64, types []hprof.BasicType, values []uint64) {
	var data []byte
	for i, t := range types {
		data = w.value(data, t, values[i])
	}
	w.InstanceBytes(id, class, data)
}

// InstanceBytes writes an INSTANCE DUMP with raw field bytes.
func (w *Writer) InstanceBytes(id, class uint64, data []byte) {
	b := []byte{byte(hprof.SubInstanceDump)}
	b = w.id(b, id)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = w.id(b, class)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	w.seg = append(append(w.seg, b...), data...)
}

// ObjArray writes an OBJ ARRAY DUMP.
func (w *Writer) ObjArray(id, arrayClass uint64, elems []uint64) {
	b := []byte{byte(hprof.SubObjArrayDump)}
	b = w.id(b, id)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(elems)))
	b = w.id(b, arrayClass)
	for _, e := range elems {
		b = w.id(b, e)
	}
	w.seg = append(w.seg, b...)
}

// PrimArray writes a PRIM ARRAY DUMP of n elements of type t, with the
// given raw data (zeros when nil).
func (w *Writer) PrimArray(id uint64, t hprof.BasicType, n int, data []byte) {
	b := []byte{byte(hprof.SubPrimArrayDump)}
	b = w.id(b, id)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, byte(t))
	if data == nil {
		data = make([]byte, n*t.Size(w.IDSize))
	}
	w.seg = append(append(w.seg, b...), data...)
}

// Root writes a root sub-record; thread and frame are used by the kinds
// that carry them.
func (w *Writer) Root(tag hprof.SubTag, id uint64, thread uint32, frame int32) {
	b := []byte{byte(tag)}
	b = w.id(b, id)
	switch tag {
	case hprof.SubRootJNIGlobal:
		b = w.id(b, 0)
	case hprof.SubRootJNILocal, hprof.SubRootJavaFrame, hprof.SubRootJNIMonitor:
		b = binary.BigEndian.AppendUint32(b, thread)
		b = binary.BigEndian.AppendUint32(b, uint32(frame))
	case hprof.SubRootThreadObject:
		b = binary.BigEndian.AppendUint32(b, thread)
		b = binary.BigEndian.AppendUint32(b, 0)
	case hprof.SubRootNativeStack, hprof.SubRootThreadBlock:
		b = binary.BigEndian.AppendUint32(b, thread)
	}
	w.seg = append(w.seg, b...)
}

// Raw appends raw bytes to the current heap segment (for malformed input).
func (w *Writer) Raw(b []byte) { w.seg = append(w.seg, b...) }

// Flush writes the pending sub-records as a HEAP DUMP SEGMENT.
func (w *Writer) Flush() {
	if len(w.seg) > 0 {
		w.Record(hprof.TagHeapDumpSegment, w.seg)
		w.seg = nil
	}
}

// Bytes flushes, ends the heap dump and returns the file.
func (w *Writer) Bytes() []byte {
	w.Flush()
	w.Record(hprof.TagHeapDumpEnd, nil)
	return w.out
}

// ObjectArrayClass writes the class "[Ljava/lang/Object;" (and
// java.lang.Object) once and returns its id; handy for graphs made of
// arrays.
func (w *Writer) ObjectArrayClass() uint64 {
	if id, ok := w.names["\x00objarray"]; ok {
		return id
	}
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	id := w.Class("[Ljava/lang/Object;", obj, 0, nil, nil)
	w.names["\x00objarray"] = id
	return id
}

// RandomArrays writes n object arrays, each holding fewer than maxRefs
// references to arrays picked at random among them, and returns their
// ids: a random heap for checking an algorithm against a naive one.
func (w *Writer) RandomArrays(r *rand.Rand, n, maxRefs int) []uint64 {
	return w.RandomArraysOf(w.ObjectArrayClass(), r, n, maxRefs)
}

// RandomArraysOf is RandomArrays with arrays of class arr.
func (w *Writer) RandomArraysOf(arr uint64, r *rand.Rand, n, maxRefs int) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = w.NewID()
	}
	for i := range ids {
		var elems []uint64
		for k := r.IntN(maxRefs); k > 0; k-- {
			elems = append(elems, ids[r.IntN(n)])
		}
		w.ObjArray(ids[i], arr, elems)
	}
	return ids
}

// StringClass writes java.lang.String, a subclass of super, laid out as
// JDK 9 and later lay it out (value, a byte[], then coder), and returns
// its id.
func (w *Writer) StringClass(super uint64) uint64 {
	return w.Class("java/lang/String", super, 0, nil, []Field{{Name: "value", Type: hprof.TypeObject}, {Name: "coder", Type: hprof.TypeByte}})
}

// String writes a String of s in Latin-1 (coder 0), of class str
// (StringClass's), and returns its id.
func (w *Writer) String(str uint64, s string) uint64 {
	chars, id := w.NewID(), w.NewID()
	w.PrimArray(chars, hprof.TypeByte, len(s), []byte(s))
	w.Instance(id, str, []hprof.BasicType{hprof.TypeObject, hprof.TypeByte}, []uint64{chars, 0})
	return id
}

// EnumClass writes java.lang.Enum (name, a String, then ordinal), a
// subclass of super, and returns its id.
func (w *Writer) EnumClass(super uint64) uint64 {
	return w.Class("java/lang/Enum", super, 0, nil, []Field{{Name: "name", Type: hprof.TypeObject}, {Name: "ordinal", Type: hprof.TypeInt}})
}

// Constant writes a constant of enum class c (a subclass of EnumClass's
// that declares no fields) whose name is the String name, and returns its
// id.
func (w *Writer) Constant(c, name, ordinal uint64) uint64 {
	id := w.NewID()
	w.Instance(id, c, []hprof.BasicType{hprof.TypeObject, hprof.TypeInt}, []uint64{name, ordinal})
	return id
}

// CleanerBuffers writes two direct buffers from allocateDirect, each with
// its Cleaner (a phantom reference that runs a Deallocator), and the
// Cleaners GC roots, as the JDK's list of them makes them: live (1 MiB),
// which a GC root holds too, and dead (4 MiB), which only its Cleaner
// reaches: waiting to be freed. obj is java.lang.Object's id.
func (w *Writer) CleanerBuffers(obj uint64) (live, dead uint64) {
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []Field{{Name: "referent", Type: hprof.TypeObject}})
	phantom := w.Class("java/lang/ref/PhantomReference", ref, 0, nil, nil)
	cleaner := w.Class("jdk/internal/ref/Cleaner", phantom, 0, nil, []Field{{Name: "thunk", Type: hprof.TypeObject}})
	dealloc := w.Class("java/nio/DirectByteBuffer$Deallocator", obj, 0, nil, nil)
	buffer := w.Class("java/nio/Buffer", obj, 0, nil, []Field{{Name: "capacity", Type: hprof.TypeInt}, {Name: "address", Type: hprof.TypeLong}})
	direct := w.Class("java/nio/DirectByteBuffer", buffer, 0, nil, []Field{{Name: "cleaner", Type: hprof.TypeObject}, {Name: "att", Type: hprof.TypeObject}})
	types := []hprof.BasicType{hprof.TypeObject, hprof.TypeObject, hprof.TypeInt, hprof.TypeLong}
	two := []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}
	live, dead = w.NewID(), w.NewID()
	for _, b := range []struct {
		id, size, address uint64
	}{{live, 1 << 20, 0x1000}, {dead, 4 << 20, 0x2000}} {
		c, d := w.NewID(), w.NewID()
		w.Instance(b.id, direct, types, []uint64{c, 0, b.size, b.address})
		w.Instance(d, dealloc, nil, nil)
		w.Instance(c, cleaner, two, []uint64{d, b.id})
		w.Root(hprof.SubRootJNIGlobal, c, 0, 0)
	}
	w.Root(hprof.SubRootJNIGlobal, live, 0, 0)
	return live, dead
}
