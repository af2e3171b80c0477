// Package leakstest builds heaps that tests of the leak analyses share.
package leakstest

import (
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// FinalizerHeap returns a dump with java.lang.ref's classes laid out as
// JDK 8 has them (before JDK 7, jdk6, the GC's pending list goes through
// Reference.next instead of discovered), and the ids of its objects by
// name. Each Finalizer fN has the referent rN, a com.acme.Res holding an
// N KiB byte[] by its field data:
//
//   - f1, f2: queued, Finalizer.queue's head and the one after it (f2.next
//     is f2: the end); their own next fields go on to f4, f5, f6 and f7,
//     so a walk by the wrong next would take those for queued;
//   - f4, f5: pending, from Reference.pending;
//   - f6: running, a local of the thread "Finalizer" (a
//     Finalizer$FinalizerThread), as is r6;
//   - f3: registered, the head of Finalizer.unfinalized, whose own next
//     fields chain f3, f1, f2, f4, f5, f6, f7;
//   - f7: cleared (its referent null);
//   - f8: no GC root reaches it;
//   - f9: registered, held by r3's field more, so r3 dominates r9.
func FinalizerHeap(jdk6 bool) ([]byte, map[string]uint64) {
	w := hproftest.New(8, "")
	id := map[string]uint64{}
	ref := hprof.TypeObject
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	fields := func(names ...string) []hproftest.Field {
		var fs []hproftest.Field
		for _, n := range names {
			fs = append(fs, hproftest.Field{Name: n, Type: ref})
		}
		return fs
	}
	for _, n := range []string{"f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "q", "th"} {
		id[n] = w.NewID()
	}
	reference := w.Class("java/lang/ref/Reference", obj, 0, []hproftest.Static{{Name: "pending", Type: ref, Value: id["f4"]}},
		fields("referent", "queue", "next", "discovered"))
	final := w.Class("java/lang/ref/FinalReference", reference, 0, nil, nil)
	finalizer := w.Class("java/lang/ref/Finalizer", final, 0,
		[]hproftest.Static{{Name: "queue", Type: ref, Value: id["q"]}, {Name: "unfinalized", Type: ref, Value: id["f3"]}}, fields("next", "prev"))
	queue := w.Class("java/lang/ref/ReferenceQueue", obj, 0, nil, fields("head"))
	thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
	finalizerThread := w.Class("java/lang/ref/Finalizer$FinalizerThread", thread, 0, nil, nil)
	res := w.Class("com/acme/Res", obj, 0, nil, fields("data", "more"))
	for _, c := range []uint64{reference, finalizer, thread} {
		w.Root(hprof.SubRootStickyClass, c, 0, 0)
	}
	refs := []hprof.BasicType{ref, ref, ref, ref, ref, ref}
	// A Finalizer: its own next and prev, then Reference's referent,
	// queue, next and discovered.
	fin := func(f string, ownNext, referent, next, discovered uint64) {
		w.Instance(id[f], finalizer, refs, []uint64{ownNext, 0, referent, id["q"], next, discovered})
	}
	fin("f3", id["f1"], id["r3"], 0, 0)
	fin("f1", id["f2"], id["r1"], id["f2"], 0)
	fin("f2", id["f4"], id["r2"], id["f2"], 0)
	if jdk6 {
		fin("f4", id["f5"], id["r4"], id["f5"], 0)
	} else {
		fin("f4", id["f5"], id["r4"], id["f4"], id["f5"])
	}
	fin("f5", id["f6"], id["r5"], id["f5"], 0)
	fin("f6", id["f7"], id["r6"], id["f6"], 0)
	fin("f7", 0, 0, id["f7"], 0)
	fin("f8", 0, id["r8"], 0, 0)
	fin("f9", 0, id["r9"], 0, 0)
	w.Instance(id["q"], queue, []hprof.BasicType{ref}, []uint64{id["f1"]})
	for i, r := range []string{"r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9"} {
		data := w.NewID()
		w.PrimArray(data, hprof.TypeByte, 1024*(i+1), nil)
		more := uint64(0)
		if r == "r3" {
			more = id["f9"]
		}
		w.Instance(id[r], res, []hprof.BasicType{ref, ref}, []uint64{data, more})
	}
	w.Instance(id["th"], finalizerThread, nil, nil)
	w.Root(hprof.SubRootThreadObject, id["th"], 7, 0)
	w.Root(hprof.SubRootJavaFrame, id["f6"], 7, 0)
	w.Root(hprof.SubRootJavaFrame, id["r6"], 7, 0)
	return w.Bytes(), id
}
