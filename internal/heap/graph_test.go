package heap

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/index"
)

// openDump opens the dump at path and reads its catalog.
func openDump(t testing.TB, path string) (*hprof.File, *hprof.Catalog) {
	t.Helper()
	f, err := hprof.Open(path, hprof.Options{})
	return withCatalog(t, f, err)
}

// withCatalog reads the catalog of f, just opened with err.
func withCatalog(t testing.TB, f *hprof.File, err error) (*hprof.File, *hprof.Catalog) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := f.ReadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return f, cat
}

// buildFile builds the graph of a dump written to a file, so that it is
// mapped as dumps on disk are; it is closed when the test ends.
func buildFile(t testing.TB, data []byte) *Graph {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.hprof")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, cat := openDump(t, path)
	g, err := Build(f, cat, Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func buildBytes(t testing.TB, data []byte, opts Options) *Graph {
	t.Helper()
	f, cat := openBytes(t, data)
	if opts.Dump == 0 {
		opts.Dump = -1
	}
	g, err := Build(f, cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSyntheticGraph(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}, {Name: "queue", Type: hprof.TypeObject}})
	weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
	node := w.Class("Node", obj, 0, nil, []hproftest.Field{{Name: "flag", Type: hprof.TypeBoolean}, {Name: "next", Type: hprof.TypeObject}, {Name: "other", Type: hprof.TypeObject}})
	holder := w.Class("Holder", obj, 0, []hproftest.Static{{Name: "INSTANCE", Type: hprof.TypeObject}, {Name: "n", Type: hprof.TypeInt, Value: 3}}, nil)
	arrClass := w.ObjectArrayClass()
	a, b, c, wr, arr, ints := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	nodeTypes := []hprof.BasicType{hprof.TypeBoolean, hprof.TypeObject, hprof.TypeObject}
	w.Instance(a, node, nodeTypes, []uint64{1, b, 0xdead0})                                       // other is dangling
	w.Instance(b, node, nodeTypes, []uint64{0, c, a})                                             // a cycle back to a
	w.Instance(c, node, nodeTypes, []uint64{0, 0, 0})                                             // no references
	w.Instance(wr, weak, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}, []uint64{c, arr}) // referent c, queue arr
	w.ObjArray(arr, arrClass, []uint64{a, 0, c, 0xbeef0})
	w.PrimArray(ints, hprof.TypeInt, 5, nil)
	w.Root(hprof.SubRootStickyClass, holder, 0, 0)
	w.Root(hprof.SubRootJavaFrame, a, 1, 2)
	w.Root(hprof.SubRootJNIGlobal, 0x77770, 0, 0)
	g := buildBytes(t, w.Bytes(), Options{})
	_ = holder

	at := func(id uint64) ObjectIndex {
		i := g.Lookup(id)
		if i == None {
			t.Fatalf("no object 0x%x", id)
		}
		if g.ID(i) != id {
			t.Fatalf("ID(Lookup(0x%x)) = 0x%x", id, g.ID(i))
		}
		return i
	}
	refs := func(id uint64) []uint64 {
		var out []uint64
		for _, r := range g.Refs(at(id)) {
			out = append(out, g.ID(r))
		}
		return out
	}
	if got := refs(a); !slices.Equal(got, []uint64{b}) {
		t.Errorf("refs(a) = %x, want [b] (dangling left out)", got)
	}
	if got := refs(b); !slices.Equal(got, []uint64{c, a}) {
		t.Errorf("refs(b) = %x", got)
	}
	if got := refs(wr); !slices.Equal(got, []uint64{c, arr}) || !g.ReferentFirst(at(wr)) || g.ReferentFirst(at(a)) {
		t.Errorf("refs(weak) = %x, referent first %v", got, g.ReferentFirst(at(wr)))
	}
	if got := refs(arr); !slices.Equal(got, []uint64{a, c}) {
		t.Errorf("refs(arr) = %x", got)
	}
	if got := refs(node); !slices.Equal(got, []uint64{obj}) {
		t.Errorf("class Node refs = %x, want its superclass", got)
	}
	if g.Stats.Dangling != 2 || g.Stats.DanglingRoots != 1 {
		t.Errorf("dangling %d, dangling roots %d; want 2 and 1", g.Stats.Dangling, g.Stats.DanglingRoots)
	}
	if g.Kind(at(a)) != KindInstance || g.Kind(at(arr)) != KindObjectArray || g.Kind(at(ints)) != KindPrimitiveArray || g.Kind(at(node)) != KindClass {
		t.Error("kinds wrong")
	}
	if g.ClassObject(at(a)) != at(node) {
		t.Error("ClassObject(a) is not Node's class object")
	}
	// Sizes with the compressed-oops default: Node = 12 header + boolean,
	// two 4-byte references → 24 (JDK 6 rules here: no classData field).
	if s := g.ShallowSize(at(a)); s != 24 {
		t.Errorf("Node size %d, want 24", s)
	}
	if s := g.ShallowSize(at(ints)); s != 16+20+4 {
		t.Errorf("int[5] size %d, want 40", s)
	}
	if s := g.ShallowSize(at(arr)); s != 32 {
		t.Errorf("Object[4] size %d, want 32", s)
	}
	if len(g.Roots) != 3 || g.Roots[1].Kind != hprof.SubRootJavaFrame || g.Roots[1].ThreadSerial != 1 || g.Roots[1].Frame != 2 {
		t.Errorf("roots %+v", g.Roots)
	}
	fields, err := g.InstanceFields(at(b))
	if err != nil || len(fields) != 3 || fields[1].Name != "next" || fields[1].Value != c {
		t.Errorf("fields of b: %+v %v", fields, err)
	}
	h := g.Histogram()
	if g.Classes[h[0].Class].Name != "java.lang.Class" {
		t.Errorf("biggest class %s", g.Classes[h[0].Class].Name)
	}
}

