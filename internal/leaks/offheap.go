package leaks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/render"
)

// BufferKind says where a buffer's memory came from, which tells what
// limits it and what frees it.
type BufferKind string

// Buffer kinds. Allocated and NoCleaner are direct memory; MappedFile and
// JDKInternal are memory the process maps, shown apart.
const (
	// Allocated came from ByteBuffer.allocateDirect: its Cleaner runs a
	// DirectByteBuffer$Deallocator. It counts against
	// -XX:MaxDirectMemorySize and is freed once the buffer is collected.
	Allocated BufferKind = "allocate-direct"
	// NoCleaner is native memory wrapped in a buffer that no Cleaner
	// frees, held by application code: netty's buffers made with
	// DirectByteBuffer(long, int), JNI's NewDirectByteBuffer. Only the
	// code that allocated it frees it, and MaxDirectMemorySize does not
	// limit it.
	NoCleaner BufferKind = "no-cleaner"
	// MappedFile is a file mapped by FileChannel.map (a MappedByteBuffer
	// with its fd set, or a Cleaner that unmaps): page cache, not direct
	// memory.
	MappedFile BufferKind = "mapped-file"
	// JDKInternal is memory the JDK maps for itself, without a Cleaner,
	// held by JDK classes alone: the lib/modules image that
	// jdk.internal.jimage reads, the perf counters. Nothing to act on.
	JDKInternal BufferKind = "jdk-internal"
)

// Buffer is one block of memory a direct buffer points at.
type Buffer struct {
	Object
	Index    heap.ObjectIndex `json:"-"` // the buffer object
	Kind     BufferKind       `json:"kind"`
	Capacity uint64           `json:"capacity_bytes"`
	Address  uint64           `json:"address"`
	Views    int              `json:"views"` // slices and duplicates sharing it
	// Strong is false for a buffer no chain of strong references from a
	// GC root reaches: only a Cleaner (a phantom reference; freed at the
	// next reference processing), a soft or weak reference, or nothing
	// (--keep-unreachable keeps it).
	Strong bool `json:"strong"`
	// Owner is the class of the nearest application object holding it, or
	// when only the JDK's do, of the nearest outside java.nio (holderOf).
	Owner string `json:"owner"`
}

// OwnerGroup sums the buffers one class of owner holds.
type OwnerGroup struct {
	Owner    string `json:"owner"`
	Buffers  int    `json:"buffers"`
	Capacity uint64 `json:"capacity_bytes"`
}

// OffHeapReport is what `leakscan offheap` prints. Total, Strong,
// PendingFree, Buffers and Owners are about direct memory alone (Allocated
// and NoCleaner buffers); mapped files and the JDK's own mappings are
// listed apart.
type OffHeapReport struct {
	Total       uint64 `json:"direct_bytes"`          // Allocated + NoCleaner
	Allocated   uint64 `json:"allocate_direct_bytes"` // of Total
	NoCleaner   uint64 `json:"no_cleaner_bytes"`      // of Total
	Strong      uint64 `json:"strong_bytes"`          // of Total
	PendingFree uint64 `json:"pending_free_bytes"`    // of Total: not Strong, from allocateDirect (its Cleaner frees it)
	// NotFreed, of Total, is in buffers neither strongly reachable nor
	// freed by a Cleaner (a noCleaner buffer only a soft or weak reference
	// holds): nothing frees their memory when they are collected.
	NotFreed uint64 `json:"not_strong_no_cleaner_bytes"`
	// Buffers are the direct memory's, biggest first; Owners group them.
	Buffers []Buffer     `json:"buffers"`
	Owners  []OwnerGroup `json:"owners"`
	Views   int          `json:"views"` // slices and duplicates of these buffers
	// MappedFiles and JDKInternal are the other kinds, biggest first.
	MappedFiles      []Buffer `json:"mapped_files"`
	MappedBytes      uint64   `json:"mapped_bytes"`
	JDKInternal      []Buffer `json:"jdk_internal"`
	JDKInternalBytes uint64   `json:"jdk_internal_bytes"`
	// Unreachable counts the buffers owning memory that no GC root
	// reaches, of every kind (garbage a dump written on OutOfMemoryError
	// may hold), left out of everything above; UnreachableBytes is their
	// capacity.
	Unreachable      int    `json:"unreachable_buffers"`
	UnreachableBytes uint64 `json:"unreachable_bytes"`
}

