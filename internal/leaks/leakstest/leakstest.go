// Package leakstest builds heaps that tests of the leak analyses share.
package leakstest

import (
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// The forms of the GC's pending list FinalizerHeap lays out: from the
// static Reference.pending through Reference.next (JDK 5, 6 and 7 before
// 7u4) or through Reference.discovered (to JDK 8), or with no static at
// all (JDK 9 and later keep the list's head in the JVM).
const (
	PendingByNext       = "next"
	PendingByDiscovered = "discovered"
	PendingOffHeap      = "off-heap"
)

// FinalizerHeap returns a dump with java.lang.ref's classes, the GC's
// pending list in the given form, and the ids of its objects by name. Each
// Finalizer fN has the referent rN, a com.acme.Res holding an N KiB byte[]
// by its field data:
//
//   - f1, f2: queued, Finalizer.queue's head and the one after it (f2's
//     Reference.next is f2: the end), their queue ReferenceQueue.ENQUEUED;
//     their own next fields go on to f4, f5, f6 and f7, so a walk by the
//     wrong next would take those for queued;
//   - f4, f5: pending, Reference.next set, their queue Finalizer.queue;
//   - f6: running, a local of the thread "Finalizer" (a
//     Finalizer$FinalizerThread), as is r3, which is not running;
//   - f10: running without a thread to tell: its own next is itself
//     (taken off the list of the unfinalized), its queue
//     ReferenceQueue.NULL (taken from the queue); a JNI global;
//   - f3: active (Reference.next null), the head of Finalizer.unfinalized,
//     whose own next fields chain f3, f1, f2, f4, f5, f6, f7;
//   - f7: cleared (its referent null);
//   - f8: no GC root reaches it;
//   - f9: active, held by r3's field more, so r3 dominates r9.
func FinalizerHeap(pending string) ([]byte, map[string]uint64) {
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
	for _, n := range []string{"f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10",
		"r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "q", "enqueued", "dequeued", "th"} {
		id[n] = w.NewID()
	}
	if pending != PendingByNext && pending != PendingByDiscovered && pending != PendingOffHeap {
		panic("leakstest.FinalizerHeap: no pending list form " + pending)
	}
	var statics []hproftest.Static
	if pending != PendingOffHeap {
		statics = []hproftest.Static{{Name: "pending", Type: ref, Value: id["f4"]}}
	}
	reference := w.Class("java/lang/ref/Reference", obj, 0, statics, fields("referent", "queue", "next", "discovered"))
	final := w.Class("java/lang/ref/FinalReference", reference, 0, nil, nil)
	finalizer := w.Class("java/lang/ref/Finalizer", final, 0,
		[]hproftest.Static{{Name: "queue", Type: ref, Value: id["q"]}, {Name: "unfinalized", Type: ref, Value: id["f3"]}}, fields("next", "prev"))
	queue := w.Class("java/lang/ref/ReferenceQueue", obj, 0,
		[]hproftest.Static{{Name: "NULL", Type: ref, Value: id["dequeued"]}, {Name: "ENQUEUED", Type: ref, Value: id["enqueued"]}}, fields("head"))
	thread := w.Class("java/lang/Thread", obj, 0, nil, nil)
	finalizerThread := w.Class("java/lang/ref/Finalizer$FinalizerThread", thread, 0, nil, nil)
	res := w.Class("com/acme/Res", obj, 0, nil, fields("data", "more"))
	for _, c := range []uint64{reference, finalizer, queue, thread} {
		w.Root(hprof.SubRootStickyClass, c, 0, 0)
	}
	refs := []hprof.BasicType{ref, ref, ref, ref, ref, ref}
	// A Finalizer: its own next and prev, then Reference's referent,
	// queue, next and discovered.
	fin := func(f string, ownNext, referent, queue, next, discovered uint64) {
		w.Instance(id[f], finalizer, refs, []uint64{ownNext, 0, referent, queue, next, discovered})
	}
	q, enq, deq := id["q"], id["enqueued"], id["dequeued"]
	fin("f3", id["f1"], id["r3"], q, 0, 0)
	fin("f1", id["f2"], id["r1"], enq, id["f2"], 0)
	fin("f2", id["f4"], id["r2"], enq, id["f2"], 0)
	if pending == PendingByNext {
		fin("f4", id["f5"], id["r4"], q, id["f5"], 0)
	} else {
		fin("f4", id["f5"], id["r4"], q, id["f4"], id["f5"])
	}
	fin("f5", id["f6"], id["r5"], q, id["f5"], 0)
	fin("f6", id["f7"], id["r6"], deq, id["f6"], 0)
	fin("f7", 0, 0, deq, id["f7"], 0)
	fin("f8", 0, id["r8"], q, 0, 0)
	fin("f9", 0, id["r9"], q, 0, 0)
	fin("f10", id["f10"], id["r10"], deq, id["f10"], 0)
	w.Root(hprof.SubRootJNIGlobal, id["f10"], 0, 0)
	w.Instance(q, queue, []hprof.BasicType{ref}, []uint64{id["f1"]})
	w.Instance(enq, queue, []hprof.BasicType{ref}, []uint64{0})
	w.Instance(deq, queue, []hprof.BasicType{ref}, []uint64{0})
	for i, r := range []string{"r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10"} {
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
	w.Root(hprof.SubRootJavaFrame, id["r3"], 7, 0)
	return w.Bytes(), id
}
