package leaks

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// TestCollectionsLiveJVM: on a dump of CollectionFill, each fixture
// class's row says what the JVM itself said of its collections before the
// dump (size(), and the backing arrays read by reflection): instances,
// empty ones, fill-ratio buckets, entries, slots and unused slots.
func TestCollectionsLiveJVM(t *testing.T) {
	g, said := liveJVM(t, "CollectionFill", "-Xmx64m", "-Xshare:off", "--add-opens", "java.base/java.util=ALL-UNNAMED", "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED")
	rows := map[string]CollectionStats{}
	all, err := Collections(g, dominator.Compute(g, dominator.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		rows[r.Class] = r
	}
	lines := 0
	for _, fields := range said {
		if len(fields) != 10 {
			t.Fatalf("the program wrote %q", fields)
		}
		var want [9]int64
		for i := range want {
			want[i], _ = strconv.ParseInt(fields[i+1], 10, 64)
		}
		r, ok := rows[fields[0]]
		got := [9]int64{r.Collections, r.Empty, r.FillUpTo25, r.FillUpTo50, r.FillUpTo75, r.FillOver75, r.Entries, r.Slots, r.UnusedSlots}
		if !ok || got != want {
			t.Errorf("%s: collections, empty, ≤25%%, ≤50%%, ≤75%%, more, entries, slots, unused slots: %v, the JVM says %v", fields[0], got, want)
		}
		if r.UnusedBytes != uint64(r.UnusedSlots)*uint64(g.Model.RefSize) || r.Worst.ID == "" {
			t.Errorf("%s: %d unused bytes for %d slots of %d bytes; most unused %q", fields[0], r.UnusedBytes, r.UnusedSlots, g.Model.RefSize, r.Worst.ID)
		}
		lines++
	}
	if lines != 10 {
		t.Errorf("the program described %d classes, want 10", lines)
	}
}

// TestCollectionsNaive: on the fixture dumps and the shared ones (JDK 5 to
// 11: ConcurrentHashMap's segments before JDK 8, its counter cells after),
// each row's collections, entries, slots and unused slots are what reading
// every collection's fields and arrays on its own (Field, Record, the
// nulls counted in the array's bytes) gives.
func TestCollectionsNaive(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	shared, _ := filepath.Glob("../../../shared/dumps/mat/*.hprof")
	if len(shared) == 0 {
		t.Log("../shared/dumps absent: the fixture dumps only")
	}
	segmented := 0
	for _, path := range append(dumps, shared...) {
		g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		tr := dominator.Compute(g, dominator.Options{})
		want, segs := naiveCollections(g, tr)
		segmented += segs
		got, err := Collections(g, tr)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d classes, naive %d", filepath.Base(path), len(got), len(want))
		}
		for _, r := range got {
			if w := want[r.Class]; [4]int64{r.Collections, r.Entries, r.Slots, r.UnusedSlots} != w {
				t.Errorf("%s: %s: collections, entries, slots, unused %v, naive %v", filepath.Base(path), r.Class,
					[4]int64{r.Collections, r.Entries, r.Slots, r.UnusedSlots}, w)
			}
		}
		g.Close()
	}
	if len(shared) > 0 && segmented == 0 {
		t.Error("no ConcurrentHashMap with segments in the shared dumps: the JDK 5-7 case went untested")
	}
}