// jdkPackages are the packages of the JDK's own classes.
var jdkPackages = []string{"java.", "javax.", "jdk.", "sun.", "com.sun."}

// systemPackage tells JDK classes (JVM names) from application (and
// library) ones: a class in a JDK package, or an array of one or of a
// primitive type ("[Ljava.nio.ByteBuffer;", "[J").
func systemPackage(name string) bool {
	elem := strings.TrimLeft(name, "[")
	if len(elem) < len(name) { // an array
		if len(elem) == 1 {
			return true // of a primitive type
		}
		elem = strings.TrimSuffix(strings.TrimPrefix(elem, "L"), ";")
	}
	for _, p := range jdkPackages {
		if strings.HasPrefix(elem, p) {
			return true
		}
	}
	return false
}

// holder is what keeps a buffer alive, read off its shortest strong path
// from a GC root.
type holder struct {
	name string // Buffer.Owner
	// jdkOnly: every object on the path is the JDK's, none of them in a
	// thread's stack frame (whose method may be application code).
	jdkOnly bool
}

// holderOf names what holds a buffer: the class of the nearest object
// outside the JDK on its shortest strong path from a GC root (a netty
// PoolChunk, say). A buffer from allocateDirect is also reachable through
// its Cleaner, a phantom reference, so no application object dominates it
// in the default dominator tree; strong paths tell the holder. On a path
// through the JDK alone, the nearest stack frame on it ("<Java Local> in
// Foo.run(Foo.java:12)") or else the nearest holder outside java.nio (not
// a view, not an array of buffers) is named instead:
// sun.nio.ch.Util$BufferCache,
// jdk.internal.jimage.ImageReader$SharedImageReader; a buffer that is a GC
// root itself by its root's kind ("<JNI Global>").
func holderOf(g *heap.Graph, s *paths.Search, locals map[heap.ObjectIndex][]heap.LocalRoot, o heap.ObjectIndex, cleaner bool) holder {
	p := s.Path(o)
	if p == nil && cleaner {
		return holder{name: "<only a Cleaner: waiting to be freed>"}
	}
	if p == nil {
		return holder{name: "<no strong path from a GC root>"}
	}
	jdkHolder, frame := "", ""
	for i := len(p) - 2; i >= 0; i-- {
		name := g.Classes[g.ClassOf(p[i])].Name
		if g.IsClassObject(p[i]) {
			name = "class " + g.ClassNameOfMirror(p[i])
		}
		if !systemPackage(strings.TrimPrefix(name, "class ")) {
			return holder{name: name}
		}
		if frame == "" && slices.ContainsFunc(locals[p[i]], func(l heap.LocalRoot) bool { return l.Object == p[i+1] }) {
			frame = s.Label(p[i], p[i+1]) // "<Java Local> in Foo.run(Foo.java:12)"
		}
		if jdkHolder == "" && heap.PackageOf(strings.TrimPrefix(name, "class ")) != "java.nio" {
			jdkHolder = name
		}
	}
	// A JDK thread's stack frame holds it (or a JDK object holding it):
	// the frame's method, which may be application code, is what holds it.
	if frame != "" {
		return holder{name: frame}
	}
	// No JDK object but buffers on the path: the buffer (or a view of it)
	// is a GC root itself, which JNI code holds: named by its root kind.
	if jdkHolder == "" {
		return holder{name: s.DescribeRoot(p[0])}
	}
	// The JDK's own only from a JDK class's statics (a System Class root:
	// the jimage reader, the perf counters); a JDK container (an Object[],
	// a HashMap) that a JNI global or a thread holds may be anyone's.
	return holder{name: jdkHolder, jdkOnly: g.IsClassObject(p[0])}
}

// cleanerThunk returns the class of what a buffer's Cleaner runs
// (Cleaner.thunk: DirectByteBuffer$Deallocator, FileChannelImpl$Unmapper
// or one of its subclasses), or "" when it has none.
func cleanerThunk(g *heap.Graph, f fields) string {
	thunk := readFields(g, f.ref("cleaner")).ref("thunk")
	if thunk == heap.None {
		return ""
	}
	return g.Classes[g.ClassOf(thunk)].Name
}

