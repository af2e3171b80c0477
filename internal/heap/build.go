package heap

import (
	"fmt"
	"math"
	"runtime"
	"sort"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/mem"
)

// Options control how a graph is built.
type Options struct {
	// Dump selects a heap dump in files that hold several (the old agent):
	// 0-based; -1 (the default via Open) is the last one.
	Dump           int
	CompressedOops CompressedOopsMode
	// Workers is how many goroutines decode in parallel (0 = GOMAXPROCS).
	Workers int
	// Progress, if set, is told how far each phase got, in dump bytes.
	Progress func(phase string, done, total int64)
}

// Open opens the dump at path and builds its graph.
func Open(path string, fopts hprof.Options, opts Options) (*Graph, error) {
	f, err := hprof.Open(path, fopts)
	if err != nil {
		return nil, err
	}
	cat, err := f.ReadCatalog()
	if err != nil {
		f.Close()
		return nil, err
	}
	g, err := Build(f, cat, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return g, nil
}

// newGraph checks the options and starts a graph for the chosen dump.
func newGraph(f *hprof.File, cat *hprof.Catalog, opts Options) (*Graph, hprof.Dump, int, error) {
	if len(cat.Dumps) == 0 {
		// Said at the end, where the heap dump was looked for last: a dump
		// cut short on a record's boundary before its heap dump began
		// reads as whole, and said offset 31, its first record's.
		err := f.FormatErrorAt(f.Size(), "expected a HEAP DUMP or HEAP DUMP SEGMENT record, the file ends without one (cut short before its heap dump began?)")
		if f.Truncated >= 0 {
			// Cut inside a record before the heap dump began (--allow-truncated).
			err = f.FormatErrorAt(f.Size(), "expected a HEAP DUMP or HEAP DUMP SEGMENT record, the file is cut short at offset %d before one began", f.Truncated)
		}
		return nil, hprof.Dump{}, 0, err
	}
	di := opts.Dump
	if di < 0 {
		di = len(cat.Dumps) - 1
	}
	if di >= len(cat.Dumps) {
		return nil, hprof.Dump{}, 0, fmt.Errorf("%s: heap dump %d asked for (--dump, or diff's --base-dump and --new-dump): the file holds %d heap dump(s), numbered 0 to %d", f.Path, di, len(cat.Dumps), len(cat.Dumps)-1)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g := &Graph{File: f, Catalog: cat, Dump: di, ClassClass: -1, Source: sourceOf(f, cat)}
	g.Model.IDSize = f.Header.IDSize
	g.Warnings = append(g.Warnings, cat.Warnings...)
	if len(cat.Dumps) > 1 && opts.Dump < 0 {
		// Not when --dump chose: every command now says the warnings.
		g.Warnings = append(g.Warnings, fmt.Sprintf("the file holds %d heap dumps; analysing dump %d, the last (choose with --dump)", len(cat.Dumps), di))
	}
	return g, cat.Dumps[di], workers, nil
}

// progress returns the progress callback, or one that does nothing.
func (o Options) progress() func(string, int64, int64) {
	if o.Progress == nil {
		return func(string, int64, int64) {}
	}
	return o.Progress
}

// Build decodes one heap dump of f into a graph in two passes over the
// dump, both on all cores over independent runs of records: (A) collect
// ids, classes, roots and a sample for the layout decision; (B) per object
// its class and size, and its references translated to indices, gathered
// into CSR.
func Build(f *hprof.File, cat *hprof.Catalog, opts Options) (*Graph, error) {
	g, d, workers, err := newGraph(f, cat, opts)
	if err != nil {
		return nil, err
	}
	progress := opts.progress()
	total := d.End - d.Start

	// Pass A.
	a, err := g.passA(d, workers, progress)
	if err != nil {
		return nil, err
	}
	g.buildClasses(a.classDumps)
	g.ids = newIDIndex(a.ids)
	n := g.ids.n
	// The per-object arrays, and pass B's slots, are made while pass A's
	// ids are held: at addresses the heap never used, which Go does not
	// clear, and untouched they cost nothing until pass B fills them.
	// Made after the ids were freed, one went where they had been, and
	// Go cleared it on one core, faulting its pages in 4 KiB at a time
	// (29,000 faults on the bench dump).
	g.class = mem.MakeInOrder[ClassIndex](n)
	g.size = mem.MakeInOrder[uint32](n)
	g.edgeStart = mem.MakeInOrder[uint32](n + 1)
	chunks := a.chunks(d, g.ids)
	slots, slotted := edgeSlots(chunks)
	g.Stats.Duplicates = int64(a.objects - n)
	if g.Stats.Duplicates > 0 {
		g.Warnings = append(g.Warnings, fmt.Sprintf("%d object records repeat an id an earlier record had; the first one is kept", g.Stats.Duplicates))
		workers = 1 // first-wins needs file order
	}
	a.ids = nil
	mem.Release(8 * a.objects) // the ids pass A collected
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("%s: %d objects: more than the 2^31-1 a graph can index", f.Path, n)
	}
	g.decideModel(a.samples, g.ids.shift, opts.CompressedOops)
	g.sizeClasses()

	g.referentFirst = make([]uint64, (n+63)/64)
	g.mirror = make([]uint64, (n+63)/64)
	if g.Stats.Duplicates > 0 {
		g.claimed = make([]uint64, (n+63)/64)
	}
	if err := g.passB(chunks, slots, slotted, workers, progress, total); err != nil {
		return nil, err
	}
	mem.Release(len(g.edges) * 4) // pass B's per-chunk reference buffers, if any
	if g.Stats.Dangling > 0 {
		w := fmt.Sprintf("%d references name ids that no object in the dump has; they are left out", g.Stats.Dangling)
		switch {
		case f.Truncated >= 0:
			// The objects written after the cut: the likely cause there,
			// whatever the JVM.
			w += " (the dump is cut short: what it would have written after the cut is missing)"
		case g.Model.JDK >= 12:
			// The likely cause, on a dump of a healthy JVM: java.lang.Class
			// then counts fewer than the JVM's own histogram, by as many.
			w += " (with class data sharing, the default from JDK 12, HotSpot leaves objects of its archive out of the dump, class mirrors among them; a JVM run with -Xshare:off writes them all)"
		}
		g.Warnings = append(g.Warnings, w)
	}
	g.Stats.References = int64(len(g.edges))
	g.resolveRoots(a.roots)
	g.resolveThreads()
	for i := range g.Classes {
		if c := &g.Classes[i]; c.ID != 0 {
			c.Object = g.Lookup(c.ID)
		}
	}
	return g, nil
}

func (g *Graph) classIndexByID(id uint64) (ClassIndex, bool) {
	v, ok := g.classIDs.get(id)
	return ClassIndex(v), ok
}

// cutSuperLoops breaks the loops a damaged dump can make of superclasses
// (A's super is B, B's A), with a warning, so that every walk up a class's
// supers ends: the analyses walk them without a step count.
func (g *Graph) cutSuperLoops() {
	walk := make([]int32, len(g.Classes)) // the walk that met the class first, +1
	for start := range g.Classes {
		if walk[start] != 0 {
			continue
		}
		stamp := int32(start + 1)
		for c := ClassIndex(start); ; {
			walk[c] = stamp
			sp := g.Classes[c].Super
			if sp < 0 || (walk[sp] != 0 && walk[sp] != stamp) {
				break // the top, or a class an earlier walk ended from
			}
			if walk[sp] == stamp {
				g.Warnings = append(g.Warnings, fmt.Sprintf("the superclasses of %s loop back to it through %s (a damaged dump): the loop is cut there",
					g.Classes[sp].Name, g.Classes[c].Name))
				g.Classes[c].Super = -1
				break
			}
			c = sp
		}
	}
}

// maxSuperDepth is how many classes deep a chain of superclasses may go:
// Java's run to tens; a damaged or made-up dump's can run to thousands,
// and laying their fields out (each class's with its superclasses') took
// memory and time as the square of the depth: 1.5 GB and 16 s for a chain
// of 10,000 classes.
var maxSuperDepth int32 = 64

// cutDeepSupers cuts the chains of superclasses deeper than maxSuperDepth
// every maxSuperDepth classes, with a warning (after cutSuperLoops: every
// chain ends).
func (g *Graph) cutDeepSupers() {
	depth := make([]int32, len(g.Classes)) // 0: not known yet
	cut := 0
	var first string
	var chain []ClassIndex
	for start := range g.Classes {
		chain = chain[:0]
		c := ClassIndex(start)
		for ; c >= 0 && depth[c] == 0; c = g.Classes[c].Super {
			chain = append(chain, c)
		}
		d := int32(0)
		if c >= 0 {
			d = depth[c]
		}
		for i := len(chain) - 1; i >= 0; i-- {
			x := chain[i]
			if d++; d > maxSuperDepth {
				if cut++; cut == 1 {
					first = g.Classes[x].Name
				}
				g.Classes[x].Super, d = -1, 1
			}
			depth[x] = d
		}
	}
	if cut > 0 {
		g.Warnings = append(g.Warnings, fmt.Sprintf("superclasses go more than %d classes deep (a damaged dump): the chains are cut every %d classes, %d cuts (the first below %s)", maxSuperDepth, maxSuperDepth, cut, first))
	}
}

// buildClasses turns CLASS DUMPs into the class table, names them from
// LOAD CLASS and UTF8 records, and adds stand-ins for array classes the dump
// does not describe.
func (g *Graph) buildClasses(dumps []*hprof.ClassDump) {
	cat := g.Catalog
	names := make(map[uint64]string, len(cat.LoadClasses))
	unnamed := 0 // LOAD CLASS records naming a string the dump lacks
	for _, lc := range cat.LoadClasses {
		if name, ok := cat.Strings[lc.NameID]; ok {
			names[lc.ClassID] = jvmName(name)
		} else if unnamed++; unnamed == 1 {
			g.Warnings = append(g.Warnings, fmt.Sprintf("LOAD CLASS records name strings the dump has no UTF8 record of (the first: class 0x%x, string id 0x%x): such a class is named by its id", lc.ClassID, lc.NameID))
		}
	}
	g.classIDs = newIDMap(len(dumps) + 64)
	for _, cd := range dumps {
		if _, dup := g.classIDs.get(cd.ID); dup {
			continue
		}
		name, ok := names[cd.ID]
		if !ok {
			name = fmt.Sprintf("<class 0x%x>", cd.ID)
		}
		c := Class{Name: name, ID: cd.ID, Object: None, Super: -1, LoaderID: cd.LoaderID, SignersID: cd.SignersID,
			ProtectionDomainID: cd.ProtectionDomainID, referentOffset: -1}
		if len(name) > 0 && name[0] == '[' {
			c.Kind = ClassObjectArray
			if len(name) == 2 {
				c.Kind = ClassPrimitiveArray
				c.ElemType = primitiveElemType(name[1])
			}
		}
		for _, fd := range cd.Fields {
			c.Fields = append(c.Fields, Field{Name: cat.String(fd.NameID), Type: fd.Type})
		}
		for _, st := range cd.Statics {
			c.Statics = append(c.Statics, Static{Name: cat.String(st.NameID), Type: st.Type, Value: st.Value})
		}
		g.classIDs.put(cd.ID, int32(len(g.Classes)))
		g.Classes = append(g.Classes, c)
		if name == "java.lang.Class" && g.ClassClass < 0 {
			g.ClassClass = ClassIndex(len(g.Classes) - 1)
		}
	}
	// A superclass that is the class itself, or that no CLASS DUMP
	// describes, is none (a damaged dump): its instances then hold bytes
	// their fields do not account for, which misfits also reports.
	var self, missing int
	var selfName, missingName string
	var missingID uint64
	for _, cd := range dumps {
		ci, _ := g.classIDs.get(cd.ID)
		if cd.SuperID == 0 {
			continue
		}
		switch sp, ok := g.classIDs.get(cd.SuperID); {
		case !ok:
			if missing++; missing == 1 {
				missingName, missingID = g.Classes[ci].Name, cd.SuperID
			}
		case sp == ci:
			if self++; self == 1 {
				selfName = g.Classes[ci].Name
			}
		default:
			g.Classes[ci].Super = ClassIndex(sp)
		}
	}
	switch {
	case self == 1:
		g.Warnings = append(g.Warnings, fmt.Sprintf("class %s names itself as its superclass (a damaged dump): taken as having none", selfName))
	case self > 1:
		g.Warnings = append(g.Warnings, fmt.Sprintf("%d classes name themselves as their superclass (the first: %s; a damaged dump): taken as having none", self, selfName))
	}
	switch {
	case missing == 1:
		g.Warnings = append(g.Warnings, fmt.Sprintf("class %s names a superclass the dump has no CLASS DUMP of (id 0x%x): taken as having none", missingName, missingID))
	case missing > 1:
		g.Warnings = append(g.Warnings, fmt.Sprintf("%d classes name a superclass the dump has no CLASS DUMP of (the first: %s, superclass id 0x%x): taken as having none", missing, missingName, missingID))
	}
	g.cutSuperLoops()
	g.cutDeepSupers()
	// Stand-ins for what the dump does not describe.
	if g.ClassClass < 0 {
		g.ClassClass = ClassIndex(len(g.Classes))
		g.Classes = append(g.Classes, Class{Name: "java.lang.Class", Object: None, Super: -1, referentOffset: -1})
	}
	g.unknown[ClassInstance] = ClassIndex(len(g.Classes))
	g.Classes = append(g.Classes, Class{Name: "<unknown class>", Object: None, Super: -1, referentOffset: -1})
	g.unknown[ClassObjectArray] = ClassIndex(len(g.Classes))
	g.Classes = append(g.Classes, Class{Name: "<unknown class>[]", Object: None, Super: -1, Kind: ClassObjectArray, referentOffset: -1})
	// Primitive array classes by element type, described or not.
	for t := hprof.TypeBoolean; t <= hprof.TypeLong; t++ {
		name := t.ArrayClassName()
		found := ClassIndex(-1)
		for i := range g.Classes {
			if g.Classes[i].Name == name {
				found = ClassIndex(i)
				break
			}
		}
		if found < 0 {
			found = ClassIndex(len(g.Classes))
			g.Classes = append(g.Classes, Class{Name: name, Object: None, Super: -1, Kind: ClassPrimitiveArray, ElemType: t, referentOffset: -1})
		}
		g.primClass[t] = found
	}
	// Reference fields' offsets in instance records; Reference.referent.
	ref := ClassIndex(-1)
	if rs := g.ClassByName("java.lang.ref.Reference"); len(rs) > 0 {
		ref = rs[0]
	}
	idSize := g.File.Header.IDSize
	for i := range g.Classes {
		c := &g.Classes[i]
		if c.Kind != ClassInstance {
			continue
		}
		fields, offs := g.AllFields(ClassIndex(i))
		isRef := ref >= 0 && g.IsSubclassOf(ClassIndex(i), ref)
		for k, f := range fields {
			if f.Type != hprof.TypeObject {
				continue
			}
			if isRef && f.Name == "referent" && c.referentOffset < 0 {
				c.referentOffset = int32(offs[k])
				continue
			}
			c.refOffsets = append(c.refOffsets, uint32(offs[k]))
		}
		if len(fields) > 0 {
			c.recordSize = offs[len(offs)-1] + fields[len(fields)-1].Type.Size(idSize)
		}
	}
}

func primitiveElemType(c byte) hprof.BasicType {
	switch c {
	case 'Z':
		return hprof.TypeBoolean
	case 'C':
		return hprof.TypeChar
	case 'F':
		return hprof.TypeFloat
	case 'D':
		return hprof.TypeDouble
	case 'B':
		return hprof.TypeByte
	case 'S':
		return hprof.TypeShort
	case 'I':
		return hprof.TypeInt
	case 'J':
		return hprof.TypeLong
	}
	return 0
}

func (g *Graph) sizeClasses() {
	s := newSizer(g, g.Model)
	// Classes named by records without a CLASS DUMP are not known yet here;
	// unknownClass stand-ins are sized on creation.
	for i := range g.Classes {
		c := ClassIndex(i)
		g.Classes[i].InstanceSize = s.instanceSize(c)
		g.Classes[i].MirrorSize = s.mirrorSize(c)
	}
}

// resolveClass returns the class for an object record, adding stand-ins for
// unknown class ids (serialised by the caller when building in parallel).
func (g *Graph) recordClass(rec *hprof.SubRecord) ClassIndex {
	switch rec.Tag {
	case hprof.SubPrimArrayDump, hprof.SubPrimArrayNoData:
		return g.primClass[rec.ElemType]
	case hprof.SubClassDump:
		return g.ClassClass
	}
	if c, ok := g.classIndexByID(rec.ClassID); ok {
		return c
	}
	if rec.Tag == hprof.SubObjArrayDump {
		return g.unknown[ClassObjectArray]
	}
	return g.unknown[ClassInstance]
}

func (g *Graph) resolveRoots(raw []hprof.SubRecord) {
	g.Roots = make([]Root, 0, len(raw))
	for _, r := range raw {
		root := Root{Kind: r.Tag, ID: r.ID, Object: g.Lookup(r.ID), ThreadSerial: r.ThreadSerial, Frame: r.Frame, Extra: r.Extra}
		if root.Object == None {
			g.Stats.DanglingRoots++
		}
		g.Roots = append(g.Roots, root)
	}
	if g.Stats.DanglingRoots > 0 {
		g.Warnings = append(g.Warnings, fmt.Sprintf("%d GC roots name ids that no object in the dump has", g.Stats.DanglingRoots))
	}
}

func (g *Graph) resolveThreads() {
	bySerial := map[uint32]int{}
	for _, r := range g.Roots {
		if r.Kind != hprof.SubRootThreadObject {
			continue
		}
		bySerial[r.ThreadSerial] = len(g.Threads)
		g.Threads = append(g.Threads, Thread{Serial: r.ThreadSerial, ID: r.ID, Object: r.Object, StackSerial: uint32(r.Extra)})
	}
	for _, st := range g.Catalog.Threads {
		k, ok := bySerial[st.Serial]
		if !ok {
			k = len(g.Threads)
			bySerial[st.Serial] = k
			g.Threads = append(g.Threads, Thread{Serial: st.Serial, ID: st.ObjectID, Object: g.Lookup(st.ObjectID), StackSerial: st.StackSerial})
		}
		g.Threads[k].Name = g.Catalog.String(st.NameID)
	}
	for k := range g.Threads {
		if g.Threads[k].Name == "" && g.Threads[k].Object != None {
			g.Threads[k].Name, _ = g.ThreadName(g.Threads[k].Object)
		}
	}
	sort.SliceStable(g.Threads, func(i, j int) bool { return g.Threads[i].Serial < g.Threads[j].Serial })
	// A stack's roots name their thread by serial; of one the dump has no
	// thread object of, they are roots of their own (RootSet), which the
	// paths and the tree show as such, not below a thread. A serial the
	// dump names no thread by at all (a damaged dump) is warned of; one
	// whose thread it gives without an object is not (the hprof agent's
	// dumps have one, serial 200000, id 0: 8 to 17 stack roots).
	known := map[uint32]bool{}
	for _, th := range g.Threads {
		known[th.Serial] = true
	}
	orphans, serials, first := 0, map[uint32]bool{}, uint32(0)
	for _, r := range g.Roots {
		if (r.Kind == hprof.SubRootJavaFrame || r.Kind == hprof.SubRootJNILocal) && r.Object != None && !known[r.ThreadSerial] {
			if orphans == 0 {
				first = r.ThreadSerial
			}
			orphans++
			serials[r.ThreadSerial] = true
		}
	}
	if orphans > 0 {
		threads := "a thread"
		if len(serials) > 1 {
			threads = fmt.Sprintf("%d threads", len(serials))
		}
		g.Warnings = append(g.Warnings, fmt.Sprintf("%d stack roots (Java Local, JNI Local) name %s the dump has no thread of (the first: serial %d): they are taken as GC roots of their own, not as a thread's locals",
			orphans, threads, first))
	}
}
