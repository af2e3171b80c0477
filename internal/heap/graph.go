// Package heap turns a decoded HPROF dump into a compact object graph:
// dense int32 object indices, per-object attributes in parallel slices, and
// outgoing references in compressed sparse row (CSR) form.
//
// Sizes, for N objects and E non-null references (instance → its class is
// implicit, not stored): class 4N, shallow size 4N, CSR offsets 4(N+1),
// references 4E, plus a rank bitmap of one bit per possible
// object address (about 1 byte per object on HotSpot heaps). Object indices
// are int32, so a graph holds at most 2^31-1 objects, and CSR offsets are
// uint32, so at most 2^32-1 references; larger dumps are refused with an
// error saying so.
package heap

import (
	"fmt"
	"math/bits"
	"sync"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/par"
)

// ObjectIndex is the dense index of an object; indices follow object id
// order (address order for HotSpot dumps).
type ObjectIndex int32

// None is the ObjectIndex of no object.
const None ObjectIndex = -1

// ClassIndex is the index of a class in Graph.Classes.
type ClassIndex int32

// ObjectKind says what sort of record an object came from.
type ObjectKind uint8

// Object kinds.
const (
	KindInstance ObjectKind = iota
	KindObjectArray
	KindPrimitiveArray
	KindClass // a class object (java.lang.Class mirror) from a CLASS DUMP
)

// Graph is the object graph of one heap dump.
type Graph struct {
	// File is the dump, for reading records; nil in a graph loaded from an
	// index until a record is first needed (see file).
	File     *hprof.File
	openFile func() (*hprof.File, error)
	// Source describes the dump the graph came from.
	Source  Source
	Catalog *hprof.Catalog
	Dump    int // which heap dump of the file (0-based)
	Model   Model
	// ModelReason says how Model was decided.
	ModelReason string

	Classes []Class
	// ClassClass is java.lang.Class's index, or -1.
	ClassClass ClassIndex

	classIDs  *idMap                          // class object id → ClassIndex
	primClass [hprof.TypeLong + 1]ClassIndex  // primitive array class by element type
	unknown   [ClassPrimitiveArray]ClassIndex // stand-ins for undescribed classes

	ids       *idIndex
	class     []ClassIndex
	size      []uint32 // shallow size in units of 8 bytes
	edgeStart []uint32 // len N+1; references of i are edges[edgeStart[i]:edgeStart[i+1]]
	edges     []ObjectIndex
	// referentFirst marks objects whose first stored reference is
	// java.lang.ref.Reference.referent.
	referentFirst []uint64
	// mirror[i] is set when object i is a class object.
	mirror []uint64
	// claimed marks objects already decoded when ids repeat.
	claimed []uint64
	// evict, in a graph mapped from an index, drops pages of its arrays
	// from the resident set behind a scan (index.Part.Evictor); nil
	// otherwise.
	evict func([]byte)
	// sizeChecked, startChecked and edgesChecked, in a graph mapped from
	// an index, check the size array and the two reference arrays as they
	// are used (index.Deferred): a scan of them checks them whole first
	// (checkSize, checkEdges), a lookup the blocks it reads. Nil
	// otherwise, and then ShallowSize and Refs inline with no call.
	sizeChecked, startChecked, edgesChecked *index.Deferred
	// classChecked checks the class array so: ClassOf the block it
	// reads, ClassArray the whole array, and the scans here (ObjectsOf,
	// Histogram, Referrers) each stretch before they read it.
	classChecked *index.Deferred

	// For tests: whether pass B's references went to slots, and how many
	// chunks had more than refsAtMost said.
	slotted  bool
	outgrown int

	// Where records are: chunks numbered from a base index (sorted by
	// base), and the offsets of all other objects (sorted by index).
	chunks      []chunk
	loose       []looseOffset
	walkMu      sync.Mutex
	walker      *hprof.HeapReader
	walkKey     int // the stretch walked: chunk*(checkpointEvery/markEvery) + mark
	walkOffsets []int64
	// walked: offsets found by earlier walks of the stretches walked last
	// (walkedOrder, oldest first); see keepWalked.
	walked      map[int][]int64
	walkedOrder []int
	walkMap     *hprof.Mapping // what walker reads, closed by endWalk
	// reading is held, shared, while a record is decoded from the
	// mapping, and alone by ReleaseFile, which unmaps it.
	reading sync.RWMutex

	rootIndexOnce sync.Once
	rootSetOnce   sync.Once
	rootSet       []ObjectIndex
	locals        map[ObjectIndex][]LocalRoot
	lookupOnce    sync.Once
	lookupTables  *lookupTables
	rootIndex     *rootIndex

	Roots   []Root
	Threads []Thread
	Stats   Stats
	// Warnings are things the user should know about the dump.
	Warnings []string
	// JVM and Command say which JVM wrote the dump and the command it ran,
	// as its system properties do ("" where unknown): set by whoever
	// builds the graph (reading them needs the dump's records), and kept
	// in the index, so that a compressed dump need not be inflated to
	// tell them.
	JVM, Command string
}