// kindOf tells where a buffer's memory came from. A missing Cleaner alone
// does not tell: netty's buffers have none and are direct memory all the
// same; the JDK's own mappings are told by who holds them.
func kindOf(g *heap.Graph, f fields, h holder) BufferKind {
	thunk := cleanerThunk(g, f)
	switch {
	case strings.HasSuffix(thunk, "DirectByteBuffer$Deallocator"):
		return Allocated
	case f.ref("fd") != heap.None || strings.Contains(thunk, "Unmapper"):
		return MappedFile
	case h.jdkOnly:
		return JDKInternal
	}
	return NoCleaner
}

// OffHeap finds the memory the heap's direct buffers point at: every
// java.nio.DirectByteBuffer (MappedByteBuffer's direct subclass) that owns
// its memory, by kind. Slices and duplicates (a non-null att or, before
// JDK 7, viewedBuffer) are counted
// with the buffer they view, as are buffers at an address another already
// accounts for. Buffers no GC root reaches are only counted.
func OffHeap(g *heap.Graph, t *dominator.Tree, s *paths.Search) *OffHeapReport {
	_, locals := g.RootSet()
	var all []Buffer
	byAddress := map[uint64]int{} // address → index in all
	var views []heap.ObjectIndex
	r := &OffHeapReport{Buffers: []Buffer{}, Owners: []OwnerGroup{}, MappedFiles: []Buffer{}, JDKInternal: []Buffer{}}
	for _, o := range instancesOf(g, "java.nio.DirectByteBuffer") {
		f := readFields(g, o)
		if viewed(f) != heap.None {
			if t.Idom(o) != dominator.Unreachable {
				views = append(views, o)
			}
			continue
		}
		capacity, _ := f.num("capacity")
		if t.Idom(o) == dominator.Unreachable {
			// Collected already, as far as the heap can tell: counted
			// apart, so that a dump of garbage buffers does not read as
			// one without any.
			r.Unreachable++
			r.UnreachableBytes += uint64(max(capacity, 0))
			continue
		}
		address, _ := f.num("address")
		b := Buffer{Object: objectOf(g, t, o), Index: o, Capacity: uint64(max(capacity, 0)), Address: uint64(address), Strong: s.Reached(o)}
		if k, ok := byAddress[b.Address]; ok && b.Address != 0 {
			all[k].Views++
			continue
		}
		h := holderOf(g, s, locals, o, f.ref("cleaner") != heap.None)
		b.Owner, b.Kind = h.name, kindOf(g, f, h)
		byAddress[b.Address] = len(all)
		all = append(all, b)
	}
	countViews(g, all, views)
	slices.SortFunc(all, func(a, b Buffer) int {
		return cmp.Or(cmp.Compare(b.Capacity, a.Capacity), strings.Compare(a.ID, b.ID)) // biggest first
	})
	for _, b := range all {
		r.add(b)
	}
	for _, b := range r.Buffers {
		r.Views += b.Views // the direct memory's, as the line it is on says
	}
	r.Owners = groupByOwner(r.Buffers)
	return r
}

// countViews counts each slice or duplicate with the buffer it
// (ultimately) views.
func countViews(g *heap.Graph, buffers []Buffer, views []heap.ObjectIndex) {
	index := map[string]int{}
	for k, b := range buffers {
		index[b.ID] = k
	}
	for _, v := range views {
		root := v
		for steps := 0; steps < 16; steps++ {
			a := viewed(readFields(g, root))
			if a == heap.None {
				break
			}
			root = a
		}
		if k, ok := index[fmt.Sprintf("0x%x", g.ID(root))]; ok {
			buffers[k].Views++
		}
	}
}

// viewed returns the buffer a slice or duplicate views (att; viewedBuffer
// before JDK 7), or None for a buffer that owns its memory.
func viewed(f fields) heap.ObjectIndex {
	if a := f.ref("att"); a != heap.None {
		return a
	}
	return f.ref("viewedBuffer")
}

// add files a buffer under its kind.
func (r *OffHeapReport) add(b Buffer) {
	switch b.Kind {
	case MappedFile:
		r.MappedFiles = append(r.MappedFiles, b)
		r.MappedBytes += b.Capacity
		return
	case JDKInternal:
		r.JDKInternal = append(r.JDKInternal, b)
		r.JDKInternalBytes += b.Capacity
		return
	case Allocated:
		r.Allocated += b.Capacity
	case NoCleaner:
		r.NoCleaner += b.Capacity
	}
	r.Buffers = append(r.Buffers, b)
	r.Total += b.Capacity
	switch {
	case b.Strong:
		r.Strong += b.Capacity
	case b.Kind == Allocated:
		r.PendingFree += b.Capacity
	default:
		r.NotFreed += b.Capacity
	}
}

