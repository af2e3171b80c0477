package heap_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// TestRootSetLocals: a known thread's stack locals become its references,
// each object once per thread in dump order (a deep recursion names the
// same objects in thousands of frames; finding repeats by a search of the
// thread's list was quadratic, 206 s for a 35 MB dump); a local of an
// unknown thread is a root of its own; roots come each once, and every
// call shares one answer.
func TestRootSetLocals(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
	t7, t8, a, b, c, orphan := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	for _, id := range []uint64{t7, t8} {
		w.Instance(id, thread, nil, nil)
	}
	for _, id := range []uint64{a, b, c, orphan} {
		w.Instance(id, obj, nil, nil)
	}
	w.Root(hprof.SubRootThreadObject, t7, 7, 0)
	w.Root(hprof.SubRootThreadObject, t8, 8, 0)
	for i, id := range []uint64{a, b, a, c, b, a} {
		w.Root(hprof.SubRootJavaFrame, id, 7, int32(i))
	}
	w.Root(hprof.SubRootJNILocal, a, 8, 0)
	w.Root(hprof.SubRootJavaFrame, orphan, 9, 0) // no thread 9
	w.Root(hprof.SubRootThreadObject, t7, 7, 0)  // named twice
	g := heaptest.Build(t, w.Bytes())
	at := g.Lookup

	roots, locals := g.RootSet()
	if want := []heap.ObjectIndex{at(t7), at(t8), at(orphan)}; !slices.Equal(roots, want) {
		t.Errorf("roots %v, want %v", roots, want)
	}
	got := func(th uint64) (out []heap.LocalRoot) { return locals[at(th)] }
	want7 := []heap.LocalRoot{{Object: at(a), Kind: hprof.SubRootJavaFrame, Frame: 0}, {Object: at(b), Kind: hprof.SubRootJavaFrame, Frame: 1}, {Object: at(c), Kind: hprof.SubRootJavaFrame, Frame: 3}}
	if !slices.Equal(got(t7), want7) {
		t.Errorf("thread 7's locals %+v, want %+v", got(t7), want7)
	}
	if want8 := []heap.LocalRoot{{Object: at(a), Kind: hprof.SubRootJNILocal, Frame: 0}}; !slices.Equal(got(t8), want8) {
		t.Errorf("thread 8's locals %+v, want %+v", got(t8), want8)
	}
	if len(locals) != 2 {
		t.Errorf("%d threads with locals, want 2", len(locals))
	}
	roots2, locals2 := g.RootSet()
	if &roots2[0] != &roots[0] || len(locals2) != len(locals) || &locals2[at(t7)][0] != &locals[at(t7)][0] {
		t.Error("a second call computed the set again")
	}
}

// TestRootSetRepeatedSerial: when several threads share a serial, a local
// of that serial belongs to the first whose object the dump has, and that
// is the thread ThreadBySerial gives (RootSet kept the last, and the names
// came from the first, object or not).
func TestRootSetRepeatedSerial(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
	ta, tb, x := w.NewID(), w.NewID(), w.NewID()
	w.Instance(ta, thread, nil, nil)
	w.Instance(tb, thread, nil, nil)
	w.Instance(x, obj, nil, nil)
	w.Root(hprof.SubRootThreadObject, 0xdead0, 11, 0) // an object the dump lacks
	w.Root(hprof.SubRootThreadObject, ta, 11, 0)
	w.Root(hprof.SubRootThreadObject, tb, 11, 0)
	w.Root(hprof.SubRootJavaFrame, x, 11, 0)
	g := heaptest.Build(t, w.Bytes())
	roots, locals := g.RootSet()
	if want := []heap.LocalRoot{{Object: g.Lookup(x), Kind: hprof.SubRootJavaFrame}}; !slices.Equal(locals[g.Lookup(ta)], want) || len(locals) != 1 {
		t.Errorf("locals %v, want x on thread a only", locals)
	}
	if th, ok := g.ThreadBySerial(11); !ok || th.Object != g.Lookup(ta) {
		t.Errorf("thread of serial 11: %+v", th)
	}
	if want := []heap.ObjectIndex{g.Lookup(ta), g.Lookup(tb)}; !slices.Equal(roots, want) {
		t.Errorf("roots %v, want %v", roots, want)
	}
}

// TestStackRootsOfNoThread: Java Local and JNI Local roots whose thread
// serial no thread of the dump has are GC roots of their own, and the
// graph says so once; those of a thread the dump has are its locals, and
// no warning counts them, nor those of a thread the dump gives without an
// object (the hprof agent's), which are roots of their own.
func TestStackRootsOfNoThread(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
	th, a, b, c := w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(th, thread, nil, nil)
	for _, id := range []uint64{a, b, c} {
		w.Instance(id, obj, nil, nil)
	}
	w.Root(hprof.SubRootThreadObject, th, 5, 0)
	w.Root(hprof.SubRootJavaFrame, a, 5, 0) // the thread's
	w.Root(hprof.SubRootJavaFrame, b, 9, 0) // serial 9: no thread
	w.Root(hprof.SubRootJNILocal, c, 11, 0) // serial 11: none either
	w.Root(hprof.SubRootJavaFrame, c, 9, 1) // c again, in another frame
	d := w.NewID()
	w.Instance(d, obj, nil, nil)
	w.Root(hprof.SubRootThreadObject, 0, 12, 0) // a thread without an object (the hprof agent's)
	w.Root(hprof.SubRootJavaFrame, d, 12, 0)    // its root: a root of its own, not warned of
	g := heaptest.Build(t, w.Bytes())
	var got []string
	for _, s := range g.Warnings {
		if strings.Contains(s, "stack roots") {
			got = append(got, s)
		}
	}
	want := "3 stack roots (Java Local, JNI Local) name 2 threads the dump has no thread of (the first: serial 9): they are taken as GC roots of their own, not as a thread's locals"
	if len(got) != 1 || got[0] != want {
		t.Errorf("warnings %q, want %q", got, want)
	}
	roots, locals := g.RootSet()
	at := g.Lookup
	if !slices.Contains(roots, at(b)) || !slices.Contains(roots, at(c)) || !slices.Contains(roots, at(d)) || slices.Contains(roots, at(a)) ||
		len(locals[at(th)]) != 1 || locals[at(th)][0].Object != at(a) {
		t.Errorf("roots %v, locals %v", roots, locals)
	}
}