// Stats counts what the dump holds.
type Stats struct {
	Instances, ObjectArrays, PrimitiveArrays, ClassObjects int64
	References                                             int64 // stored, non-null, resolved
	// Dangling counts references to ids that no object in the dump has.
	Dangling int64
	// DanglingRoots counts GC roots naming ids that no object has.
	DanglingRoots int64
	// Duplicates counts object records whose id an earlier record had.
	Duplicates int64
	// RecordsByTag counts heap-dump sub-records.
	RecordsByTag map[hprof.SubTag]int64
}

// NumObjects is the number of objects.
func (g *Graph) NumObjects() int { return len(g.class) }

// ClassOf returns the class of object i (java.lang.Class for class
// objects).
func (g *Graph) ClassOf(i ObjectIndex) ClassIndex {
	if g.classChecked != nil {
		g.checkClassAt(i)
	}
	return g.class[i]
}

// checkClassAt checks the block of the class array that ClassOf(i) reads.
func (g *Graph) checkClassAt(i ObjectIndex) { g.classChecked.CheckEntry(uint64(i), 4) }

// checkClasses checks the classes of objects lo to hi-1, for a scan that
// reads them next, in stretches on all cores.
func (g *Graph) checkClasses(lo, hi int) { g.classChecked.CheckStretch(uint64(lo)*4, uint64(hi)*4) }

// ShallowSize returns the bytes object i occupies in the JVM heap.
func (g *Graph) ShallowSize(i ObjectIndex) uint64 {
	if g.sizeChecked != nil {
		g.checkSizeAt(i)
	}
	return uint64(g.size[i]) << 3
}

// checkSizeAt checks the block of the size array that ShallowSize(i)
// reads (a call of its own, so that ShallowSize stays inlined).
func (g *Graph) checkSizeAt(i ObjectIndex) { g.sizeChecked.CheckEntry(uint64(i), 4) }

// checkSize and checkEdges check the whole arrays of a graph mapped from
// an index, before a scan of them (see sizeChecked).
func (g *Graph) checkSize() { g.sizeChecked.Check() }

func (g *Graph) checkEdges() {
	g.startChecked.Check()
	g.edgesChecked.Check()
}

// ShallowTotal returns the shallow size of all objects: a scan of every
// object's size, on all cores, that drops a mapped size array's pages
// behind it.
func (g *Graph) ShallowTotal() uint64 { return g.shallowTotal(par.Shares(len(g.size), 0)) }

// shallowTotal is ShallowTotal on k shares of the objects.
func (g *Graph) shallowTotal(k int) uint64 {
	g.checkSize()
	n := len(g.size)
	sums := make([]uint64, k)
	par.InShares(n, k, func(t, lo, hi int) {
		var sum uint64
		for from := lo; from < hi; from += ScanBlock {
			to := min(from+ScanBlock, hi)
			for _, s := range g.size[from:to] {
				sum += uint64(s)
			}
			if g.evict != nil {
				g.evict(index.AsBytes(g.size[from:to]))
			}
		}
		sums[t] = sum << 3
	})
	var total uint64
	for _, s := range sums {
		total += s
	}
	return total
}

// ScanBlock is how many objects a scan of mapped arrays takes between
// evictions (1 MB of 4-byte entries), here and in the dominator tree's.
const ScanBlock = 1 << 18

