package leaks

import (
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// TestSystemPropertiesLiveJVM: on a dump of SystemProps, the properties
// read are every one the JVM listed before the dump, with the same values,
// its own non-ASCII one with a tab and a newline among them.
func TestSystemPropertiesLiveJVM(t *testing.T) {
	g, said := liveJVM(t, "SystemProps", "-Xmx64m", "-Xshare:off")
	props, unreadable, ok := SystemProperties(g)
	if !ok || unreadable != 0 {
		t.Fatalf("ok %v, %d unreadable", ok, unreadable)
	}
	got := map[string]string{}
	for _, p := range props {
		got[p.Key] = p.Value
	}
	want := map[string]string{}
	for _, fields := range said {
		if len(fields) == 1 {
			fields = append(fields, "") // an empty value
		}
		k, err1 := hex.DecodeString(fields[0])
		v, err2 := hex.DecodeString(fields[1])
		if len(fields) != 2 || err1 != nil || err2 != nil {
			t.Fatalf("the program wrote %q", fields)
		}
		want[string(k)] = string(v)
	}
	if len(got) != len(want) || len(want) < 30 {
		t.Errorf("%d properties read, the JVM listed %d", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%q: %q (read %v), the JVM says %q", k, g, ok, v)
		}
	}
	if got["leakscan.fixture"] != "grüße\tund ✓\nzweite Zeile" {
		t.Errorf("leakscan.fixture %q", got["leakscan.fixture"])
	}
}

// TestSystemPropertiesShared: every fixture and shared dump (JDK 5 to 17,
// Hashtable and ConcurrentHashMap forms) gives its properties, naming its
// JVM; the dumps with references to missing objects count the entries
// they cannot read, and only those.
func TestSystemPropertiesShared(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	shared, _ := filepath.Glob("../../../shared/dumps/mat/*.hprof*")
	shared = slices.DeleteFunc(shared, func(p string) bool { return strings.HasSuffix(p, ".leakscan") }) // an index beside one
	for _, path := range append(dumps, shared...) {
		g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		props, unreadable, ok := SystemProperties(g)
		if !ok || len(props) < 40 || PropertyValue(props, "java.vm.name") == "" || PropertyValue(props, "os.name") == "" {
			t.Errorf("%s: ok %v, %d properties, java.vm.name %q", filepath.Base(path), ok, len(props), PropertyValue(props, "java.vm.name"))
		}
		if unreadable > 0 && g.Stats.Dangling == 0 {
			t.Errorf("%s: %d entries unreadable in a dump without dangling references", filepath.Base(path), unreadable)
		}
		g.Close()
	}
}

// propertiesHeap writes java.lang.System with props in JDK 9's form (a
// Properties whose map is a ConcurrentHashMap, its Hashtable count 0) or
// JDK 8's (the Properties' own table), holding a=1, b=2 and an entry whose
// key names an object the dump lacks, with defaults holding a=0 and c=3.
func propertiesHeap(t *testing.T, jdk9 bool) *heap.Graph {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	str := w.StringClass(obj)
	ref := hprof.TypeObject
	node := w.Class("java/util/concurrent/ConcurrentHashMap$Node", obj, 0, nil,
		[]hproftest.Field{{Name: "key", Type: ref}, {Name: "val", Type: ref}, {Name: "next", Type: ref}})
	chm := w.Class("java/util/concurrent/ConcurrentHashMap", obj, 0, nil,
		[]hproftest.Field{{Name: "table", Type: ref}, {Name: "baseCount", Type: hprof.TypeLong}, {Name: "counterCells", Type: ref}})
	cell := w.Class("java/util/concurrent/ConcurrentHashMap$CounterCell", obj, 0, nil, []hproftest.Field{{Name: "value", Type: hprof.TypeLong}})
	entryClass := w.Class("java/util/Hashtable$Entry", obj, 0, nil, []hproftest.Field{{Name: "key", Type: ref}, {Name: "value", Type: ref}, {Name: "next", Type: ref}})
	hashtable := w.Class("java/util/Hashtable", obj, 0, nil, []hproftest.Field{{Name: "table", Type: ref}, {Name: "count", Type: hprof.TypeInt}})
	props := w.Class("java/util/Properties", hashtable, 0, nil, []hproftest.Field{{Name: "defaults", Type: ref}, {Name: "map", Type: ref}})
	arr := w.ObjectArrayClass()
	three := []hprof.BasicType{ref, ref, ref}
	// table writes a Properties with the pairs (a key 0 names no object).
	table := func(pairs [][2]uint64, defaults uint64) uint64 {
		var slots []uint64
		for _, p := range pairs {
			e := w.NewID()
			if jdk9 {
				w.Instance(e, node, three, []uint64{p[0], p[1], 0})
			} else {
				w.Instance(e, entryClass, three, []uint64{p[0], p[1], 0})
			}
			slots = append(slots, e)
		}
		tab, p := w.NewID(), w.NewID()
		w.ObjArray(tab, arr, slots)
		// Properties' fields, then Hashtable's: defaults, map, table, count.
		if jdk9 {
			// The count split between baseCount and two counter cells,
			// one of them negative (a removal on another core).
			m, cells, c1, c2 := w.NewID(), w.NewID(), w.NewID(), w.NewID()
			w.Instance(c1, cell, []hprof.BasicType{hprof.TypeLong}, []uint64{3})
			w.Instance(c2, cell, []hprof.BasicType{hprof.TypeLong}, []uint64{^uint64(0)}) // -1
			w.ObjArray(cells, arr, []uint64{c1, 0, c2})
			w.Instance(m, chm, []hprof.BasicType{ref, hprof.TypeLong, ref}, []uint64{tab, uint64(len(pairs)) - 2, cells})
			w.Instance(p, props, []hprof.BasicType{ref, ref, ref, hprof.TypeInt}, []uint64{defaults, m, 0, 0})
		} else {
			w.Instance(p, props, []hprof.BasicType{ref, ref, ref, hprof.TypeInt}, []uint64{defaults, 0, tab, uint64(len(pairs))})
		}
		return p
	}
	s := func(text string) uint64 { return w.String(str, text) }
	defaults := table([][2]uint64{{s("a"), s("0")}, {s("c"), s("3")}, {s("long"), s(strings.Repeat("x", 100_000))}}, 0)
	missing := uint64(0x7fff0000)
	p := table([][2]uint64{{s("b"), s("2")}, {s("a"), s("1")}, {missing, s("x")}}, defaults)
	system := w.Class("java/lang/System", obj, 0, []hproftest.Static{{Name: "props", Type: ref, Value: p}}, nil)
	w.Root(hprof.SubRootStickyClass, system, 0, 0)
	return heaptest.Build(t, w.Bytes())
}

// TestSystemPropertiesByHand: both forms give a=1 (not the defaults' 0),
// b=2, and c=3 and a value of 100,000 characters, whole, from the defaults, and count the entry whose key the dump
// lacks (JDK 9's by the map's baseCount and counter cells: the
// Hashtable's count is 0).
func TestSystemPropertiesByHand(t *testing.T) {
	for _, jdk9 := range []bool{false, true} {
		props, unreadable, ok := SystemProperties(propertiesHeap(t, jdk9))
		want := []Property{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"long", strings.Repeat("x", 100_000)}}
		if !ok || !slices.Equal(props, want) || unreadable != 1 {
			t.Errorf("jdk9 %v: ok %v, %v, %d unreadable; want %v, 1", jdk9, ok, props, unreadable, want)
		}
	}
}
