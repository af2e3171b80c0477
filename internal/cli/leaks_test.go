package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/leaks"
)

// TestLeakCommandsCSV: offheap, spark, threads and classloaders write one
// flat table with a header row, sizes in exact bytes.
func TestLeakCommandsCSV(t *testing.T) {
	dumps := filepath.Join(root(t), "testdata", "dumps")
	for _, c := range []struct {
		command, dump string
		header        []string
		row           []string // cells some row has
	}{
		{"offheap", "Netty.hprof", []string{"id", "kind", "capacity_bytes", "views", "owner", "address", "strong"},
			[]string{"0xfd5c0da8", "allocate-direct", "16777216", "2", "io.netty.buffer.PoolChunk", "true"}},
		{"spark", "Spark22713.hprof", []string{"task_attempt_id", "task_memory_manager", "execution_memory_bytes", "off_heap_execution_memory_bytes", "consumer_class",
			"consumer_id", "mode", "used_bytes", "retained_bytes", "unaccounted"},
			[]string{"223", "812944", "", "0xfab1e388", "ON_HEAP", "0", "true"}},
		{"threads", "Spark22713.hprof", []string{"id", "name", "daemon", "state", "retained_bytes", "frames", "locals"},
			[]string{"Executor task launch worker for task 223", "false", "WAITING"}},
		{"classloaders", "JobServer.hprof", []string{"class", "id", "parent", "classes", "instances", "retained_bytes", "retained_with_classes_bytes", "builtin", "unreachable"},
			[]string{"org.apache.spark.sql.hive.client.IsolatedClientLoader", "25", "false"}},
	} {
		t.Run(c.command, func(t *testing.T) {
			out, errOut, code := run(t, c.command, filepath.Join(dumps, c.dump), "--format", "csv")
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll() // one table: every row as wide as the header
			if err != nil || len(rows) < 2 {
				t.Fatalf("%v: %q", err, out)
			}
			if !slices.Equal(rows[0], c.header) {
				t.Errorf("header %q, want %q", rows[0], c.header)
			}
			if !slices.ContainsFunc(rows[1:], func(r []string) bool {
				return !slices.ContainsFunc(c.row, func(cell string) bool { return !slices.Contains(r, cell) })
			}) {
				t.Errorf("no row has %q:\n%s", c.row, out)
			}
		})
	}
}

// TestSuspectsFormatTable: suspects takes table, the other commands' name
// for the human form, as text.
func TestSuspectsFormatTable(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof.gz")
	text, _, code := run(t, "suspects", dump)
	table, errOut, code2 := run(t, "suspects", dump, "--format", "table")
	if code != 0 || code2 != 0 || table != text || !strings.HasPrefix(text, "Suspect 1: ") {
		t.Errorf("--format table: exit %d/%d, stderr %q, same as text %v", code, code2, errOut, table == text)
	}
}

// TestSuspectsDirectMemory: direct memory that comes to the threshold's
// share of the reachable heap is said under the heap's suspects, and in
// JSON's direct_memory, null where there is none (found by a leak-scenario
// test: 96 MiB of direct buffers beside a heap of 917 KiB went unsaid).
func TestSuspectsDirectMemory(t *testing.T) {
	netty := filepath.Join(root(t), "testdata", "dumps", "Netty.hprof")
	out, errOut, code := run(t, "suspects", netty)
	if code != 0 || !strings.Contains(out, "\nSuspect off the heap: 129 MiB of direct memory in 9 buffers, beside a reachable heap of ") || !strings.Contains(out, "`leakscan offheap` lists the buffers.\n") {
		t.Errorf("suspects on Netty: exit %d %s, wrote\n%s", code, errOut, out)
	}
	var got struct {
		Direct *struct {
			Total  uint64            `json:"direct_bytes"`
			Owners []json.RawMessage `json:"owners"`
		} `json:"direct_memory"`
	}
	out, errOut, code = run(t, "suspects", netty, "--format", "json")
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got.Direct == nil || got.Direct.Total != 129<<20 || len(got.Direct.Owners) == 0 {
		t.Errorf("suspects --format json on Netty: exit %d %s %v, direct_memory %+v", code, errOut, err, got.Direct)
	}
	// No suspect on the heap, but one off it: the first line says which.
	if out, _, _ := run(t, "suspects", netty, "--threshold", "50"); !strings.HasPrefix(out, "No suspect on the heap: nothing retains 50% or more of ") || !strings.Contains(out, "\n\nSuspect off the heap: 129 MiB") {
		t.Errorf("suspects --threshold 50 on Netty:\n%s", out)
	}
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	if out, _, _ := run(t, "suspects", basic, "--format", "json"); !strings.Contains(out, `"direct_memory": null`) {
		t.Errorf("suspects --format json on Basic lacks a null direct_memory:\n%s", out)
	}
	if out, _, _ := run(t, "suspects", basic); strings.Contains(out, "Suspect off the heap:") {
		t.Errorf("suspects on Basic speaks of direct memory:\n%s", out)
	}
}