func TestStringValue(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	str := w.Class("java/lang/String", obj, 0, nil, []hproftest.Field{{Name: "value", Type: hprof.TypeObject}, {Name: "hash", Type: hprof.TypeInt}, {Name: "coder", Type: hprof.TypeByte}})
	w.Class("[B", obj, 0, nil, nil)
	latin, utf16, s1, s2 := w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.PrimArray(latin, hprof.TypeByte, 5, []byte("h\xe9llo"))
	w.PrimArray(utf16, hprof.TypeByte, 4, []byte{0x3b, 0x04, 0x41, 0x00}) // "лA" little-endian
	types := []hprof.BasicType{hprof.TypeObject, hprof.TypeInt, hprof.TypeByte}
	w.Instance(s1, str, types, []uint64{latin, 0, 0})
	w.Instance(s2, str, types, []uint64{utf16, 0, 1})
	g := buildBytes(t, w.Bytes(), Options{})
	if s, ok := g.StringValue(g.Lookup(s1)); !ok || s != "héllo" {
		t.Errorf("latin-1 string %q %v", s, ok)
	}
	if s, ok := g.StringValue(g.Lookup(s2)); !ok || s != "лA" {
		t.Errorf("utf-16 string %q %v", s, ok)
	}
}

// TestConstantName: a String gives its text, an enum constant the name
// java.lang.Enum holds; a field called name that another class declares
// (a thread's) is not a constant's name.
func TestConstantName(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	str := w.StringClass(obj)
	mode := w.Class("org/apache/spark/memory/MemoryMode", w.EnumClass(obj), 0, nil, nil)
	thread := w.Class("java/lang/Thread", obj, 0, nil, []hproftest.Field{{Name: "name", Type: hprof.TypeObject}})
	s, c, th := w.String(str, "ON_HEAP"), w.Constant(mode, w.String(str, "OFF_HEAP"), 1), w.NewID()
	w.Instance(th, thread, []hprof.BasicType{hprof.TypeObject}, []uint64{w.String(str, "main")})
	g := buildBytes(t, w.Bytes(), Options{})
	for _, want := range []struct {
		id   uint64
		name string
		ok   bool
	}{{s, "ON_HEAP", true}, {c, "OFF_HEAP", true}, {th, "", false}} {
		if name, ok := g.ConstantName(g.Lookup(want.id)); name != want.name || ok != want.ok {
			t.Errorf("0x%x: %q %v, want %q %v", want.id, name, ok, want.name, want.ok)
		}
	}
	if name, ok := g.ConstantName(None); name != "" || ok {
		t.Errorf("None: %q %v", name, ok)
	}
}

