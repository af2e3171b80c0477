package heap

import (
	"slices"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/index"
)

func TestIndexRoundTrip(t *testing.T) {
	path := repoFile(t, "testdata/dumps/Spark22713.hprof")
	g, err := Open(path, hprof.Options{}, Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	id, err := index.Identify(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var w index.Writer
	if err := g.SaveIndex(&w); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(dir, "graph", id); err != nil {
		t.Fatal(err)
	}
	p, err := index.Open(dir, "graph", id)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	l, err := LoadIndex(p, func() (*hprof.File, error) { return hprof.Open(path, hprof.Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
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
