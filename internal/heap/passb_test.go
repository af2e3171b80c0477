package heap

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// TestEdgeSlots: pass B writes references into slots and moves them
// down (edgeSlots), with a few chunks in buffers of their own. A random
// dump of five chunks: the second's ids descend (a loose chunk), the
// third's and fourth's ranges of ids are swapped (numbered from a base,
// but not in file order). Every object's references must come out as
// written, dangling and null ones left out, with slots, without, and
// with bounds too short (a chunk outgrows its slot, and the chunks are
// copied into a new array instead).
func TestEdgeSlots(t *testing.T) {
	defer func(old int) { slotMode = old }(slotMode)
	rng := rand.New(rand.NewPCG(3, 4))
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	node := w.Class("Node", obj, 0, nil, []hproftest.Field{{Name: "a", Type: hprof.TypeObject}, {Name: "n", Type: hprof.TypeLong}, {Name: "b", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	records := 4 // the class dumps above (ObjectArrayClass writes two)
	const n = 4*checkpointEvery + 999
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = w.NewID()
	}
	// The records' positions in the file: chunk k holds the records from
	// k*checkpointEvery - records on.
	chunkOf := func(i int) int { return (records + i) / checkpointEvery }
	first := func(k int) int { return k*checkpointEvery - records }
	slices.Reverse(ids[first(1):first(2)])
	third := slices.Clone(ids[first(2):first(3)])
	copy(ids[first(2):first(3)], ids[first(3):first(4)])
	copy(ids[first(3):first(4)], third)
	const dead = 1 << 40
	pick := func() uint64 {
		switch r := rng.IntN(20); {
		case r == 0:
			return 0
		case r == 1:
			return dead + uint64(rng.IntN(100))*8
		}
		return ids[rng.IntN(n)]
	}
	want := make([][]uint64, n)
	keep := func(i int, id uint64) {
		if id != 0 && id < dead {
			want[i] = append(want[i], id)
		}
	}
	for i, id := range ids {
		if i == 0 || chunkOf(i) != chunkOf(i-1) {
			w.Flush()
		}
		if rng.IntN(3) > 0 {
			a, b := pick(), pick()
			w.Instance(id, node, []hprof.BasicType{hprof.TypeObject, hprof.TypeLong, hprof.TypeObject}, []uint64{a, 7, b})
			keep(i, a)
			keep(i, b)
			continue
		}
		elems := make([]uint64, rng.IntN(12))
		for k := range elems {
			elems[k] = pick()
			keep(i, elems[k])
		}
		w.ObjArray(id, arr, elems)
	}
	data := w.Bytes()
	for _, mode := range []struct {
		name    string
		mode    int
		slotted bool
	}{{"slots", 0, true}, {"no slots", -1, false}, {"short slots", 1, false}} {
		slotMode = mode.mode
		g := buildFile(t, data)
		if g.slotted != mode.slotted || (mode.mode == 1) != (g.outgrown > 0) {
			t.Errorf("%s: references in slots: %v, want %v; %d chunks outgrew their bounds", mode.name, g.slotted, mode.slotted, g.outgrown)
		}
		if mode.mode == 0 {
			based := 0
			for _, c := range g.chunks {
				if c.base >= 0 {
					based++
				}
			}
			if based != 4 || len(g.loose) != first(2)-first(1) {
				t.Errorf("%d chunks numbered from a base and %d loose objects: want 4 and %d", based, len(g.loose), first(2)-first(1))
			}
		}
		for i, id := range ids {
			x := g.Lookup(id)
			var got []uint64
			for _, r := range g.Refs(x) {
				got = append(got, g.ID(r))
			}
			if !slices.Equal(got, want[i]) {
				t.Fatalf("%s: object %d (0x%x, chunk %d): references %x, want %x", mode.name, i, id, chunkOf(i), got, want[i])
			}
		}
	}
}

// TestEdgeSlotsOnDumps: on the committed fixtures and the JDKs' dumps of
// ../shared/dumps (where present), the references with slots are those
// without, and every dump's chunks stay in their slots: refsAtMost bounds
// what pass B takes from a record.
func TestEdgeSlotsOnDumps(t *testing.T) {
	defer func(old int) { slotMode = old }(slotMode)
	paths, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	for _, pat := range []string{"../../../shared/dumps/*/*.hprof", "../../../shared/dumps/*/*.bin"} {
		more, _ := filepath.Glob(pat)
		paths = append(paths, more...)
	}
	if len(paths) == 0 {
		t.Skip("no dumps: testdata/dumps/*.hprof are made by make fixtures")
	}
	for _, path := range paths {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		f, cat := openDump(t, path)
		if len(cat.Dumps) == 0 {
			continue
		}
		build := func(mode int) *Graph {
			slotMode = mode
			g, err := Build(f, cat, Options{Dump: -1})
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return g
		}
		with, without := build(0), build(-1)
		based := false
		for _, c := range with.chunks {
			based = based || c.base >= 0
		}
		if with.slotted != based || with.outgrown > 0 {
			t.Errorf("%s: references in slots %v, want %v; %d chunks with more references than their bound", filepath.Base(path), with.slotted, based, with.outgrown)
		}
		if !slices.Equal(with.edgeStart, without.edgeStart) || !slices.Equal(with.edges, without.edges) {
			t.Errorf("%s: the references differ with slots and without", filepath.Base(path))
		}
		f.Close()
	}
}
