package leaks

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/testjvm"
)

type analysed struct {
	g *heap.Graph
	t *dominator.Tree
	s *paths.Search
}

func fixture(t *testing.T, name string) analysed {
	t.Helper()
	root, err := testjvm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	g, err := heap.Open(filepath.Join(root, "testdata", "dumps", name), hprof.Options{}, heap.Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return analysed{g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{})}
}

func TestOffHeapNetty(t *testing.T) {
	a := fixture(t, "Netty.hprof")
	r := OffHeap(a.g, a.t, a.s)
	if r.Total != 129<<20 || r.Strong != 129<<20 || r.PendingFree != 0 || len(r.Buffers) != 9 || r.Views != 6 {
		t.Fatalf("total %d strong %d pending %d buffers %d views %d", r.Total, r.Strong, r.PendingFree, len(r.Buffers), r.Views)
	}
	var netty uint64
	for _, o := range r.Owners {
		if strings.HasPrefix(o.Owner, "io.netty.buffer.") {
			netty += o.Capacity
		}
	}
	if netty != 128<<20 {
		t.Errorf("netty owners hold %d, want 128 MiB: %+v", netty, r.Owners)
	}
}

// TestDirectSuspect: netty's 129 MiB of direct memory, beside a heap of
// less than a tenth of it, is a suspect of its own, named by its holders;
// beside a heap ten times bigger it is not.
func TestDirectSuspect(t *testing.T) {
	a := fixture(t, "Netty.hprof")
	r := OffHeap(a.g, a.t, a.s)
	d := DirectSuspectOf(r, a.t.ReachableBytes, 0.1)
	if d == nil {
		t.Fatalf("no direct suspect beside a reachable heap of %d bytes", a.t.ReachableBytes)
	}
	var owned uint64
	for _, og := range d.Owners {
		owned += og.Capacity
	}
	if d.Total != 129<<20 || d.Strong != 129<<20 || d.Buffers != 9 || owned != d.Strong {
		t.Errorf("direct %d strong %d buffers %d owned %d", d.Total, d.Strong, d.Buffers, owned)
	}
	for _, want := range []string{"129 MiB of direct memory in 9 buffers, beside a reachable heap of ", "129 MiB of it strongly reachable, held by io.netty.buffer."} {
		if !strings.Contains(d.Sentence, want) {
			t.Errorf("sentence lacks %q: %s", want, d.Sentence)
		}
	}
	if d := DirectSuspectOf(r, 10*r.Total+1, 0.1); d != nil {
		t.Errorf("a suspect below the threshold: %+v", d)
	}
	if d := DirectSuspectOf(&OffHeapReport{}, 0, 0.1); d != nil {
		t.Errorf("a suspect without direct memory: %+v", d)
	}
}

// TestDirectSuspectSentence: what waits for its Cleaner and what nothing
// frees are said apart from what is held, and owners past the third are
// counted.
func TestDirectSuspectSentence(t *testing.T) {
	r := &OffHeapReport{}
	for i, o := range []string{"A", "B", "C", "D", "E"} {
		r.add(Buffer{Kind: Allocated, Capacity: uint64(5-i) << 20, Strong: true, Owner: o})
	}
	r.add(Buffer{Kind: Allocated, Capacity: 3 << 20, Owner: "<only a Cleaner: waiting to be freed>"})
	r.add(Buffer{Kind: NoCleaner, Capacity: 1 << 20, Owner: "<no strong path from a GC root>"})
	d := DirectSuspectOf(r, 1<<20, 0.1)
	want := "19 MiB of direct memory in 7 buffers, beside a reachable heap of 1.0 MiB: 15 MiB of it strongly reachable, held by A (5.0 MiB in 1 buffer), B (4.0 MiB in 1 buffer), C (3.0 MiB in 1 buffer) and 2 more owners; 3.0 MiB reachable only through a Cleaner, freed after the next GC; 1.0 MiB in buffers without a Cleaner that no strong path reaches, which nothing frees when they are collected."
	if d == nil || d.Sentence != want {
		t.Errorf("got  %+v\nwant %s", d, want)
	}
}

// directBufferClass declares java.nio.Buffer (under super) and
// java.nio.DirectByteBuffer, whose field naming the buffer a view views is
// viewField (att; viewedBuffer before JDK 7), and returns the latter and
// the types of its instances' fields: cleaner, viewField, capacity,
// address.
func directBufferClass(w *hproftest.Writer, super uint64, viewField string) (uint64, []hprof.BasicType) {
	buffer := w.Class("java/nio/Buffer", super, 0, nil, []hproftest.Field{{Name: "capacity", Type: hprof.TypeInt}, {Name: "address", Type: hprof.TypeLong}})
	direct := w.Class("java/nio/DirectByteBuffer", buffer, 0, nil, []hproftest.Field{{Name: "cleaner", Type: hprof.TypeObject}, {Name: viewField, Type: hprof.TypeObject}})
	return direct, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject, hprof.TypeInt, hprof.TypeLong}
}