// ID returns the id (address) of object i.
func (g *Graph) ID(i ObjectIndex) uint64 { return g.ids.id(int32(i)) }

// Lookup returns the object with the given id, or None.
func (g *Graph) Lookup(id uint64) ObjectIndex { return ObjectIndex(g.ids.lookup(id)) }

// Refs returns the stored outgoing references of object i, in record
// order: instance fields (java.lang.ref.Reference.referent first, see
// ReferentFirst), array elements, or for class objects the superclass,
// loader, signers, protection domain and object-valued statics. The
// implicit reference from an object to its class is not included; see
// ClassObject. The slice aliases the graph and must not be modified.
func (g *Graph) Refs(i ObjectIndex) []ObjectIndex {
	if g.startChecked != nil {
		g.checkRefs(i)
	}
	return g.edges[g.edgeStart[i]:g.edgeStart[i+1]]
}

// checkRefs checks the blocks of the reference arrays that Refs(i) reads.
func (g *Graph) checkRefs(i ObjectIndex) {
	g.startChecked.CheckRange(uint64(i)*4, uint64(i)*4+8)
	g.edgesChecked.CheckRange(uint64(g.edgeStart[i])*4, uint64(g.edgeStart[i+1])*4)
}

// ReferentFirst reports whether object i's first stored reference is the
// referent of a java.lang.ref.Reference (Weak, Soft, Phantom, Final...).
func (g *Graph) ReferentFirst(i ObjectIndex) bool {
	return g.referentFirst[i>>6]&(1<<(uint(i)&63)) != 0
}

// IsClassObject reports whether object i is a class object.
func (g *Graph) IsClassObject(i ObjectIndex) bool { return g.mirror[i>>6]&(1<<(uint(i)&63)) != 0 }

// ClassObject returns the class object of object i's class (the implicit
// instance → class reference), or None when the dump lacks it.
func (g *Graph) ClassObject(i ObjectIndex) ObjectIndex {
	return g.Classes[g.ClassOf(i)].Object
}

// Kind returns what sort of object i is.
func (g *Graph) Kind(i ObjectIndex) ObjectKind {
	if g.IsClassObject(i) {
		return KindClass
	}
	switch g.Classes[g.ClassOf(i)].Kind {
	case ClassObjectArray:
		return KindObjectArray
	case ClassPrimitiveArray:
		return KindPrimitiveArray
	}
	return KindInstance
}

// EdgeArrays returns the CSR arrays: the references of object i are
// edges[start[i]:start[i+1]]. The slices alias the graph; do not modify.
func (g *Graph) EdgeArrays() (start []uint32, edges []ObjectIndex) {
	g.checkEdges()
	return g.edgeStart, g.edges
}

// ClassArray returns every object's class, indexed by object. Read-only.
func (g *Graph) ClassArray() []ClassIndex {
	g.classChecked.Check()
	return g.class
}

// ClassObjects returns, indexed by class, the index of its class object
// (-1, None, when the dump lacks it), as int32 for the searches that
// follow the implicit instance → class reference beside ClassArray. A new
// slice.
func (g *Graph) ClassObjects() []int32 {
	objs := make([]int32, len(g.Classes))
	for c := range g.Classes {
		objs[c] = int32(g.Classes[c].Object)
	}
	return objs
}

// ObjectsOf lists, in object order, the objects whose class c has
// match[c], class objects left out. It runs on all cores and without
// branches on the classes, which follow no pattern a branch predictor could
// learn: a bitset of the matches first, counted, then read out.
func (g *Graph) ObjectsOf(match []bool) []ObjectIndex {
	return g.objectsOf(match, par.Shares((len(g.class)+63)/64, 0))
}

