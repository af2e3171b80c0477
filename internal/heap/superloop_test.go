package heap_test

import (
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// Two classes that name each other as superclass (a damaged dump) made
// every walk up the supers that counts no steps spin forever: paths,
// threads, check and the leak commands hung. The loop is cut, with a
// warning, and the instance's fields still decode.
func TestSuperclassLoop(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	a, b := w.NewID(), w.NewID()
	w.ClassWithID(a, "A", b, 0, nil, []hproftest.Field{{Name: "x", Type: hprof.TypeInt}})
	w.ClassWithID(b, "B", a, 0, nil, nil)
	c := w.Class("C", a, 0, nil, nil)
	inst := w.NewID()
	w.Instance(inst, c, []hprof.BasicType{hprof.TypeInt}, []uint64{7})
	w.Root(hprof.SubRootJNIGlobal, inst, 0, 0)
	_ = obj
	g := heaptest.Build(t, w.Bytes())
	if !strings.Contains(strings.Join(g.Warnings, " "), "loop back") {
		t.Errorf("no warning about the loop: %v", g.Warnings)
	}
	for i := range g.Classes {
		steps := 0
		for s := heap.ClassIndex(i); s >= 0; s = g.Classes[s].Super {
			if steps++; steps > len(g.Classes) {
				t.Fatalf("the supers of %s still loop", g.Classes[i].Name)
			}
		}
	}
	fs, err := g.InstanceFields(g.Lookup(inst))
	if err != nil || len(fs) != 1 || fs[0].Name != "x" || fs[0].Value != 7 {
		t.Errorf("fields %+v, err %v", fs, err)
	}
}