func TestDuplicateIDsFirstWins(t *testing.T) {
	w := hproftest.New(8, "")
	arrClass := w.ObjectArrayClass()
	a, b := w.NewID(), w.NewID()
	w.ObjArray(a, arrClass, []uint64{b})
	w.ObjArray(b, arrClass, nil)
	w.ObjArray(a, arrClass, []uint64{a, b, a}) // the same id again
	g := buildBytes(t, w.Bytes(), Options{})
	if g.Stats.Duplicates != 1 || len(g.Refs(g.Lookup(a))) != 1 {
		t.Errorf("duplicates %d, refs(a) %v", g.Stats.Duplicates, g.Refs(g.Lookup(a)))
	}
}

func TestPackageOf(t *testing.T) {
	for jvm, want := range map[string]string{"[B": "", "Main": "", "[[Ljava.util.HashMap$Node;": "java.util",
		"org.apache.spark.memory.TaskMemoryManager": "org.apache.spark.memory", "[LMain;": ""} {
		if got := PackageOf(jvm); got != want {
			t.Errorf("PackageOf(%q) = %q, want %q", jvm, got, want)
		}
	}
}

func TestSourceNames(t *testing.T) {
	for jvm, src := range map[string]string{"[B": "byte[]", "[[I": "int[][]", "[Ljava.lang.Object;": "java.lang.Object[]",
		"java.util.HashMap$Node": "java.util.HashMap$Node", "[[Ljava.lang.String;": "java.lang.String[][]"} {
		if got := SourceName(jvm); got != src {
			t.Errorf("SourceName(%q) = %q, want %q", jvm, got, src)
		}
	}
	for in, want := range map[string]string{"java/lang/String": "java.lang.String", "[Ljava/lang/Object;": "[Ljava.lang.Object;",
		"java.lang.Object[]": "[Ljava.lang.Object;", "int[][]": "[[I", "byte[]": "[B",
		"java/util/stream/Collectors$$Lambda$114+0x00000001000bba70": "java.util.stream.Collectors$$Lambda$114/0x00000001000bba70"} {
		if got := jvmName(in); got != want {
			t.Errorf("jvmName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestObjectsOf: the bitset scan, on any number of shares, lists what a
// plain loop over the objects lists.
func TestObjectsOf(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	var classes []uint64
	for i := range 6 {
		classes = append(classes, w.Class(fmt.Sprintf("C%d", i), obj, 0, nil, nil))
	}
	arr := w.ObjectArrayClass()
	for range 5000 {
		switch id := w.NewID(); r.IntN(4) {
		case 0:
			w.ObjArray(id, arr, nil)
		case 1:
			w.PrimArray(id, hprof.TypeInt, 1, nil)
		default:
			w.Instance(id, classes[r.IntN(len(classes))], nil, nil)
		}
	}
	g := buildBytes(t, w.Bytes(), Options{})
	for iter := range 50 {
		match := make([]bool, len(g.Classes))
		for c := range match {
			match[c] = r.IntN(3) == 0
		}
		var want []ObjectIndex
		for o := range g.NumObjects() {
			if match[g.ClassOf(ObjectIndex(o))] && !g.IsClassObject(ObjectIndex(o)) {
				want = append(want, ObjectIndex(o))
			}
		}
		for _, k := range []int{1, 2, 3, 7} {
			if got := g.objectsOf(match, k); !slices.Equal(got, want) {
				t.Fatalf("iteration %d, %d shares: %d objects, want %d", iter, k, len(got), len(want))
			}
		}
		if got := g.ObjectsOf(match); !slices.Equal(got, want) {
			t.Fatalf("iteration %d: ObjectsOf differs", iter)
		}
	}
}

// TestObjectsOfEvicts: on a graph mapped from an index, ObjectsOf drops
// the class array behind its scan, every object's once and nothing past
// the last, whatever the number of objects (a count just below a multiple
// of the eviction block once sliced past the array) and of shares.
func TestObjectsOfEvicts(t *testing.T) {
	for _, n := range []int{1, 63, 64, 65, ScanBlock - 1, ScanBlock, ScanBlock + 1, 3*ScanBlock - 5} {
		for _, k := range []int{1, 2, 3} {
			g := &Graph{class: make([]ClassIndex, n), mirror: make([]uint64, (n+63)/64)}
			var want []ObjectIndex
			for i := range g.class {
				g.class[i] = ClassIndex(i % 3)
				if i%3 == 1 {
					want = append(want, ObjectIndex(i))
				}
			}
			base := uintptr(unsafe.Pointer(&g.class[0]))
			evicted := make([]int, n)
			var mu sync.Mutex
			g.evict = func(b []byte) {
				mu.Lock()
				defer mu.Unlock()
				lo := int(uintptr(unsafe.Pointer(&b[0]))-base) / 4
				for i := lo; i < lo+len(b)/4; i++ {
					evicted[i]++
				}
			}
			if got := g.objectsOf([]bool{false, true, false}, k); !slices.Equal(got, want) {
				t.Fatalf("%d objects, %d shares: %d found, want %d", n, k, len(got), len(want))
			}
			for i, e := range evicted {
				if e != 1 {
					t.Fatalf("%d objects, %d shares: object %d's class evicted %d times", n, k, i, e)
				}
			}
		}
	}
}

// TestRecordsWhileReleased reads records in place on several goroutines
// while another releases the mapped dump again and again: ReleaseFile waits
// for the readers, which would otherwise read unmapped pages.
func TestRecordsWhileReleased(t *testing.T) {
	w := hproftest.New(8, "")
	arr := w.ObjectArrayClass()
	var ids []uint64
	for range 200 {
		ids = append(ids, w.NewID())
	}
	for _, id := range ids {
		w.ObjArray(id, arr, ids[:100])
	}
	g := buildFile(t, w.Bytes())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				x := g.Lookup(ids[k%len(ids)])
				g.WithRecord(x, func(rec hprof.SubRecord) error {
					if len(rec.Body) != 800 {
						t.Errorf("record of %d bytes", len(rec.Body))
					}
					return nil
				})
				if rec, err := g.Record(x); err != nil || len(rec.Body) != 800 {
					t.Errorf("Record: %v, %d bytes", err, len(rec.Body))
				}
			}
		}()
	}
	for range 200 {
		g.ReleaseFile()
	}
	close(stop)
	wg.Wait()
}

// TestRecordsAcrossChunks reads records of an in-memory dump from one
// chunk, another, and back: the reader kept for locating records switches
// sources without comparing them (an in-memory source is a byte slice,
// which Go cannot compare: this panicked once). The records lie in heap
// dump segments of unequal lengths, one of which a mark's record starts,
// with roots between them.
func TestRecordsAcrossChunks(t *testing.T) {
	w, ids := chunkedDump()
	g := buildBytes(t, w.Bytes(), Options{})
	if len(g.chunks) < 2 {
		t.Fatalf("%d chunks: the test needs several", len(g.chunks))
	}
	if got, want := len(g.chunks[0].marks), checkpointEvery/markEvery-1; got != want {
		t.Fatalf("the first chunk has %d marks, want %d", got, want)
	}
	for _, k := range []int{0, len(ids) - 1, len(ids) / 2, 1} {
		rec, err := g.Record(g.Lookup(ids[k]))
		if err != nil || rec.ID != ids[k] || len(rec.Body) != 4*(1+k%3) {
			t.Fatalf("object %d: %v, id 0x%x, %d bytes", k, err, rec.ID, len(rec.Body))
		}
	}

	// A mapped dump, records asked for in every order: RecordOffset walks
	// a chunk only as far as asked, goes on from there for a later object
	// and reuses the offsets found for an earlier one, through a mapping
	// of its own that ReleaseFile and a move to another chunk close, and
	// TrimFile (which unmaps the records' mapping) does not.
	g = buildFile(t, w.Bytes())
	var order []int
	for k := len(ids) - 1; k >= 0; k -= 997 { // backwards through each chunk
		order = append(order, k)
	}
	for k := 70_000; k < 70_100; k++ { // forwards within one
		order = append(order, k)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		order = append(order, r.IntN(len(ids)))
	}
	for i, k := range order {
		switch {
		case i%500 == 499:
			g.ReleaseFile()
		case i%7 == 6:
			g.TrimFile() // keeps the walk
		}
		rec, err := g.Record(g.Lookup(ids[k]))
		if err != nil || rec.ID != ids[k] || len(rec.Body) != 4*(1+k%3) {
			t.Fatalf("query %d, object %d: %v, id 0x%x, %d bytes", i, k, err, rec.ID, len(rec.Body))
		}
	}
	// The chunks left keep their offsets (a path's steps go back and
	// forth between chunks), a bounded number of them.
	if len(g.walked) == 0 || len(g.walked) > walkedStretches || len(g.walkedOrder) != len(g.walked) {
		t.Errorf("%d stretches' offsets kept (%d in order), want 1 to %d", len(g.walked), len(g.walkedOrder), walkedStretches)
	}
}

// chunkedDump writes 300,000 int arrays, object k holding 1+k%3
// elements, in heap dump segments of unequal lengths, one of which a
// mark's record starts, with roots between them.
func chunkedDump() (*hproftest.Writer, []uint64) {
	w := hproftest.New(8, "")
	var ids []uint64
	for k := range 300_000 {
		id := w.NewID()
		ids = append(ids, id)
		if k%1000 == 999 || k == 3*markEvery || k == 5*markEvery+1 {
			w.Flush()
		}
		w.PrimArray(id, hprof.TypeInt, 1+k%3, nil)
		if k%333 == 0 {
			w.Root(hprof.SubRootJNIGlobal, id, 0, 0)
		}
	}
	return w, ids
}

// TestEachRecord: EachRecord's walk gives each object asked for the record
// Record finds on its own, for every object, for a few far apart (each a
// jump to a mark), for runs and repeats, in a dump in memory and one
// mapped from a file, numbered in chunks or not, and where a numbered
// chunk repeats an id (the graph keeps the first record: the walk read
// the chunk's); it stops at fn's first error and refuses objects out of
// order.
func TestEachRecord(t *testing.T) {
	w, _ := chunkedDump()
	mixed := mixedDump(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range []*Graph{buildBytes(t, w.Bytes(), Options{}), buildFile(t, w.Bytes()), buildBytes(t, mixed, Options{}), buildFile(t, mixed)} {
		n := g.NumObjects()
		all := make([]ObjectIndex, n)
		for i := range all {
			all[i] = ObjectIndex(i)
		}
		var sparse, runs []ObjectIndex
		for range 300 {
			sparse = append(sparse, ObjectIndex(r.IntN(n)))
			k := r.IntN(n - 50)
			for j := range r.IntN(50) {
				runs = append(runs, ObjectIndex(k+j))
			}
		}
		slices.Sort(sparse)
		slices.Sort(runs) // overlapping runs repeat objects
		for _, objs := range [][]ObjectIndex{all, sparse, runs, {ObjectIndex(n - 1)}, nil} {
			type seen struct {
				off  int64
				id   uint64
				body []byte
			}
			var got []seen
			err := g.EachRecord(objs, func(i ObjectIndex, rec hprof.SubRecord) error {
				if len(got) < len(objs) && i != objs[len(got)] {
					return fmt.Errorf("called for object %d, want %d", i, objs[len(got)])
				}
				got = append(got, seen{rec.Offset, rec.ID, bytes.Clone(rec.Body)})
				return nil
			})
			if err != nil || len(got) != len(objs) {
				t.Fatalf("%d objects: %v, %d records", len(objs), err, len(got))
			}
			for k, i := range objs {
				want, err := g.Record(i)
				if err != nil || got[k].off != want.Offset || got[k].id != want.ID || !bytes.Equal(got[k].body, want.Body) {
					t.Fatalf("object %d: at %d, id 0x%x, % x; Record: %v, at %d, id 0x%x, % x", i, got[k].off, got[k].id, got[k].body, err, want.Offset, want.ID, want.Body)
				}
			}
		}
		stop := errors.New("stop")
		calls := 0
		if err := g.EachRecord(all, func(ObjectIndex, hprof.SubRecord) error { calls++; return stop }); err != stop || calls != 1 {
			t.Errorf("fn failing: %v after %d calls, want %v after 1", err, calls, stop)
		}
		if err := g.EachRecord([]ObjectIndex{5, 4}, func(ObjectIndex, hprof.SubRecord) error { return nil }); err == nil {
			t.Error("objects out of order: no error")
		}
	}
}

// mixedDump writes a chunk of int arrays whose ids descend (numbered by
// looking each up, its offsets kept), then one whose ids ascend (numbered
// from a base) and repeat, at its 500th record, an id of the first, whose
// record (7 ints) the graph keeps over the repeat's (3 ints).
func mixedDump(t *testing.T) []byte {
	w := hproftest.New(8, "")
	const high = 0x50000000
	dup := uint64(high + 500*16)
	for k := checkpointEvery - 1; k >= 0; k-- {
		id := uint64(0x10000000 + k*16)
		if k == 1000 {
			id = dup
		}
		w.PrimArray(id, hprof.TypeInt, 7, nil)
	}
	w.Flush()
	for k := range checkpointEvery {
		w.PrimArray(uint64(high+k*16), hprof.TypeInt, 3, nil)
	}
	data := w.Bytes()
	g := buildBytes(t, data, Options{})
	numbered := slices.ContainsFunc(g.chunks, func(c chunk) bool { return c.base >= 0 })
	if rec, err := g.Record(g.Lookup(dup)); !numbered || len(g.loose) == 0 || err != nil || len(rec.Body) != 28 || g.Stats.Duplicates != 1 {
		t.Fatalf("the mixed dump: numbered chunks %v, %d offsets kept, the repeated id's record %d bytes (%v), %d duplicates",
			numbered, len(g.loose), len(rec.Body), err, g.Stats.Duplicates)
	}
	return data
}

// TestShallowTotal: the sum of every object's size, on 1 to 3 shares and
// across block ends, each size evicted exactly once behind the scan.
func TestShallowTotal(t *testing.T) {
	for _, n := range []int{0, 1, 1000, ScanBlock + 7, 2*ScanBlock + 3} {
		g := &Graph{size: make([]uint32, n)}
		var want uint64
		for i := range g.size {
			g.size[i] = uint32(i%7 + 2)
			want += uint64(g.size[i]) << 3
		}
		for _, k := range []int{1, 2, 3} {
			evicted := make([]int32, n)
			var mu sync.Mutex
			g.evict = func(b []byte) {
				mu.Lock()
				defer mu.Unlock()
				lo := int(uintptr(unsafe.Pointer(&b[0]))-uintptr(unsafe.Pointer(&g.size[0]))) / 4
				for i := lo; i < lo+len(b)/4; i++ {
					evicted[i]++
				}
			}
			if got := g.shallowTotal(k); got != want {
				t.Fatalf("%d objects, %d shares: %d bytes, want %d", n, k, got, want)
			}
			for i, e := range evicted {
				if e != 1 {
					t.Fatalf("%d objects, %d shares: size %d evicted %d times", n, k, i, e)
				}
			}
		}
	}
}

// TestClassTotals: the count and bytes by group and class, on 1 to 3
// shares and across block ends, against a sum object by object; each class
// and size evicted exactly once behind the scan.
func TestClassTotals(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	for _, n := range []int{0, 1, 1000, ScanBlock + 7, 2*ScanBlock + 3} {
		g := &Graph{Classes: make([]Class, 5), class: make([]ClassIndex, n), size: make([]uint32, n)}
		place := make([]uint8, n)
		const first, groups = 2, 3
		wantCount := [groups][5]int64{}
		wantBytes := [groups][5]uint64{}
		for i := range n {
			g.class[i], g.size[i], place[i] = ClassIndex(r.IntN(5)), uint32(r.IntN(9)), uint8(r.IntN(first+groups+2))
			if p := int(place[i]) - first; p >= 0 && p < groups {
				wantCount[p][g.class[i]]++
				wantBytes[p][g.class[i]] += uint64(g.size[i]) << 3
			}
		}
		for _, k := range []int{1, 2, 3} {
			evicted := [2][]int32{make([]int32, n), make([]int32, n)} // class, size
			var mu sync.Mutex
			g.evict = func(b []byte) {
				mu.Lock()
				defer mu.Unlock()
				at := uintptr(unsafe.Pointer(&b[0]))
				for a, arr := range [2][]byte{index.AsBytes(g.class), index.AsBytes(g.size)} {
					if lo := uintptr(unsafe.Pointer(&arr[0])); at >= lo && at < lo+uintptr(len(arr)) {
						for i := range len(b) / 4 {
							evicted[a][int(at-lo)/4+i]++
						}
					}
				}
			}
			totals := g.classTotals(place, first, groups, k)
			for p := range groups {
				for c, row := range totals[p] {
					if row.Class != ClassIndex(c) || row.Instances != wantCount[p][c] || row.ShallowBytes != wantBytes[p][c] {
						t.Fatalf("%d objects, %d shares, group %d, class %d: %+v; want %d objects, %d bytes", n, k, p, c, row, wantCount[p][c], wantBytes[p][c])
					}
				}
			}
			for a, name := range []string{"class", "size"} {
				for i, e := range evicted[a] {
					if e != 1 {
						t.Fatalf("%d objects, %d shares: %s %d evicted %d times", n, k, name, i, e)
					}
				}
			}
		}
	}
}

// TestRootsOf: each object's roots are those naming it, in the dump's
// order, against a scan of all roots; objects no root names (and indices
// past the last object) have none.
func TestRootsOf(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ids := make([]uint64, 300)
	for i := range ids {
		ids[i] = w.NewID()
		w.Instance(ids[i], obj, nil, nil)
	}
	r := rand.New(rand.NewPCG(7, 7))
	kinds := []hprof.SubTag{hprof.SubRootJNIGlobal, hprof.SubRootStickyClass, hprof.SubRootMonitorUsed, hprof.SubRootJavaFrame}
	for range 2000 {
		w.Root(kinds[r.IntN(len(kinds))], ids[r.IntN(len(ids)/3)*3], 0, int32(r.IntN(5)))
	}
	w.Root(hprof.SubRootJNIGlobal, 0xdead0, 0, 0) // names no object
	g := buildBytes(t, w.Bytes(), Options{})
	named := 0
	for o := ObjectIndex(-1); int(o) <= g.NumObjects(); o++ {
		var want []Root
		for _, root := range g.Roots {
			if root.Object == o && o != None {
				want = append(want, root)
			}
		}
		if got := g.RootsOf(o); !slices.Equal(got, want) || g.IsRoot(o) != (len(want) > 0) {
			t.Fatalf("object %d: roots %v, want %v", o, got, want)
		}
		if len(want) > 0 {
			named++
		}
	}
	if named < 90 {
		t.Errorf("only %d objects named by a root", named)
	}
}

// Pass B looks references up in batches (refBatchSize), a big array's
// over several, and decodes a chunk again, one reference at a time, when
// one names no object. A random dump of a few chunks (checkpointEvery
// objects each), with segments cut at random and at chunk starts, arrays
// longer than a batch, null and dangling references, and weak references
// whose referent is null, dangling or an object: every object's
// references must come out in order, dangling ones left out, and the
// referent flag set exactly when the referent is kept.
func TestBatchedReferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}, {Name: "queue", Type: hprof.TypeObject}})
	weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
	node := w.Class("Node", obj, 0, nil, []hproftest.Field{{Name: "a", Type: hprof.TypeObject}, {Name: "n", Type: hprof.TypeInt}, {Name: "b", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	records := 6 // the class dumps above
	const n = 3*checkpointEvery + 1234
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = w.NewID()
	}
	const dead = 1 << 40 // dangling ids from here on
	// Chunks with no dangling reference at all take the batched way only.
	clean := func(i int) bool { return (records+i)/checkpointEvery%2 == 1 }
	pick := func(i int) uint64 {
		switch r := rng.IntN(20); {
		case r == 0:
			return 0
		case r == 1 && !clean(i):
			return dead + uint64(rng.IntN(1000))*8 // no object has it
		}
		return ids[rng.IntN(n)]
	}
	want := make([][]uint64, n)
	wantReferent := make([]bool, n)
	keep := func(i int, id uint64) {
		if id != 0 && id < dead {
			want[i] = append(want[i], id)
		}
	}
	for i, id := range ids {
		if (records+i)%checkpointEvery == 0 || rng.IntN(5000) == 0 {
			w.Flush()
		}
		records++
		switch r := rng.IntN(10); {
		case r < 5:
			a, b := pick(i), pick(i)
			w.Instance(id, node, []hprof.BasicType{hprof.TypeObject, hprof.TypeInt, hprof.TypeObject}, []uint64{a, 7, b})
			keep(i, a)
			keep(i, b)
		case r < 7:
			referent, queue := pick(i), pick(i)
			w.Instance(id, weak, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}, []uint64{referent, queue})
			keep(i, referent)
			wantReferent[i] = len(want[i]) == 1
			keep(i, queue)
		default:
			size := rng.IntN(8)
			if rng.IntN(400) == 0 {
				size = refBatchSize + rng.IntN(3*refBatchSize)
			}
			elems := make([]uint64, size)
			for k := range elems {
				elems[k] = pick(i)
				keep(i, elems[k])
			}
			w.ObjArray(id, arr, elems)
		}
	}
	g := buildFile(t, w.Bytes())
	for i, id := range ids {
		x := g.Lookup(id)
		var got []uint64
		for _, r := range g.Refs(x) {
			got = append(got, g.ID(r))
		}
		if !slices.Equal(got, want[i]) || g.ReferentFirst(x) != wantReferent[i] {
			t.Fatalf("object %d (0x%x): references %x, referent first %v; want %x, %v", i, id, got, g.ReferentFirst(x), want[i], wantReferent[i])
		}
	}
	if g.Stats.Dangling == 0 {
		t.Error("no dangling reference was written: the test tests less than it says")
	}
}

