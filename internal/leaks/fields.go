// Package leaks holds the analyses for the leaks users meet beyond the
// dominator tree: class loaders that pile up, direct (off-heap) buffers,
// threads and their stacks, and Spark executors' memory accounting. Each
// returns plain data; the commands render it.
package leaks

import (
	"strings"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// fields reads an instance's fields by name. Names match exactly or as the
// suffix scalac gives private fields ("org$apache$spark$...$$data" for
// data); the first (most derived) match wins.
type fields struct {
	g  *heap.Graph
	fs []heap.FieldValue
}

func readFields(g *heap.Graph, o heap.ObjectIndex) fields {
	if o == heap.None || g.Kind(o) != heap.KindInstance {
		return fields{g: g}
	}
	fs, _ := g.InstanceFields(o)
	return fields{g: g, fs: fs}
}

func (f fields) find(name string) (heap.FieldValue, bool) {
	for _, v := range f.fs {
		if v.Name == name {
			return v, true
		}
	}
	for _, v := range f.fs {
		if strings.HasSuffix(v.Name, "$"+name) {
			return v, true
		}
	}
	return heap.FieldValue{}, false
}

// jdkClasses returns the classes of the name the JVM's own (bootstrap)
// loader defines.
func jdkClasses(g *heap.Graph, name string) []heap.ClassIndex {
	var out []heap.ClassIndex
	for _, c := range g.ClassByName(name) {
		if g.Classes[c].LoaderID == 0 {
			out = append(out, c)
		}
	}
	return out
}

// jdkStatic returns the object that the static reference field name of
// the JDK's class (jdkClasses) holds, or None.
func jdkStatic(g *heap.Graph, class, name string) heap.ObjectIndex {
	for _, c := range jdkClasses(g, class) {
		for _, st := range g.Classes[c].Statics {
			if st.Name == name && st.Type == hprof.TypeObject && st.Value != 0 {
				return g.Lookup(st.Value)
			}
		}
	}
	return heap.None
}

// ref returns the object a reference field points at, or None.
func (f fields) ref(name string) heap.ObjectIndex {
	v, ok := f.find(name)
	if !ok || v.Type != hprof.TypeObject || v.Value == 0 {
		return heap.None
	}
	return f.g.Lookup(v.Value)
}

// num returns a numeric field as int64.
func (f fields) num(name string) (int64, bool) {
	v, ok := f.find(name)
	if !ok {
		return 0, false
	}
	switch v.Type {
	case hprof.TypeLong:
		return int64(v.Value), true
	case hprof.TypeInt:
		return int64(int32(v.Value)), true
	case hprof.TypeShort:
		return int64(int16(v.Value)), true
	case hprof.TypeByte:
		return int64(int8(v.Value)), true
	case hprof.TypeBoolean:
		return int64(v.Value & 1), true
	}
	return 0, false
}

func (f fields) boolean(name string) (bool, bool) {
	n, ok := f.num(name)
	return n != 0, ok
}

// str returns a String field's text.
func (f fields) str(name string) string {
	s, _ := f.g.StringValue(f.ref(name))
	return s
}

// entry is a key and value of a map (value None for sets and lists).
type entry struct{ key, value heap.ObjectIndex }

// elements walks java.util collections: HashMap, LinkedHashMap, HashSet,
// LinkedHashSet, ConcurrentHashMap, ArrayList, and Scala's mutable HashMap
// (2.12's and 2.13's); Scala's HashSet is not followed.
// Cycles and oversized structures are cut at limit entries.
func elements(g *heap.Graph, o heap.ObjectIndex, limit int) []entry {
	if o == heap.None {
		return nil
	}
	name := g.Classes[g.ClassOf(o)].Name
	f := readFields(g, o)
	switch {
	case strings.HasSuffix(name, "HashSet"):
		var out []entry
		for _, e := range elements(g, f.ref("map"), limit) {
			out = append(out, entry{key: e.key, value: heap.None})
		}
		return out
	case strings.HasSuffix(name, "HashMap") || strings.HasSuffix(name, "Hashtable"):
		return hashEntries(g, f.ref("table"), limit)
	case strings.HasSuffix(name, "ArrayList") || strings.HasSuffix(name, "Vector"):
		data := f.ref("elementData")
		n, _ := f.num("size")
		if n == 0 {
			n, _ = f.num("elementCount")
		}
		var out []entry
		for i, x := range arraySlots(g, data) {
			if int64(i) >= n || len(out) >= limit {
				break
			}
			if x != heap.None {
				out = append(out, entry{key: x, value: heap.None})
			}
		}
		return out
	}
	return nil
}

// hashEntries follows a hash table's buckets and their next chains.
func hashEntries(g *heap.Graph, table heap.ObjectIndex, limit int) []entry {
	var out []entry
	seen := map[heap.ObjectIndex]bool{}
	for _, n := range arraySlots(g, table) {
		for steps := 0; n != heap.None && !seen[n] && len(out) < limit && steps < limit; steps++ {
			seen[n] = true
			f := readFields(g, n)
			k := f.ref("key")
			v := f.ref("value")
			if v == heap.None {
				v = f.ref("val") // ConcurrentHashMap.Node
			}
			next := f.ref("next")
			if k == heap.None {
				// Scala 2.13's mutable.HashMap.Node (2.12's DefaultEntry
				// has key, value, next, as java.util's).
				k, v, next = f.ref("_key"), f.ref("_value"), f.ref("_next")
			}
			if k != heap.None {
				out = append(out, entry{key: k, value: v})
			}
			n = next
		}
	}
	return out
}

// arraySlots returns an object array's elements (None for null).
func arraySlots(g *heap.Graph, a heap.ObjectIndex) []heap.ObjectIndex {
	if a == heap.None || g.Kind(a) != heap.KindObjectArray {
		return nil
	}
	var out []heap.ObjectIndex
	idSize := g.Model.IDSize
	g.WithRecord(a, func(rec hprof.SubRecord) error { // in place: no copy of a big table
		out = make([]heap.ObjectIndex, 0, len(rec.Body)/idSize)
		for i := 0; i+idSize <= len(rec.Body); i += idSize {
			if id := hprof.ReadID(rec.Body[i:], idSize); id != 0 {
				out = append(out, g.Lookup(id))
			} else {
				out = append(out, heap.None)
			}
		}
		return nil
	})
	return out
}

// instancesOf lists the instances of a class and its subclasses.
func instancesOf(g *heap.Graph, names ...string) []heap.ObjectIndex {
	var bases []heap.ClassIndex
	for _, n := range names {
		bases = append(bases, g.ClassByName(n)...)
	}
	if len(bases) == 0 {
		return nil
	}
	match := make([]bool, len(g.Classes))
	for c := range g.Classes {
		for _, b := range bases {
			if g.IsSubclassOf(heap.ClassIndex(c), b) {
				match[c] = true
			}
		}
	}
	return g.ObjectsOf(match)
}
