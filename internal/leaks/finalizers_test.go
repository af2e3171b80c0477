package leaks

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/leaks/leakstest"
)

// TestFinalizersByHand: leakstest.FinalizerHeap's Finalizers, each in its
// state, in the three forms of the GC's pending list; r9 inside r3's
// retained size adds nothing; r3, a local of the finalizer thread, is not
// running; the cleared and the unreachable Finalizer are counted apart and
// not at all.
func TestFinalizersByHand(t *testing.T) {
	for _, form := range []string{leakstest.PendingByNext, leakstest.PendingByDiscovered, leakstest.PendingOffHeap} {
		dump, id := leakstest.FinalizerHeap(form)
		g := heaptest.Build(t, dump)
		tr := dominator.Compute(g, dominator.Options{})
		r := Finalizers(g, tr)
		size := func(names ...string) (shallow, retained uint64) {
			for _, n := range names {
				shallow += g.ShallowSize(g.Lookup(id[n]))
				retained += tr.Retained(g.Lookup(id[n]))
			}
			return shallow, retained
		}
		var want []FinalizerClass
		for _, st := range []struct {
			state   string
			objs    []string
			outside []string // retained inside another's
		}{
			{FinalizeRunning, []string{"r6", "r10"}, nil}, {FinalizeQueued, []string{"r1", "r2"}, nil},
			{FinalizePending, []string{"r4", "r5"}, nil}, {FinalizeActive, []string{"r3", "r9"}, []string{"r9"}},
		} {
			shallow, retained := size(st.objs...)
			_, inside := size(st.outside...)
			want = append(want, FinalizerClass{State: st.state, Class: "com.acme.Res", Loader: "<bootstrap>", Objects: int64(len(st.objs)),
				Shallow: shallow, Retained: retained - inside, class: g.ClassByName("com.acme.Res")[0]})
		}
		if !slices.Equal(r.Classes, want) || r.Finalizers != 9 || r.Cleared != 1 {
			t.Errorf("pending list by %s: %d Finalizers, %d cleared, rows\n%+v\nwant 9, 1,\n%+v", form, r.Finalizers, r.Cleared, r.Classes, want)
		}
		var running []string
		for _, o := range r.Running {
			running = append(running, o.ID)
		}
		slices.Sort(running)
		wantRunning := []string{fmt.Sprintf("0x%x", id["r6"]), fmt.Sprintf("0x%x", id["r10"])}
		slices.Sort(wantRunning)
		if !slices.Equal(running, wantRunning) || len(r.Threads) != 1 || r.Threads[0].ID != fmt.Sprintf("0x%x", id["th"]) {
			t.Errorf("pending list by %s: running %v, want %v; threads %+v", form, running, wantRunning, r.Threads)
		}
	}
}

// TestFinalizersShared: on the fixture and shared dumps (JDK 5 to 11, some
// with a pending list), every reachable Finalizer with a referent is in
// the row of its state and its referent's class, the state read here from
// its fields one Finalizer at a time (naiveFinalizerState).
func TestFinalizersShared(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	shared, _ := filepath.Glob("../../../shared/dumps/mat/*.hprof*")
	shared = slices.DeleteFunc(shared, func(p string) bool { return strings.HasSuffix(p, ".leakscan") }) // an index beside one
	if len(shared) == 0 {
		t.Log("../shared/dumps absent: the fixture dumps only")
	}
	states := map[string]int{}
	for _, path := range append(dumps, shared...) {
		g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		tr := dominator.Compute(g, dominator.Options{})
		r := Finalizers(g, tr)
		want := map[string]int64{}
		var finalizers, cleared int64
		isFinalizer := make([]bool, len(g.Classes))
		for _, c := range g.ClassByName("java.lang.ref.Finalizer") {
			isFinalizer[c] = true
		}
		for _, f := range g.ObjectsOf(isFinalizer) {
			if tr.Idom(f) == dominator.Unreachable {
				continue
			}
			finalizers++
			state, obj := naiveFinalizerState(g, f)
			if obj == heap.None {
				cleared++
				continue
			}
			want[state+" "+heap.SourceName(g.Classes[g.ClassOf(obj)].Name)]++
		}
		got := map[string]int64{}
		for _, c := range r.Classes {
			got[c.State+" "+c.Class] += c.Objects
			states[c.State]++
		}
		if r.Finalizers != finalizers || r.Cleared != cleared || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %d Finalizers, %d cleared, %v; reading each: %d, %d, %v", filepath.Base(path), r.Finalizers, r.Cleared, got, finalizers, cleared, want)
		}
		g.Close()
	}
	if len(shared) > 0 && (states[FinalizePending] == 0 || states[FinalizeActive] == 0) {
		t.Errorf("states met in the shared dumps: %v; pending and active went untested", states)
	}
}

