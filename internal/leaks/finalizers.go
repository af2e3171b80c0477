package leaks

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// Finalization states of an object registered for finalization (its
// class has a finalize() method that does something), by where its
// java.lang.ref.Finalizer is.
const (
	// FinalizeRunning: a finalizer thread's stack holds it: its
	// finalize() runs now (or is stuck).
	FinalizeRunning = "running"
	// FinalizeQueued: in Finalizer.queue, found unreachable by the GC and
	// waiting for the finalizer thread, with all it holds.
	FinalizeQueued = "queued"
	// FinalizePending: found unreachable by the GC, on its list for the
	// Reference Handler thread, which moves them to the queue.
	FinalizePending = "pending"
	// FinalizeActive: in use, or unreachable and not yet found so: not
	// due (java.lang.ref.Reference's "active" state).
	FinalizeActive = "active"
)

// FinalizerClass is the objects of one class in one finalization state.
type FinalizerClass struct {
	State string `json:"state"`
	Class string `json:"class"`
	// Loader is the class's loader ("<bootstrap>" for the JVM's own): a
	// name several loaders define has a row for each.
	Loader string `json:"loader"`
	// LoaderClass is the loader object's class ("" for <bootstrap>, or a
	// loader the dump lacks).
	LoaderClass string `json:"loader_class"`
	Objects     int64  `json:"objects"`
	Shallow     uint64 `json:"shallow_bytes"`
	// Retained is what they retain, each byte once: an object inside
	// another registered one's retained size adds nothing.
	Retained uint64 `json:"retained_bytes"`
	class    heap.ClassIndex
}

// FinalizerReport is Eclipse MAT's finalizer overview: the objects
// registered for finalization, by state and class, and the threads that
// run finalize().
type FinalizerReport struct {
	// Classes: by state (running, queued, pending, active), then
	// biggest retained size first, then class name.
	Classes []FinalizerClass `json:"classes"`
	// Running lists the objects whose finalize() runs now.
	Running []Object `json:"running"`
	// Threads are the finalizer threads (Finalizer$FinalizerThread, and
	// the secondary ones runFinalization starts), with their stacks.
	Threads []ThreadInfo `json:"threads"`
	// Finalizers counts the java.lang.ref.Finalizer objects a GC root
	// reaches, Cleared those whose referent is gone (finalized, or
	// cleared, and not yet collected themselves).
	Finalizers int64 `json:"finalizers"`
	Cleared    int64 `json:"cleared"`
	// Due lists the queued and pending objects, biggest retained size
	// first (then by id).
	Due []Waiting `json:"-"`
}

// Waiting is an object waiting for finalize(), and its Finalizer.
type Waiting struct{ Object, Finalizer heap.ObjectIndex }

// Stuck says where the finalizer thread is: its name, state and the
// innermost frame of code outside the JDK, or else its innermost frame
// ("\"Finalizer\" (WAITING) in Blocker.finalize(Blocker.java:31)"); ""
// without a finalizer thread.
func (r *FinalizerReport) Stuck() string {
	if len(r.Threads) == 0 {
		return ""
	}
	th := r.Threads[0]
	say := fmt.Sprintf("%q", th.Name)
	if th.State != "" {
		say += " (" + th.State + ")"
	}
	if len(th.Stack) == 0 {
		return say + ", its stack not in the dump"
	}
	at := th.Stack[0].Method
	for _, f := range th.Stack {
		if !systemPackage(f.Method) {
			at = f.Method
			break
		}
	}
	return say + " in " + at
}

// Totals returns the objects and their retained bytes in a state.
func (r *FinalizerReport) Totals(state string) (objects int64, retained uint64) {
	for _, c := range r.Classes {
		if c.State == state {
			objects, retained = objects+c.Objects, retained+c.Retained
		}
	}
	return objects, retained
}

