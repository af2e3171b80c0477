package heap

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/index"
)

// The binary encoding of what the index keeps beside the per-object
// arrays: the classes, roots, threads and stack frames, and the dump's
// description. Names are kept as the dump's bytes (modified UTF-8, which
// is not always valid UTF-8), and a dump with millions of roots or static
// fields loads in a fraction of a second. Maps are written in key order,
// so that the same graph always gives the same bytes.

// encodeMeta encodes what the graph part keeps beside the arrays.
func (g *Graph) encodeMeta() []byte {
	var e index.Enc
	encodeSource(&e, &g.Source)
	e.Int(int64(g.Dump))
	encodeModel(&e, g.Model, g.ModelReason)
	encodeClasses(&e, g.Classes)
	e.Int(int64(g.ClassClass))
	for _, c := range g.primClass {
		e.Int(int64(c))
	}
	for _, c := range g.unknown {
		e.Int(int64(c))
	}
	e.Int(int64(g.ids.n))
	e.Uint(g.ids.base)
	e.Uint(uint64(g.ids.shift))
	e.Bool(g.ids.sorted != nil)
	index.EncodeList(&e, g.chunks, func(c chunk) {
		e.Int(c.pos)
		e.Int(c.segEnd)
		e.Int(c.end)
		e.Int(int64(c.base))
		e.Int(int64(c.n))
		index.EncodeList(&e, c.marks, func(k recordMark) {
			e.Int(k.pos)
			e.Int(k.segEnd)
		})
	})
	encodeRoots(&e, g.Roots)
	encodeThreads(&e, g.Threads)
	encodeStats(&e, &g.Stats)
	encodeStrings(&e, g.Warnings)
	e.Str(g.JVM)
	e.Str(g.Command)
	names := map[uint64]string{}
	for _, fr := range g.Catalog.Frames {
		for _, id := range []uint64{fr.MethodID, fr.SignatureID, fr.SourceFileID} {
			names[id] = g.Catalog.String(id)
		}
	}
	for _, lc := range g.Catalog.LoadClasses {
		names[lc.NameID] = g.Catalog.String(lc.NameID)
	}
	encodeCatalog(&e, g.Catalog, names)
	return e.Bytes()
}

// idsMeta is what the meta section says of the id index.
type idsMeta struct {
	n      int
	base   uint64
	shift  uint
	sparse bool
}

// decodeMeta decodes a graph's meta section, checked (checkMeta); the
// arrays are still to be set.
func decodeMeta(raw []byte) (*Graph, idsMeta, error) {
	d := index.NewDec(raw, "graph meta")
	g := &Graph{Source: decodeSource(d), Dump: int(d.Int32())}
	g.Model, g.ModelReason = decodeModel(d)
	g.Classes = decodeClasses(d)
	g.ClassClass = ClassIndex(d.Int32())
	for i := range g.primClass {
		g.primClass[i] = ClassIndex(d.Int32())
	}
	for i := range g.unknown {
		g.unknown[i] = ClassIndex(d.Int32())
	}
	var ids idsMeta
	ids.n, ids.base, ids.shift, ids.sparse = int(d.Int32()), d.Uint(), uint(d.Uint8()), d.Bool()
	if ids.n < 0 {
		return nil, ids, fmt.Errorf("index graph part: %d objects", ids.n)
	}
	g.chunks = index.DecodeList(d, 6, func() chunk {
		c := chunk{pos: d.Int(), segEnd: d.Int(), end: d.Int(), base: d.Int32(), n: d.Int32(), slot: -1}
		c.marks = index.DecodeList(d, 2, func() recordMark { return recordMark{pos: d.Int(), segEnd: d.Int()} })
		return c
	})
	g.Roots = decodeRoots(d)
	g.Threads = decodeThreads(d)
	g.Stats = decodeStats(d)
	g.Warnings = decodeStrings(d)
	g.JVM, g.Command = d.Str(), d.Str()
	g.Catalog = decodeCatalog(d)
	if err := d.Done(); err != nil {
		return nil, ids, err
	}
	if err := g.checkMeta(ids.n); err != nil {
		return nil, ids, fmt.Errorf("index graph part: %w", err)
	}
	return g, ids, nil
}

