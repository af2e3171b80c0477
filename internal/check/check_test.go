package check

import (
	"fmt"
	"os"
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

func inputs(t *testing.T, g *heap.Graph) Inputs {
	t.Helper()
	return Inputs{Graph: g, Tree: dominator.Compute(g, dominator.Options{}), Search: paths.Find(g, paths.Options{})}
}

func fixture(t *testing.T, name string) Inputs {
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
	return inputs(t, g)
}

func rules(t *testing.T, yaml string) *File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(path, []byte(yaml), 0o644)
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// findings runs one rule and returns its findings.
func findings(t *testing.T, in Inputs, yaml string) []Finding {
	t.Helper()
	res := Run(rules(t, "rules:\n"+yaml), in)
	return res.Rules[0].Findings
}

func TestRuleKindsOnTheSparkFixture(t *testing.T) {
	in := fixture(t, "Spark22713.hprof")
	cases := []struct {
		name, rule string
		want       int
		say        string
	}{
		{"accounting fires on the spilled map only", `- {id: a, severity: error, accounting: {class: ExternalAppendOnlyMap, field: used, max-excess: 1MiB}}`, 1, "claims 0 B"},
		{"accounting quiet with a generous bound", `- {id: a, severity: error, accounting: {class: org.apache.spark.memory.MemoryConsumer, field: used, max-excess: 10MiB}}`, 0, ""},
		{"accounting by percentage", `- {id: a, severity: error, accounting: {class: org.apache.spark.memory.MemoryConsumer, field: used, max-excess: 50%}}`, 1, "unaccounted"},
		{"path through a field fires", `- {id: p, severity: error, path: {class: SizeTrackingAppendOnlyMap, through: ExternalAppendOnlyMap$SpillableIterator.upstream}}`, 1, "reachable through"},
		{"path through a class fires (data and the size samples)", `- {id: p, severity: error, path: {class: "java.lang.Object[]", through: AppendOnlyMap$$anon$1}}`, 2, "0xfaccb5b8 (retaining 3.1 MiB"},
		{"path quiet", `- {id: p, severity: error, path: {class: SizeTrackingAppendOnlyMap, through: org.apache.spark.storage.memory.MemoryStore}}`, 0, ""},
		{"retained per object", `- {id: r, severity: error, retained: {class: ExternalAppendOnlyMap, max: 1MB}}`, 1, "retains 3.2 MiB"},
		{"retained per class, share", `- {id: r, severity: error, retained: {class: TaskMemoryManager, max: 50%, per: class}}`, 1, "the objects of"},
		{"retained by package", `- {id: r, severity: error, retained: {package: org.apache.spark.util, max: 2MB}}`, 4, ""},
		{"retained quiet", `- {id: r, severity: error, retained: {class: "org.apache.spark.*", max: 95%}}`, 0, ""},
		{"instances fire", `- {id: i, severity: warning, instances: {class: "byte[]", max: 1000}}`, 1, "instances, more than 1000"},
		{"instances quiet", `- {id: i, severity: warning, instances: {class: java.lang.Thread, max: 100}}`, 0, ""},
		{"duplicates quiet", `- {id: d, severity: error, duplicate-classes: {max-loaders: 1}}`, 0, ""},
		{"direct memory quiet without buffers", `- {id: m, severity: error, direct-memory: {max: 1MB}}`, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := findings(t, in, c.rule)
			if len(got) != c.want {
				t.Fatalf("%d findings, want %d: %+v", len(got), c.want, got)
			}
			if c.want > 0 && !strings.Contains(got[0].Message, c.say) {
				t.Errorf("message %q does not say %q", got[0].Message, c.say)
			}
			for _, f := range got {
				if len(f.Path) == 0 || f.Path[0].GCRoot == "" {
					t.Errorf("finding without a root path: %+v", f)
				}
			}
		})
	}
	// The accounting finding's path is the SPARK-22713 chain.
	f := findings(t, in, cases[0].rule)[0]
	var classes []string
	for _, s := range f.Path {
		classes = append(classes, s.Class)
	}
	if got := strings.Join(classes, " > "); !strings.HasPrefix(got, "java.lang.Thread > org.apache.spark.memory.TaskMemoryManager > java.util.HashSet") ||
		f.Path[1].Field == "" || !strings.Contains(f.Path[1].Field, "Java Local") {
		t.Errorf("path %s (%+v)", got, f.Path[1])
	}
	// The path rule's path runs through the iterator's upstream field.
	p := findings(t, in, cases[3].rule)[0]
	fields := ""
	for _, s := range p.Path {
		fields += s.Field + " "
	}
	if !strings.Contains(fields, "readingIterator upstream $outer") {
		t.Errorf("path rule path fields: %s", fields)
	}
}

