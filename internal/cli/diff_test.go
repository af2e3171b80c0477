package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/render"
)

// jobServer writes a dump of a job server that keeps every job's
// IsolatedClientLoader alive through a static registry: jobs loaders, each
// defining the same three classes, each with one client object of 1 KiB.
func jobServer(t *testing.T, jobs int) string {
	t.Helper()
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	loaderClass := w.Class("com/example/IsolatedClientLoader", obj, 0, nil, nil)
	arr := w.ObjectArrayClass()
	var clients []uint64
	for j := 0; j < jobs; j++ {
		loader := w.NewID()
		w.Instance(loader, loaderClass, nil, nil)
		var client uint64
		for _, name := range []string{"com/example/hive/Client", "com/example/hive/Session", "com/example/hive/Conf"} {
			c := w.Class(name, obj, loader, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}, {Name: "loader", Type: hprof.TypeObject}})
			if client == 0 {
				client = w.NewID()
				data := w.NewID()
				w.PrimArray(data, hprof.TypeByte, 1024, nil)
				w.Instance(client, c, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}, []uint64{data, loader})
			}
		}
		clients = append(clients, client)
	}
	list := w.NewID()
	w.ObjArray(list, arr, clients)
	registry := w.Class("com/example/Registry", obj, 0, []hproftest.Static{{Name: "JOBS", Type: hprof.TypeObject, Value: list}}, nil)
	w.Root(hprof.SubRootStickyClass, registry, 0, 0)
	return writeDump(t, w, "jobs.hprof")
}