func encodeSource(e *index.Enc, s *Source) {
	e.Str(s.Path)
	e.Str(s.Header.Version)
	e.Int(int64(s.Header.IDSize))
	e.Bool(!s.Header.Timestamp.IsZero())
	e.Int(s.Header.Timestamp.Unix())
	e.Int(int64(s.Header.Timestamp.Nanosecond()))
	e.Int(s.Header.Size)
	e.Str(s.Compressed)
	e.Int(s.CompressedSize)
	e.Int(s.DumpBytes)
	e.Int(s.Truncated)
	e.Int(int64(s.HeapDumps))
	e.Uint(uint64(len(s.RecordCounts)))
	for _, k := range slices.Sorted(maps.Keys(s.RecordCounts)) {
		e.Str(k)
		e.Int(int64(s.RecordCounts[k]))
	}
}

func decodeSource(d *index.Dec) (s Source) {
	s.Path = d.Str()
	s.Header.Version = d.Str()
	s.Header.IDSize = int(d.Int32())
	stamped := d.Bool()
	sec, nsec := d.Int(), d.Int()
	if stamped {
		s.Header.Timestamp = time.Unix(sec, nsec).UTC()
	}
	s.Header.Size = d.Int()
	s.Compressed = d.Str()
	s.CompressedSize = d.Int()
	s.DumpBytes = d.Int()
	s.Truncated = d.Int()
	s.HeapDumps = int(d.Int32())
	n := d.Count(2)
	s.RecordCounts = make(map[string]int, n)
	for range n {
		k := d.Str()
		s.RecordCounts[k] = int(d.Int())
	}
	return s
}

func encodeModel(e *index.Enc, m Model, reason string) {
	for _, v := range []int{m.IDSize, m.RefSize, m.HeaderSize, m.WordSize, m.Alignment, m.JDK} {
		e.Int(int64(v))
	}
	e.Str(reason)
}

func decodeModel(d *index.Dec) (m Model, reason string) {
	for _, p := range []*int{&m.IDSize, &m.RefSize, &m.HeaderSize, &m.WordSize, &m.Alignment, &m.JDK} {
		*p = int(d.Int32())
	}
	return m, d.Str()
}

func encodeStrings(e *index.Enc, ss []string) { index.EncodeList(e, ss, e.Str) }

func decodeStrings(d *index.Dec) []string { return index.DecodeList(d, 1, d.Str) }

// classMinBytes is the fewest bytes a class takes encoded.
const classMinBytes = 15

func encodeClasses(e *index.Enc, cs []Class) {
	index.EncodeList(e, cs, func(c Class) {
		e.Str(c.Name)
		e.Uint(c.ID)
		e.Int(int64(c.Object))
		e.Int(int64(c.Super))
		e.Uint(c.LoaderID)
		e.Uint(c.SignersID)
		e.Uint(c.ProtectionDomainID)
		e.Uint(uint64(c.Kind))
		e.Uint(uint64(c.ElemType))
		e.Uint(uint64(c.InstanceSize))
		e.Uint(uint64(c.MirrorSize))
		index.EncodeList(e, c.Fields, func(f Field) {
			e.Str(f.Name)
			e.Uint(uint64(f.Type))
		})
		index.EncodeList(e, c.Statics, func(s Static) {
			e.Str(s.Name)
			e.Uint(uint64(s.Type))
			e.Uint(s.Value)
		})
	})
}