// TestNoSuspect: without a suspect, suspects --format json writes an empty
// list, as diff --format json writes an empty list of classes when none
// changed; both wrote null, which a consumer iterating over them takes for
// an error.
func TestNoSuspect(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	// "99 %" is read as "99%" and "99" (as check and --min-retained read shares).
	for _, threshold := range []string{"99 %", "99"} {
		out, errOut, code := run(t, "suspects", dump, "--threshold", threshold, "--format", "json")
		var got struct {
			Threshold float64           `json:"threshold_percent"`
			Suspects  []json.RawMessage `json:"suspects"`
		}
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got.Threshold != 99 || got.Suspects == nil || len(got.Suspects) != 0 || !strings.Contains(out, `"suspects": []`) {
			t.Errorf("suspects --threshold %q --format json: exit %d %s %v, wrote %q", threshold, code, errOut, err, out)
		}
	}
	// The text says the threshold is a share however it was given: "99"
	// was "nothing retains 99 or more".
	for _, threshold := range []string{"99", "99%"} {
		if out, _, _ := run(t, "suspects", dump, "--threshold", threshold); !strings.HasPrefix(out, "No suspect: nothing retains 99% or more of the reachable heap (") {
			t.Errorf("suspects --threshold %s: %q", threshold, out)
		}
	}
	base := jobServer(t, 2)
	if out, errOut, code := run(t, "diff", base, base); code != 0 || !strings.Contains(out, "\nNo class changed: instances, shallow and retained sizes are the same in both.\n") {
		t.Errorf("diff of a dump with itself: exit %d %s, wrote\n%s", code, errOut, out)
	}
	if out, errOut, code := run(t, "diff", base, base, "--format", "json"); code != 0 || !strings.Contains(out, `"classes": [],`) {
		t.Errorf("diff of a dump with itself, --format json: exit %d %s, wrote\n%s", code, errOut, out)
	}
}

// softCacheDump writes a dump whose one big object, a 1 MiB byte[], only
// two SoftReferences lead to: the dominator tree follows their referents,
// so it is a top-level object and a suspect, but no strong path from a GC
// root reaches it.
func softCacheDump(t *testing.T) string {
	t.Helper()
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	soft := w.Class("java/lang/ref/SoftReference", ref, 0, nil, nil)
	a, b, data := w.NewID(), w.NewID(), w.NewID()
	w.PrimArray(data, hprof.TypeByte, 1<<20, nil)
	for _, r := range []uint64{a, b} {
		w.Instance(r, soft, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
		w.Root(hprof.SubRootJNIGlobal, r, 0, 0)
	}
	return writeDump(t, w, "soft.hprof")
}

// TestSuspectWithoutStrongPath: a suspect no strong path leads to says so,
// in its sentence and in place of its path, in suspects and in the report.
// Before, its sentence named no root and its path was an empty heading
// (sun_jdk6_18_x64.hprof's TimeZoneNames, held in a soft cache).
func TestSuspectWithoutStrongPath(t *testing.T) {
	dump := softCacheDump(t)
	out, errOut, code := run(t, "suspects", dump)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Suspect 1: One instance of byte[], reached from no GC root by strong references alone, retains 1.0 MiB",
		"  Path from a GC root:\n    " + leaks.NoStrongPath + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("suspects lacks %q:\n%s", want, out)
		}
	}
	page, errOut, code := run(t, "report", dump, "-o", "-")
	if code != 0 || !strings.Contains(page, leaks.NoStrongPath) {
		t.Errorf("report: exit %d %s; the page lacks %q", code, errOut, leaks.NoStrongPath)
	}
}

// TestPathsMaxPathsZero: --max-paths 0 shows every match, as --top 0 does.
func TestPathsMaxPathsZero(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof.gz")
	out, errOut, code := run(t, "paths", dump, "--class", "Leaf", "--max-paths", "0")
	if code != 0 || !strings.Contains(out, "61 matching objects; 61 shown") {
		t.Errorf("exit %d, stderr %q, stdout ends:\n%s", code, errOut, out[max(0, len(out)-200):])
	}
}

// TestOffHeapNone: offheap on a dump without direct memory says so in a
// sentence. It printed a summary of zeros and two empty tables (Basic, the
// JDK 5-8 dumps), and "1 buffers" where there was one.
func TestOffHeapNone(t *testing.T) {
	dumps := filepath.Join(root(t), "testdata", "dumps")
	out, errOut, code := run(t, "offheap", filepath.Join(dumps, "Basic.hprof"))
	if want := "No direct memory: no reachable java.nio.DirectByteBuffer holds any (from allocateDirect or without a Cleaner).\n"; code != 0 || out != want {
		t.Errorf("Basic: exit %d %s, wrote\n%s\nwant\n%s", code, errOut, out, want)
	}
	out, _, _ = run(t, "offheap", filepath.Join(dumps, "JobServer.hprof"))
	if !strings.HasPrefix(out, "Direct memory: 2.4 KiB in 1 buffer (") || !strings.Contains(out, "not direct memory): 123 MiB in 7 buffers.") {
		t.Errorf("JobServer:\n%s", out)
	}
}

