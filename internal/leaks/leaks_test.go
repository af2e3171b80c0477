package leaks

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/testjvm"
)

type analysed struct {
	g *heap.Graph
	t *dominator.Tree
	s *paths.Search
}

func fixture(t *testing.T, name string) analysed {
	t.Helper()
	root, err := testjvm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	g, err := heap.Open(filepath.Join(root, "testdata", "dumps", name), hprof.Options{}, heap.Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return analysed{g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{})}
}

func TestOffHeapNetty(t *testing.T) {
	a := fixture(t, "Netty.hprof")
	r := OffHeap(a.g, a.t, a.s)
	if r.Total != 129<<20 || r.Strong != 129<<20 || r.PendingFree != 0 || len(r.Buffers) != 9 || r.Views != 6 {
		t.Fatalf("total %d strong %d pending %d buffers %d views %d", r.Total, r.Strong, r.PendingFree, len(r.Buffers), r.Views)
	}
	var netty uint64
	for _, o := range r.Owners {
		if strings.HasPrefix(o.Owner, "io.netty.buffer.") {
			netty += o.Capacity
		}
	}
	if netty != 128<<20 {
		t.Errorf("netty owners hold %d, want 128 MiB: %+v", netty, r.Owners)
	}
}

// TestOffHeapPendingFree: a buffer only its Cleaner (a phantom reference)
// reaches is waiting to be freed, not strongly reachable.
func TestOffHeapPendingFree(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	phantom := w.Class("java/lang/ref/PhantomReference", ref, 0, nil, nil)
	cleaner := w.Class("jdk/internal/ref/Cleaner", phantom, 0, nil, nil)
	buffer := w.Class("java/nio/Buffer", obj, 0, nil, []hproftest.Field{{Name: "capacity", Type: hprof.TypeInt}, {Name: "address", Type: hprof.TypeLong}})
	direct := w.Class("java/nio/DirectByteBuffer", buffer, 0, nil, []hproftest.Field{{Name: "att", Type: hprof.TypeObject}})
	types := []hprof.BasicType{hprof.TypeObject, hprof.TypeInt, hprof.TypeLong}
	live, dead, c1, c2 := w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(live, direct, types, []uint64{0, 1 << 20, 0x1000})
	w.Instance(dead, direct, types, []uint64{0, 4 << 20, 0x2000})
	w.Instance(c1, cleaner, []hprof.BasicType{hprof.TypeObject}, []uint64{live})
	w.Instance(c2, cleaner, []hprof.BasicType{hprof.TypeObject}, []uint64{dead})
	w.Root(hprof.SubRootJNIGlobal, c1, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, c2, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, live, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	r := OffHeap(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}))
	if r.Total != 5<<20 || r.Strong != 1<<20 || r.PendingFree != 4<<20 {
		t.Errorf("total %d strong %d pending %d", r.Total, r.Strong, r.PendingFree)
	}
}

func TestSparkReport(t *testing.T) {
	a := fixture(t, "Spark22713.hprof")
	r := Spark(a.g, a.t, a.s)
	if !r.Found || len(r.Tasks) != 1 || r.Tasks[0].TaskAttemptID != 223 || len(r.Tasks[0].Consumers) != 2 {
		t.Fatalf("%+v", r)
	}
	spilled, live := r.Tasks[0].Consumers[0], r.Tasks[0].Consumers[1]
	if !spilled.Unaccounted || spilled.Used != 0 || spilled.Retained < 3<<20 || live.Unaccounted || live.Used != 812944 {
		t.Errorf("consumers %+v", r.Tasks[0].Consumers)
	}
	if r.Tasks[0].ExecutionMemory != 812944 || len(r.Managers) != 1 || len(r.Managers[0].Pools) != 2 || len(r.Blocks) != 3 {
		t.Errorf("managers %+v blocks %+v", r.Managers, r.Blocks)
	}
	if r.Blocks[0].ID[:6] != "rdd_2_" {
		t.Errorf("block names %+v", r.Blocks)
	}
	if none := Spark(fixture(t, "Basic.hprof").g, nil, nil); none.Found {
		t.Error("Basic has no Spark")
	}
}