func decodeClasses(d *index.Dec) []Class {
	return index.DecodeList(d, classMinBytes, func() Class {
		return Class{Name: d.Str(), ID: d.Uint(), Object: ObjectIndex(d.Int32()), Super: ClassIndex(d.Int32()),
			LoaderID: d.Uint(), SignersID: d.Uint(), ProtectionDomainID: d.Uint(),
			Kind: ClassKind(d.Uint8()), ElemType: hprof.BasicType(d.Uint8()), InstanceSize: d.Uint32(), MirrorSize: d.Uint32(),
			Fields: index.DecodeList(d, 2, func() Field { return Field{Name: d.Str(), Type: hprof.BasicType(d.Uint8())} }),
			Statics: index.DecodeList(d, 3, func() Static {
				return Static{Name: d.Str(), Type: hprof.BasicType(d.Uint8()), Value: d.Uint()}
			})}
	})
}

func encodeRoots(e *index.Enc, rs []Root) {
	index.EncodeList(e, rs, func(r Root) {
		e.Uint(uint64(r.Kind))
		e.Uint(r.ID)
		e.Int(int64(r.Object))
		e.Uint(uint64(r.ThreadSerial))
		e.Int(int64(r.Frame))
		e.Uint(r.Extra)
	})
}

func decodeRoots(d *index.Dec) []Root {
	return index.DecodeList(d, 6, func() Root {
		return Root{Kind: hprof.SubTag(d.Uint8()), ID: d.Uint(), Object: ObjectIndex(d.Int32()),
			ThreadSerial: d.Uint32(), Frame: d.Int32(), Extra: d.Uint()}
	})
}

func encodeThreads(e *index.Enc, ts []Thread) {
	index.EncodeList(e, ts, func(t Thread) {
		e.Uint(uint64(t.Serial))
		e.Uint(t.ID)
		e.Int(int64(t.Object))
		e.Uint(uint64(t.StackSerial))
		e.Str(t.Name)
	})
}

func decodeThreads(d *index.Dec) []Thread {
	return index.DecodeList(d, 5, func() Thread {
		return Thread{Serial: d.Uint32(), ID: d.Uint(), Object: ObjectIndex(d.Int32()), StackSerial: d.Uint32(), Name: d.Str()}
	})
}

func encodeStats(e *index.Enc, s *Stats) {
	for _, v := range []int64{s.Instances, s.ObjectArrays, s.PrimitiveArrays, s.ClassObjects, s.References, s.Dangling, s.DanglingRoots, s.Duplicates} {
		e.Int(v)
	}
	e.Uint(uint64(len(s.RecordsByTag)))
	for _, k := range slices.Sorted(maps.Keys(s.RecordsByTag)) {
		e.Uint(uint64(k))
		e.Int(s.RecordsByTag[k])
	}
}

func decodeStats(d *index.Dec) (s Stats) {
	for _, p := range []*int64{&s.Instances, &s.ObjectArrays, &s.PrimitiveArrays, &s.ClassObjects, &s.References, &s.Dangling, &s.DanglingRoots, &s.Duplicates} {
		*p = d.Int()
	}
	n := d.Count(2)
	s.RecordsByTag = make(map[hprof.SubTag]int64, n)
	for range n {
		k := hprof.SubTag(d.Uint8())
		s.RecordsByTag[k] = d.Int()
	}
	return s
}

// encodeCatalog writes what FrameDescription needs of the catalog.
func encodeCatalog(e *index.Enc, c *hprof.Catalog, names map[uint64]string) {
	index.EncodeList(e, slices.Sorted(maps.Keys(c.Frames)), func(id uint64) {
		f := c.Frames[id]
		e.Uint(f.ID)
		e.Uint(f.MethodID)
		e.Uint(f.SignatureID)
		e.Uint(f.SourceFileID)
		e.Uint(uint64(f.ClassSerial))
		e.Int(int64(f.Line))
	})
	index.EncodeList(e, slices.Sorted(maps.Keys(c.Traces)), func(serial uint32) {
		t := c.Traces[serial]
		e.Uint(uint64(t.Serial))
		e.Uint(uint64(t.ThreadSerial))
		index.EncodeList(e, t.FrameIDs, e.Uint)
	})
	index.EncodeList(e, c.LoadClasses, func(l hprof.LoadClass) {
		e.Uint(uint64(l.Serial))
		e.Uint(l.ClassID)
		e.Uint(uint64(l.StackSerial))
		e.Uint(l.NameID)
	})
	index.EncodeList(e, slices.Sorted(maps.Keys(names)), func(id uint64) {
		e.Uint(id)
		e.Str(names[id])
	})
}