// TestOffHeapGarbage: the summary says how many buffers no GC root reaches
// were left out, and how much they hold.
func TestOffHeapGarbage(t *testing.T) {
	var out strings.Builder
	writeDirectMemory(&out, &leaks.OffHeapReport{Unreachable: 2, UnreachableBytes: 2 << 20})
	want := "No direct memory: no reachable java.nio.DirectByteBuffer holds any (from allocateDirect or without a Cleaner); 2 buffers that no GC root reaches (2.0 MiB, garbage at the next GC) left out.\n"
	if out.String() != want {
		t.Errorf("wrote\n%s\nwant\n%s", out.String(), want)
	}
}

// TestSparkNotExecutor: a heap with Spark classes but none of an
// executor's memory accounting says so. JobServer (Spark's Hive client
// classes) printed "Tasks (0):" and an empty table of cached blocks.
func TestSparkNotExecutor(t *testing.T) {
	out, errOut, code := run(t, "spark", filepath.Join(root(t), "testdata", "dumps", "JobServer.hprof"))
	want := "Spark classes (org.apache.spark.*) but no TaskMemoryManager, MemoryManager, MemoryStore nor netty direct arena: nothing of a Spark executor's memory to show.\n"
	if code != 0 || out != want {
		t.Errorf("exit %d %s, wrote\n%s\nwant\n%s", code, errOut, out, want)
	}
}