func TestThreads(t *testing.T) {
	a := fixture(t, "Spark22713.hprof")
	ts := Threads(a.g, a.t)
	top := ts[0]
	if top.Name != "Executor task launch worker for task 223" || top.State != "WAITING" || top.Daemon == nil || *top.Daemon {
		t.Fatalf("top thread %+v", top)
	}
	found := false
	for _, f := range top.Stack {
		for _, l := range f.Locals {
			if l.Class == "org.apache.spark.memory.TaskMemoryManager" && strings.Contains(f.Method, "Executor$TaskRunner.run(Executor.java:") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("the TaskMemoryManager local is not in TaskRunner.run's frame: %+v", top.Stack)
	}
	for i := 1; i < len(ts); i++ {
		if ts[i].Retained > ts[i-1].Retained {
			t.Error("threads not sorted by retained size")
		}
	}
}

func TestClassLoadersBasic(t *testing.T) {
	a := fixture(t, "Basic.hprof")
	r := ClassLoaders(a.g, a.t, a.s)
	var reloaded *Duplicate
	for i := range r.Duplicates {
		if r.Duplicates[i].Class == "Reloaded" {
			reloaded = &r.Duplicates[i]
		}
	}
	if reloaded == nil || len(reloaded.Loaders) != 2 {
		t.Fatalf("duplicates %+v", r.Duplicates)
	}
	boot := false
	for _, l := range r.Loaders {
		if l.Class == "<bootstrap>" {
			boot = l.Classes > 400 && l.Builtin
		}
		if !l.Builtin && l.Class != "<bootstrap>" && len(l.Path) == 0 && l.Retained > 0 {
			t.Errorf("loader %s %s without a path", l.Class, l.ID)
		}
	}
	if !boot {
		t.Error("no bootstrap loader row")
	}
}

// TestJobServerLeak: 40 jobs, each with its own IsolatedClientLoader that
// defined the same 25 classes, kept alive through JobRegistry.CLIENTS.
func TestJobServerLeak(t *testing.T) {
	a := fixture(t, "JobServer.hprof")
	r := ClassLoaders(a.g, a.t, a.s)
	isolated := 0
	for _, l := range r.Loaders {
		if l.Class != "org.apache.spark.sql.hive.client.IsolatedClientLoader" {
			continue
		}
		isolated++
		if l.Classes != 25 || l.Builtin || len(l.Path) == 0 {
			t.Fatalf("loader %+v", l)
		}
		fields := ""
		for _, st := range l.Path {
			fields += st.Field + " "
		}
		if !strings.Contains(fields, "static CLIENTS") {
			t.Errorf("path to %s does not go through the registry's static field: %s", l.ID, fields)
		}
	}
	dup := 0
	for _, d := range r.Duplicates {
		if strings.HasPrefix(d.Class, "org.apache.spark.sql.hive.client.") && len(d.Loaders) == 40 {
			dup++
		}
	}
	if isolated != 40 || dup != 25 {
		t.Errorf("%d isolated loaders, %d classes defined 40 times; want 40 and 25", isolated, dup)
	}
}

func TestSuspectsSpark(t *testing.T) {
	a := fixture(t, "Spark22713.hprof")
	sus := Suspects(a.g, a.t, a.s, 0.10)
	if len(sus) == 0 {
		t.Fatal("no suspect")
	}
	top := sus[0]
	acc := top.Chain[len(top.Chain)-1]
	if top.Kind != "object" || top.Percent < 80 || acc.Object.Class != "[Ljava.lang.Object;" || acc.Field != "data" {
		t.Errorf("top suspect %+v, accumulation %+v", top, acc)
	}
	for _, want := range []string{`reached from thread "Executor task launch worker for task 223"`, "through TaskMemoryManager.consumers",
		"accumulates in one Object[]", "byte[]"} {
		if !strings.Contains(top.Sentence, want) {
			t.Errorf("sentence %q lacks %q", top.Sentence, want)
		}
	}
	// Each step of the chain keeps at least AccumulationRatio.
	for i := 1; i < len(top.Chain); i++ {
		if float64(top.Chain[i].Object.Retained) < AccumulationRatio*float64(top.Chain[i-1].Object.Retained) {
			t.Errorf("step %d keeps less than %.0f%%", i, AccumulationRatio*100)
		}
	}
	// Nothing the first suspect retains comes back as a class group.
	for _, sp := range sus[1:] {
		if sp.Kind == "class" && (sp.Class == "byte[]" && sp.Retained > 1<<20) {
			t.Errorf("class group repeats the first suspect's memory: %+v", sp)
		}
	}
	if none := Suspects(a.g, a.t, a.s, 0.95); len(none) != 0 {
		t.Errorf("threshold 95%%: %d suspects", len(none))
	}
}

func TestSuspectsLinkedListHead(t *testing.T) {
	a := fixture(t, "Basic.hprof")
	sp := Suspects(a.g, a.t, a.s, 0.10)[0]
	acc := sp.Chain[len(sp.Chain)-1]
	if acc.Object.Class != "ChainNode" || len(sp.Chain) > 5 || !strings.HasPrefix(sp.Sentence, "The static fields of class Basic") {
		t.Errorf("chain %d long ending at %+v; %q", len(sp.Chain), acc, sp.Sentence)
	}
}