// naiveCollections measures each reachable collection on its own, by
// class: collections, entries, slots, unused slots; and counts the maps
// with segments met.
func naiveCollections(g *heap.Graph, tr *dominator.Tree) (map[string][4]int64, int) {
	num := func(x heap.ObjectIndex, name string) int64 {
		f, ok := g.Field(x, name)
		switch {
		case !ok:
			return 0
		case f.Type == hprof.TypeInt:
			return int64(int32(f.Value))
		}
		return int64(f.Value)
	}
	ref := func(x heap.ObjectIndex, name string) heap.ObjectIndex {
		if f, ok := g.Field(x, name); ok && f.Type == hprof.TypeObject && f.Value != 0 {
			return g.Lookup(f.Value)
		}
		return heap.None
	}
	elems := func(a heap.ObjectIndex) (ids []uint64) {
		if a == heap.None {
			return nil
		}
		rec, err := g.Record(a)
		if err != nil || rec.Tag != hprof.SubObjArrayDump {
			return nil
		}
		for i := 0; i+g.Model.IDSize <= len(rec.Body); i += g.Model.IDSize {
			ids = append(ids, hprof.ReadID(rec.Body[i:], g.Model.IDSize))
		}
		return ids
	}
	measure := func(arrays ...heap.ObjectIndex) (slots, unused int64) {
		for _, a := range arrays {
			for _, id := range elems(a) {
				slots++
				if id == 0 || g.Lookup(id) == heap.None {
					unused++
				}
			}
		}
		return
	}
	// delegate is the map a set, or JDK 9+'s Properties, keeps its
	// entries in.
	delegate := func(x heap.ObjectIndex, k collectionKind) heap.ObjectIndex {
		fs, _ := g.InstanceFields(x)
		for _, f := range fs {
			if f.Name == "map" && f.Type == hprof.TypeObject && f.Value != 0 && (k == hashSet || g.Classes[f.Declaring].Name == "java.util.Properties") {
				return g.Lookup(f.Value)
			}
		}
		return heap.None
	}
	kind := collectionClasses(g)
	out := map[string][4]int64{}
	inner := map[heap.ObjectIndex]bool{}
	segmented := 0
	var cols []heap.ObjectIndex
	for o, c := range g.ClassArray() {
		x := heap.ObjectIndex(o)
		if kind[c] < 0 || g.Kind(x) != heap.KindInstance || tr.Idom(x) == dominator.Unreachable {
			continue
		}
		cols = append(cols, x)
		b := collectionBases[kind[c]]
		if m := delegate(x, b.kind); m != heap.None {
			inner[m] = true
		}
	}
	var sizeOf func(x heap.ObjectIndex) (size, slots, unused int64)
	sizeOf = func(x heap.ObjectIndex) (size, slots, unused int64) {
		b := collectionBases[kind[g.ClassOf(x)]]
		if m := delegate(x, b.kind); m != heap.None {
			return sizeOf(m)
		}
		switch b.kind {
		case deque:
			a := ref(x, "elements")
			slots, unused = measure(a)
			size = num(x, "tail") - num(x, "head")
			if size < 0 {
				size += slots
			}
			return size, slots, unused
		case concurrentMap:
			size = num(x, "baseCount")
			for _, id := range elems(ref(x, "counterCells")) {
				if c := g.Lookup(id); c != heap.None {
					size += num(c, "value")
				}
			}
			tables := []heap.ObjectIndex{ref(x, "table")}
			if s := ref(x, "segments"); s != heap.None {
				segmented++
				for _, id := range elems(s) {
					if seg := g.Lookup(id); seg != heap.None {
						size += num(seg, "count")
						tables = append(tables, ref(seg, "table"))
					}
				}
			}
			slots, unused = measure(tables...)
			return size, slots, unused
		}
		slots, unused = measure(ref(x, b.array))
		return num(x, b.size), slots, unused
	}
	for _, x := range cols {
		if inner[x] {
			continue
		}
		if b := collectionBases[kind[g.ClassOf(x)]]; b.kind == hashSet {
			if m := ref(x, "map"); m == heap.None || kind[g.ClassOf(m)] < 0 {
				continue
			}
		}
		size, slots, unused := sizeOf(x)
		name := g.Classes[g.ClassOf(x)].Name
		r := out[name]
		out[name] = [4]int64{r[0] + 1, r[1] + max(size, 0), r[2] + slots, r[3] + unused}
	}
	return out, segmented
}
