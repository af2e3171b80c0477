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
// state, in both ways of linking the GC's pending list; r9 inside r3's
// retained size adds nothing; the cleared and the unreachable Finalizer
// are counted apart and not at all.
func TestFinalizersByHand(t *testing.T) {
	for _, jdk6 := range []bool{false, true} {
		dump, id := leakstest.FinalizerHeap(jdk6)
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
			{FinalizeRunning, []string{"r6"}, nil}, {FinalizeQueued, []string{"r1", "r2"}, nil},
			{FinalizePending, []string{"r4", "r5"}, nil}, {FinalizeRegistered, []string{"r3", "r9"}, []string{"r9"}},
		} {
			shallow, retained := size(st.objs...)
			_, inside := size(st.outside...)
			want = append(want, FinalizerClass{State: st.state, Class: "com.acme.Res", Objects: int64(len(st.objs)), Shallow: shallow, Retained: retained - inside})
		}
		if !slices.Equal(r.Classes, want) || r.Finalizers != 8 || r.Cleared != 1 {
			t.Errorf("jdk6 %v: %d Finalizers, %d cleared, rows\n%+v\nwant 8, 1,\n%+v", jdk6, r.Finalizers, r.Cleared, r.Classes, want)
		}
		if len(r.Running) != 1 || r.Running[0].ID != fmt.Sprintf("0x%x", id["r6"]) || len(r.Threads) != 1 || r.Threads[0].ID != fmt.Sprintf("0x%x", id["th"]) {
			t.Errorf("jdk6 %v: running %+v, threads %+v", jdk6, r.Running, r.Threads)
		}
	}
}

// TestFinalizersShared: on the fixture and shared dumps (JDK 5 to 11, some
// with a pending list), every reachable Finalizer with a referent is in
// one row, and every row's objects are Finalizers' referents of its class.
func TestFinalizersShared(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	shared, _ := filepath.Glob("../../../shared/dumps/mat/*.hprof")
	if len(shared) == 0 {
		t.Log("../shared/dumps absent: the fixture dumps only")
	}
	pending := 0
	for _, path := range append(dumps, shared...) {
		g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		tr := dominator.Compute(g, dominator.Options{})
		r := Finalizers(g, tr)
		byClass := map[string]int64{}
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
			v, ok := g.Field(f, "referent")
			if !ok || v.Value == 0 {
				cleared++
				continue
			}
			byClass[heap.SourceName(g.Classes[g.ClassOf(g.Lookup(v.Value))].Name)]++
		}
		got := map[string]int64{}
		for _, c := range r.Classes {
			got[c.Class] += c.Objects
			if c.State == FinalizePending {
				pending++
			}
		}
		if r.Finalizers != finalizers || r.Cleared != cleared || fmt.Sprint(got) != fmt.Sprint(byClass) {
			t.Errorf("%s: %d Finalizers, %d cleared, %v; reading each: %d, %d, %v", filepath.Base(path), r.Finalizers, r.Cleared, got, finalizers, cleared, byClass)
		}
		g.Close()
	}
	if len(shared) > 0 && pending == 0 {
		t.Error("no pending Finalizer in the shared dumps: the pending list went untested")
	}
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