func TestBuiltinSpark(t *testing.T) {
	res := Run(mustLoad(t, "builtin:spark"), fixture(t, "Spark22713.hprof"))
	if res.Errors != 1 || res.Warnings != 0 || res.Rules[0].ID != "spark-memory-accounting" || len(res.Rules[0].Findings) != 1 {
		t.Errorf("builtin:spark on the fixture: %+v", res)
	}
	if clean := Run(mustLoad(t, "builtin:spark"), fixture(t, "Basic.hprof")); clean.Errors+clean.Warnings != 0 {
		t.Errorf("builtin:spark on Basic: %+v", clean)
	}
}

func mustLoad(t *testing.T, name string) *File {
	f, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDuplicateClasses(t *testing.T) {
	// Basic.java loads class Reloaded with two class loaders.
	in := fixture(t, "Basic.hprof")
	got := findings(t, in, `- {id: d, severity: error, duplicate-classes: {class: Reloaded, max-loaders: 1}}`)
	if len(got) != 1 || !strings.Contains(got[0].Message, "defined by 2 class loaders") || len(got[0].Objects) != 2 {
		t.Fatalf("%+v", got)
	}
	if got := findings(t, in, `- {id: d, severity: error, duplicate-classes: {class: Reloaded, max-loaders: 2}}`); len(got) != 0 {
		t.Errorf("max-loaders 2: %+v", got)
	}
}

func TestFindingsOrder(t *testing.T) {
	// JobServer.java's every job loads the same classes in a loader of
	// its own: many names tie on their count of loaders. Ties come in
	// name order (they came in map order, which changed between runs).
	got := findings(t, fixture(t, "JobServer.hprof"), `- {id: d, severity: error, duplicate-classes: {max-loaders: 2}}`)
	if len(got) < 3 {
		t.Fatalf("%d findings: %+v", len(got), got)
	}
	type key struct {
		loaders int
		name    string
	}
	var keys []key
	for _, f := range got {
		var k key
		if _, err := fmt.Sscanf(f.Message, "%s is defined by %d class loaders", &k.name, &k.loaders); err != nil {
			t.Fatalf("%q: %v", f.Message, err)
		}
		keys = append(keys, k)
	}
	ties := 0
	for i := 1; i < len(keys); i++ {
		a, b := keys[i-1], keys[i]
		if a.loaders < b.loaders || a.loaders == b.loaders && a.name >= b.name {
			t.Errorf("finding %d (%+v) before %d (%+v)", i-1, a, i, b)
		}
		if a.loaders == b.loaders {
			ties++
		}
	}
	if ties == 0 {
		t.Errorf("no ties to order: %+v", keys)
	}

	// The retained rule per class: the 40 loaders' HiveVersion classes
	// retain 24 bytes each, and come in class order (the order of their
	// class records in the dump).
	in := fixture(t, "JobServer.hprof")
	g := in.Graph
	got = findings(t, in, `- {id: r, severity: error, retained: {class: org.apache.spark.sql.hive.client.HiveVersion, per: class, max: 0}}`)
	if len(got) < 3 {
		t.Fatalf("%d findings: %+v", len(got), got)
	}
	last := heap.ClassIndex(-1)
	for i, f := range got {
		var id uint64
		if _, err := fmt.Sscanf(f.Objects[0].ID, "0x%x", &id); err != nil {
			t.Fatal(err)
		}
		c := g.ClassOf(g.Lookup(id))
		if f.Message != got[0].Message || c <= last {
			t.Errorf("finding %d (%s, class %d) after class %d, or not a tie", i, f.Message, c, last)
		}
		last = c
	}
}

// nettyHeap is a netty-like allocator: two PoolArena$DirectArena, eight
// PoolChunks whose memory is a 16 MiB DirectByteBuffer, plus a slice of
// one of them (sharing its memory) and a buffer outside any arena.
func nettyHeap(t *testing.T) *heap.Graph {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	buffer := w.Class("java/nio/Buffer", obj, 0, nil, []hproftest.Field{{Name: "capacity", Type: hprof.TypeInt}, {Name: "address", Type: hprof.TypeLong}})
	bb := w.Class("java/nio/ByteBuffer", buffer, 0, nil, nil)
	mapped := w.Class("java/nio/MappedByteBuffer", bb, 0, nil, nil)
	direct := w.Class("java/nio/DirectByteBuffer", mapped, 0, nil, []hproftest.Field{{Name: "att", Type: hprof.TypeObject}})
	arena := w.Class("io/netty/buffer/PoolArena$DirectArena", obj, 0, nil, []hproftest.Field{{Name: "chunks", Type: hprof.TypeObject}})
	chunk := w.Class("io/netty/buffer/PoolChunk", obj, 0, nil, []hproftest.Field{{Name: "memory", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	bufTypes := []hprof.BasicType{hprof.TypeObject, hprof.TypeInt, hprof.TypeLong}
	var arenas []uint64
	var first uint64
	for a := 0; a < 2; a++ {
		var chunks []uint64
		for c := 0; c < 4; c++ {
			ch, buf := w.NewID(), w.NewID()
			w.Instance(buf, direct, bufTypes, []uint64{0, 16 << 20, uint64(0x7000000 + (a*4+c)<<24)})
			w.Instance(ch, chunk, []hprof.BasicType{hprof.TypeObject}, []uint64{buf})
			chunks = append(chunks, ch)
			if first == 0 {
				first = buf
			}
		}
		list, ar := w.NewID(), w.NewID()
		w.ObjArray(list, arr, chunks)
		w.Instance(ar, arena, []hprof.BasicType{hprof.TypeObject}, []uint64{list})
		arenas = append(arenas, ar)
	}
	slice, loose := w.NewID(), w.NewID()
	w.Instance(slice, direct, bufTypes, []uint64{first, 4 << 20, 0x7000000})
	w.Instance(loose, direct, bufTypes, []uint64{0, 1 << 20, 0x9000000})
	roots := w.NewID()
	w.ObjArray(roots, arr, append(arenas, slice, loose))
	w.Root(hprof.SubRootJNIGlobal, roots, 0, 0)
	return heaptest.Build(t, w.Bytes())
}

func TestDirectMemory(t *testing.T) {
	in := inputs(t, nettyHeap(t))
	got := findings(t, in, `- {id: m, severity: error, direct-memory: {max: 100MB}}`)
	// 8 × 16 MiB + 1 MiB; the slice shares the first chunk's memory.
	if len(got) != 1 || !strings.Contains(got[0].Message, "9 direct buffers hold 129 MiB (135266304 bytes)") {
		t.Fatalf("%+v", got)
	}
	if got := findings(t, in, `- {id: m, severity: error, direct-memory: {max: 130MiB}}`); len(got) != 0 {
		t.Errorf("under the bound: %+v", got)
	}
	got = findings(t, in, `- {id: m, severity: error, direct-memory: {max: 100MB, owner: io.netty.buffer.PoolArena$DirectArena}}`)
	if len(got) != 1 || !strings.Contains(got[0].Message, "8 direct buffers hold 128 MiB") {
		t.Errorf("owner: %+v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"two kinds":  "rules: [{id: x, instances: {class: A, max: 1}, retained: {class: A, max: 1MB}}]",
		"no kind":    "rules: [{id: x}]",
		"bad size":   "rules: [{id: x, retained: {class: A, max: lots}}]",
		"bad field":  "rules: [{id: x, instances: {class: A, max: 1, typo: 2}}]",
		"severity":   "rules: [{id: x, severity: fatal, instances: {class: A, max: 1}}]",
		"duplicate":  "rules: [{id: x, instances: {class: A, max: 1}}, {id: x, instances: {class: B, max: 1}}]",
		"bad regexp": "rules: [{id: x, instances: {class: '/(/', max: 1}}]",
		"empty":      "rules: []",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		os.WriteFile(path, []byte(body), 0o644)
		if _, err := Load(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Load("builtin:nope"); err == nil {
		t.Error("unknown builtin accepted")
	}
	// The example rules file loads.
	path := filepath.Join(dir, "example.yaml")
	os.WriteFile(path, Example(), 0o644)
	if f, err := Load(path); err != nil || len(f.Rules) != 6 {
		t.Errorf("example: %v", err)
	}
}