// naiveFinalizerState reads Finalizer f's state from its own fields: its
// referent, and Reference's queue and next, and the queue's sentinels
// looked up by name each time; running where its own next is itself or
// its queue is ReferenceQueue.NULL; queued where its queue is
// ReferenceQueue.ENQUEUED, or the queue's head is it or leads to it;
// pending where its next is set; else active.
func naiveFinalizerState(g *heap.Graph, f heap.ObjectIndex) (string, heap.ObjectIndex) {
	field := func(o heap.ObjectIndex, name, class string) heap.ObjectIndex {
		fs, _ := g.InstanceFields(o)
		for _, v := range fs {
			if v.Name == name && g.Classes[v.Declaring].Name == class && v.Value != 0 {
				return g.Lookup(v.Value)
			}
		}
		return heap.None
	}
	static := func(class, name string) heap.ObjectIndex {
		for _, c := range g.ClassByName(class) {
			for _, st := range g.Classes[c].Statics {
				if st.Name == name && st.Value != 0 {
					return g.Lookup(st.Value)
				}
			}
		}
		return heap.None
	}
	const ref = "java.lang.ref.Reference"
	obj := field(f, "referent", ref)
	q := field(f, "queue", ref)
	if obj == heap.None {
		return "", obj
	}
	if field(f, "next", "java.lang.ref.Finalizer") == f || q != heap.None && q == static("java.lang.ref.ReferenceQueue", "NULL") {
		return FinalizeRunning, obj
	}
	if q != heap.None && q == static("java.lang.ref.ReferenceQueue", "ENQUEUED") {
		return FinalizeQueued, obj
	}
	head := field(static("java.lang.ref.Finalizer", "queue"), "head", "java.lang.ref.ReferenceQueue")
	for r, steps := head, 0; r != heap.None && steps < g.NumObjects(); steps++ {
		if r == f {
			return FinalizeQueued, obj
		}
		n := field(r, "next", ref)
		if n == r {
			break
		}
		r = n
	}
	if field(f, "next", ref) != heap.None {
		return FinalizePending, obj
	}
	return FinalizeActive, obj
}

// TestFinalizersLiveJVM: on a dump of FinalizerBacklog, whose finalizer
// thread is stuck in a finalize(), the rows say what the JVM said of its
// Finalizer queue before the dump (read by reflection), the queued
// objects retain themselves and their arrays, and the thread's stack
// shows where it is stuck.
func TestFinalizersLiveJVM(t *testing.T) {
	g, said := liveJVM(t, "FinalizerBacklog", "-Xmx128m", "-Xshare:off", "--add-opens", "java.base/java.lang.ref=ALL-UNNAMED")
	r := Finalizers(g, dominator.Compute(g, dominator.Options{}))
	rows := map[string]FinalizerClass{}
	for _, c := range r.Classes {
		rows[c.State+" "+c.Class] = c
	}
	lines := 0
	for _, fields := range said {
		if len(fields) != 3 {
			t.Fatalf("the program wrote %q", fields)
		}
		n, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			t.Fatalf("the program wrote %q", fields)
		}
		if got := rows[fields[0]+" "+fields[1]].Objects; got != n {
			t.Errorf("%s %s: %d objects, the JVM says %d", fields[0], fields[1], got, n)
		}
		// The program's classes come from the application class loader,
		// named by its class (a bare id was all the row said).
		if c := rows[fields[0]+" "+fields[1]]; c.LoaderClass != "jdk.internal.loader.ClassLoaders$AppClassLoader" || !strings.HasPrefix(c.Loader, "0x") {
			t.Errorf("%s %s: loader %q, %q", fields[0], fields[1], c.Loader, c.LoaderClass)
		}
		lines++
	}
	if lines != 3 || len(r.Classes) != 3 {
		t.Errorf("the program described %d rows, leakscan has %d: %+v", lines, len(r.Classes), r.Classes)
	}
	// A queued Payload retains itself and its byte[100000].
	var want uint64
	for _, c := range g.ClassByName("Payload") {
		for _, p := range g.ObjectsOf(isClass(len(g.Classes), c)) {
			v, _ := g.Field(p, "data")
			want += g.ShallowSize(p) + g.ShallowSize(g.Lookup(v.Value))
		}
	}
	if q := rows[FinalizeQueued+" Payload"]; q.Retained != want || want < 300*100000 {
		t.Errorf("queued Payloads retain %d, themselves and their arrays %d", q.Retained, want)
	}
	stuck := false
	for _, th := range r.Threads {
		for _, fr := range th.Stack {
			stuck = stuck || strings.HasPrefix(fr.Method, "Blocker.finalize(")
		}
	}
	if len(r.Threads) != 1 || !stuck || len(r.Running) != 1 || r.Running[0].Class != "Blocker" {
		t.Errorf("threads %+v, running %+v", r.Threads, r.Running)
	}
}

// isClass marks class c among n.
func isClass(n int, c heap.ClassIndex) []bool {
	m := make([]bool, n)
	m[c] = true
	return m
}
