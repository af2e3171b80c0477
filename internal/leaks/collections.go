package leaks

import (
	"cmp"
	"slices"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// CollectionStats are one collection class's figures over its reachable
// instances (Eclipse MAT's collection fill ratio, by class).
type CollectionStats struct {
	Class       string `json:"class"`
	Collections int64  `json:"collections"`
	// Empty counts those holding nothing; FillUpTo25 … FillOver75 the
	// others by their fill ratio, entries over capacity (a hash table's
	// may pass 1: entries chained in one bucket).
	Empty      int64 `json:"empty"`
	FillUpTo25 int64 `json:"fill_up_to_25"`
	FillUpTo50 int64 `json:"fill_up_to_50"`
	FillUpTo75 int64 `json:"fill_up_to_75"`
	FillOver75 int64 `json:"fill_over_75"`
	Entries    int64 `json:"entries"`
	// Slots are the backing arrays' lengths, UnusedSlots those holding no
	// reference, UnusedBytes what those take (a reference each).
	Slots       int64  `json:"slots"`
	UnusedSlots int64  `json:"unused_slots"`
	UnusedBytes uint64 `json:"unused_bytes"`
	// Bytes are the collections' own shallow sizes and their backing
	// arrays' (a set's map's too), not what the entries hold.
	Bytes uint64 `json:"bytes"`
	// Worst is the collection with the most unused bytes (the first in
	// dump order among equals).
	Worst Object `json:"most_unused"`
}

// collectionKind is how a collection class keeps its entries.
type collectionKind uint8

const (
	notCollection collectionKind = iota
	hashTable                    // size (count) and a table of buckets
	pairTable                    // IdentityHashMap: a key and a value per entry in one table
	arrayList                    // size (elementCount) and an array filled from 0
	deque                        // ArrayDeque: head and tail in a circular array
	hashSet                      // a HashMap (map) holds its entries
	concurrentMap                // ConcurrentHashMap: baseCount and counter cells (JDK 8+), or segments (JDK 5-7)
)

// collectionBases are the JDK classes whose subclasses are measured, with
// the fields that give their size and their backing array.
var collectionBases = []struct {
	name        string
	kind        collectionKind
	size, array string
}{
	{"java.util.HashMap", hashTable, "size", "table"},
	{"java.util.Hashtable", hashTable, "count", "table"},
	{"java.util.WeakHashMap", hashTable, "size", "table"},
	{"java.util.IdentityHashMap", pairTable, "size", "table"},
	{"java.util.ArrayList", arrayList, "size", "elementData"},
	{"java.util.Vector", arrayList, "elementCount", "elementData"},
	{"java.util.PriorityQueue", arrayList, "size", "queue"},
	{"java.util.ArrayDeque", deque, "", "elements"},
	{"java.util.HashSet", hashSet, "", "map"},
	{"java.util.concurrent.ConcurrentHashMap", concurrentMap, "baseCount", "table"},
}

// aCollection is one collection as Collections reads it.
type aCollection struct {
	obj   heap.ObjectIndex
	class heap.ClassIndex
	base  int // in collectionBases
	size  int64
	array heap.ObjectIndex // the backing array, or None (a lazily made table)
	// head and tail, for a deque; the counter cells' array, or the
	// segments' (JDK 5-7), for a concurrent map; the map, for a set.
	head, tail int64
	cells      heap.ObjectIndex
	segments   heap.ObjectIndex
	inner      heap.ObjectIndex
	segs       []heap.ObjectIndex // the segments, each measured as a hash table
}

// Collections measures the reachable instances of the JDK's collection
// classes and their subclasses: HashMap (LinkedHashMap …), Hashtable
// (Properties), WeakHashMap, IdentityHashMap, ArrayList, Vector (Stack),
// PriorityQueue, ArrayDeque, HashSet (LinkedHashSet: through its map) and
// ConcurrentHashMap. A collection's size is its own field (HashMap's size,
// Hashtable's count; ConcurrentHashMap's baseCount plus its counter
// cells', or its segments' counts before JDK 8), its capacity its backing
// array's length (half an IdentityHashMap's table), and its unused slots
// the array's elements that hold no reference. The records are read in
// dump order in a few walks (heap.Graph.EachRecord): the collections, then
// the counter cells and segments, then the arrays. Rows come most unused
// bytes first.
func Collections(g *heap.Graph, t *dominator.Tree) ([]CollectionStats, error) {
	kindOf := collectionClasses(g)
	var objs []heap.ObjectIndex
	for o, c := range g.ClassArray() {
		if x := heap.ObjectIndex(o); kindOf[c] >= 0 && g.Kind(x) == heap.KindInstance && t.Idom(x) != dominator.Unreachable {
			objs = append(objs, x)
		}
	}
	all := make([]aCollection, 0, len(objs)) // in object order
	err := g.EachRecord(objs, func(x heap.ObjectIndex, rec hprof.SubRecord) error {
		fs, err := g.InstanceFieldsIn(x, rec)
		if err != nil {
			return nil
		}
		c := g.ClassOf(x)
		b := collectionBases[kindOf[c]]
		col := aCollection{obj: x, class: c, base: kindOf[c], array: heap.None, cells: heap.None, segments: heap.None, inner: heap.None}
		// The base class's fields: a subclass may declare fields of the
		// same names.
		num := func(name string) int64 {
			if f, ok := declaredField(g, fs, name, b.name); ok && f.Type == hprof.TypeInt {
				return int64(int32(f.Value))
			} else if ok && f.Type == hprof.TypeLong {
				return int64(f.Value)
			}
			return 0
		}
		ref := func(name string) heap.ObjectIndex {
			if f, ok := declaredField(g, fs, name, b.name); ok && f.Type == hprof.TypeObject && f.Value != 0 {
				return g.Lookup(f.Value)
			}
			return heap.None
		}
		col.size = num(b.size)
		switch b.kind {
		case hashSet:
			col.inner = ref(b.array)
		case hashTable:
			// JDK 9+'s Properties keeps its entries in a ConcurrentHashMap
			// (its field map), its Hashtable part empty: measured as that
			// map.
			if f, ok := declaredField(g, fs, "map", "java.util.Properties"); ok && f.Type == hprof.TypeObject && f.Value != 0 {
				col.inner = g.Lookup(f.Value)
			}
			col.array = ref(b.array)
		case deque:
			col.head, col.tail = num("head"), num("tail")
			col.array = ref(b.array)
		case concurrentMap:
			col.array, col.cells, col.segments = ref(b.array), ref("counterCells"), ref("segments")
		default:
			col.array = ref(b.array)
		}
		all = append(all, col)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The counter cells' values, and the segments' counts and tables.
	var second []heap.ObjectIndex
	for _, col := range all {
		for _, holder := range []heap.ObjectIndex{col.cells, col.segments} {
			if holder != heap.None && g.Kind(holder) == heap.KindObjectArray {
				second = append(second, g.Refs(holder)...)
			}
		}
	}
	slices.Sort(second)
	second = slices.Compact(second)
	type part struct {
		value int64 // a cell's value, a segment's count
		table heap.ObjectIndex
	}
	parts := map[heap.ObjectIndex]part{}
	err = g.EachRecord(second, func(x heap.ObjectIndex, rec hprof.SubRecord) error {
		fs, err := g.InstanceFieldsIn(x, rec)
		if err != nil {
			return nil
		}
		f := fields{g: g, fs: fs}
		p := part{table: f.ref("table")}
		for _, name := range []string{"value", "count"} {
			if v, ok := f.find(name); ok && (v.Type == hprof.TypeLong || v.Type == hprof.TypeInt) {
				p.value, _ = f.num(name)
				break
			}
		}
		parts[x] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range all {
		col := &all[i]
		if col.cells != heap.None && g.Kind(col.cells) == heap.KindObjectArray {
			for _, c := range g.Refs(col.cells) {
				col.size += parts[c].value
			}
		}
		if col.segments != heap.None && g.Kind(col.segments) == heap.KindObjectArray {
			col.segs = g.Refs(col.segments)
			for _, s := range col.segs {
				col.size += parts[s].value
			}
		}
	}
	// The backing arrays' lengths.
	var arrays []heap.ObjectIndex
	for _, col := range all {
		if col.array != heap.None && g.Kind(col.array) == heap.KindObjectArray {
			arrays = append(arrays, col.array)
		}
		for _, s := range col.segs {
			if tb := parts[s].table; tb != heap.None && g.Kind(tb) == heap.KindObjectArray {
				arrays = append(arrays, tb)
			}
		}
	}
	slices.Sort(arrays)
	arrays = slices.Compact(arrays)
	lengths := make([]int64, len(arrays)) // by place in arrays: a few million of them, too many for a map
	n := 0
	err = g.EachRecord(arrays, func(x heap.ObjectIndex, rec hprof.SubRecord) error {
		lengths[n] = int64(rec.Length)
		n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	length := func(a heap.ObjectIndex) int64 {
		if k, ok := slices.BinarySearch(arrays, a); ok {
			return lengths[k]
		}
		return 0
	}
	find := func(x heap.ObjectIndex) (int, bool) {
		return slices.BinarySearchFunc(all, x, func(c aCollection, x heap.ObjectIndex) int { return cmp.Compare(c.obj, x) })
	}
	refSize := uint64(g.Model.RefSize)
	// The rows by class name (several loaders may define one), found by
	// class index.
	byName := map[string]*CollectionStats{}
	rowOf := make([]*CollectionStats, len(g.Classes))
	worst := map[*CollectionStats]uint64{}
	// A set's map counts in the set's row, not in its own class's too.
	inSet := bitset.New(g.NumObjects())
	for _, col := range all {
		if col.inner != heap.None {
			inSet.Add(int32(col.inner))
		}
	}
	for _, col := range all {
		if inSet.Has(int32(col.obj)) {
			continue
		}
		// A set, or a Properties, is measured by its map: the map's size
		// and table (and a ConcurrentHashMap's segments).
		size, array, segs, bytes := col.size, col.array, col.segs, g.ShallowSize(col.obj)
		if collectionBases[col.base].kind == hashSet || col.inner != heap.None {
			k, ok := find(col.inner)
			if !ok || col.inner == heap.None {
				continue // no map the dump has: nothing to measure
			}
			size, array, segs = all[k].size, all[k].array, all[k].segs
			bytes += g.ShallowSize(col.inner)
		}
		var tables []heap.ObjectIndex
		if array != heap.None && g.Kind(array) == heap.KindObjectArray {
			tables = append(tables, array)
		}
		for _, s := range segs {
			bytes += g.ShallowSize(s)
			if tb := parts[s].table; tb != heap.None && g.Kind(tb) == heap.KindObjectArray {
				tables = append(tables, tb)
			}
		}
		var slots, used int64
		for _, tb := range tables {
			slots += length(tb)
			used += int64(len(g.Refs(tb)))
			bytes += g.ShallowSize(tb)
		}
		if collectionBases[col.base].kind == deque && len(tables) == 1 {
			size = col.tail - col.head
			if size < 0 {
				size += slots
			}
		}
		capacity := slots
		if collectionBases[col.base].kind == pairTable {
			capacity = slots / 2
		}
		size = max(size, 0)
		r := rowOf[col.class]
		if r == nil {
			name := g.Classes[col.class].Name
			if r = byName[name]; r == nil {
				r = &CollectionStats{Class: name}
				byName[name] = r
			}
			rowOf[col.class] = r
		}
		r.Collections++
		r.Entries += size
		r.Slots += slots
		r.UnusedSlots += max(slots-used, 0)
		unused := uint64(max(slots-used, 0)) * refSize
		r.UnusedBytes += unused
		r.Bytes += bytes
		switch {
		case size == 0:
			r.Empty++
		case 4*size <= capacity:
			r.FillUpTo25++
		case 2*size <= capacity:
			r.FillUpTo50++
		case 4*size <= 3*capacity:
			r.FillUpTo75++
		default:
			r.FillOver75++
		}
		if w, ok := worst[r]; !ok || unused > w {
			worst[r] = unused
			r.Worst = objectOf(g, t, col.obj)
		}
	}
	out := make([]CollectionStats, 0, len(byName))
	for _, r := range byName {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b CollectionStats) int {
		return cmp.Or(cmp.Compare(b.UnusedBytes, a.UnusedBytes), cmp.Compare(b.Collections, a.Collections), cmp.Compare(a.Class, b.Class))
	})
	return out, nil
}

// collectionClasses returns, for each class, the place in collectionBases
// of the nearest of its superclasses (itself included) named there, or
// -1.
func collectionClasses(g *heap.Graph) []int {
	byName := map[string]int{}
	for i, b := range collectionBases {
		byName[b.name] = i
	}
	out := make([]int, len(g.Classes))
	for c := range g.Classes {
		out[c] = -1
		for s, steps := heap.ClassIndex(c), 0; s >= 0 && steps < 64; s, steps = g.Classes[s].Super, steps+1 {
			if i, ok := byName[g.Classes[s].Name]; ok {
				out[c] = i
				break
			}
		}
	}
	return out
}

// declaredField returns the field called name that the class called
// class declares.
func declaredField(g *heap.Graph, fs []heap.FieldValue, name, class string) (heap.FieldValue, bool) {
	for _, f := range fs {
		if f.Name == name && g.Classes[f.Declaring].Name == class {
			return f, true
		}
	}
	return heap.FieldValue{}, false
}