// Finalizers reads the finalizer's state from the heap: every
// java.lang.ref.Finalizer a GC root reaches and its referent, the object
// to finalize, in the state its fields give (see below), or running where
// a finalizer thread's stack holds it (as runFinalizer's this); and the
// finalizer threads. A dump without java.lang.ref.Finalizer gives an
// empty report.
func Finalizers(g *heap.Graph, t *dominator.Tree) *FinalizerReport {
	rep := &FinalizerReport{Classes: []FinalizerClass{}, Running: []Object{}, Threads: []ThreadInfo{}}
	finalizer := jdkClasses(g, "java.lang.ref.Finalizer")
	if len(finalizer) == 0 {
		return rep
	}
	n := g.NumObjects()
	isFinalizer := make([]bool, len(g.Classes))
	for _, c := range finalizer {
		isFinalizer[c] = true
	}
	reached := func(o heap.ObjectIndex) bool { return o != heap.None && t.Idom(o) != dominator.Unreachable }
	// declared reads the reference field name that class declares: a
	// Finalizer declares a next of its own, for its list of the
	// unfinalized, beside java.lang.ref.Reference's.
	const reference = "java.lang.ref.Reference"
	declared := func(f fields, name, class string) heap.ObjectIndex {
		if v, ok := declaredField(g, f.fs, name, class); ok && v.Type == hprof.TypeObject && v.Value != 0 {
			return g.Lookup(v.Value)
		}
		return heap.None
	}
	// The queue's list: from its head through Reference.next, to the one
	// whose next is itself (or a Finalizer met before).
	onQueue := bitset.New(n)
	for r := readFields(g, jdkStatic(g, "java.lang.ref.Finalizer", "queue")).ref("head"); r != heap.None && !onQueue.Has(int32(r)); {
		onQueue.Add(int32(r))
		if r = declared(readFields(g, r), "next", reference); r != heap.None && onQueue.Has(int32(r)) {
			break // itself: the end
		}
	}
	enqueued, dequeued := jdkStatic(g, "java.lang.ref.ReferenceQueue", "ENQUEUED"), jdkStatic(g, "java.lang.ref.ReferenceQueue", "NULL")
	// The Finalizers and their referents, in object order, each in the
	// state its fields give, as java.lang.ref.Reference documents them
	// (JDK 5 to 25): active, next null; pending (found unreachable, on the
	// GC's list for the Reference Handler thread), next set and queue the
	// Finalizer's queue (the list itself is on the heap only up to JDK 8,
	// from Reference.pending); enqueued, queue ReferenceQueue.ENQUEUED,
	// and on the queue's list; taken from the queue, queue
	// ReferenceQueue.NULL. A Finalizer whose own next is itself has been
	// taken off the list of the unfinalized by runFinalizer, which then
	// calls finalize(), and clears the referent after: running, as is one
	// taken from the queue, about to be. Each record is read once.
	type registered struct {
		f, obj heap.ObjectIndex
		state  string
	}
	var regs []registered
	at := map[heap.ObjectIndex]int{} // a Finalizer's place in regs
	for _, f := range g.ObjectsOf(isFinalizer) {
		if !reached(f) {
			continue
		}
		rep.Finalizers++
		fs := readFields(g, f)
		obj := declared(fs, "referent", reference)
		if obj == heap.None {
			rep.Cleared++
			continue
		}
		q := declared(fs, "queue", reference)
		state := FinalizeActive
		switch {
		case declared(fs, "next", "java.lang.ref.Finalizer") == f, q != heap.None && q == dequeued:
			state = FinalizeRunning
		case onQueue.Has(int32(f)), q != heap.None && q == enqueued:
			state = FinalizeQueued
		case declared(fs, "next", reference) != heap.None:
			state = FinalizePending
		}
		at[f] = len(regs)
		regs = append(regs, registered{f, obj, state})
	}
	// The finalizer threads, and what their stacks hold.
	// (And a Finalizer a finalizer thread's stack holds, as runFinalizer's
	// this: not the other objects its finalize() may hold in locals.)
	threads := map[string]bool{} // by id, as ThreadInfo names them
	_, locals := g.RootSet()
	for _, th := range g.Threads {
		if !reached(th.Object) || g.Classes[g.ClassOf(th.Object)].Name != "java.lang.ref.Finalizer$FinalizerThread" && th.Name != "Secondary finalizer" {
			continue
		}
		threads[objectOf(g, t, th.Object).ID] = true
		for _, l := range locals[th.Object] {
			if i, ok := at[l.Object]; ok {
				regs[i].state = FinalizeRunning
			}
		}
	}
	for _, th := range Threads(g, t) {
		if threads[th.ID] {
			rep.Threads = append(rep.Threads, th)
		}
	}
	for i := range regs {
		switch {
		case regs[i].state == FinalizeRunning:
			rep.Running = append(rep.Running, objectOf(g, t, regs[i].obj))
		case regs[i].state == FinalizeQueued || regs[i].state == FinalizePending:
			rep.Due = append(rep.Due, Waiting{regs[i].obj, regs[i].f})
		}
	}
	slices.SortFunc(rep.Due, func(a, b Waiting) int { // equals by id, as a finding lists them
		return cmp.Or(cmp.Compare(t.Retained(b.Object), t.Retained(a.Object)), cmp.Compare(g.ID(a.Object), g.ID(b.Object)))
	})
	// Rows, by state and class, each byte once over all the referents.
	objs := make([]heap.ObjectIndex, 0, len(regs))
	for _, r := range regs {
		if reached(r.obj) {
			objs = append(objs, r.obj)
		}
	}
	if len(regs) == 0 {
		return rep // (and no object-sized arrays for the walks)
	}
	w := newWalkUp(t, objs, make([]bool, len(g.Classes)))
	type key struct {
		state string
		class heap.ClassIndex
	}
	rows := map[key]*FinalizerClass{}
	for _, r := range regs {
		k := key{r.state, g.ClassOf(r.obj)}
		row := rows[k]
		if row == nil {
			row = &FinalizerClass{State: r.state, Class: heap.SourceName(g.Classes[k.class].Name), Loader: "<bootstrap>", class: k.class}
			if id := g.Classes[k.class].LoaderID; id != 0 {
				row.Loader = fmt.Sprintf("0x%x", id)
				if l := g.Lookup(id); l != heap.None {
					row.LoaderClass = g.ObjectLabel(l, true)
				}
			}
			rows[k] = row
		}
		row.Objects++
		row.Shallow += g.ShallowSize(r.obj)
		if !reached(r.obj) {
			continue
		}
		if d := t.Idom(r.obj); d >= 0 {
			w.holder(d)
		}
		if !w.nested(r.obj) {
			row.Retained += t.Retained(r.obj)
		}
	}
	states := map[string]int{FinalizeRunning: 0, FinalizeQueued: 1, FinalizePending: 2, FinalizeActive: 3}
	for _, row := range rows {
		rep.Classes = append(rep.Classes, *row)
	}
	slices.SortFunc(rep.Classes, func(a, b FinalizerClass) int {
		return cmp.Or(cmp.Compare(states[a.State], states[b.State]), cmp.Compare(b.Retained, a.Retained), cmp.Compare(a.Class, b.Class), cmp.Compare(a.class, b.class))
	})
	return rep
}