// openBytes opens an in-memory dump and reads its catalog.
func openBytes(t testing.TB, data []byte) (*hprof.File, *hprof.Catalog) {
	t.Helper()
	f, err := hprof.OpenBytes("test.hprof", data, hprof.Options{})
	return withCatalog(t, f, err)
}

// TestCompressedOopsOn32Bit: --compressed-oops on or off is left aside,
// with a warning, on a dump with 4-byte identifiers (a 32-bit JVM's): it
// gave 8-byte references and 16-byte headers there.
func TestCompressedOopsOn32Bit(t *testing.T) {
	w := hproftest.New(4, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	holder := w.Class("com/example/Holder", obj, 0, nil, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}})
	for range 4 {
		w.Instance(w.NewID(), holder, []hprof.BasicType{hprof.TypeObject}, []uint64{0})
	}
	data := w.Bytes()
	auto := buildBytes(t, data, Options{})
	for _, mode := range []CompressedOopsMode{OopsOn, OopsOff} {
		g := buildBytes(t, data, Options{CompressedOops: mode})
		if g.Model != auto.Model || g.Model.RefSize != 4 || g.Model.HeaderSize != 8 {
			t.Errorf("mode %d: layout %+v, want the 32-bit one %+v", mode, g.Model, auto.Model)
		}
		if !slices.ContainsFunc(g.Warnings, func(s string) bool {
			return strings.HasPrefix(s, "--compressed-oops=") && strings.Contains(s, "left aside")
		}) {
			t.Errorf("mode %d: warnings %q, want the flag left aside", mode, g.Warnings)
		}
	}
}