// TestSparkMissingParts: each part of an executor's memory the heap lacks
// says so in a line, not with an empty table; the off-heap pools have no
// heap to hold anything (they showed "0 B"), and a manager without
// maxHeapMemory (StaticMemoryManager) an unknown one (it showed "0 B").
func TestSparkMissingParts(t *testing.T) {
	r := &leaks.SparkReport{Found: true,
		Tasks: []leaks.Task{{Object: leaks.Object{ID: "0x10", Class: "org.apache.spark.memory.TaskMemoryManager"}, TaskAttemptID: 7, ExecutionMemory: new(int64(0)), Consumers: []leaks.Consumer{}}},
		Managers: []leaks.MemoryManager{{Object: leaks.Object{ID: "0x20", Class: "org.apache.spark.memory.StaticMemoryManager"},
			Pools: []leaks.Pool{{Name: "offHeapExecutionMemoryPool", PoolSize: 1 << 30, Used: 1 << 20}}}}}
	var out strings.Builder
	if err := writeSpark(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  task attempt 7  TaskMemoryManager 0x10  retains 0 B; execution memory granted: 0 B\n    no memory consumers\n",
		"StaticMemoryManager 0x20: max heap memory unknown, storage region unknown\n", "offHeapExecutionMemoryPool  1.0 GiB           1.0 MiB  - (off the heap)",
		"\nCached blocks: none.\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
	r.Tasks, r.Managers, r.Netty = nil, nil, []leaks.OwnerGroup{{Owner: "io.netty.buffer.PoolChunk", Buffers: 1, Capacity: 16 << 20}}
	out.Reset()
	writeSpark(&out, r)
	if want := "Tasks: none (no org.apache.spark.memory.TaskMemoryManager in the heap).\n\nMemory manager: none (no org.apache.spark.memory.MemoryManager in the heap).\n\nCached blocks: none.\n\nNetty direct memory:\n  io.netty.buffer.PoolChunk: 1 buffer, 16 MiB\n"; out.String() != want {
		t.Errorf("wrote\n%s\nwant\n%s", out.String(), want)
	}
}

// TestSparkOffHeapTable: a task granted memory off the heap says so beside
// what it holds on it, an OFF_HEAP consumer's claim is marked as off the
// heap, and one that retains more than the slack on the heap is flagged
// as claiming nothing there; each pool lists its own memoryForTask.
func TestSparkOffHeapTable(t *testing.T) {
	consumer := func(id, mode string, used int64, retained uint64, unaccounted bool) leaks.Consumer {
		return leaks.Consumer{Object: leaks.Object{ID: id, Class: "org.apache.spark.unsafe.map.BytesToBytesMap", Retained: retained}, Mode: mode, Used: used, Unaccounted: unaccounted}
	}
	r := &leaks.SparkReport{Found: true,
		Tasks: []leaks.Task{{Object: leaks.Object{ID: "0x10", Class: "org.apache.spark.memory.TaskMemoryManager"}, TaskAttemptID: 7, ExecutionMemory: new(int64(1 << 20)), OffHeapExecutionMemory: new(int64(1 << 30)),
			Consumers: []leaks.Consumer{consumer("0x11", "OFF_HEAP", 1<<30, 4<<20, true), consumer("0x12", "OFF_HEAP", 1<<20, 1<<10, false), consumer("0x13", "ON_HEAP", 1<<20, 1<<20, false)}}},
		Managers: []leaks.MemoryManager{{Object: leaks.Object{ID: "0x20", Class: "org.apache.spark.memory.UnifiedMemoryManager"}, MaxHeapMemory: new(int64(8 << 20)), StorageRegionSize: new(int64(4 << 20)),
			Pools: []leaks.Pool{{Name: "onHeapExecutionMemoryPool", PoolSize: 4 << 20, Used: 1 << 20, MemoryForTask: map[int64]int64{7: 1 << 20}},
				{Name: "offHeapExecutionMemoryPool", PoolSize: 2 << 30, Used: 1 << 30, MemoryForTask: map[int64]int64{7: 1 << 30}}}}}}
	var out strings.Builder
	if err := writeSpark(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"execution memory granted: 1.0 MiB on the heap, 1.0 GiB off it\n",
		"0x11          1.0 GiB  4.0 MiB  ◀ retains on the heap, where it claims nothing (SPARK-22713)\n",
		"0x12          1.0 MiB  1.0 KiB  (claims off the heap)\n", "0x13          1.0 MiB  1.0 MiB",
		"  onHeapExecutionMemoryPool memoryForTask[7] = 1.0 MiB\n  offHeapExecutionMemoryPool memoryForTask[7] = 1.0 GiB\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
}

// TestThreadsNone: threads on a dump without a live thread says so; it
// printed nothing at all, and "null" as JSON.
func TestThreadsNone(t *testing.T) {
	dump := softCacheDump(t)
	if out, errOut, code := run(t, "threads", dump); code != 0 || out != "No live thread: the dump names no thread that a GC root reaches.\n" {
		t.Errorf("exit %d %s, wrote %q", code, errOut, out)
	}
	if out, errOut, code := run(t, "threads", dump, "--format", "json"); code != 0 || out != "[]\n" {
		t.Errorf("--format json: exit %d %s, wrote %q", code, errOut, out)
	}
}

// TestThreadsNoFrames: a thread without Java frames says so under its
// line; it had nothing there, as if its stack had been left out.
func TestThreadsNoFrames(t *testing.T) {
	out, errOut, code := run(t, "threads", filepath.Join(root(t), "testdata", "dumps", "Basic.hprof"))
	if code != 0 || !strings.Contains(out, "Thread \"Signal Dispatcher\" 0xfd571b58  daemon, RUNNABLE  retains 488 B\n    no Java frames in the dump\n\n") {
		t.Errorf("exit %d %s, wrote\n%s", code, errOut, out)
	}
}

// TestClassLoadersText: one duplicate class name is "1 class name is" (it
// was "1 class names are"); the bootstrap loader, not an object, has no
// retained size ("-" and a line saying why, where "0 B" looked like a
// bug) and is the parent of a loader whose parent field is null (an empty
// cell); a path that stands for several loaders says it is the first's.
func TestClassLoadersText(t *testing.T) {
	dumps := filepath.Join(root(t), "testdata", "dumps")
	out, errOut, code := run(t, "classloaders", filepath.Join(dumps, "Basic.hprof"))
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	for _, want := range []string{"\n1 class name is defined by more than one loader:\n", "0xfd598ba0  <bootstrap> 0x0  ",
		"---\n<bootstrap>  ", "559     11,132         -                 -\njdk.internal.loader.ClassLoaders$AppClassLoader  ", // first: it ranks by no retained size
		"752 B             864 B\n(<bootstrap> is the JVM's own loader, not an object: it has no retained size.)\n", "\n  1 loader:\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("Basic lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = run(t, "classloaders", filepath.Join(dumps, "JobServer.hprof"))
	if !strings.Contains(out, "\n  40 loaders by paths of this shape; the first's:\n") {
		t.Errorf("JobServer:\n%s", out)
	}
}

// TestClassLoaderWithoutStrongPath: a loader outside the JDK that only a
// weak reference reaches is listed under what keeps the loaders alive,
// with why it has no path; it was left out without a word.
func TestClassLoaderWithoutStrongPath(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	loaderBase := w.Class("java/lang/ClassLoader", obj, 0, nil, []hproftest.Field{{Name: "parent", Type: hprof.TypeObject}})
	pluginLoader := w.Class("com/example/PluginLoader", loaderBase, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
	loader, r := w.NewID(), w.NewID()
	w.Instance(loader, pluginLoader, []hprof.BasicType{hprof.TypeObject}, []uint64{0})
	w.Class("com/example/Plugin", obj, loader, nil, nil)
	w.Instance(r, weak, []hprof.BasicType{hprof.TypeObject}, []uint64{loader})
	w.Root(hprof.SubRootJNIGlobal, r, 0, 0)
	out, errOut, code := run(t, "classloaders", writeDump(t, w, "weak-loader.hprof"))
	want := "\nWhat keeps the loaders that are not the JDK's alive (shortest strong path from a GC root):\n  1 loader, com.example.PluginLoader 0x"
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, leaks.NoStrongPath) {
		t.Errorf("exit %d %s, wrote\n%s", code, errOut, out)
	}
}

// classloaders --top N lists the N loaders that retain the most, 20 by
// default, and says how many it left out: it printed every loader, which
// on a job server's dump is thousands of lines. The class names several
// loaders define and the paths still cover every loader.
func TestClassLoadersTop(t *testing.T) {
	jobs := filepath.Join(root(t), "testdata", "dumps", "JobServer.hprof")
	rows := regexp.MustCompile(`(?m)^\S+ +0x[0-9a-f]+ `)
	for _, c := range []struct {
		args  []string
		rows  int
		shown string
	}{
		{nil, 21, "\n\n21 of 45 class loaders shown\n\n"}, // <bootstrap> and the 20 that retain the most
		{[]string{"--top", "3"}, 4, "\n\n4 of 45 class loaders shown\n\n"},
		{[]string{"--top", "0"}, 45, "(<bootstrap> is the JVM's own loader, not an object: it has no retained size.)\n\n45 class loaders shown\n\n"},
	} {
		out, errOut, code := run(t, append([]string{"classloaders", jobs}, c.args...)...)
		table, _, _ := strings.Cut(out, "class names are defined by more than one loader")
		if code != 0 || len(rows.FindAllString(table, -1)) != c.rows || !strings.Contains(out, c.shown) ||
			!strings.Contains(out, "\n25 class names are defined by more than one loader:\n") || !strings.Contains(out, "\n  40 loaders by paths of this shape; the first's:\n") {
			t.Errorf("%v: exit %d (%s), want %d loaders and %q:\n%s", c.args, code, errOut, c.rows, c.shown, out)
		}
	}
	out, _, _ := run(t, "classloaders", jobs, "--top", "3", "--format", "json")
	var r leaks.LoaderReport
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Loaders) != 4 || r.Loaders[0].ID != "0x0" || r.MoreLoaders != 41 || len(r.Duplicates) != 25 {
		t.Errorf("json --top 3: %v, %d loaders, more_loaders %d, %d duplicates", err, len(r.Loaders), r.MoreLoaders, len(r.Duplicates))
	}
	// All shown, more_loaders is still there, 0: a script reading it
	// broke on a small dump.
	out, _, _ = run(t, "classloaders", jobs, "--top", "0", "--format", "json")
	if !strings.Contains(out, `"more_loaders": 0`) {
		t.Errorf("json --top 0 lacks more_loaders: 0")
	}
	out, _, _ = run(t, "classloaders", jobs, "--top", "3", "--format", "csv")
	if n := strings.Count(out, "\n"); n != 5 {
		t.Errorf("csv --top 3: %d lines, want a header, <bootstrap> and 3 loaders:\n%s", n, out)
	}
}

// TestDominatorsObject: --object starts the tree at an object and says
// what dominates it. On the SPARK-22713 fixture the data array the spilled
// map keeps is dominated by the chain the issue names, up to the task's
// thread; the thread is top level.
func TestDominatorsObject(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	out, errOut, code := run(t, "dominators", dump, "--object", "0xfaccb5b8", "--object", "0xfab148f0", "--format", "json")
	var got struct {
		Objects []struct {
			ID          string `json:"id"`
			Children    []json.RawMessage
			DominatedBy *[]struct {
				ID, Class, Root string
			} `json:"dominated_by"`
		} `json:"objects"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got.Objects) != 2 {
		t.Fatalf("exit %d %s %v:\n%s", code, errOut, err, out)
	}
	array, thread := got.Objects[0], got.Objects[1]
	var classes []string
	for _, d := range *array.DominatedBy {
		classes = append(classes, d.Class)
	}
	want := []string{"org.apache.spark.util.collection.SizeTrackingAppendOnlyMap", "org.apache.spark.util.collection.AppendOnlyMap$$anon$1",
		"org.apache.spark.util.collection.ExternalAppendOnlyMap$SpillableIterator", "org.apache.spark.util.collection.ExternalAppendOnlyMap",
		"java.util.HashMap$Node", "java.util.HashMap$Node[]", "java.util.HashMap", "java.util.HashSet", "org.apache.spark.memory.TaskMemoryManager", "java.lang.Thread"}
	if array.ID != "0xfaccb5b8" || !slices.Equal(classes, want) || (*array.DominatedBy)[9].ID != "0xfab148f0" || len(array.Children) == 0 {
		t.Errorf("the data array: id %s, %d children, dominated by %q", array.ID, len(array.Children), classes)
	}
	if thread.DominatedBy == nil || len(*thread.DominatedBy) != 0 || !strings.Contains(out, `"dominated_by": []`) {
		t.Errorf("the thread is top level: dominated_by %v", thread.DominatedBy)
	}
	// CSV gives the same chain as ids on the objects' rows, none below.
	var ids []string
	for _, d := range *array.DominatedBy {
		ids = append(ids, d.ID)
	}
	out, _, code = run(t, "dominators", dump, "--object", "0xfaccb5b8", "--object", "0xfab148f0", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) < 4 || recs[0][len(recs[0])-1] != "dominated_by" {
		t.Fatalf("csv: exit %d %v:\n%s", code, err, out)
	}
	for _, r := range recs[1:] {
		want := ""
		switch {
		case r[0] != "0": // a child
		case r[2] == "0xfaccb5b8":
			want = strings.Join(ids, " ")
		case r[2] != "0xfab148f0":
			t.Errorf("csv: a top row for %s", r[2])
		}
		if got := r[len(r)-1]; got != want {
			t.Errorf("csv: %s at depth %s dominated by %q, want %q", r[2], r[0], got, want)
		}
	}
	// Ten dominators are all named; of eleven, the table leaves out the
	// ninth and tenth.
	out, _, code = run(t, "dominators", dump, "--object", "0xfaccb5b8", "--object", "0xfab1f3e8", "--object", "0xfaccb5b8")
	if code != 0 || !strings.Contains(out, "\n0xfaccb5b8 is dominated by 0xfab1ee00 org.apache.spark.util.collection.SizeTrackingAppendOnlyMap (3.1 MiB) ← ") ||
		!strings.Contains(out, " (3.9 MiB) ← 0xfab15020 org.apache.spark.memory.TaskMemoryManager (4.0 MiB) ← 0xfab148f0 java.lang.Thread (4.0 MiB), top level (10 dominators in all).\n") ||
		!strings.Contains(out, "\n0xfab1f3e8 is dominated by 0xfaccb5b8 java.lang.Object[] (3.1 MiB) ← ") ||
		!strings.Contains(out, " (3.9 MiB) ← … 2 more … ← 0xfab148f0 java.lang.Thread (4.0 MiB), top level (11 dominators in all).\n") ||
		strings.Count(out, "is dominated by") != 2 {
		t.Errorf("table:\n%s", out)
	}
	for _, bad := range [][]string{{"--object", "0x1"}, {"--object", "zz"}, {"--object", "0xfaccb5b8", "--top", "3"}, {"--object", "0xfaccb5b8", "--group-by", "class"}} {
		if _, errOut, code := run(t, append([]string{"dominators", dump}, bad...)...); code == 0 || errOut == "" {
			t.Errorf("dominators %q: exit %d, stderr %q", bad, code, errOut)
		}
	}
}

// retainedByJSON is histogram --retained-by's JSON.
type retainedByJSON struct {
	Objects  []leaks.Object `json:"objects"`
	Retained uint64         `json:"retained_bytes"`
	Classes  []struct {
		Class     string `json:"class"`
		Instances int64  `json:"instances"`
		Shallow   uint64 `json:"shallow_bytes"`
	} `json:"classes"`
}

// TestHistogramRetainedBy: the retained set of the spilled map's data
// array on the SPARK-22713 fixture is its 20,000 entries (the program's
// SPILLED_MAP_ENTRIES), a url String and a value byte[] each (and each
// String's byte[]), but what else holds, and its shallow sizes add up to
// the array's retained size.
func TestHistogramRetainedBy(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	out, errOut, code := run(t, "histogram", dump, "--retained-by", "0xfaccb5b8", "--format", "json")
	var got retainedByJSON
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("exit %d %s %v:\n%s", code, errOut, err, out)
	}
	rows := got.Classes
	count, sum := map[string]int64{}, uint64(0)
	for _, r := range rows {
		count[r.Class] += r.Instances
		sum += r.Shallow
	}
	if s := count["java.lang.String"]; s < 19_900 || s > 20_000 || count["byte[]"] != 2*s || count["java.lang.Object[]"] != 1 || len(rows) != 3 {
		t.Errorf("retained set: %v", count)
	}
	var dom struct {
		Objects []struct {
			Retained uint64 `json:"retained_bytes"`
		} `json:"objects"`
	}
	out, _, _ = run(t, "dominators", dump, "--object", "0xfaccb5b8", "--depth", "0", "--format", "json")
	if err := json.Unmarshal([]byte(out), &dom); err != nil || len(dom.Objects) != 1 || dom.Objects[0].Retained != sum || got.Retained != sum {
		t.Errorf("the retained set's shallow sizes add up to %d; dominators says %+v (%v), histogram %d", sum, dom.Objects, err, got.Retained)
	}
	if len(got.Objects) != 1 || got.Objects[0].ID != "0xfaccb5b8" || got.Objects[0].Class != "java.lang.Object[]" || got.Objects[0].Retained != sum {
		t.Errorf("JSON names the object %+v", got.Objects)
	}
	out, _, code = run(t, "histogram", dump, "--retained-by", "0xfaccb5b8")
	if code != 0 || !strings.HasPrefix(out, "What 0xfaccb5b8 java.lang.Object[] retains (3.1 MiB):\n\n") || !strings.HasSuffix(out, "\n3 classes shown; total 59,998 objects, 3.1 MiB\n") {
		t.Errorf("table:\n%s", out)
	}
	for _, bad := range [][]string{{"--retained-by", "0x1"}, {"--retained-by", "zz"}, {"--retained-by", "0xfaccb5b8", "--retained"}} {
		if _, errOut, code := run(t, append([]string{"histogram", dump}, bad...)...); code == 0 || errOut == "" {
			t.Errorf("histogram %q: exit %d, stderr %q", bad, code, errOut)
		}
	}
	if _, _, code := run(t, "histogram", dump, "--retained-by", "0xfaccb5b8", "--weak", "ignore"); code != 0 {
		t.Errorf("--weak with --retained-by refused: exit %d", code)
	}
}

// TestHistogramRetainedByTogether: objects given together retain what
// each dominates and what only they hold between them (MAT's retained set
// of several objects): A and B both hold C, which holds D, so A alone
// retains A and its E, and A and B together all five. With
// --keep-unreachable an object no GC root reaches, U, holding C too, is a
// root of its own: C and D are then no longer A's and B's to free. Two
// such roots that share an object retain it: an object the roots' search
// meets is no root, though at the top of the tree.
func TestHistogramRetainedByTogether(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	two := []hproftest.Field{{Name: "shared", Type: hprof.TypeObject}, {Name: "own", Type: hprof.TypeObject}}
	holder := w.Class("com/example/Holder", obj, 0, nil, two)
	sharedClass := w.Class("com/example/Shared", obj, 0, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}})
	refs := []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}
	a, b, c, d, e, u := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(a, holder, refs, []uint64{c, e})
	w.Instance(b, holder, refs, []uint64{c, 0})
	w.Instance(u, holder, refs, []uint64{c, 0})
	w.Instance(c, sharedClass, []hprof.BasicType{hprof.TypeObject}, []uint64{d})
	w.PrimArray(d, hprof.TypeByte, 1000, nil)
	w.PrimArray(e, hprof.TypeInt, 10, nil)
	// K1 and K2, which no GC root reaches, both hold X, and X Y: with
	// --keep-unreachable K1 and K2 are roots of their own, X not (it is
	// at the top of the tree, two roots holding it), and the two retain
	// all four.
	keeper := w.Class("com/example/Keeper", obj, 0, nil, []hproftest.Field{{Name: "x", Type: hprof.TypeObject}})
	part := w.Class("com/example/Part", obj, 0, nil, []hproftest.Field{{Name: "y", Type: hprof.TypeObject}})
	k1, k2, px, py := w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(k1, keeper, []hprof.BasicType{hprof.TypeObject}, []uint64{px})
	w.Instance(px, part, []hprof.BasicType{hprof.TypeObject}, []uint64{py})
	w.Instance(k2, keeper, []hprof.BasicType{hprof.TypeObject}, []uint64{px})
	w.PrimArray(py, hprof.TypeLong, 10, nil)
	w.Root(hprof.SubRootJNIGlobal, a, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, b, 0, 0)
	for _, class := range []uint64{obj, holder, sharedClass, keeper, part} { // as the JVM's classes are
		w.Root(hprof.SubRootStickyClass, class, 0, 0)
	}
	dump := writeDump(t, w, "together.hprof")
	hex := func(id uint64) string { return fmt.Sprintf("0x%x", id) }
	for _, c := range []struct {
		args []string
		want map[string]int64 // instances by class
	}{
		{[]string{"--retained-by", hex(a)}, map[string]int64{"com.example.Holder": 1, "int[]": 1}},
		{[]string{"--retained-by", hex(a), "--retained-by", hex(b)}, map[string]int64{"com.example.Holder": 2, "com.example.Shared": 1, "byte[]": 1, "int[]": 1}},
		{[]string{"--retained-by", hex(a), "--retained-by", hex(b), "--retained-by", hex(a)}, map[string]int64{"com.example.Holder": 2, "com.example.Shared": 1, "byte[]": 1, "int[]": 1}},
		{[]string{"--retained-by", hex(a), "--retained-by", hex(b), "--keep-unreachable"}, map[string]int64{"com.example.Holder": 2, "int[]": 1}},
		{[]string{"--retained-by", hex(k1), "--retained-by", hex(k2), "--keep-unreachable"}, map[string]int64{"com.example.Keeper": 2, "com.example.Part": 1, "long[]": 1}},
	} {
		out, errOut, code := run(t, append([]string{"histogram", dump, "--format", "json"}, c.args...)...)
		var r retainedByJSON
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
			t.Fatalf("%v: exit %d %s %v:\n%s", c.args, code, errOut, err, out)
		}
		got, sum := map[string]int64{}, uint64(0)
		for _, row := range r.Classes {
			got[row.Class] = row.Instances
			sum += row.Shallow
		}
		if !maps.Equal(got, c.want) || r.Retained != sum || r.Objects[0].ID != c.args[1] || len(r.Objects) != min(len(c.args)/2, 2) {
			t.Errorf("%v: %+v; want %v", c.args, r, c.want)
		}
	}
	out, _, code := run(t, "dominators", dump, "--keep-unreachable", "--format", "csv")
	rootOf := map[string]string{}
	if recs, err := csv.NewReader(strings.NewReader(out)).ReadAll(); code == 0 && err == nil {
		for _, r := range recs[1:] {
			rootOf[r[2]] = r[7]
		}
	}
	if rootOf[hex(k1)] != "<Unreachable>" || rootOf[hex(k2)] != "<Unreachable>" || rootOf[hex(px)] != "" || len(rootOf) < 3 {
		t.Errorf("dominators --keep-unreachable: the roots of their own are K1 and K2, not X: %v", rootOf)
	}
	out, _, code = run(t, "histogram", dump, "--retained-by", hex(a), "--retained-by", hex(b))
	if want := fmt.Sprintf("What %s com.example.Holder and %s com.example.Holder retain together (", hex(a), hex(b)); code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("table: want it to start %q:\n%s", want, out)
	}
	if _, errOut, code := run(t, "histogram", dump, "--retained-by", hex(a), "--retained-by", hex(u)); code == 0 || !strings.Contains(errOut, "no GC root reaches it") {
		t.Errorf("an unreachable object among them: exit %d, %q", code, errOut)
	}
}

// TestStringsCommand: strings lists the SPARK-22713 fixture's duplicated
// texts most wasted first in each format, and --top cuts them.
func TestStringsCommand(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	out, errOut, code := run(t, "strings", dump, "--top", "2")
	if code != 0 || !regexp.MustCompile(`^[\d,]+ strings reachable, .* with their value arrays; 28 texts held more than once waste 1\.9 KiB \(`).MatchString(out) ||
		!strings.Contains(out, `"UTF-8"`) || !strings.HasSuffix(out, "\n2 of 28 duplicated texts shown\n") {
		t.Errorf("exit %d %s:\n%s", code, errOut, out)
	}
	var got struct {
		Wasted     uint64 `json:"wasted_bytes"`
		More       int    `json:"more_duplicates"`
		Duplicates []struct {
			Text   string `json:"text"`
			Copies int64  `json:"copies"`
			Wasted uint64 `json:"wasted_bytes"`
		} `json:"duplicates"`
	}
	out, _, code = run(t, "strings", dump, "--top", "0", "--format", "json")
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got.Duplicates) != 28 || got.More != 0 || got.Duplicates[0].Text != "UTF-8" || got.Duplicates[0].Copies != 4 {
		t.Fatalf("json: exit %d %v %+v", code, err, got)
	}
	var sum uint64
	for _, d := range got.Duplicates {
		sum += d.Wasted
	}
	if sum != got.Wasted {
		t.Errorf("wasted %d, the rows' sum %d", got.Wasted, sum)
	}
	if out, _, _ := run(t, "strings", dump, "--format", "csv"); !strings.HasPrefix(out, "copies,value_arrays,bytes_each,wasted_bytes,length,text,sample_id\n4,4,48,144,5,UTF-8,0x") {
		t.Errorf("csv:\n%s", out)
	}
}

// TestCollectionsCommand: collections lists the SPARK-22713 fixture's
// collection classes most unused bytes first, in each format; JSON and
// CSV carry the same rows, and the table's heading their totals.
func TestCollectionsCommand(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	out, errOut, code := run(t, "collections", dump, "--format", "json", "--top", "0")
	var got struct {
		Classes []leaks.CollectionStats `json:"classes"`
		More    int                     `json:"more_classes"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got.Classes) < 5 || got.More != 0 {
		t.Fatalf("json: exit %d %s %v:\n%s", code, errOut, err, out)
	}
	var n, empty int64
	for i, r := range got.Classes {
		n, empty = n+r.Collections, empty+r.Empty
		if i > 0 && r.UnusedBytes > got.Classes[i-1].UnusedBytes {
			t.Errorf("%s after %s: not most unused first", r.Class, got.Classes[i-1].Class)
		}
		if r.Empty+r.FillUpTo25+r.FillUpTo50+r.FillUpTo75+r.FillOver75 != r.Collections || r.UnusedSlots > r.Slots {
			t.Errorf("%+v: the buckets do not add up", r)
		}
	}
	out, _, code = run(t, "collections", dump, "--format", "csv", "--top", "3")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 4 || strings.Join(recs[0], ",") != "class,collections,empty,fill_up_to_25,fill_up_to_50,fill_up_to_75,fill_over_75,entries,slots,unused_slots,unused_bytes,bytes,most_unused_id" ||
		recs[1][0] != got.Classes[0].Class || recs[1][10] != fmt.Sprint(got.Classes[0].UnusedBytes) {
		t.Errorf("csv: exit %d %v:\n%s", code, err, out)
	}
	out, _, code = run(t, "collections", dump, "--top", "2")
	if want := fmt.Sprintf("%s collections reachable in %d classes, %s of them empty;", commas(n), len(got.Classes), commas(empty)); code != 0 || !strings.HasPrefix(out, want) ||
		!strings.Contains(out, "\n2 of "+fmt.Sprint(len(got.Classes))+" classes shown;") {
		t.Errorf("table: want it to start %q:\n%s", want, out)
	}
}
