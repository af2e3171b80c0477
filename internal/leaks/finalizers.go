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
	// FinalizePending: on the list the GC hands to the Reference Handler
	// thread, not yet in the queue (Reference.pending, JDK 8 and before;
	// later JDKs keep that list outside the heap).
	FinalizePending = "pending"
	// FinalizeRegistered: in use, or unreachable and not yet found so:
	// registered, not due.
	FinalizeRegistered = "registered"
)

// FinalizerClass is the objects of one class in one finalization state.
type FinalizerClass struct {
	State   string `json:"state"`
	Class   string `json:"class"`
	Objects int64  `json:"objects"`
	Shallow uint64 `json:"shallow_bytes"`
	// Retained is what they retain, each byte once: an object inside
	// another registered one's retained size adds nothing.
	Retained uint64 `json:"retained_bytes"`
}

// FinalizerReport is Eclipse MAT's finalizer overview: the objects
// registered for finalization, by state and class, and the threads that
// run finalize().
type FinalizerReport struct {
	// Classes: by state (running, queued, pending, registered), then
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
	// first (then in object order), and DueFinalizers their Finalizers.
	Due, DueFinalizers []heap.ObjectIndex `json:"-"`
}

// Stuck says where the finalizer thread is: its name, state and the
// innermost frame of code outside the JDK, or else its innermost frame
// ("\"Finalizer\" (WAITING) in Blocker.finalize(Blocker.java:29)"); ""
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
// to finalize; which of them Finalizer.queue holds (walked from its head
// through Reference.next, which points at itself at the end), which the
// GC's pending list does (Reference.pending, through discovered, or next
// before JDK 7), and which a finalizer thread's stack holds (a Finalizer
// or its referent as a local, as in Finalizer.runFinalizer). A dump
// without java.lang.ref.Finalizer gives an empty report.
func Finalizers(g *heap.Graph, t *dominator.Tree) *FinalizerReport {
	rep := &FinalizerReport{Classes: []FinalizerClass{}, Running: []Object{}, Threads: []ThreadInfo{}}
	var finalizer []heap.ClassIndex
	for _, c := range g.ClassByName("java.lang.ref.Finalizer") {
		if g.Classes[c].LoaderID == 0 {
			finalizer = append(finalizer, c)
		}
	}
	if len(finalizer) == 0 {
		return rep
	}
	n := g.NumObjects()
	isFinalizer := make([]bool, len(g.Classes))
	for _, c := range finalizer {
		isFinalizer[c] = true
	}
	reached := func(o heap.ObjectIndex) bool { return o != heap.None && t.Idom(o) != dominator.Unreachable }
	// Reference's own fields: a Finalizer declares a next of its own, for
	// its list of the registered.
	ref := func(r heap.ObjectIndex, name string) heap.ObjectIndex {
		f := readFields(g, r)
		if v, ok := declaredField(g, f.fs, name, "java.lang.ref.Reference"); ok && v.Type == hprof.TypeObject && v.Value != 0 {
			return g.Lookup(v.Value)
		}
		return heap.None
	}
	next := func(r heap.ObjectIndex) heap.ObjectIndex {
		if x := ref(r, "next"); x != r {
			return x
		}
		return heap.None
	}
	// The Finalizers and their referents, in object order.
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
		obj := ref(f, "referent")
		if obj == heap.None {
			rep.Cleared++
			continue
		}
		at[f] = len(regs)
		regs = append(regs, registered{f, obj, FinalizeRegistered})
	}
	// mark gives the Finalizers on a list the state, walking from first
	// by step, to the end or a Finalizer met before.
	seen := bitset.New(n)
	mark := func(first heap.ObjectIndex, step func(heap.ObjectIndex) heap.ObjectIndex, state string) {
		for r := first; r != heap.None && !seen.Has(int32(r)); r = step(r) {
			seen.Add(int32(r))
			if i, ok := at[r]; ok {
				regs[i].state = state
			}
		}
	}
	static := func(cs []heap.ClassIndex, name string) heap.ObjectIndex {
		for _, c := range cs {
			for _, st := range g.Classes[c].Statics {
				if st.Name == name && st.Value != 0 {
					return g.Lookup(st.Value)
				}
			}
		}
		return heap.None
	}
	mark(readFields(g, static(finalizer, "queue")).ref("head"), next, FinalizeQueued)
	var reference []heap.ClassIndex
	for _, c := range g.ClassByName("java.lang.ref.Reference") {
		if g.Classes[c].LoaderID == 0 {
			reference = append(reference, c)
		}
	}
	mark(static(reference, "pending"), func(r heap.ObjectIndex) heap.ObjectIndex {
		if x := ref(r, "discovered"); x != heap.None {
			return x // JDK 7 and 8
		}
		return next(r)
	}, FinalizePending)
	// The finalizer threads, and what their stacks hold.
	running := map[heap.ObjectIndex]bool{}
	threads := map[string]bool{} // by id, as ThreadInfo names them
	_, locals := g.RootSet()
	for _, th := range g.Threads {
		if !reached(th.Object) || g.Classes[g.ClassOf(th.Object)].Name != "java.lang.ref.Finalizer$FinalizerThread" && th.Name != "Secondary finalizer" {
			continue
		}
		threads[objectOf(g, t, th.Object).ID] = true
		for _, l := range locals[th.Object] {
			if i, ok := at[l.Object]; ok {
				running[regs[i].obj] = true
			}
			running[l.Object] = true
		}
	}
	for _, th := range Threads(g, t) {
		if threads[th.ID] {
			rep.Threads = append(rep.Threads, th)
		}
	}
	for i := range regs {
		switch {
		case running[regs[i].obj]:
			regs[i].state = FinalizeRunning
			rep.Running = append(rep.Running, objectOf(g, t, regs[i].obj))
		case regs[i].state == FinalizeQueued || regs[i].state == FinalizePending:
			rep.Due = append(rep.Due, regs[i].obj)
			rep.DueFinalizers = append(rep.DueFinalizers, regs[i].f)
		}
	}
	// (Stably: the order among equals stays the object order.)
	order := make([]int, len(rep.Due))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(t.Retained(rep.Due[b]), t.Retained(rep.Due[a])) })
	due, dueF := make([]heap.ObjectIndex, len(order)), make([]heap.ObjectIndex, len(order))
	for i, k := range order {
		due[i], dueF[i] = rep.Due[k], rep.DueFinalizers[k]
	}
	rep.Due, rep.DueFinalizers = due, dueF
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
			row = &FinalizerClass{State: r.state, Class: heap.SourceName(g.Classes[k.class].Name)}
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
	states := map[string]int{FinalizeRunning: 0, FinalizeQueued: 1, FinalizePending: 2, FinalizeRegistered: 3}
	for _, row := range rows {
		rep.Classes = append(rep.Classes, *row)
	}
	slices.SortFunc(rep.Classes, func(a, b FinalizerClass) int {
		return cmp.Or(cmp.Compare(states[a.State], states[b.State]), cmp.Compare(b.Retained, a.Retained), cmp.Compare(a.Class, b.Class))
	})
	return rep
}