// TestOffHeapPendingFree: a buffer only its Cleaner (a phantom reference)
// reaches is waiting to be freed, not strongly reachable.
func TestOffHeapPendingFree(t *testing.T) {
	w := hproftest.New(8, "")
	w.CleanerBuffers(w.Class("java/lang/Object", 0, 0, nil, nil))
	g := heaptest.Build(t, w.Bytes())
	r := OffHeap(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	if r.Total != 5<<20 || r.Strong != 1<<20 || r.PendingFree != 4<<20 {
		t.Errorf("total %d strong %d pending %d", r.Total, r.Strong, r.PendingFree)
	}
}

// TestOffHeapWeakOnly: a buffer without a Cleaner that only a weak
// reference reaches is not "waiting to be freed" (no Cleaner will free it)
// nor owned by "<only a Cleaner: waiting to be freed>", as it was (and as
// every buffer --keep-unreachable kept was).
func TestOffHeapWeakOnly(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
	direct, types := directBufferClass(w, obj, "att")
	b, r := w.NewID(), w.NewID()
	w.Instance(b, direct, types, []uint64{0, 0, 1 << 20, 0x10000})
	w.Instance(r, weak, []hprof.BasicType{hprof.TypeObject}, []uint64{b})
	w.Root(hprof.SubRootJNIGlobal, r, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	rep := OffHeap(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	if rep.Total != 1<<20 || rep.PendingFree != 0 || rep.NotFreed != 1<<20 || len(rep.Buffers) != 1 || rep.Buffers[0].Owner != "<no strong path from a GC root>" {
		t.Errorf("direct %d, pending %d, not freed %d, buffers %+v", rep.Total, rep.PendingFree, rep.NotFreed, rep.Buffers)
	}
}

// bufferHeap writes a heap with one buffer of each kind, as different
// JDKs and libraries make them (capacities in KiB tell them apart):
//
//	1 KiB   allocateDirect: a Cleaner running a Deallocator, held by an app object
//	2 KiB   netty's noCleaner buffer, held by a PoolChunk
//	4 KiB   a mapped file with its fd set, held by an app object
//	8 KiB   a mapped file whose Cleaner unmaps (no fd), held by an app object
//	16 KiB  the JDK's lib/modules image: no Cleaner, only a JDK class's static
//	32 KiB  no Cleaner, a JDK thread's stack frame: application code may hold it
//	64 KiB  no Cleaner, a JNI global root itself
func bufferHeap(t *testing.T) *heap.Graph {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	phantom := w.Class("java/lang/ref/PhantomReference", ref, 0, nil, nil)
	cleaner := w.Class("jdk/internal/ref/Cleaner", phantom, 0, nil, []hproftest.Field{{Name: "thunk", Type: hprof.TypeObject}})
	dealloc := w.Class("java/nio/DirectByteBuffer$Deallocator", obj, 0, nil, nil)
	unmapper := w.Class("sun/nio/ch/FileChannelImpl$DefaultUnmapper", obj, 0, nil, nil)
	fdClass := w.Class("java/io/FileDescriptor", obj, 0, nil, nil)
	buffer := w.Class("java/nio/Buffer", obj, 0, nil, []hproftest.Field{{Name: "capacity", Type: hprof.TypeInt}, {Name: "address", Type: hprof.TypeLong}})
	mapped := w.Class("java/nio/MappedByteBuffer", buffer, 0, nil, []hproftest.Field{{Name: "fd", Type: hprof.TypeObject}})
	direct := w.Class("java/nio/DirectByteBuffer", mapped, 0, nil, []hproftest.Field{{Name: "cleaner", Type: hprof.TypeObject}, {Name: "att", Type: hprof.TypeObject}})
	holderClass := w.Class("app/Holder", obj, 0, nil, []hproftest.Field{{Name: "buffer", Type: hprof.TypeObject}})
	chunk := w.Class("io/netty/buffer/PoolChunk", obj, 0, nil, []hproftest.Field{{Name: "memory", Type: hprof.TypeObject}})
	thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
	newBuffer := func(kib uint64, cleanerThunk, fd uint64) uint64 {
		b := w.NewID()
		c := uint64(0)
		if cleanerThunk != 0 {
			c = w.NewID()
			th := w.NewID()
			w.Instance(th, cleanerThunk, nil, nil)
			w.Instance(c, cleaner, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}, []uint64{th, b})
			w.Root(hprof.SubRootJNIGlobal, c, 0, 0) // the Cleaner list
		}
		w.Instance(b, direct, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject, hprof.TypeObject, hprof.TypeInt, hprof.TypeLong},
			[]uint64{c, 0, fd, kib << 10, kib << 20})
		return b
	}
	holdBy := func(class, b uint64) {
		h := w.NewID()
		w.Instance(h, class, []hprof.BasicType{hprof.TypeObject}, []uint64{b})
		w.Root(hprof.SubRootJNIGlobal, h, 0, 0)
	}
	holdBy(holderClass, newBuffer(1, dealloc, 0))
	holdBy(chunk, newBuffer(2, 0, 0))
	fd := w.NewID()
	w.Instance(fd, fdClass, nil, nil)
	holdBy(holderClass, newBuffer(4, 0, fd))
	holdBy(holderClass, newBuffer(8, unmapper, 0))
	image := newBuffer(16, 0, 0)
	reader := w.Class("jdk/internal/jimage/ImageReader", obj, 0, []hproftest.Static{{Name: "map", Type: hprof.TypeObject, Value: image}}, nil)
	w.Root(hprof.SubRootStickyClass, reader, 0, 0)
	th := w.NewID()
	w.Instance(th, thread, nil, nil)
	w.Root(hprof.SubRootThreadObject, th, 1, 0)
	w.Root(hprof.SubRootJavaFrame, newBuffer(32, 0, 0), 1, 0)
	w.Root(hprof.SubRootJNIGlobal, newBuffer(64, 0, 0), 0, 0)
	return heaptest.Build(t, w.Bytes())
}

// TestOffHeapKinds: only allocateDirect's buffers and those without a
// Cleaner that application code holds are direct memory; mapped files and
// the JDK's own mappings are apart.
func TestOffHeapKinds(t *testing.T) {
	g := bufferHeap(t)
	r := OffHeap(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	kinds := map[uint64]BufferKind{}
	for _, list := range [][]Buffer{r.Buffers, r.MappedFiles, r.JDKInternal} {
		for _, b := range list {
			kinds[b.Capacity>>10] = b.Kind
		}
	}
	want := map[uint64]BufferKind{1: Allocated, 2: NoCleaner, 4: MappedFile, 8: MappedFile, 16: JDKInternal, 32: NoCleaner, 64: NoCleaner}
	for kib, k := range want {
		if kinds[kib] != k {
			t.Errorf("%d KiB buffer: kind %q, want %q", kib, kinds[kib], k)
		}
	}
	if r.Total != (1+2+32+64)<<10 || r.Allocated != 1<<10 || r.NoCleaner != (2+32+64)<<10 || len(r.Buffers) != 4 {
		t.Errorf("direct %d (allocateDirect %d, no Cleaner %d) in %d buffers", r.Total, r.Allocated, r.NoCleaner, len(r.Buffers))
	}
	if r.MappedBytes != 12<<10 || r.JDKInternalBytes != 16<<10 {
		t.Errorf("mapped %d, JDK-internal %d", r.MappedBytes, r.JDKInternalBytes)
	}
	if len(r.JDKInternal) != 1 || r.JDKInternal[0].Owner != "class jdk.internal.jimage.ImageReader" {
		t.Errorf("JDK-internal %+v", r.JDKInternal)
	}
}

// TestOffHeapRootOwners: a buffer a JDK thread's stack frame holds, or one
// that is a JNI global itself, is owned by that root, not by "<GC roots>",
// which told the user nothing (HeapDumpSample.hprof's three JNI buffers).
func TestOffHeapRootOwners(t *testing.T) {
	g := bufferHeap(t)
	r := OffHeap(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	owners := map[uint64]string{}
	for _, b := range r.Buffers {
		owners[b.Capacity>>10] = b.Owner
	}
	if owners[32] != "<Java Local>" || owners[64] != "<JNI Global>" {
		t.Errorf("owners of the 32 and 64 KiB buffers: %q, %q", owners[32], owners[64])
	}
}

// TestOffHeapJobServer: of JobServer's 8 buffers only one came from
// allocateDirect (the JVM's histogram has one DirectByteBuffer$Deallocator);
// the 123 MiB one is the lib/modules image, the 8-byte ones perf counters.
// The allocateDirect one is in NIO's temporary buffer cache, behind a
// ByteBuffer[] that is the JDK's, not its owner.
func TestOffHeapJobServer(t *testing.T) {
	a := fixture(t, "JobServer.hprof")
	r := OffHeap(a.g, a.t, a.s)
	if r.Total != 2439 || len(r.Buffers) != 1 || r.Buffers[0].Kind != Allocated || r.Buffers[0].Owner != "sun.nio.ch.Util$BufferCache" {
		t.Errorf("direct memory %d in %+v", r.Total, r.Buffers)
	}
	if len(r.JDKInternal) != 7 || r.JDKInternalBytes != 128651445+6*8 || r.JDKInternal[0].Owner != "jdk.internal.jimage.ImageReader$SharedImageReader" {
		t.Errorf("JDK-internal %d bytes in %+v", r.JDKInternalBytes, r.JDKInternal)
	}
	// The image's 3 views are not the direct buffer's: the direct memory
	// line counted them.
	if r.Views != 0 || r.JDKInternal[0].Views != 3 {
		t.Errorf("views: %d direct, %d of the image", r.Views, r.JDKInternal[0].Views)
	}
}

// TestOffHeapGarbage: buffers no GC root reaches are left out but
// counted; they were dropped without a word, so a dump of garbage buffers
// read as one without any.
func TestOffHeapGarbage(t *testing.T) {
	w := hproftest.New(8, "")
	direct, types := directBufferClass(w, w.Class("java/lang/Object", 0, 0, nil, nil), "att")
	for i := range uint64(2) {
		w.Instance(w.NewID(), direct, types, []uint64{0, 0, 1 << 20, 0x10000 * (i + 1)})
	}
	g := heaptest.Build(t, w.Bytes())
	r := OffHeap(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	if r.Total != 0 || len(r.Buffers) != 0 || r.Unreachable != 2 || r.UnreachableBytes != 2<<20 {
		t.Errorf("direct memory %d in %d buffers; unreachable: %d buffers, %d bytes", r.Total, len(r.Buffers), r.Unreachable, r.UnreachableBytes)
	}
}

// TestOffHeapViewedBuffer: JDK 6's DirectByteBuffer names the buffer a
// slice views viewedBuffer (att from JDK 7 on). A slice at an offset has
// an address of its own, so it was counted as a buffer of its own: 1 MiB
// and its 4 KiB slice made 1.0 MiB in 2 buffers.
func TestOffHeapViewedBuffer(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	direct, types := directBufferClass(w, obj, "viewedBuffer")
	base, slice := w.NewID(), w.NewID()
	w.Instance(base, direct, types, []uint64{0, 0, 1 << 20, 0x10000})
	w.Instance(slice, direct, types, []uint64{0, base, 4 << 10, 0x10000 + 4<<10})
	w.Root(hprof.SubRootJNIGlobal, slice, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	r := OffHeap(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	if r.Total != 1<<20 || len(r.Buffers) != 1 || r.Buffers[0].Views != 1 || r.Views != 1 {
		t.Errorf("direct memory %d in %+v, %d views", r.Total, r.Buffers, r.Views)
	}
}

func TestSystemPackage(t *testing.T) {
	for name, want := range map[string]bool{
		"java.nio.DirectByteBuffer": true, "sun.nio.ch.Util$BufferCache": true, "com.sun.jmx.Foo": true,
		"[Ljava.nio.ByteBuffer;": true, "[[Ljava.lang.Object;": true, "[J": true,
		"io.netty.buffer.PoolChunk": false, "[Lio.netty.buffer.PoolArena;": false, "Basic": false, "javaish.Foo": false,
	} {
		if systemPackage(name) != want {
			t.Errorf("systemPackage(%q) = %v", name, !want)
		}
	}
}

// TestJSONKeys: every key of the reports' JSON is snake_case.
func TestJSONKeys(t *testing.T) {
	spark := fixture(t, "Spark22713.hprof")
	netty := fixture(t, "Netty.hprof")
	for name, v := range map[string]any{
		"offheap": OffHeap(netty.g, netty.t, netty.s), "spark": Spark(spark.g, spark.t, spark.s),
		"threads": Threads(spark.g, spark.t), "classloaders": ClassLoaders(spark.g, spark.t, spark.s),
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bad := regexp.MustCompile(`"[A-Za-z_]*[A-Z][A-Za-z_]*":`).FindAllString(string(b), -1); len(bad) > 0 {
			t.Errorf("%s: keys %v", name, slices.Compact(bad))
		}
	}
}

// sparkHeap writes an executor's memory manager whose execution pool's
// memoryForTask is empty (readMap) or absent, and one task.
func sparkHeap(t *testing.T, readMap bool) *heap.Graph {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	hashMap := w.Class("java/util/HashMap", obj, 0, nil, []hproftest.Field{{Name: "table", Type: hprof.TypeObject}})
	pool := w.Class("org/apache/spark/memory/ExecutionMemoryPool", obj, 0, nil, []hproftest.Field{{Name: "memoryForTask", Type: hprof.TypeObject}})
	manager := w.Class("org/apache/spark/memory/MemoryManager", obj, 0, nil, []hproftest.Field{{Name: "onHeapExecutionMemoryPool", Type: hprof.TypeObject}})
	tmm := w.Class("org/apache/spark/memory/TaskMemoryManager", obj, 0, nil, []hproftest.Field{{Name: "taskAttemptId", Type: hprof.TypeLong}})
	m, p, mft, task := w.NewID(), w.NewID(), w.NewID(), w.NewID()
	if readMap {
		w.Instance(mft, hashMap, []hprof.BasicType{hprof.TypeObject}, []uint64{0})
	} else {
		mft = 0
	}
	w.Instance(p, pool, []hprof.BasicType{hprof.TypeObject}, []uint64{mft})
	w.Instance(m, manager, []hprof.BasicType{hprof.TypeObject}, []uint64{p})
	w.Instance(task, tmm, []hprof.BasicType{hprof.TypeLong}, []uint64{7})
	w.Root(hprof.SubRootJNIGlobal, m, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, task, 0, 0)
	return heaptest.Build(t, w.Bytes())
}

// TestSparkTaskWithoutEntry: ExecutionMemoryPool.releaseMemory removes a
// task's entry once it holds nothing, so a task missing from a map that
// was read holds 0 B; unknown only when no map was read.
func TestSparkTaskWithoutEntry(t *testing.T) {
	for _, readMap := range []bool{true, false} {
		g := sparkHeap(t, readMap)
		r := Spark(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
		want := int64(0)
		if !readMap {
			want = -1
		}
		if len(r.Tasks) != 1 || known(r.Tasks[0].ExecutionMemory) != want {
			t.Errorf("map read %v: tasks %+v, want execution memory %d", readMap, r.Tasks, want)
		}
	}
}

// TestSparkOffHeap: with spark.memory.offHeap.enabled a task is granted
// memory from the off-heap execution pool too. That is not the heap's: a
// task's execution memory on the heap counts the on-heap pools alone (the
// two were added), and an OFF_HEAP consumer claims nothing on the heap, so
// what it retains there is beyond its claim however much it uses off it.
func TestSparkOffHeap(t *testing.T) {
	const onHeap, offHeap = 3 << 20, 64 << 20
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	str := w.StringClass(obj)
	mode := w.Class("org/apache/spark/memory/MemoryMode", w.EnumClass(obj), 0, nil, nil)
	long := w.Class("java/lang/Long", obj, 0, nil, []hproftest.Field{{Name: "value", Type: hprof.TypeLong}})
	node := w.Class("java/util/HashMap$Node", obj, 0, nil, []hproftest.Field{{Name: "key", Type: hprof.TypeObject}, {Name: "value", Type: hprof.TypeObject}, {Name: "next", Type: hprof.TypeObject}})
	hashMap := w.Class("java/util/HashMap", obj, 0, nil, []hproftest.Field{{Name: "table", Type: hprof.TypeObject}})
	hashSet := w.Class("java/util/HashSet", obj, 0, nil, []hproftest.Field{{Name: "map", Type: hprof.TypeObject}})
	pool := w.Class("org/apache/spark/memory/ExecutionMemoryPool", obj, 0, nil, []hproftest.Field{{Name: "memoryForTask", Type: hprof.TypeObject}})
	manager := w.Class("org/apache/spark/memory/MemoryManager", obj, 0, nil, []hproftest.Field{
		{Name: "onHeapExecutionMemoryPool", Type: hprof.TypeObject}, {Name: "offHeapExecutionMemoryPool", Type: hprof.TypeObject}})
	tmm := w.Class("org/apache/spark/memory/TaskMemoryManager", obj, 0, nil, []hproftest.Field{{Name: "taskAttemptId", Type: hprof.TypeLong}, {Name: "consumers", Type: hprof.TypeObject}})
	consumer := w.Class("org/apache/spark/memory/MemoryConsumer", obj, 0, nil, []hproftest.Field{
		{Name: "mode", Type: hprof.TypeObject}, {Name: "used", Type: hprof.TypeLong}, {Name: "data", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	ref := []hprof.BasicType{hprof.TypeObject}
	newObj := func(class uint64, types []hprof.BasicType, values ...uint64) uint64 {
		id := w.NewID()
		w.Instance(id, class, types, values)
		return id
	}
	modeOf := func(name string, ordinal uint64) uint64 { return w.Constant(mode, w.String(str, name), ordinal) }
	nodeTypes := []hprof.BasicType{hprof.TypeObject, hprof.TypeObject, hprof.TypeObject}
	// hash is a HashMap of one entry.
	hash := func(k, v uint64) uint64 {
		table := w.NewID()
		w.ObjArray(table, arr, []uint64{newObj(node, nodeTypes, k, v, 0)})
		return newObj(hashMap, ref, table)
	}
	boxed := func(v uint64) uint64 { return newObj(long, []hprof.BasicType{hprof.TypeLong}, v) }
	consumerOf := func(m, used uint64) uint64 {
		data := w.NewID()
		w.PrimArray(data, hprof.TypeByte, 2<<20, nil) // 2 MiB on the heap
		return newObj(consumer, []hprof.BasicType{hprof.TypeObject, hprof.TypeLong, hprof.TypeObject}, m, used, data)
	}
	on, off := consumerOf(modeOf("ON_HEAP", 0), onHeap), consumerOf(modeOf("OFF_HEAP", 1), offHeap)
	// The task's consumers: a HashSet of both, chained in one bucket.
	table := w.NewID()
	w.ObjArray(table, arr, []uint64{newObj(node, nodeTypes, on, 0, newObj(node, nodeTypes, off, 0, 0))})
	consumers := newObj(hashSet, ref, newObj(hashMap, ref, table))
	m := newObj(manager, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject},
		newObj(pool, ref, hash(boxed(7), boxed(onHeap))), newObj(pool, ref, hash(boxed(7), boxed(offHeap))))
	task := newObj(tmm, []hprof.BasicType{hprof.TypeLong, hprof.TypeObject}, 7, consumers)
	w.Root(hprof.SubRootJNIGlobal, m, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, task, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	r := Spark(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	if len(r.Tasks) != 1 || known(r.Tasks[0].ExecutionMemory) != onHeap || known(r.Tasks[0].OffHeapExecutionMemory) != offHeap {
		t.Fatalf("tasks %+v, want %d on the heap and %d off it", r.Tasks, onHeap, offHeap)
	}
	byMode := map[string]Consumer{}
	for _, c := range r.Tasks[0].Consumers {
		byMode[c.Mode] = c
	}
	if c := byMode["ON_HEAP"]; c.Used != onHeap || c.Unaccounted || c.Retained < 2<<20 {
		t.Errorf("on-heap consumer %+v: retains less than its claim", c)
	}
	if c := byMode["OFF_HEAP"]; c.Used != offHeap || !c.Unaccounted || !c.OffHeap() {
		t.Errorf("off-heap consumer %+v: its 2 MiB on the heap are beyond its claim", c)
	}
	if len(r.Managers) != 1 || len(r.Managers[0].Pools) != 2 {
		t.Fatalf("managers %+v", r.Managers)
	}
	for _, p := range r.Managers[0].Pools {
		want, holds := map[bool]int64{false: onHeap, true: offHeap}[p.OffHeap()], map[bool]uint64{false: byMode["ON_HEAP"].Retained}[p.OffHeap()]
		if p.Used != want || p.MemoryForTask[7] != want || len(p.MemoryForTask) != 1 || p.HeapHolds != holds {
			t.Errorf("pool %+v: want %d used by task 7, the heap holding %d", p, want, holds)
		}
	}
}

// TestSparkEmptyLists: a task without consumers and a manager without
// pools are [] in JSON, not null; a manager without maxHeapMemory and
// onHeapStorageRegionSize (StaticMemoryManager) has them unknown, null,
// not 0 (nor -1, which a sum of them took for bytes), and so is the
// off-heap execution memory of a task where no off-heap pool was read.
func TestSparkEmptyLists(t *testing.T) {
	g := sparkHeap(t, true)
	r := Spark(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"consumers":[]`, `"max_heap_memory_bytes":null`, `"storage_region_bytes":null`, `"off_heap_execution_memory_bytes":null`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	if strings.Count(string(b), "null") != 3 || strings.Contains(string(b), "-1") {
		t.Errorf("JSON %s", b)
	}
	if len(r.Managers) != 1 || r.Managers[0].MaxHeapMemory != nil || r.Managers[0].StorageRegionSize != nil {
		t.Errorf("managers %+v", r.Managers)
	}
}

func TestSparkReport(t *testing.T) {
	a := fixture(t, "Spark22713.hprof")
	r := Spark(a.g, a.t, a.s)
	if !r.Found || len(r.Tasks) != 1 || r.Tasks[0].TaskAttemptID != 223 || len(r.Tasks[0].Consumers) != 2 {
		t.Fatalf("%+v", r)
	}
	spilled, live := r.Tasks[0].Consumers[0], r.Tasks[0].Consumers[1]
	if !spilled.Unaccounted || spilled.Used != 0 || spilled.Retained < 3<<20 || live.Unaccounted || live.Used != 812944 {
		t.Errorf("consumers %+v", r.Tasks[0].Consumers)
	}
	if known(r.Tasks[0].ExecutionMemory) != 812944 || len(r.Managers) != 1 || len(r.Managers[0].Pools) != 2 || len(r.Blocks) != 3 {
		t.Errorf("managers %+v blocks %+v", r.Managers, r.Blocks)
	}
	// Biggest first, then by name: they came in the hash table's order
	// (rdd_2_2, rdd_2_0, rdd_2_1).
	if names := []string{r.Blocks[0].ID, r.Blocks[1].ID, r.Blocks[2].ID}; !slices.Equal(names, []string{"rdd_2_0", "rdd_2_1", "rdd_2_2"}) {
		t.Errorf("blocks %v", names)
	}
	if none := Spark(fixture(t, "Basic.hprof").g, nil, nil); none.Found {
		t.Error("Basic has no Spark")
	}
}

func TestThreads(t *testing.T) {
	a := fixture(t, "Spark22713.hprof")
	ts := Threads(a.g, a.t)
	top := ts[0]
	if top.Name != "Executor task launch worker for task 223" || top.State != "WAITING" || top.Daemon == nil || *top.Daemon {
		t.Fatalf("top thread %+v", top)
	}
	found := false
	for _, f := range top.Stack {
		for _, l := range f.Locals {
			if l.Class == "org.apache.spark.memory.TaskMemoryManager" && strings.Contains(f.Method, "Executor$TaskRunner.run(Executor.java:") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("the TaskMemoryManager local is not in TaskRunner.run's frame: %+v", top.Stack)
	}
	for i := 1; i < len(ts); i++ {
		if ts[i].Retained > ts[i-1].Retained {
			t.Error("threads not sorted by retained size")
		}
	}
}

func TestClassLoadersBasic(t *testing.T) {
	a := fixture(t, "Basic.hprof")
	r := ClassLoaders(a.g, a.t, a.s)
	var reloaded *Duplicate
	for i := range r.Duplicates {
		if r.Duplicates[i].Class == "Reloaded" {
			reloaded = &r.Duplicates[i]
		}
	}
	if reloaded == nil || len(reloaded.Loaders) != 2 {
		t.Fatalf("duplicates %+v", r.Duplicates)
	}
	boot := false
	for _, l := range r.Loaders {
		if l.Class == "<bootstrap>" {
			boot = l.Classes > 400 && l.Builtin
		}
		if !l.Builtin && l.Class != "<bootstrap>" && len(l.Path) == 0 && l.Retained > 0 {
			t.Errorf("loader %s %s without a path", l.Class, l.ID)
		}
	}
	if !boot {
		t.Error("no bootstrap loader row")
	}
	// A null parent is the bootstrap loader; it was no parent at all, an
	// empty cell that read as unknown (BootClassLoader here, JDK 8's
	// ExtClassLoader, reflection's DelegatingClassLoaders).
	for _, l := range r.Loaders {
		if l.Class == "jdk.internal.loader.ClassLoaders$BootClassLoader" && (l.Parent == nil || *l.Parent != (Object{ID: "0x0", Class: "<bootstrap>"})) {
			t.Errorf("BootClassLoader's parent %+v", l.Parent)
		}
	}
}

// loaderHeap writes two application loaders that each define class Dup,
// one of them garbage (no GC root reaches it or its class), and loaders of
// JDK classes: reflection's, and a URLClassLoader an application made.
func loaderHeap(t *testing.T) (g *heap.Graph, live, dead, reflection, url uint64) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	loader := w.Class("java/lang/ClassLoader", obj, 0, nil, []hproftest.Field{{Name: "parent", Type: hprof.TypeObject}})
	plugin := w.Class("app/PluginLoader", loader, 0, nil, nil)
	delegating := w.Class("jdk/internal/reflect/DelegatingClassLoader", loader, 0, nil, nil)
	urlLoader := w.Class("java/net/URLClassLoader", loader, 0, nil, nil)
	live, dead, reflection, url = w.NewID(), w.NewID(), w.NewID(), w.NewID()
	for _, l := range []struct{ id, class uint64 }{{live, plugin}, {dead, plugin}, {reflection, delegating}, {url, urlLoader}} {
		w.Instance(l.id, l.class, []hprof.BasicType{hprof.TypeObject}, []uint64{0})
		w.Class("Dup", obj, l.id, nil, nil)
	}
	for _, root := range []uint64{live, reflection, url} {
		w.Root(hprof.SubRootJNIGlobal, root, 0, 0)
	}
	return heaptest.Build(t, w.Bytes()), live, dead, reflection, url
}

// TestClassLoadersJDKAndGarbage: the JDK's own loaders are told by their
// package (but for URLClassLoader, which applications make), and a loader
// no GC root reaches is marked and its classes not counted as duplicates.
func TestClassLoadersJDKAndGarbage(t *testing.T) {
	g, live, dead, reflection, url := loaderHeap(t)
	r := ClassLoaders(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	byID := map[string]Loader{}
	for _, l := range r.Loaders {
		byID[l.ID] = l
	}
	id := func(x uint64) Loader { return byID[fmt.Sprintf("0x%x", x)] }
	if l := id(reflection); !l.Builtin || l.Path != nil {
		t.Errorf("reflection's loader %+v", l)
	}
	if l := id(url); l.Builtin || len(l.Path) == 0 {
		t.Errorf("the application's URLClassLoader %+v", l)
	}
	if id(live).Unreachable || !id(dead).Unreachable {
		t.Errorf("live %+v, dead %+v", id(live), id(dead))
	}
	if len(r.Duplicates) != 1 || len(r.Duplicates[0].Loaders) != 3 || slices.ContainsFunc(r.Duplicates[0].Loaders, func(o Object) bool { return o.ID == id(dead).ID }) {
		t.Errorf("duplicates %+v: want Dup by the 3 reachable loaders", r.Duplicates)
	}
}

// TestJobServerReflectionLoader: JobServer's DelegatingClassLoader (made by
// reflection for a generated accessor) is the JDK's: no path is shown.
func TestJobServerReflectionLoader(t *testing.T) {
	a := fixture(t, "JobServer.hprof")
	found := 0
	for _, l := range ClassLoaders(a.g, a.t, a.s).Loaders {
		if l.Class == "jdk.internal.reflect.DelegatingClassLoader" {
			found++
			if !l.Builtin || l.Path != nil {
				t.Errorf("%+v", l)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d DelegatingClassLoaders, want 1", found)
	}
}

// TestThreadsLeaveOutEnded: a thread named only by a START THREAD record
// whose object no GC root reaches has ended (the hprof agent keeps such
// records); it is not listed.
func TestThreadsLeaveOutEnded(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
	live, ended := w.NewID(), w.NewID()
	w.Instance(live, thread, nil, nil)
	w.Instance(ended, thread, nil, nil)
	w.Root(hprof.SubRootThreadObject, live, 1, 0)
	for serial, o := range map[uint32]uint64{1: live, 2: ended} {
		b := binary.BigEndian.AppendUint32(nil, serial)
		b = binary.BigEndian.AppendUint64(b, o)
		b = binary.BigEndian.AppendUint32(b, 0)
		b = binary.BigEndian.AppendUint64(b, w.Name(fmt.Sprintf("thread %d", serial)))
		b = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, 0), 0)
		w.Record(hprof.TagStartThread, b)
	}
	g := heaptest.Build(t, w.Bytes())
	ts := Threads(g, dominator.Compute(g, dominator.Options{}))
	if len(ts) != 1 || ts[0].Name != "thread 1" {
		t.Errorf("threads %+v", ts)
	}
	// Its stack is [] in JSON, not null (the old hprof agent's threads,
	// and every thread of a dump without stack traces, were null); a dump
	// without threads is [], not null.
	if b, _ := json.Marshal(ts); !strings.Contains(string(b), `"stack":[]`) {
		t.Errorf("JSON %s", b)
	}
	none := sparkHeap(t, false)
	if b, _ := json.Marshal(Threads(none, dominator.Compute(none, dominator.Options{}))); string(b) != "[]" {
		t.Errorf("no threads: JSON %s", b)
	}
}

// TestJobServerLeak: 40 jobs, each with its own IsolatedClientLoader that
// defined the same 25 classes, kept alive through JobRegistry.CLIENTS.
func TestJobServerLeak(t *testing.T) {
	a := fixture(t, "JobServer.hprof")
	r := ClassLoaders(a.g, a.t, a.s)
	isolated := 0
	for _, l := range r.Loaders {
		if l.Class != "org.apache.spark.sql.hive.client.IsolatedClientLoader" {
			continue
		}
		isolated++
		if l.Classes != 25 || l.Builtin || len(l.Path) == 0 {
			t.Fatalf("loader %+v", l)
		}
		fields := ""
		for _, st := range l.Path {
			fields += st.Field + " "
		}
		if !strings.Contains(fields, "static CLIENTS") {
			t.Errorf("path to %s does not go through the registry's static field: %s", l.ID, fields)
		}
	}
	dup := 0
	for _, d := range r.Duplicates {
		if strings.HasPrefix(d.Class, "org.apache.spark.sql.hive.client.") && len(d.Loaders) == 40 {
			dup++
		}
	}
	if isolated != 40 || dup != 25 {
		t.Errorf("%d isolated loaders, %d classes defined 40 times; want 40 and 25", isolated, dup)
	}
}

func TestSuspectsSpark(t *testing.T) {
	a := fixture(t, "Spark22713.hprof")
	sus := Suspects(a.g, a.t, a.s, 0.10)
	if len(sus) == 0 {
		t.Fatal("no suspect")
	}
	top := sus[0]
	acc := top.Chain[len(top.Chain)-1]
	if top.Kind != "object" || top.Percent < 80 || acc.Object.Class != "java.lang.Object[]" || acc.Field != "data" {
		t.Errorf("top suspect %+v, accumulation %+v", top, acc)
	}
	for _, want := range []string{`reached from thread "Executor task launch worker for task 223"`, "through TaskMemoryManager.consumers",
		"accumulates in one Object[]", "byte[]"} {
		if !strings.Contains(top.Sentence, want) {
			t.Errorf("sentence %q lacks %q", top.Sentence, want)
		}
	}
	// Each step of the chain keeps at least AccumulationRatio.
	for i := 1; i < len(top.Chain); i++ {
		if float64(top.Chain[i].Object.Retained) < AccumulationRatio*float64(top.Chain[i-1].Object.Retained) {
			t.Errorf("step %d keeps less than %.0f%%", i, AccumulationRatio*100)
		}
	}
	// Nothing the first suspect retains comes back as a class group.
	for _, sp := range sus[1:] {
		if sp.Kind == "class" && (sp.Class == "byte[]" && sp.Retained > 1<<20) {
			t.Errorf("class group repeats the first suspect's memory: %+v", sp)
		}
	}
	if none := Suspects(a.g, a.t, a.s, 0.95); len(none) != 0 {
		t.Errorf("threshold 95%%: %d suspects", len(none))
	}
}

func TestSuspectsLinkedListHead(t *testing.T) {
	a := fixture(t, "Basic.hprof")
	sp := Suspects(a.g, a.t, a.s, 0.10)[0]
	acc := sp.Chain[len(sp.Chain)-1]
	if acc.Object.Class != "ChainNode" || len(sp.Chain) > 5 || !strings.HasPrefix(sp.Sentence, "The static fields of class Basic") {
		t.Errorf("chain %d long ending at %+v; %q", len(sp.Chain), acc, sp.Sentence)
	}
}

// TestLongPathsFolded: a suspect in the middle of a doubly linked list
// rooted at both ends has a path as long as half the list; its middle is
// one Elided step, and every step kept is the unfolded path's. Loaders
// each the parent of the next get folded paths too.
func TestLongPathsFolded(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	node := w.Class("com/example/Node", obj, 0, nil, []hproftest.Field{{Name: "prev", Type: hprof.TypeObject}, {Name: "next", Type: hprof.TypeObject}, {Name: "load", Type: hprof.TypeObject}})
	const n = 101
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = w.NewID()
	}
	big := w.NewID()
	refs := []hprof.BasicType{hprof.TypeObject, hprof.TypeObject, hprof.TypeObject}
	for i, id := range ids {
		var prev, next, load uint64
		if i > 0 {
			prev = ids[i-1]
		}
		if i+1 < n {
			next = ids[i+1]
		}
		if i == n/2 {
			load = big
		}
		w.Instance(id, node, refs, []uint64{prev, next, load})
	}
	w.PrimArray(big, hprof.TypeByte, 1<<20, nil)
	w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
	w.Root(hprof.SubRootJNIGlobal, ids[n-1], 0, 0)
	g := heaptest.Build(t, w.Bytes())
	tr, s := dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{})
	mid := g.Lookup(ids[n/2])
	full := s.Path(mid)
	got := PathTo(g, tr, s, mid)
	if len(full) != n/2+1 || len(got) != 2*StepEnds+1 || got[StepEnds].Elided != int64(len(full)-2*StepEnds) {
		t.Fatalf("path of %d steps folded to %d, middle %+v", len(full), len(got), got[StepEnds])
	}
	for i, st := range got {
		k := i
		if i > StepEnds {
			k = len(full) - (len(got) - i)
		}
		if i != StepEnds && (st.Object.ID != fmt.Sprintf("0x%x", g.ID(full[k])) || st.Elided != 0) {
			t.Errorf("step %d is %+v, want object 0x%x", i, st, g.ID(full[k]))
		}
	}
	if got[StepEnds+1].Field != "next" && got[StepEnds+1].Field != "prev" {
		t.Errorf("the step after the gap has field %q", got[StepEnds+1].Field)
	}
	sus := Suspects(g, tr, s, 0.10)
	if len(sus) == 0 || sus[0].Object.ID != fmt.Sprintf("0x%x", ids[n/2]) || len(sus[0].Path) != 2*StepEnds+1 {
		t.Errorf("suspects: %+v", sus)
	}
	// Short lists are left alone.
	if short := foldSteps(make([]Step, 2*StepEnds+1)); len(short) != 2*StepEnds+1 {
		t.Errorf("%d steps folded to %d", 2*StepEnds+1, len(short))
	}
}

// known reads an execution memory: -1 for none (nil).
func known(m *int64) int64 {
	if m == nil {
		return -1
	}
	return *m
}

// TestSentenceLocalNotBelow: a suspect a thread holds as a local is
// "reached from thread … as a local", not "through" a field of its own
// below it: the sentence said "reached from thread \"main\" through
// Target.payload", where payload leads to the memory, not to the Target.
func TestSentenceLocalNotBelow(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
	target := w.Class("com/acme/Target", obj, 0, nil, []hproftest.Field{{Name: "payload", Type: hprof.TypeObject}})
	th, x, data := w.NewID(), w.NewID(), w.NewID()
	w.Instance(th, thread, nil, nil)
	w.Instance(x, target, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
	w.PrimArray(data, hprof.TypeByte, 1<<20, nil)
	w.Root(hprof.SubRootThreadObject, th, 1, 0)
	w.Root(hprof.SubRootJavaFrame, x, 1, -1)
	g := heaptest.Build(t, w.Bytes())
	tree := dominator.Compute(g, dominator.Options{})
	sus := Suspects(g, tree, paths.Find(g, paths.Options{}), 0.1)
	if len(sus) == 0 {
		t.Fatal("no suspect")
	}
	if s := sus[0].Sentence; !strings.Contains(s, "One instance of Target, reached from <Thread> as a local, retains") || strings.Contains(s, "through") {
		t.Errorf("sentence %q", s)
	}
}

// TestLoaderWithClasses: a loader that an instance of its class keeps
// alive, through the class, retains little itself, where the class's
// statics hold the memory; what it retains with its classes is what the
// class does (which dominates it), as for a loader held directly: one
// leak read 2.5 KiB or 589 KiB by what held its loader (found by a
// leak-scenario test). Loaders sort by it.
func TestLoaderWithClasses(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	cl := w.Class("java/lang/ClassLoader", obj, 0, nil, nil)
	url := w.Class("java/net/URLClassLoader", cl, 0, nil, []hproftest.Field{{Name: "classes", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	big := func() uint64 {
		id := w.NewID()
		w.PrimArray(id, hprof.TypeByte, 100000, make([]byte, 100000))
		return id
	}
	viaInstance, direct := w.NewID(), w.NewID()
	pluginA := w.Class("com/acme/Plugin", obj, viaInstance, []hproftest.Static{{Name: "DATA", Type: hprof.TypeObject, Value: big()}}, nil)
	pluginB := w.Class("com/acme/Plugin", obj, direct, []hproftest.Static{{Name: "DATA", Type: hprof.TypeObject, Value: big()}}, nil)
	for loader, class := range map[uint64]uint64{viaInstance: pluginA, direct: pluginB} {
		classes := w.NewID() // the loader's list of its classes, as ClassLoader.classes
		w.ObjArray(classes, arr, []uint64{class})
		w.Instance(loader, url, []hprof.BasicType{hprof.TypeObject}, []uint64{classes})
	}
	inst := w.NewID()
	w.Instance(inst, pluginA, nil, nil)
	w.Root(hprof.SubRootJNIGlobal, inst, 0, 0)   // instance → class → loader
	w.Root(hprof.SubRootJNIGlobal, direct, 0, 0) // the loader itself
	g := heaptest.Build(t, w.Bytes())
	tr := dominator.Compute(g, dominator.Options{})
	r := ClassLoaders(g, tr, paths.Find(g, paths.Options{}))
	byID := map[string]Loader{}
	for _, l := range r.Loaders {
		byID[l.ID] = l
	}
	a, b := byID[fmt.Sprintf("0x%x", viaInstance)], byID[fmt.Sprintf("0x%x", direct)]
	if mirror := tr.Retained(g.Lookup(pluginA)); a.WithClasses != mirror || a.Retained >= 100000 || a.WithClasses < 100000 {
		t.Errorf("held through its class: retained %d, with its classes %d, want the class's %d", a.Retained, a.WithClasses, mirror)
	}
	if b.WithClasses != b.Retained || b.Retained < 100000 {
		t.Errorf("held itself: retained %d, with its classes %d, want the same", b.Retained, b.WithClasses)
	}
	if r.Loaders[1].ID != a.ID && r.Loaders[2].ID != a.ID {
		t.Errorf("the loader held through its class is not among the first: %+v", r.Loaders)
	}
}

// TestSentenceHeldByStatic: a suspect whose path comes through a thread's
// local, and that a static field holds too, names that field: on
// OutOfMemoryError in a map's put, the map was "reached from thread main as
// a local", which was the put's operand, and its owner, static
// OomLeak.ORDERS, was never named (found by a leak-scenario test).
func TestSentenceHeldByStatic(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
	cache := w.Class("com/acme/Cache", obj, 0, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}})
	th, x, data := w.NewID(), w.NewID(), w.NewID()
	w.Instance(th, thread, nil, nil)
	w.Instance(x, cache, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
	w.PrimArray(data, hprof.TypeByte, 1<<20, nil)
	owner := w.Class("com/acme/OomLeak", obj, 0, []hproftest.Static{{Name: "ORDERS", Type: hprof.TypeObject, Value: x}}, nil)
	w.Root(hprof.SubRootThreadObject, th, 1, 0)
	w.Root(hprof.SubRootJavaFrame, x, 1, -1)
	w.Root(hprof.SubRootStickyClass, owner, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	tree := dominator.Compute(g, dominator.Options{})
	sus := Suspects(g, tree, paths.Find(g, paths.Options{}), 0.1)
	if len(sus) == 0 || sus[0].HeldByStatic != "OomLeak.ORDERS" || !strings.Contains(sus[0].Sentence, " as a local (and held by static OomLeak.ORDERS), retains ") {
		t.Errorf("%+v", sus)
	}
}

// liveJVM runs the fixture program (testdata/java) with jvmFlags, its
// first argument a file it writes what it knows of its own heap to, and
// returns the heap dumped once it said READY, and that file's lines split
// into fields. It skips the test where no JDK is found, or with -short.
func liveJVM(t *testing.T, program string, jvmFlags ...string) (*heap.Graph, [][]string) {
	t.Helper()
	if ok, why := testjvm.Available(); !ok {
		t.Skip(why)
	}
	if testing.Short() {
		t.Skip("starts a JVM; skipped with -short")
	}
	root, err := testjvm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	said := filepath.Join(dir, "said.txt")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	capt, err := testjvm.Run(ctx, testjvm.Options{Program: program, SourceDir: filepath.Join(root, "testdata", "java"), Args: []string{said},
		JVMFlags: jvmFlags, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	g, err := heap.Open(capt.Dump, hprof.Options{}, heap.Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	text, err := os.ReadFile(said)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	for _, l := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		lines = append(lines, strings.Fields(l))
	}
	return g, lines
}
