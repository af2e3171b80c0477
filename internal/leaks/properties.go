package leaks

import (
	"math"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/heap"
)

// Property is one of the JVM's system properties.
type Property struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SystemProperties reads the system properties the dump holds, as MAT's
// System Properties query: java.lang.System's static props, a
// java.util.Properties (its ConcurrentHashMap map from JDK 9, its own
// Hashtable before), with what its defaults add, sorted by key. Entries
// whose key or value is not a String, or not in the dump (a reference to
// an id no object has), are left out, and counted in unreadable where the
// table's own count says more. ok is false where the dump has no
// java.lang.System with props (an Android dump, a damaged one).
func SystemProperties(g *heap.Graph) (props []Property, unreadable int, ok bool) {
	holder := jdkStatic(g, "java.lang.System", "props")
	if holder == heap.None {
		return nil, 0, false
	}
	seen := map[string]bool{}
	// The properties, then their defaults' (a key the first sets hides
	// the defaults'), a chain of at most a few.
	for p, depth := holder, 0; p != heap.None && depth < 16; depth++ {
		f := readFields(g, p)
		var entries []entry
		// The count the table keeps: the map's baseCount and its counter
		// cells' values (which it never folds back), or Hashtable's count
		// (0 in JDK 9's Properties, which leave the Hashtable empty).
		var count int64
		var counted bool
		if m := f.ref("map"); m != heap.None && strings.HasSuffix(g.Classes[g.ClassOf(m)].Name, "ConcurrentHashMap") {
			entries = elements(g, m, maxProperties)
			mf := readFields(g, m)
			count, counted = mf.num("baseCount")
			for _, c := range arraySlots(g, mf.ref("counterCells")) {
				v, _ := readFields(g, c).num("value")
				count += v
			}
		} else {
			entries = hashEntries(g, f.ref("table"), maxProperties)
			count, counted = f.num("count")
		}
		read := 0
		for _, e := range entries {
			// Whole: a class path passes StringValue's 64 Ki characters.
			k, kok := g.StringText(e.key, math.MaxInt32)
			v, vok := g.StringText(e.value, math.MaxInt32)
			if !kok || !vok {
				continue
			}
			read++
			if !seen[k] {
				seen[k] = true
				props = append(props, Property{Key: k, Value: v})
			}
		}
		if counted && int(count) > read {
			unreadable += int(count) - read
		}
		p = f.ref("defaults")
	}
	slices.SortFunc(props, func(a, b Property) int { return strings.Compare(a.Key, b.Key) })
	return props, unreadable, true
}

// maxProperties bounds the entries read from one Properties.
const maxProperties = 1 << 16

// PropertyValue returns the value of key among props ("" when absent).
func PropertyValue(props []Property, key string) string {
	i, found := slices.BinarySearchFunc(props, key, func(p Property, k string) int { return strings.Compare(p.Key, k) })
	if !found {
		return ""
	}
	return props[i].Value
}