// TestGuessedLayoutWarns: a layout the dump gives no evidence for (here no
// two objects lie next to each other to measure) is a warning of the graph
// and of the census, naming the flag that settles it; a layout given by the
// flag, or measured (the committed JDK 17 fixture), is not.
func TestGuessedLayoutWarns(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	w.Instance(w.NewID(), obj, nil, nil)
	data := w.Bytes()
	guess := func(warnings []string) string {
		for _, s := range warnings {
			if strings.HasPrefix(s, "object sizes rest on a guess: ") {
				return s
			}
		}
		return ""
	}
	for _, mode := range []CompressedOopsMode{OopsAuto, OopsOn, OopsOff} {
		g := buildBytes(t, data, Options{CompressedOops: mode})
		f, cat := openBytes(t, data)
		c, err := ScanCensus(f, cat, Options{Dump: -1, CompressedOops: mode})
		if err != nil {
			t.Fatal(err)
		}
		for what, warnings := range map[string][]string{"graph": g.Warnings, "census": c.Warnings} {
			s := guess(warnings)
			if mode != OopsAuto {
				if s != "" {
					t.Errorf("mode %d, %s: %q", mode, what, s)
				}
				continue
			}
			if !strings.Contains(s, "assumed compressed oops") || !strings.Contains(s, "--compressed-oops") {
				t.Errorf("%s: warnings %q, want the guessed layout and the flag", what, warnings)
			}
		}
	}
	g, err := Open(repoFile(t, "testdata/dumps/Basic.hprof"), hprof.Options{}, Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if s := guess(g.Warnings); s != "" {
		t.Errorf("Basic.hprof: %q", s)
	}
}