func decodeCatalog(d *index.Dec) *hprof.Catalog {
	c := &hprof.Catalog{Frames: map[uint64]hprof.StackFrame{}, Traces: map[uint32]hprof.StackTrace{}, Strings: map[uint64]string{}}
	for _, f := range index.DecodeList(d, 6, func() hprof.StackFrame {
		return hprof.StackFrame{ID: d.Uint(), MethodID: d.Uint(), SignatureID: d.Uint(), SourceFileID: d.Uint(), ClassSerial: d.Uint32(), Line: d.Int32()}
	}) {
		c.Frames[f.ID] = f
	}
	for _, t := range index.DecodeList(d, 3, func() hprof.StackTrace {
		return hprof.StackTrace{Serial: d.Uint32(), ThreadSerial: d.Uint32(), FrameIDs: index.DecodeList(d, 1, d.Uint)}
	}) {
		c.Traces[t.Serial] = t
	}
	c.LoadClasses = index.DecodeList(d, 4, func() hprof.LoadClass {
		return hprof.LoadClass{Serial: d.Uint32(), ClassID: d.Uint(), StackSerial: d.Uint32(), NameID: d.Uint()}
	})
	type name struct {
		id uint64
		s  string
	}
	for _, n := range index.DecodeList(d, 2, func() name { return name{d.Uint(), d.Str()} }) {
		c.Strings[n.id] = n.s
	}
	return c
}

// checkMeta checks that what the meta section names by index (classes,
// objects) lies inside the graph of n objects, so that a damaged section
// is an error, not a crash later.
func (g *Graph) checkMeta(n int) error {
	classes := ClassIndex(len(g.Classes))
	class := func(c ClassIndex) bool { return c >= 0 && c < classes }
	object := func(o ObjectIndex) bool { return o == None || o >= 0 && int(o) < n }
	for i, c := range g.Classes {
		if c.Super != -1 && !class(c.Super) || !object(c.Object) {
			return fmt.Errorf("class %d names superclass %d or object %d, of %d classes and %d objects", i, c.Super, c.Object, classes, n)
		}
	}
	if !class(g.ClassClass) || !class(g.unknown[ClassInstance]) || !class(g.unknown[ClassObjectArray]) {
		return fmt.Errorf("a stand-in class lies outside the %d classes", classes)
	}
	for t := hprof.TypeBoolean; t <= hprof.TypeLong; t++ {
		if !class(g.primClass[t]) {
			return fmt.Errorf("the %s class lies outside the %d classes", t.ArrayClassName(), classes)
		}
	}
	for _, r := range g.Roots {
		if !object(r.Object) {
			return fmt.Errorf("a root names object %d of %d", r.Object, n)
		}
	}
	for _, t := range g.Threads {
		if !object(t.Object) {
			return fmt.Errorf("a thread names object %d of %d", t.Object, n)
		}
	}
	for _, c := range g.chunks {
		if c.base < 0 || c.n < 0 || int(c.base)+int(c.n) > n {
			return fmt.Errorf("a chunk of records holds objects %d to %d of %d", c.base, int(c.base)+int(c.n), n)
		}
		if len(c.marks) > max(0, int(c.n)-1)/markEvery {
			return fmt.Errorf("a chunk of %d records has %d marks", c.n, len(c.marks))
		}
		at := c.pos
		for _, k := range c.marks {
			if k.pos <= at || k.pos >= c.end || k.segEnd <= k.pos {
				return fmt.Errorf("a chunk's records from %d to %d have a mark at %d (segment end %d) after %d", c.pos, c.end, k.pos, k.segEnd, at)
			}
			at = k.pos
		}
	}
	return nil
}