// groupByOwner sums buffers by owner, biggest first.
func groupByOwner(buffers []Buffer) []OwnerGroup {
	owners := map[string]*OwnerGroup{}
	for _, b := range buffers {
		og := owners[b.Owner]
		if og == nil {
			og = &OwnerGroup{Owner: b.Owner}
			owners[b.Owner] = og
		}
		og.Buffers++
		og.Capacity += b.Capacity
	}
	out := []OwnerGroup{}
	for _, og := range owners {
		out = append(out, *og)
	}
	slices.SortFunc(out, func(a, b OwnerGroup) int {
		return cmp.Or(cmp.Compare(b.Capacity, a.Capacity), strings.Compare(a.Owner, b.Owner)) // biggest first
	})
	return out
}

// DirectSuspect is the direct memory that suspects report beside the heap:
// off the heap, it is in no retained size, and a leak of netty's buffers
// fills it while the heap looks small.
type DirectSuspect struct {
	Total       uint64 `json:"direct_bytes"`
	Buffers     int    `json:"buffers"`
	Strong      uint64 `json:"strong_bytes"`
	PendingFree uint64 `json:"pending_free_bytes"`
	NotFreed    uint64 `json:"not_strong_no_cleaner_bytes"`
	// Owners group the strongly reachable buffers, biggest first: the
	// others have no holder to act on.
	Owners   []OwnerGroup `json:"owners"`
	Sentence string       `json:"explanation"`
}

// ownersShown is how many owners a DirectSuspect's sentence names.
const ownersShown = 3

// DirectSuspectOf returns r's direct memory as a suspect when it is at
// least threshold (a fraction, as Suspects takes it) of the reachable
// heap's reachable bytes, or nil.
func DirectSuspectOf(r *OffHeapReport, reachable uint64, threshold float64) *DirectSuspect {
	if r.Total == 0 || float64(r.Total) < threshold*float64(reachable) {
		return nil
	}
	var strong []Buffer
	for _, b := range r.Buffers {
		if b.Strong {
			strong = append(strong, b)
		}
	}
	d := &DirectSuspect{Total: r.Total, Buffers: len(r.Buffers), Strong: r.Strong, PendingFree: r.PendingFree, NotFreed: r.NotFreed, Owners: groupByOwner(strong)}
	d.Sentence = d.sentence(reachable)
	return d
}

// sentence says d in plain words: "96 MiB of direct memory in 16 buffers,
// beside a reachable heap of 917 KiB: 56 MiB of it strongly
// reachable, held by class DirectLeak (56 MiB in 11 buffers); 40 MiB
// reachable only through a Cleaner, freed after the next GC."
func (d *DirectSuspect) sentence(reachable uint64) string {
	var parts []string
	if d.Strong > 0 {
		var owners []string
		for _, og := range d.Owners[:min(len(d.Owners), ownersShown)] {
			owners = append(owners, fmt.Sprintf("%s (%s in %s)", og.Owner, humanize.IBytes(og.Capacity), render.Nouns(og.Buffers, "buffer", "buffers")))
		}
		if more := len(d.Owners) - ownersShown; more > 0 {
			owners = append(owners, render.Nouns(more, "more owner", "more owners"))
		}
		parts = append(parts, fmt.Sprintf("%s of it strongly reachable, held by %s", humanize.IBytes(d.Strong), joinAnd(owners)))
	}
	if d.PendingFree > 0 {
		parts = append(parts, fmt.Sprintf("%s reachable only through a Cleaner, freed after the next GC", humanize.IBytes(d.PendingFree)))
	}
	if d.NotFreed > 0 {
		parts = append(parts, fmt.Sprintf("%s in buffers without a Cleaner that no strong path reaches, which nothing frees when they are collected", humanize.IBytes(d.NotFreed)))
	}
	return fmt.Sprintf("%s of direct memory in %s, beside a reachable heap of %s: %s.",
		humanize.IBytes(d.Total), render.Nouns(d.Buffers, "buffer", "buffers"), humanize.IBytes(reachable), strings.Join(parts, "; "))
}