func TestDiff(t *testing.T) {
	base, next := jobServer(t, 2), jobServer(t, 10)
	out, errOut, code := run(t, "diff", base, next)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"com.example.IsolatedClientLoader  2 → 10", "6 → 30", "com.example.hive.Client", "+8"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	// The instances' change is signed, as the sizes' are: "8" read as the
	// count of byte[].
	if !regexp.MustCompile(`\nbyte\[\] +\+8 +\+8\.2 KiB `).MatchString(out) {
		t.Errorf("no row byte[]  +8  +8.2 KiB:\n%s", out)
	}
	// --top says how many changed classes it left out, in the table and
	// in JSON: the 3 of the 5 here.
	top, _, _ := run(t, "diff", base, next, "--top", "2")
	if !strings.Contains(top, "\n… and 3 more classes that changed (--top 0 lists them all)\n") {
		t.Errorf("diff --top 2 does not say what it left out:\n%s", top)
	}
	top, _, _ = run(t, "diff", base, next, "--top", "2", "--format", "json")
	if !strings.Contains(top, `"more_classes": 3,`) {
		t.Errorf("diff --top 2 --format json lacks more_classes 3:\n%s", top)
	}
	// One --index-dir cannot hold both dumps' indexes.
	if _, errOut, code := runIndexed(t, "diff", base, next, "--index-dir", t.TempDir()); code != 2 || !strings.Contains(errOut, "--index-dir names one index") {
		t.Errorf("diff --index-dir: exit %d, stderr %q", code, errOut)
	}
	out, _, code = run(t, "diff", base, next, "--format", "json")
	var d struct {
		Growth  int64 `json:"reachable_growth_bytes"`
		Classes []struct {
			Class        string `json:"class"`
			Instances    int64  `json:"instances_delta"`
			Base         int64  `json:"instances_base"`
			New          int64  `json:"instances_new"`
			RetainedDiff int64  `json:"retained_delta_bytes"`
			RetainedBase int64  `json:"retained_base_bytes"`
			RetainedNew  int64  `json:"retained_new_bytes"`
		} `json:"classes"`
		Loaders []struct {
			LoaderClass string `json:"loader_class"`
			Base        int    `json:"loaders_base"`
			New         int    `json:"loaders_new"`
		} `json:"class_loaders"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != 0 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if d.Growth <= 8*1024 || d.Classes[0].RetainedDiff <= 0 || d.Loaders[0].LoaderClass != "com.example.IsolatedClientLoader" || d.Loaders[0].New != 10 {
		t.Errorf("json report: %+v", d)
	}
	// Every row carries both sides (snake_case, as the rest of the JSON),
	// and its deltas are their differences.
	for _, c := range d.Classes {
		if c.Instances != c.New-c.Base || c.RetainedDiff != c.RetainedNew-c.RetainedBase {
			t.Errorf("json row %+v: deltas are not new - base", c)
		}
	}
	// The biggest growth comes first and the byte arrays grew by 8.
	found := false
	for _, c := range d.Classes {
		if c.Class == "byte[]" && c.Instances == 8 {
			found = true
		}
	}
	if !found {
		t.Errorf("byte[] not +8: %+v", d.Classes)
	}
	// In exact bytes beside the sizes: "grew by 4.8 MiB, more than 5MB"
	// read as false.
	if _, errOut, code := run(t, "diff", base, next, "--fail-on-growth", "1KB"); code != 1 || !regexp.MustCompile(`grew by [^(]+ \([\d,]+ bytes\), more than 1KB \(1,000 bytes\)`).MatchString(errOut) {
		t.Errorf("--fail-on-growth 1KB: exit %d %q", code, errOut)
	}
	if _, _, code := run(t, "diff", base, next, "--fail-on-growth", "500%"); code != 0 {
		t.Errorf("--fail-on-growth 500%%: exit %d", code)
	}
	// A share says the share it grew by too.
	if _, errOut, code := run(t, "diff", base, next, "--fail-on-growth", "0.0001%"); code != 1 || !regexp.MustCompile(`grew by [^(]+ \([\d,]+ bytes\), \d+\.\d\d% of the base's, more than 0\.0001% \([\d,]+ bytes of the base's [\d,]+ bytes\)`).MatchString(errOut) {
		t.Errorf("--fail-on-growth 0.0001%%: exit %d %q", code, errOut)
	}
	// A bare fraction is not 0 bytes (every growth failed).
	if _, errOut, code := run(t, "diff", base, next, "--fail-on-growth", "0.5"); code != 2 || !strings.Contains(errOut, "a size without a unit counts bytes") {
		t.Errorf("--fail-on-growth 0.5: exit %d %q", code, errOut)
	}
	// The message names both forms --fail-on-growth takes.
	if _, errOut, code := run(t, "diff", base, next, "--fail-on-growth", "xyz"); code != 2 ||
		errOut != "leakscan: --fail-on-growth: \"xyz\": expected a size such as 500MB or a percentage such as 10%\n" {
		t.Errorf("--fail-on-growth xyz: exit %d %q", code, errOut)
	}
	if out, _, code := run(t, "diff", base, next, "--format", "csv"); code != 0 || !strings.HasPrefix(out, "class,instances_delta,") {
		t.Errorf("csv: %q", out)
	}
}

// A class name two loaders define, one loader's object dominating the
// other's: the name's retained size counts the inner object once. Summing
// the classes' own sizes gave more than the whole reachable heap.
func TestDiffNameInTwoLoaders(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	loaderClass := w.Class("java/lang/ClassLoader", obj, 0, nil, nil)
	l1, l2 := w.NewID(), w.NewID()
	w.Instance(l1, loaderClass, nil, nil)
	w.Instance(l2, loaderClass, nil, nil)
	fields := []hproftest.Field{{Name: "next", Type: hprof.TypeObject}}
	n1 := w.Class("com/acme/Node", obj, l1, nil, fields)
	n2 := w.Class("com/acme/Node", obj, l2, nil, fields)
	outer, inner := w.NewID(), w.NewID()
	w.Instance(inner, n2, []hprof.BasicType{hprof.TypeObject}, []uint64{0})
	w.Instance(outer, n1, []hprof.BasicType{hprof.TypeObject}, []uint64{inner})
	w.Root(hprof.SubRootJNIGlobal, outer, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	tree := dominator.Compute(g, dominator.Options{})
	got := (&diffOptions{}).totals(tree, tree.ClassRetained())["com.acme.Node"].retained
	if want := tree.Retained(g.Lookup(outer)); got != want || got > tree.ReachableBytes {
		t.Errorf("com.acme.Node retains %d, want the outer node's %d (reachable heap %d)", got, want, tree.ReachableBytes)
	}
}

// TestDiffUnreachable: garbage counts in a class's instances and shallow
// bytes, not in its retained bytes; the table then says so, with each
// dump's unreachable totals (as JSON has them), where before it showed
// com.example.Buffer's shallow bytes grow and its retained bytes not,
// unexplained. A diff without such a row has no note.
func TestDiffUnreachable(t *testing.T) {
	base := jobServer(t, 2)
	next, _, _, _ := garbageDump(t)
	out, _, code := run(t, "diff", base, next, "--format", "json")
	type unreachable struct {
		Objects int64  `json:"unreachable_objects"`
		Bytes   uint64 `json:"unreachable_bytes"`
	}
	var d struct {
		Base unreachable `json:"base"`
		New  unreachable `json:"new"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != 0 || d.New.Objects < 3 || d.New.Bytes == 0 {
		t.Fatalf("json: exit %d, %v, the new dump's unreachable objects %+v; want its 3 Buffers at least", code, err, d.New)
	}
	out, errOut, code := run(t, "diff", base, next)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	note := fmt.Sprintf("\nInstances and Shallow count unreachable objects too (BASE holds %d, %s; NEW %d, %s); Retained counts only what GC roots reach.\n",
		d.Base.Objects, render.Size(d.Base.Bytes), d.New.Objects, render.Size(d.New.Bytes))
	if !strings.Contains(out, note) {
		t.Errorf("diff lacks %q:\n%s", note, out)
	}
	if out, _, _ := run(t, "diff", base, jobServer(t, 3)); strings.Contains(out, "unreachable") {
		t.Errorf("a diff without garbage has the note:\n%s", out)
	}
}

// TestDiffLoadersDefiningNone: the loaders section counts every class
// loader, one that defines no class too (a loader per job whose classes
// its parent defines), and puts the most grown in loaders first: 20 such
// leaked loaders were missing from it.
func TestDiffLoadersDefiningNone(t *testing.T) {
	dump := func(loaders int) string {
		w := hproftest.New(8, "")
		obj := w.Class("java/lang/Object", 0, 0, nil, nil)
		cl := w.Class("java/lang/ClassLoader", obj, 0, nil, nil)
		mine := w.Class("com/acme/JobLoader", cl, 0, nil, nil)
		for range loaders {
			id := w.NewID()
			w.Instance(id, mine, nil, nil)
			w.Root(hprof.SubRootJNIGlobal, id, 0, 0)
		}
		return writeDump(t, w, fmt.Sprintf("loaders%d.hprof", loaders))
	}
	out, errOut, code := run(t, "diff", dump(2), dump(22))
	_, section, _ := strings.Cut(out, "Class loaders:")
	lines := strings.Split(strings.TrimSpace(section), "\n")
	if code != 0 || len(lines) < 3 || !strings.HasPrefix(lines[2], "com.acme.JobLoader") || !strings.Contains(lines[2], "2 → 22") {
		t.Errorf("exit %d (%s):\n%s", code, errOut, out)
	}
}

// TestDiffLayoutsDiffer: BASE and NEW from JVMs that lay objects out
// differently (a 32- and a 64-bit one here; compressed oops on and off
// alike) differ in every size for that alone: diff says so on stderr, as
// --fail-on-growth would otherwise fail on a JVM flag.
func TestDiffLayoutsDiffer(t *testing.T) {
	dump := func(idSize int) string {
		w := hproftest.New(idSize, "")
		obj := w.Class("java/lang/Object", 0, 0, nil, nil)
		id := w.NewID()
		w.Instance(id, obj, nil, nil)
		w.Root(hprof.SubRootJNIGlobal, id, 0, 0)
		return writeDump(t, w, fmt.Sprintf("ids%d.hprof", idSize))
	}
	base, next := dump(4), dump(8)
	_, errOut, _ := run(t, "diff", base, next)
	if !strings.Contains(errOut, "come from JVMs that lay objects out differently (32-bit, 8-byte headers, 16-byte alignment; 64-bit, ") {
		t.Errorf("stderr %q", errOut)
	}
	if _, errOut, _ := run(t, "diff", base, base); strings.Contains(errOut, "lay objects out differently") {
		t.Errorf("a dump with itself: stderr %q", errOut)
	}
}

// TestDiffDumpsOfOneFile: diff compares two heap dumps of one file (the
// old hprof agent's, which holds two) with --base-dump and --new-dump;
// each side's totals are what dominators says of that dump with --dump,
// and JSON says which dump each side is. --dump alone picks the same one
// for both: no change.
func TestDiffDumpsOfOneFile(t *testing.T) {
	dump := filepath.Join(root(t), "..", "shared", "dumps", "mat", "oracle_jdk7_21_hprofagent.hprof")
	if _, err := os.Stat(dump); err != nil {
		t.Skip("../shared/dumps absent: no dump holding two heap dumps")
	}
	type totals struct {
		Dump           string `json:"dump"`
		HeapDump       int    `json:"heap_dump"`
		ReachableBytes uint64 `json:"reachable_bytes"`
	}
	var want [2]uint64
	for i := range want {
		out, errOut, code := run(t, "dominators", dump, "--dump", fmt.Sprint(i), "--top", "1", "--format", "json")
		var d struct {
			Reachable uint64 `json:"reachable_bytes"`
		}
		if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil || d.Reachable == 0 {
			t.Fatalf("dominators --dump %d: exit %d %s %v:\n%s", i, code, errOut, err, out)
		}
		want[i] = d.Reachable
	}
	if want[0] == want[1] {
		t.Fatalf("the two heap dumps hold %d reachable bytes each: the test tells nothing apart", want[0])
	}
	out, errOut, code := run(t, "diff", dump, dump, "--base-dump", "0", "--new-dump", "1", "--format", "json")
	var d struct {
		Base, New totals
		Growth    int64 `json:"reachable_growth_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil {
		t.Fatalf("diff: exit %d %s %v:\n%s", code, errOut, err, out)
	}
	if d.Base.HeapDump != 0 || d.New.HeapDump != 1 || d.Base.ReachableBytes != want[0] || d.New.ReachableBytes != want[1] ||
		d.Growth != int64(want[1])-int64(want[0]) {
		t.Errorf("diff of heap dumps 0 and 1: %+v; dominators says %d and %d bytes", d, want[0], want[1])
	}
	if _, errOut, code := run(t, "diff", dump, dump, "--base-dump", "5"); code == 0 || !strings.Contains(errOut, "heap dump 5 asked for") {
		t.Errorf("--base-dump 5 of 2: exit %d, %q", code, errOut)
	}
	out, _, code = run(t, "diff", dump, dump, "--dump", "0", "--format", "json")
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil || d.Growth != 0 || d.Base.HeapDump != 0 || d.New.HeapDump != 0 {
		t.Errorf("diff --dump 0: exit %d %v %+v", code, err, d)
	}
}