// objectsOf is ObjectsOf on k shares of the objects.
func (g *Graph) objectsOf(match []bool, k int) []ObjectIndex {
	const evictWords = ScanBlock / 64 // bitset words between evictions
	is := make([]uint64, len(match))
	for c, m := range match {
		if m {
			is[c] = 1
		}
	}
	n := len(g.class)
	words := (n + 63) / 64
	found := make([]uint64, words)
	at := make([]int, k+1)
	par.InShares(words, k, func(t, lo, hi int) {
		count := 0
		for from := lo; from < hi; from += evictWords {
			to := min(from+evictWords, hi)
			g.checkClasses(from*64, to*64)
			for w := from; w < to; w++ {
				var m uint64
				for i, c := range g.class[w*64 : min(w*64+64, n)] {
					m |= is[c] << uint(i)
				}
				m &^= g.mirror[w]
				found[w] = m
				count += bits.OnesCount64(m)
			}
			if g.evict != nil {
				// A mapped class array is read once here: its pages
				// need not stay (120 MB for 30 M objects).
				g.evict(index.AsBytes(g.class[from*64 : min(to*64, n)]))
			}
		}
		at[t+1] = count
	})
	for t := range k {
		at[t+1] += at[t]
	}
	out := make([]ObjectIndex, at[k])
	par.InShares(words, k, func(t, lo, hi int) {
		i := at[t]
		for w := lo; w < hi; w++ {
			for m := found[w]; m != 0; m &= m - 1 {
				out[i] = ObjectIndex(w*64 + bits.TrailingZeros64(m))
				i++
			}
		}
	})
	return out
}

// ReferentBits returns the ReferentFirst bitset, indexed by object.
// Read-only.
func (g *Graph) ReferentBits() []uint64 { return g.referentFirst }

// NumEdges is the number of stored references.
func (g *Graph) NumEdges() int { return len(g.edges) }

// MemoryBytes estimates the memory the graph's per-object arrays hold.
func (g *Graph) MemoryBytes() int64 {
	n := int64(len(g.class))
	return n*(4+4+4) + int64(len(g.edges))*4 + int64(len(g.loose))*16 + int64(len(g.referentFirst)+len(g.mirror))*8 + g.ids.bytes()
}

// Source describes the dump a graph came from.
type Source struct {
	Path           string
	Header         hprof.Header
	Compressed     string // "", "gzip", "gzip (chunked)"
	CompressedSize int64
	DumpBytes      int64 // uncompressed
	Truncated      int64 // offset where a truncated dump ends, or -1
	HeapDumps      int
	RecordCounts   map[string]int
}

func sourceOf(f *hprof.File, cat *hprof.Catalog) Source {
	s := Source{Path: f.Path, Header: f.Header, Compressed: f.Compressed, CompressedSize: f.CompressedSize,
		DumpBytes: f.Size(), Truncated: f.Truncated, HeapDumps: len(cat.Dumps), RecordCounts: map[string]int{}}
	for tag, n := range cat.RecordCounts {
		s.RecordCounts[tag.String()] = n
	}
	return s
}

// file returns the dump for reading records, opening it on first use in a
// graph loaded from an index.
func (g *Graph) file() (*hprof.File, error) {
	g.walkMu.Lock()
	defer g.walkMu.Unlock()
	return g.fileLocked()
}

func (g *Graph) fileLocked() (*hprof.File, error) {
	if g.File == nil {
		if g.openFile == nil {
			return nil, fmt.Errorf("%s: the dump is not open", g.Source.Path)
		}
		f, err := g.openFile()
		if err != nil {
			return nil, err
		}
		g.File = f
	}
	return g.File, nil
}

// ReleaseFile unmaps the dump while only the graph is needed (see
// hprof.File.Release); reading records maps it again.
func (g *Graph) ReleaseFile() {
	g.walkMu.Lock()
	g.endWalk() // the walker is kept: it reads only through the walk's mapping
	g.walkMu.Unlock()
	g.TrimFile()
}

// TrimFile unmaps the dump where records are read, as ReleaseFile does,
// but keeps RecordOffset's walk of its current chunk: the walk reads
// through a mapping of its own with at most that chunk resident, and
// reading on in the chunk need not walk it again from its start.
func (g *Graph) TrimFile() {
	g.reading.Lock() // after every record being read
	defer g.reading.Unlock()
	if g.File != nil {
		g.File.Release()
	}
}

// Close releases the dump file.
func (g *Graph) Close() error {
	g.walkMu.Lock()
	g.endWalk()
	g.walkMu.Unlock()
	if g.File == nil {
		return nil
	}
	return g.File.Close()
}
