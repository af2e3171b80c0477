package heap

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/par"
)

// savedGraph builds the Spark fixture's graph and saves its index part in
// a temporary folder.
func savedGraph(t *testing.T) (g *Graph, path, dir string, id index.Identity) {
	t.Helper()
	path = repoFile(t, "testdata/dumps/Spark22713.hprof")
	g, err := Open(path, hprof.Options{}, Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	if id, err = index.Identify(path); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	var w index.Writer
	if err := g.SaveIndex(&w); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(dir, "graph", id); err != nil {
		t.Fatal(err)
	}
	return g, path, dir, id
}

// loadedGraph loads the graph part that savedGraph saved.
func loadedGraph(t *testing.T, path, dir string, id index.Identity) *Graph {
	t.Helper()
	p, err := index.Open(dir, "graph", id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	l, err := LoadIndex(p, func() (*hprof.File, error) { return hprof.Open(path, hprof.Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestIndexRoundTrip(t *testing.T) {
	g, path, dir, id := savedGraph(t)
	l := loadedGraph(t, path, dir, id)
	if l.NumObjects() != g.NumObjects() || l.NumEdges() != g.NumEdges() || len(l.Classes) != len(g.Classes) {
		t.Fatalf("loaded %d objects %d edges %d classes, built %d %d %d", l.NumObjects(), l.NumEdges(), len(l.Classes), g.NumObjects(), g.NumEdges(), len(g.Classes))
	}
	for i := 0; i < g.NumObjects(); i++ {
		o := ObjectIndex(i)
		if l.ID(o) != g.ID(o) || l.ClassOf(o) != g.ClassOf(o) || l.ShallowSize(o) != g.ShallowSize(o) ||
			!slices.Equal(l.Refs(o), g.Refs(o)) || l.ReferentFirst(o) != g.ReferentFirst(o) ||
			l.IsClassObject(o) != g.IsClassObject(o) || l.RecordOffset(o) != g.RecordOffset(o) {
			t.Fatalf("object %d differs after the round trip", i)
		}
	}
	o := g.Lookup(0xfab1e388)
	a, _ := g.InstanceFields(o)
	b, err := l.InstanceFields(o)
	if err != nil || !slices.Equal(a, b) {
		t.Errorf("fields differ: %v", err)
	}
	if l.DescribeRoot(g.Threads[0].Object) != g.DescribeRoot(g.Threads[0].Object) || l.FrameDescription(g.Threads[0].Serial, 0) != g.FrameDescription(g.Threads[0].Serial, 0) {
		t.Error("roots or frames differ")
	}
}

// TestClassesCheckedAsRead damages one block of the class array in a
// graph part: the part still loads (the array is checked as it is read),
// a class read from another block is right, and every read of the
// damaged one (ClassOf, and the scans ObjectsOf, Histogram and Referrers,
// which check it stretch by stretch) panics as damage, never answers.
func TestClassesCheckedAsRead(t *testing.T) {
	g, path, dir, id := savedGraph(t)
	// The damaged block: the second of the section (16 Ki objects each).
	const block = 64 << 10
	bad := ObjectIndex(block/4 + 100)
	good := ObjectIndex(100)
	if g.NumObjects() <= int(bad) {
		t.Fatalf("%d objects: too few for two blocks", g.NumObjects())
	}
	file := filepath.Join(dir, "graph.idx")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	off := sectionOffset(t, b, "class")
	b[off+uint64(bad)*4] ^= 0x10
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	l := loadedGraph(t, path, dir, id) // loads: the classes are checked as read
	if l.ClassOf(good) != g.ClassOf(good) {
		t.Errorf("object %d: class %d, want %d", good, l.ClassOf(good), g.ClassOf(good))
	}
	all := make([]bool, len(l.Classes))
	for c := range all {
		all[c] = true
	}
	for name, read := range map[string]func(){
		"ClassOf":   func() { l.ClassOf(bad) },
		"ObjectsOf": func() { l.ObjectsOf(all) },
		"Histogram": func() { l.Histogram() },
		"Referrers": func() { l.Referrers(good) },
	} {
		func() {
			defer func() {
				f, ok := par.AsFault(recover())
				if !ok || f.Damaged == nil || !strings.Contains(f.Damaged.Error(), "section class fails its checksum") {
					t.Errorf("%s over a damaged block: %v, want it reported as damage", name, f)
				}
			}()
			read()
		}()
	}
}

// sectionOffset returns where the section name starts in the index part
// b (its table: a count at byte 12, and from byte 64 entries of 36 bytes,
// a name in 16 then the offset).
func sectionOffset(t *testing.T, b []byte, name string) uint64 {
	t.Helper()
	le := binary.LittleEndian
	for i := range int(le.Uint32(b[12:])) {
		e := b[64+36*i:]
		if strings.TrimRight(string(e[:16]), "\x00") == name {
			return le.Uint64(e[16:])
		}
	}
	t.Fatalf("no section %s", name)
	return 0
}
