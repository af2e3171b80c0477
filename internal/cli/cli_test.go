package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/testjvm"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestMain keeps the tests' dump history out of the user's cache folder.
func TestMain(m *testing.M) {
	if os.Getenv("LEAKSCAN_TEST_MAIN") == "1" {
		// Re-executed by a test as the leakscan command itself.
		os.Exit(Main(os.Args[1:], System()))
	}
	dir, err := os.MkdirTemp("", "leakscan-cli-test")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeDump writes the dump w made to a file name in a fresh folder and
// returns its path.
func writeDump(t *testing.T, w *hproftest.Writer, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, w.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func root(t *testing.T) string {
	t.Helper()
	r, err := testjvm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run executes leakscan in-process without an index (so that the
// committed dumps get no index folders beside them) and returns stdout,
// stderr and status.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runIndexed(t, append(args, "--no-index")...)
}

// runIndexed is run with the index in use.
func runIndexed(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(root(t), "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./internal/cli -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	netty := filepath.Join(root(t), "testdata", "dumps", "Netty.hprof")
	jobs := filepath.Join(root(t), "testdata", "dumps", "JobServer.hprof")
	cases := map[string][]string{
		"histogram.txt":              {"histogram", dump, "--top", "15"},
		"histogram.json":             {"histogram", dump, "--top", "5", "--format", "json"},
		"histogram.csv":              {"histogram", dump, "--top", "5", "--format", "csv", "--jvm-names"},
		"histogram-match.txt":        {"histogram", dump, "--match", `^java\.util\.HashMap`},
		"histogram-retained.txt":     {"histogram", spark, "--retained", "--top", "12"},
		"dominators.txt":             {"dominators", dump, "--top", "10"},
		"dominators-spark.txt":       {"dominators", spark, "--top", "1", "--depth", "10", "--children", "2", "--min-retained", "100KB"},
		"dominators-spark.json":      {"dominators", spark, "--top", "2", "--depth", "2", "--children", "1", "--format", "json"},
		"dominators-group.txt":       {"dominators", spark, "--group-by", "package", "--top", "8"},
		"dominators-group-class.txt": {"dominators", spark, "--group-by", "class", "--top", "8"},
		"dominators-of.txt":          {"dominators", spark, "--of", "byte[]", "--top", "6"},
		"dominators-of-spark.json":   {"dominators", spark, "--of", "ExternalAppendOnlyMap", "--format", "json"},
		"paths-spark.txt":            {"paths", spark, "--class", "ExternalAppendOnlyMap"},
		"paths-spark.json":           {"paths", spark, "--class", "ExternalAppendOnlyMap$SpillableIterator", "--format", "json"},
		"paths-spark.csv":            {"paths", spark, "--class", "ExternalAppendOnlyMap", "--format", "csv"},
		"paths-regex.txt":            {"paths", spark, "--class", `^org\.apache\.spark\.storage\..*BlockId$`, "--regex"},
		"inspect.txt":                {"inspect", spark, "0xfab1e388", "--limit", "5"},
		"inspect-array.json":         {"inspect", spark, "0xfab5a9c0", "--limit", "4", "--format", "json"},
		"spark.txt":                  {"spark", spark},
		"threads.txt":                {"threads", spark},
		"offheap.txt":                {"offheap", netty},
		"offheap.json":               {"offheap", netty, "--format", "json"},
		"spark-none.txt":             {"spark", netty},
		"classloaders-jobserver.txt": {"classloaders", jobs},
		"suspects-spark.txt":         {"suspects", spark},
		"suspects-spark.json":        {"suspects", spark, "--format", "json"},
		"suspects-basic.txt":         {"suspects", dump},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, name, out)
		})
	}
}

func TestInfo(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof.gz")
	out, errOut, code := run(t, "info", dump)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"gzip (chunked)", "JAVA PROFILE 1.0.2, 8-byte identifiers", "21,756: 17,815 instances",
		"compressed oops on", "JDK 17 rules", "Java Local 19", "System Class 466", "0 dangling",
		// The dump's classes, as many as their class objects: not the
		// graph's two stand-ins for undescribed classes too (619).
		"617 class objects", "Classes:       617\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
	out, _, code = run(t, "info", dump, "--format", "json")
	if code != 0 || !strings.Contains(out, `"objects": 21756`) || !strings.Contains(out, `"compressed_oops": true`) {
		t.Errorf("json info (exit %d):\n%s", code, out)
	}
}

func TestErrors(t *testing.T) {
	os.Remove(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "leakscan", "history.json")) // no dump analysed from here yet
	dir := t.TempDir()
	notDump := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDump, []byte("hello, this is not a heap dump"), 0o644)
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.hprof")
	os.WriteFile(cut, data[:len(data)/2], 0o644)
	cases := []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"histogram", notDump}, 2, notDump + ": offset 0: not an HPROF heap dump"},
		{[]string{"histogram", cut}, 2, "try --allow-truncated"},
		{[]string{"histogram", filepath.Join(dir, "missing.hprof")}, 2, "no such file"},
		{[]string{"histogram"}, 2, "no DUMP given and no .hprof or .hprof.gz file in this folder"},
		{[]string{"histogram", "a", "b"}, 2, "accepts at most 1 arg"},
		{[]string{"histogram", cut, "--format", "xml"}, 2, `--format "xml": expected one of table, json, csv`},
		{[]string{"histogram", cut, "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"info", cut, "--compressed-oops", "maybe"}, 2, "expected auto, on or off"},
		{[]string{"dominators", cut, "--top", "-3"}, 2, "--top -3: expected 0 or more"},
		{[]string{"histogram", cut, "--dump", "-7"}, 2, "--dump -7: expected 0 or more (or -1, the last)"},
		{[]string{"histogram", cut, "--index-dir", dir}, 2, "--index-dir and --no-index: give one"},
		// In words, not Go's: it said 'strconv.ParseInt: parsing "abc":
		// invalid syntax', and 'accepts 2 arg(s), received 1'.
		{[]string{"dominators", cut, "--top", "abc"}, 2, `--top "abc": expected a whole number (see leakscan dominators --help)`},
		{[]string{"diff", cut}, 2, "diff compares two dumps, BASE and NEW: 1 given"},
		{[]string{"suspects", cut, "--threshold", "150%"}, 2, `--threshold "150%": a share of the reachable heap is at most 100%`},
		{[]string{"suspects", cut, "--threshold", "0%"}, 2, `--threshold "0%": the share must be above 0%`},
		// A path given empty (an unset variable) would mean the default.
		{[]string{"info", cut, "--index-dir", ""}, 2, `--index-dir "": expected a path (is a variable unset?)`},
		{[]string{"report", cut, "-o", " "}, 2, `--output " ": expected a path`},
		{[]string{"check", cut, "--rules", "builtin:spark", "--junit", ""}, 2, `--junit "": expected a path`},
		{[]string{"histogram", cut, "--weak", "bogus"}, 2, `--weak "bogus": expected follow or ignore`},
		{[]string{"dominators", cut, "--group-by", "class", "--depth", "2"}, 2, "--depth expands objects, and --group-by prints groups"},
		{[]string{"dominators", cut, "--min-retained", "abc"}, 2, `--min-retained "abc": expected a size`},
		{[]string{"dominators", cut, "--children", "2"}, 2, "--children 2 needs --depth N (1 or more), or --object: only they list an object's children"},
		{[]string{"dominators", cut, "--children", "2", "--depth", "0"}, 2, "--children 2 needs --depth N (1 or more)"},
		{[]string{"dominators", cut, "--min-retained", "150%"}, 2, `--min-retained "150%": a share of the reachable heap is at most 100%`},
		{[]string{"dominators", cut, "--min-retained", "NaN%"}, 2, `--min-retained "NaN%": expected a percentage such as 10%`},
		{[]string{"dominators", cut, "--min-retained", "0.5"}, 2, `--min-retained "0.5": a size without a unit counts bytes, a whole number (a share is written 50%)`},
		// Flags that would change nothing.
		{[]string{"histogram", cut, "--keep-unreachable"}, 2, "--keep-unreachable needs --retained"},
		{[]string{"histogram", cut, "--weak", "ignore"}, 2, "--weak needs --retained"},
		{[]string{"paths", cut, "--object", "0x10", "--regex"}, 2, "--regex needs --class"},
	}
	for _, c := range cases {
		out, errOut, code := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.say) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and one line saying %q", c.args, code, errOut, out, c.code, c.say)
		}
	}
	out, errOut, code := run(t, "histogram", cut, "--allow-truncated", "--top", "3")
	if code != 0 || !strings.Contains(errOut, "is truncated: the record at offset") || strings.Count(errOut, "truncated") != 1 || !strings.Contains(out, "Instances") {
		t.Errorf("--allow-truncated: exit %d, stderr %q", code, errOut)
	}
	// Cut in half, the dump has lost its roots, written after the objects:
	// the tree is empty, and says so.
	if _, errOut, code := run(t, "dominators", cut, "--allow-truncated"); code != 0 || !strings.Contains(errOut, "has no GC roots") {
		t.Errorf("dominators --allow-truncated: exit %d, stderr %q", code, errOut)
	}
	if out, _, code := run(t, "info", cut, "--allow-truncated"); code != 0 || !strings.Contains(out, "GC roots:      none") {
		t.Errorf("info --allow-truncated: exit %d, stdout %q", code, out)
	}
	if _, errOut, code := run(t, "dominators", cut, "--allow-truncated", "--keep-unreachable"); code != 0 || strings.Contains(errOut, "has no GC roots") {
		t.Errorf("dominators --allow-truncated --keep-unreachable: exit %d, stderr %q", code, errOut)
	}
	// Every command that uses the tree takes the flag the warning names.
	for _, cmd := range []string{"suspects", "threads", "classloaders", "offheap", "spark"} {
		if _, errOut, code := run(t, cmd, cut, "--allow-truncated", "--keep-unreachable"); code != 0 || strings.Contains(errOut, "has no GC roots") {
			t.Errorf("%s --allow-truncated --keep-unreachable: exit %d, stderr %q", cmd, code, errOut)
		}
	}
	if out, _, code := run(t, "suspects", cut, "--allow-truncated", "--keep-unreachable"); code != 0 || !strings.Contains(out, "Suspect 1") {
		t.Errorf("suspects --keep-unreachable on a dump without roots: exit %d, %q", code, out)
	}
	// check can check no rule there: every one held, and the job passed.
	if out, errOut, code := run(t, "check", cut, "--allow-truncated", "--rules", "builtin:spark"); code != 2 || !strings.Contains(errOut, "no rule can be checked") {
		t.Errorf("check on a dump without roots: exit %d, %q, %q", code, errOut, out)
	}
	if _, errOut, code := run(t, "check", cut, "--allow-truncated", "--keep-unreachable", "--rules", "builtin:spark"); code != 0 {
		t.Errorf("check --keep-unreachable on a dump without roots: exit %d, %q", code, errOut)
	}
	// References to objects past the cut are the cut's, not class data
	// sharing's (the Spark fixture, cut at 1 MB, has 540).
	spark, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	sparkCut := filepath.Join(dir, "spark-cut.hprof")
	os.WriteFile(sparkCut, spark[:1_000_000], 0o644)
	if out, _, _ := run(t, "info", sparkCut, "--allow-truncated"); !strings.Contains(out, "references name ids that no object in the dump has; they are left out (the dump is cut short") ||
		strings.Contains(out, "class data sharing") {
		t.Errorf("info --allow-truncated: %q; want the cut named as the dangling references' cause", out)
	}
}

// TestSpark22713 checks the story the golden file tells: the spilled map
// retains its data through its reading iterator and more than the live one.
func TestSpark22713(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof.gz")
	out, errOut, code := run(t, "dominators", spark, "--top", "1", "--depth", "10", "--children", "2", "--min-retained", "100KB", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var chain []string
	var retained []int64
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		chain = append(chain, f[3])
		n, _ := strconv.ParseInt(f[5], 10, 64)
		retained = append(retained, n)
	}
	want := []string{"java.lang.Thread", "org.apache.spark.memory.TaskMemoryManager", "java.util.HashSet", "java.util.HashMap",
		"java.util.HashMap$Node[]", "java.util.HashMap$Node", "org.apache.spark.util.collection.ExternalAppendOnlyMap",
		"org.apache.spark.util.collection.ExternalAppendOnlyMap$SpillableIterator", "org.apache.spark.util.collection.AppendOnlyMap$$anon$1",
		"org.apache.spark.util.collection.SizeTrackingAppendOnlyMap", "java.lang.Object[]"}
	if len(chain) < len(want) {
		t.Fatalf("chain %v", chain)
	}
	for i, c := range want {
		if chain[i] != c {
			t.Fatalf("step %d: %s, want %s (chain %v)", i, chain[i], c, chain)
		}
	}
	if !strings.Contains(lines[1], `Thread ""Executor task launch worker for task 223""`) {
		t.Errorf("top line does not name the task thread: %s", lines[1])
	}
	// The live map comes after the spilled one, with less retained.
	if len(chain) < 13 || chain[12] != "org.apache.spark.util.collection.ExternalAppendOnlyMap" || retained[12] >= retained[6] || retained[6] < 3<<20 {
		t.Errorf("live map not after and smaller than the spilled one: %v %v", chain, retained)
	}
}

func TestDumpResolution(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("HOME", dir)
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	work := filepath.Join(dir, "work")
	os.MkdirAll(work, 0o755)
	os.Chdir(work)
	// A folder named as a dump is none (it was taken for the only one).
	os.Mkdir("sub.hprof", 0o755)
	_, errOut, code := run(t, "histogram", "--top", "1")
	if code != 2 || !strings.Contains(errOut, "no .hprof or .hprof.gz file in this folder") {
		t.Errorf("no dump: exit %d, %q", code, errOut)
	}
	data, _ := os.ReadFile(basic)
	os.WriteFile("a.hprof", data, 0o644)
	out, errOut, code := run(t, "paths", "--class", "ChainNode", "--max-paths", "1")
	if code != 0 || !strings.Contains(errOut, "using a.hprof, the only heap dump") || !strings.Contains(out, "ChainNode") {
		t.Errorf("one dump: exit %d, %q", code, errOut)
	}
	os.WriteFile("b.hprof", data, 0o644)
	// a.hprof was analysed last from here.
	if _, errOut, code = run(t, "paths", "--class", "ChainNode", "--max-paths", "1"); code != 0 || !strings.Contains(errOut, "a.hprof, the dump analysed last") {
		t.Errorf("history: exit %d, %q", code, errOut)
	}
	os.Remove(filepath.Join(dir, "cache", "leakscan", "history.json"))
	if _, errOut, code = run(t, "paths", "--class", "ChainNode"); code != 2 || !strings.Contains(errOut, "a.hprof, b.hprof") {
		t.Errorf("two dumps, no history: exit %d, %q", code, errOut)
	}
}

// TestPathsNestedAndKeeps: a match inside another's retained size counts
// once, except where the search follows references the tree leaves out
// (--include-weak with --weak=ignore: the tree's dominator of a match
// need not be above it on the paths, so nothing is taken back); and the
// walk below a match stops at an object the paths print, but not at one
// --max-paths leaves out.
func TestPathsNestedAndKeeps(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
	holder := w.Class("com/example/Holder", obj, 0, nil, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}})
	target := w.Class("com/example/Target", obj, 0, nil, []hproftest.Field{{Name: "a", Type: hprof.TypeObject}})
	t0, wr, h2, h3, d, x, big := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	one := []hprof.BasicType{hprof.TypeObject}
	// t0 -> weak ref -> x -> 1 MiB, and h2 -> h3 -> d -> x: x is d's
	// through strong references only, t0's first by the search with weak
	// references.
	w.Instance(t0, target, one, []uint64{wr})
	w.Instance(wr, weak, one, []uint64{x})
	w.Instance(h2, holder, one, []uint64{h3})
	w.Instance(h3, holder, one, []uint64{d})
	w.Instance(d, target, one, []uint64{x})
	w.Instance(x, target, one, []uint64{big})
	w.PrimArray(big, hprof.TypeByte, 1<<20, nil)
	w.Root(hprof.SubRootJNIGlobal, t0, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, h2, 0, 0)
	dump := writeDump(t, w, "nested.hprof")
	type node struct {
		ID       string
		Retained uint64 `json:"retained_bytes"`
		Keeps    bool   `json:"dominated"`
		Children []node
	}
	paths := func(args ...string) map[string]node {
		out, errOut, code := run(t, append([]string{"paths", dump, "--class", "Target", "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("paths %v: exit %d, %s", args, code, errOut)
		}
		var r struct{ Paths []node }
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		lines := map[string]node{}
		var walk func(ns []node)
		walk = func(ns []node) {
			for _, n := range ns {
				if !n.Keeps {
					lines[n.ID] = n
				}
				walk(n.Children)
			}
		}
		walk(r.Paths)
		return lines
	}
	hex := func(id uint64) string { return fmt.Sprintf("0x%x", id) }
	retained := func(id uint64, args ...string) uint64 {
		out, _, _ := run(t, append([]string{"inspect", dump, hex(id), "--format", "json"}, args...)...)
		var r struct {
			Retained uint64 `json:"retained_bytes"`
		}
		json.Unmarshal([]byte(out), &r)
		return r.Retained
	}
	// Strong paths and a tree without weak references: x is below d,
	// which retains it, and the root line counts d once, not d and x.
	lines := paths("--weak=ignore")
	if got, want := lines[hex(h2)].Retained, retained(d, "--weak=ignore"); got != want || want < 1<<20 {
		t.Errorf("--weak=ignore: the root above d and x holds %d bytes, want d's %d", got, want)
	}
	// With weak references followed by the search, x is below t0 on the
	// paths, but d still retains it in the tree: d's line keeps its size.
	lines = paths("--include-weak", "--weak=ignore")
	if got, want := lines[hex(d)].Retained, retained(d, "--weak=ignore"); got != want || want < 1<<20 {
		t.Errorf("--include-weak --weak=ignore: d's line holds %d bytes, want its retained %d", got, want)
	}

	// m1 -> h -> m2 -> 1 MiB: below m1 the walk to where its memory sits
	// goes through h, which the paths print when m2 is shown; with
	// --max-paths 1 they do not, and the walk is all there is.
	w = hproftest.New(8, "")
	obj = w.Class("java/lang/Object", 0, 0, nil, nil)
	holder = w.Class("com/example/Holder", obj, 0, nil, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}})
	target = w.Class("com/example/Target", obj, 0, nil, []hproftest.Field{{Name: "a", Type: hprof.TypeObject}})
	m1, h, m2 := w.NewID(), w.NewID(), w.NewID()
	big = w.NewID()
	w.Instance(m1, target, one, []uint64{h})
	w.Instance(h, holder, one, []uint64{m2})
	w.Instance(m2, target, one, []uint64{big})
	w.PrimArray(big, hprof.TypeByte, 1<<20, nil)
	w.Root(hprof.SubRootJNIGlobal, m1, 0, 0)
	dump = writeDump(t, w, "keeps.hprof")
	walkBelow := func(maxPaths string) (kept []string) {
		out, _, _ := run(t, "paths", dump, "--class", "Target", "--format", "json", "--max-paths", maxPaths)
		var r struct{ Paths []node }
		json.Unmarshal([]byte(out), &r)
		if len(r.Paths) != 1 {
			t.Fatalf("--max-paths %s: %d roots", maxPaths, len(r.Paths))
		}
		// The walk nests: each step is the one child of the step above,
		// as in the dominator tree.
		for cs := r.Paths[0].Children; len(cs) > 0 && cs[0].Keeps; cs = cs[0].Children {
			kept = append(kept, cs[0].ID)
			if len(cs) != 1 && len(kept) > 1 {
				t.Errorf("--max-paths %s: step %s of the walk has %d siblings", maxPaths, cs[0].ID, len(cs)-1)
			}
		}
		return kept
	}
	if kept := walkBelow("1"); len(kept) != 3 || kept[0] != hex(h) {
		t.Errorf("--max-paths 1: the walk below m1 is %v, want h, m2 and the array", kept)
	}
	if kept := walkBelow("2"); len(kept) != 0 {
		t.Errorf("--max-paths 2: the walk below m1 is %v, want none (the paths print h)", kept)
	}
}

// inspect lists, among an object's referrers, the thread whose stack holds
// it: the tree and the paths take that local as the thread's reference
// (the task thread dominates its TaskMemoryManager), so leaving the thread
// out left the object's dominator missing from its referrers. Its GC root
// line names the frame too, as paths does (it named the thread alone).
func TestInspectStackHolder(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	out, errOut, code := run(t, "inspect", spark, "0xfab15020", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Class     string `json:"class"`
		GCRoot    string `json:"gc_root"`
		Referrers []struct {
			Class string `json:"class"`
			Field string `json:"field"`
		} `json:"referrers"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	const root = `<Java Local> of Thread "Executor task launch worker for task 223" in org.apache.spark.executor.Executor$TaskRunner.run(Executor.java:171)`
	if r.GCRoot != root {
		t.Errorf("GC root %q, want %q", r.GCRoot, root)
	}
	found := false
	for _, ref := range r.Referrers {
		if ref.Class == "java.lang.Thread" {
			found = strings.HasPrefix(ref.Field, "<Java Local>") && strings.Contains(ref.Field, "(")
		}
	}
	if r.Class != "org.apache.spark.memory.TaskMemoryManager" || !found {
		t.Errorf("%s referred to by %+v; want the task thread, <Java Local> with its frame", r.Class, r.Referrers)
	}
	// A local held by two frames of one thread (the lock the task waits
	// on): the thread's line names both, where it named the first.
	out, _, _ = run(t, "inspect", spark, "0xfab14698")
	if !strings.Contains(out, "<Java Local> java.lang.Object.wait(Object.java:338), org.apache.spark.executor.Executor$TaskRunner.run(Executor.java:171)") {
		t.Errorf("two frames: %s", out)
	}
}

// inspect --format csv is one flat table (the README promises csv for
// every tabular command), and its flags are checked before the analysis.
func TestInspectCSVAndUsage(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	out, errOut, code := run(t, "inspect", spark, "0xfab15020", "--format", "csv", "--limit", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]int{}
	for _, r := range recs[1:] {
		sections[r[0]]++
	}
	if strings.Join(recs[0], ",") != "section,name,type,value,object,class,shallow_bytes,retained_bytes,reachable,text" || recs[1][5] != "org.apache.spark.memory.TaskMemoryManager" ||
		recs[1][6] != "48" || recs[1][7] != "4163216" || sections["object"] != 1 || sections["field"] != 7 || sections["referrer"] != 2 ||
		recs[len(recs)-1][0] != "more-referrers" || recs[len(recs)-1][3] != "1" {
		t.Errorf("csv: %q", recs)
	}
	for _, c := range []struct {
		args []string
		say  string
	}{
		{[]string{"inspect", spark}, "name the object to inspect after the dump"},
		{[]string{"inspect", "0xfab15020", spark}, "name the dump before the object: leakscan inspect " + spark + " 0xfab15020"},
		{[]string{"inspect"}, "expected [DUMP] 0xID, got 0 arguments: leakscan inspect [DUMP] 0xID"},
		{[]string{"inspect", spark, "0xfab15020", "--limit", "-1"}, "--limit -1: expected 0 or more"},
	} {
		if _, errOut, code := run(t, c.args...); code != 2 || !strings.Contains(errOut, c.say) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying %q", c.args, code, errOut, c.say)
		}
	}
}

// A nested class's own simple name finds it, as in check's rules, and so
// do globs and /regex/.
func TestPathsNestedSimpleName(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	full, _, code := run(t, "paths", spark, "--class", "ExternalAppendOnlyMap$SpillableIterator")
	short, errOut, code2 := run(t, "paths", spark, "--class", "SpillableIterator")
	if code != 0 || code2 != 0 || short != full || !strings.Contains(short, "SpillableIterator") {
		t.Errorf("exit %d, %d (%s); --class SpillableIterator gives the same as the full name: %v", code, code2, errOut, short == full)
	}
	// The other forms of a class pattern, as check's rules take them.
	for _, p := range []string{"org.apache.spark.*$Spillable*", "/\\$SpillableIterator$/"} {
		if out, errOut, code := run(t, "paths", spark, "--class", p); code != 0 || out != full {
			t.Errorf("--class %s: exit %d (%s), same as the full name: %v", p, code, errOut, out == full)
		}
	}
	// --exclude takes the same patterns: a nested class's simple name
	// named no class before.
	out, errOut, code := run(t, "paths", spark, "--class", "SizeTrackingAppendOnlyMap", "--exclude", "SpillableIterator:upstream")
	if code != 0 || strings.Contains(out, "upstream") || !strings.Contains(out, "currentMap") {
		t.Errorf("--exclude SpillableIterator:upstream: exit %d (%s), output:\n%s", code, errOut, out)
	}
	if _, errOut, code := run(t, "paths", spark, "--class", "SizeTrackingAppendOnlyMap", "--exclude", "/(/:upstream"); code != 2 || !strings.Contains(errOut, "--exclude") {
		t.Errorf("--exclude with a bad /regex/: exit %d, stderr %q", code, errOut)
	}
}

// An --exclude that leaves nothing out of the dump, a class no class
// matches or a field the classes lack, warns on stderr naming the flag
// value and what is missing; the paths are printed all the same (the
// command line may be meant for other dumps too).
func TestPathsExcludeWarnings(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	plain, _, _ := run(t, "paths", dump, "--class", "String")
	for _, c := range []struct{ exclude, warning string }{
		{"Bogus:field", `leakscan: warning: --exclude "Bogus:field": no class in the dump matches Bogus: it leaves nothing out` + "\n"},
		{"java.util.HashMap$Node:nosuch", `leakscan: warning: --exclude "java.util.HashMap$Node:nosuch": no class matching java.util.HashMap$Node, nor a subclass, has a reference field nosuch (reference fields: <resolved_references>, key, next, value): it leaves nothing out` + "\n"},
		{"java.util.HashMap$Node:next", ""},
		{"java.util.AbstractMap:table", ""}, // HashMap's
	} {
		out, errOut, code := run(t, "paths", dump, "--class", "String", "--exclude", c.exclude)
		if code != 0 || errOut != c.warning {
			t.Errorf("--exclude %s: exit %d, stderr %q; want %q", c.exclude, code, errOut, c.warning)
		}
		if c.warning != "" && out != plain {
			t.Errorf("--exclude %s: the paths changed", c.exclude)
		}
	}
}

// chainDump writes a dump of a linked list of n com.example.Node objects,
// its head a GC root, and returns it and the nodes' ids.
func chainDump(t *testing.T, n int) (string, []uint64) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	node := w.Class("com/example/Node", obj, 0, nil, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}})
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = w.NewID()
	}
	for i, id := range ids {
		next := uint64(0)
		if i+1 < n {
			next = ids[i+1]
		}
		w.Instance(id, node, []hprof.BasicType{hprof.TypeObject}, []uint64{next})
	}
	w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
	return writeDump(t, w, "chain.hprof"), ids
}

// A dominator tree as deep as a linked list prints one line a level,
// indented at most render.Indent's depth: indented all the way, every
// line of a table was padded to the deepest one's width, and 10,000
// levels wrote 200 MB.
func TestDominatorsDeepTree(t *testing.T) {
	const n = 3000
	dump, ids := chainDump(t, n)
	out, errOut, code := run(t, "dominators", dump, "--depth", fmt.Sprint(n), "--top", "1")
	longest := 0
	for _, l := range strings.Split(out, "\n") {
		longest = max(longest, len(l))
	}
	if code != 0 || longest > 300 || !strings.Contains(out, fmt.Sprintf("(depth %d) com.example.Node", n-1)) {
		t.Errorf("exit %d (%s): longest line %d bytes, want a line at depth %d", code, errOut, longest, n-1)
	}
	// The list's head has no referrer, its second node one.
	for id, want := range map[uint64]string{ids[0]: "Referred to by no object.", ids[1]: "Referred to by 1 object:"} {
		if out, _, code := run(t, "inspect", dump, fmt.Sprintf("0x%x", id)); code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect 0x%x: exit %d, want %q in:\n%s", id, code, want, out)
		}
	}
}

// A path through a long linked list prints its ends and one line for the
// middle: the whole run printed each line indented one step deeper, so a
// 40,000-long list wrote 800 MB (quadratic), ran out of memory, and its
// JSON nested too deep to read back.
func TestPathsLongRun(t *testing.T) {
	const n = 5000
	dump := listDump(t, n)
	out, errOut, code := run(t, "paths", dump, "--class", "Target")
	want := fmt.Sprintf("… %s more references (the first: next com.example.Node)", commas(n-2*leaks.StepEnds+1))
	if code != 0 || !strings.Contains(out, want) || strings.Count(out, "\n") > 2*leaks.StepEnds+10 || !strings.Contains(out, "com.example.Target  ◀") {
		t.Errorf("exit %d (%s), %d lines, want a line %q:\n%s", code, errOut, strings.Count(out, "\n"), want, out)
	}
	out, _, code = run(t, "paths", dump, "--class", "Target", "--format", "json")
	var r struct {
		Paths []json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || !strings.Contains(out, fmt.Sprintf(`"elided_references": %d`, n-2*leaks.StepEnds+1)) {
		t.Errorf("json: exit %d, %v", code, err)
	}
	// In JSON the line is the first object left out, its class a class
	// (it was the table's sentence, and its id empty).
	if !regexp.MustCompile(`"id": "0x[0-9a-f]+",\s*"class": "com\.example\.Node",\s*"field": "next",\s*"objects": 1,\s*"retained_bytes": \d+,\s*"elided_references"`).MatchString(out) {
		t.Errorf("json: the elided run's line is not its first object")
	}
}

// paths --format csv is the JSON tree flattened: a row per node in
// pre-order, whose depth is its nesting in the JSON and whose parent is the
// node it is nested in, with the same fields. The SPARK-22713 fixture's
// walk below each match (SpillableIterator → upstream → $outer → data)
// is a chain, each step the parent of the next; a long run's line keeps its
// count of references left out.
func TestPathsCSV(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	rows := checkPathsCSV(t, "paths", spark, "--class", "ExternalAppendOnlyMap")
	// The first of each field: the spilled map's walk comes first.
	parentOf, idOf := map[string]string{}, map[string]string{}
	for _, r := range rows {
		if _, ok := idOf[r["field"]]; !ok {
			parentOf[r["field"]], idOf[r["field"]] = r["parent"], r["id"]
		}
	}
	for _, step := range [][2]string{{"readingIterator", "upstream"}, {"upstream", "$outer"}, {"$outer", "data"}} {
		if parentOf[step[1]] != idOf[step[0]] {
			t.Errorf("%s's parent is %s, want %s's object %s", step[1], parentOf[step[1]], step[0], idOf[step[0]])
		}
	}

	const n = 99 // nodes, and the target after them
	rows = checkPathsCSV(t, "paths", listDump(t, n), "--class", "Target")
	elided := 0
	for _, r := range rows {
		e, _ := strconv.Atoi(r["elided_references"])
		elided += e
	}
	if elided == 0 || len(rows)+elided-1 != n+1 {
		t.Errorf("%d rows with %d references left out, want %d objects in all", len(rows), elided, n+1)
	}
}

// listDump writes a linked list of n com.example.Node objects, rooted at
// its head, whose last next is a com.example.Target.
func listDump(t *testing.T, n int) string {
	t.Helper()
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	node := w.Class("com/example/Node", obj, 0, nil, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}})
	target := w.Class("com/example/Target", obj, 0, nil, nil)
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = w.NewID()
	}
	end := w.NewID()
	for i, id := range ids {
		next := end
		if i+1 < n {
			next = ids[i+1]
		}
		w.Instance(id, node, []hprof.BasicType{hprof.TypeObject}, []uint64{next})
	}
	w.Instance(end, target, nil, nil)
	w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
	return writeDump(t, w, "run.hprof")
}

// checkPathsCSV runs paths with --format json and csv, checks that the CSV
// is the JSON's tree a row per node, and returns its rows by column.
func checkPathsCSV(t *testing.T, args ...string) []map[string]string {
	t.Helper()
	out, errOut, code := run(t, append(args, "--format", "json")...)
	if code != 0 {
		t.Fatalf("%v json: exit %d, %s", args, code, errOut)
	}
	type node struct {
		ID       string `json:"id"`
		Class    string `json:"class"`
		Field    string `json:"field"`
		Root     string `json:"root"`
		Objects  int    `json:"objects"`
		Retained uint64 `json:"retained_bytes"`
		Match    bool   `json:"match"`
		Keeps    bool   `json:"dominated"`
		Elided   int    `json:"elided_references"`
		Children []node `json:"children"`
	}
	var r struct{ Paths []node }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var want [][]string
	var flatten func(ns []node, depth int, parent string)
	flatten = func(ns []node, depth int, parent string) {
		for _, n := range ns {
			objects := strconv.Itoa(n.Objects)
			if n.Keeps {
				objects = ""
			}
			want = append(want, []string{strconv.Itoa(depth), parent, n.ID, n.Class, n.Field, n.Root, objects,
				strconv.FormatUint(n.Retained, 10), strconv.FormatBool(n.Match), strconv.FormatBool(n.Keeps), strconv.Itoa(n.Elided)})
			flatten(n.Children, depth+1, n.ID)
		}
	}
	flatten(r.Paths, 0, "")
	out, errOut, code = run(t, append(args, "--format", "csv")...)
	if code != 0 {
		t.Fatalf("%v csv: exit %d, %s", args, code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := []string{"depth", "parent", "id", "class", "field", "root", "objects", "retained_bytes", "match", "dominated", "elided_references"}
	if len(recs) == 0 || !slices.Equal(recs[0], head) {
		t.Fatalf("csv header %v, want %v", recs[:min(1, len(recs))], head)
	}
	if len(want) == 0 || len(recs)-1 != len(want) {
		t.Fatalf("%d csv rows, want %d (the JSON's nodes)", len(recs)-1, len(want))
	}
	var rows []map[string]string
	for i, rec := range recs[1:] {
		if !slices.Equal(rec, want[i]) {
			t.Errorf("csv row %d: %q, want %q", i+1, rec, want[i])
		}
		m := map[string]string{}
		for j, k := range head {
			m[k] = rec[j]
		}
		rows = append(rows, m)
	}
	return rows
}

// stepLine prints a path's or a chain's elided middle as one line, and a
// loader path's shape is the same whatever the length left out.
func TestStepLineElided(t *testing.T) {
	if got := stepLine(leaks.Step{Elided: 1234}, false, true); got != "… 1,234 more steps" {
		t.Errorf("elided step printed %q", got)
	}
	st := leaks.Step{Field: "parent", Object: leaks.Object{ID: "0x10", Class: "PluginLoader", Retained: 2048}}
	if got := stepLine(st, false, true); got != "parent  PluginLoader 0x10  retains 2.0 KiB" {
		t.Errorf("chain step printed %q", got)
	}
	long := []leaks.Step{st, {Elided: 5}, st}
	longer := []leaks.Step{st, {Elided: 500}, st}
	if pathShape(long) != pathShape(longer) || pathShape(long) == pathShape([]leaks.Step{st, st}) {
		t.Errorf("shapes: %q %q", pathShape(long), pathShape(longer))
	}
}

// A usage error is one line on stderr, also when DUMP is left out: the
// flags are checked before the dump is looked for, where "using a.hprof,
// the only heap dump in this folder" came first (and, for a bad --object,
// the whole analysis).
func TestUsageErrorBeforeDumpLookup(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Chdir(dir)
	if err := os.Symlink(basic, "a.hprof"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		say  string
	}{
		{[]string{"dominators", "--format", "xml"}, `--format "xml"`},
		{[]string{"dominators", "--group-by", "size"}, `--group-by "size"`},
		{[]string{"dominators", "--min-retained", "lots"}, `--min-retained "lots"`},
		{[]string{"histogram", "--match", "("}, "--match"},
		{[]string{"histogram", "--format", "yaml"}, `--format "yaml"`},
		{[]string{"info", "--format", "csv"}, `--format "csv"`},
		{[]string{"paths", "--object", "zz"}, `--object "zz"`},
	} {
		_, errOut, code := run(t, c.args...)
		if code != 2 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.say) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line saying %q", c.args, code, errOut, c.say)
		}
	}
}

// JSON gives an empty list as [], not null, where nothing is left to
// show: every object below --min-retained, or a class whose objects no
// strong path reaches.
func TestEmptyListsJSON(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	for _, c := range []struct {
		args []string
		key  string
	}{
		{[]string{"dominators", basic, "--min-retained", "100%", "--format", "json"}, "objects"},
		{[]string{"paths", basic, "--class", "SoftTarget", "--format", "json"}, "paths"},     // only softly reachable
		{[]string{"paths", basic, "--class", "WeakOnlyTarget", "--format", "json"}, "paths"}, // collected: no instance
	} {
		out, errOut, code := run(t, c.args...)
		var r map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
			t.Fatalf("%v: exit %d (%s), %v", c.args, code, errOut, err)
		}
		if got := string(r[c.key]); got != "[]" {
			t.Errorf("%v: %q is %s, want []", c.args, c.key, got)
		}
	}
}

// --max-paths N shows the paths to the N matching objects that retain the
// most: the walk down the biggest lines first took the small match beside
// the biggest one (the 152-byte Object[] of a SizeTrackingAppendOnlyMap's
// samples, not the 806 KiB data of the live map).
func TestPathsMaxPathsBiggest(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	holder := w.Class("com/example/Holder", obj, 0, nil, []hproftest.Field{{Name: "a", Type: hprof.TypeObject}, {Name: "b", Type: hprof.TypeObject}})
	target := w.Class("com/example/Target", obj, 0, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}})
	two := []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}
	one := []hprof.BasicType{hprof.TypeObject}
	// h -> big (1 MiB) and small (no data); mid (100 KiB) apart.
	h, big, small, mid, bigData, midData := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(h, holder, two, []uint64{big, small})
	w.Instance(big, target, one, []uint64{bigData})
	w.Instance(small, target, one, []uint64{0})
	w.Instance(mid, target, one, []uint64{midData})
	w.PrimArray(bigData, hprof.TypeByte, 1<<20, nil)
	w.PrimArray(midData, hprof.TypeByte, 100<<10, nil)
	w.Root(hprof.SubRootJNIGlobal, h, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, mid, 0, 0)
	dump := writeDump(t, w, "three.hprof")
	hex := func(id uint64) string { return fmt.Sprintf("0x%x", id) }
	for _, c := range []struct {
		maxPaths string
		want     []uint64
	}{
		{"1", []uint64{big}},
		{"2", []uint64{big, mid}},
		{"0", []uint64{big, small, mid}}, // all, in the order printed
	} {
		out, errOut, code := run(t, "paths", dump, "--class", "Target", "--max-paths", c.maxPaths, "--format", "json")
		var r struct {
			Shown int `json:"shown_objects"`
			Paths []json.RawMessage
		}
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
			t.Fatalf("--max-paths %s: exit %d (%s), %v", c.maxPaths, code, errOut, err)
		}
		var matches []string
		for _, m := range regexp.MustCompile(`"id": "(0x[0-9a-f]+)",\s+"class": "com.example.Target",[^{]*"match": true`).FindAllStringSubmatch(out, -1) {
			matches = append(matches, m[1])
		}
		var want []string
		for _, id := range c.want {
			want = append(want, hex(id))
		}
		if strings.Join(matches, " ") != strings.Join(want, " ") || r.Shown != len(want) {
			t.Errorf("--max-paths %s: %d shown, matches %v; want %v", c.maxPaths, r.Shown, matches, want)
		}
	}
}

// The line under the paths counts as the tables do (26,885, "1 matching
// object") and says which references the search left out for the matches
// it did not reach: "through strong references" was said with
// --include-weak too, and for a chain --exclude cut off.
func TestPathsSummaryLine(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	wantEndings(t, []string{"paths", basic}, []ending{
		{[]string{"--class", "SoftTarget"}, "\n1 matching object; 0 shown; 1 not reachable from any GC root (through strong references); ◀ marks a matching object\n"},
		{[]string{"--class", "SoftTarget", "--include-weak"}, "\n1 matching object; 1 shown; ◀ marks a matching object\n"},
		{[]string{"--class", "ChainNode", "--exclude", "Basic:CHAIN"}, "\n10,000 matching objects; 0 shown; 10,000 not reachable from any GC root (through strong references, the fields --exclude names left out); ◀ marks a matching object\n"},
		{[]string{"--class", "ChainNode", "--exclude", "Basic:CHAIN", "--include-weak"}, "\n10,000 matching objects; 0 shown; 10,000 not reachable from any GC root (the fields --exclude names left out); ◀ marks a matching object\n"},
		{[]string{"--class", "ChainNode", "--max-paths", "1"}, "\n10,000 matching objects; 1 shown; ◀ marks a matching object\n"},
	})
}

// dominators --children 0 lists every child, as --top 0 lists every
// top-level object: it listed none, which made --depth do nothing.
func TestDominatorsAllChildren(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	array := w.ObjectArrayClass()
	leaf := w.Class("com/example/Leaf", obj, 0, nil, nil)
	holder, leaves := w.NewID(), make([]uint64, 7)
	for i := range leaves {
		leaves[i] = w.NewID()
		w.Instance(leaves[i], leaf, nil, nil)
	}
	w.ObjArray(holder, array, leaves)
	w.Root(hprof.SubRootJNIGlobal, holder, 0, 0)
	dump := writeDump(t, w, "seven.hprof")
	// Below the array: the 7 leaves and the 2 classes only they reach.
	for children, want := range map[string]int{"0": 9, "3": 3} {
		out, errOut, code := run(t, "dominators", dump, "--top", "1", "--depth", "1", "--children", children, "--format", "csv")
		if got := strings.Count(out, "\n1,"); code != 0 || got != want {
			t.Errorf("--children %s: exit %d (%s), %d children; want %d:\n%s", children, code, errOut, got, want, out)
		}
	}
	// The children left out are counted, as MAT's "more" line does: they
	// were left out without a word. 6 of the 9, each a 16-byte leaf, or
	// the class of the leaves or of the array.
	out, errOut, code := run(t, "dominators", dump, "--top", "1", "--depth", "1", "--children", "3", "--format", "json")
	var r struct {
		Objects []struct {
			Retained     uint64 `json:"retained_bytes"`
			Shallow      uint64 `json:"shallow_bytes"`
			MoreChildren int    `json:"more_children"`
			MoreRetained uint64 `json:"more_children_retained_bytes"`
			Children     []struct {
				Retained uint64 `json:"retained_bytes"`
			} `json:"children"`
		} `json:"objects"`
	}
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || len(r.Objects) != 1 {
		t.Fatalf("exit %d (%s), %v:\n%s", code, errOut, err, out)
	}
	top, shown := r.Objects[0], uint64(0)
	for _, c := range top.Children {
		shown += c.Retained
	}
	if top.MoreChildren != 6 || top.MoreRetained != top.Retained-top.Shallow-shown || top.MoreRetained == 0 {
		t.Errorf("more children %d retaining %d, want 6 retaining %d", top.MoreChildren, top.MoreRetained, top.Retained-top.Shallow-shown)
	}
	if out, _, _ := run(t, "dominators", dump, "--top", "1", "--depth", "1", "--children", "3"); !strings.Contains(out, "… 6 more children") {
		t.Errorf("the table lacks the line of the 6 more children:\n%s", out)
	}
}

// inspect says how many of an array's elements --limit leaves out, as it
// does for referrers: the table ends the elements with "… and N more",
// JSON has more_elements and CSV a more-elements row; --limit 0 shows
// them all.
func TestInspectElementsLimit(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	const data = "0xfaccb5b8" // the spilled map's Object[65536]
	out, errOut, code := run(t, "inspect", spark, data, "--limit", "2")
	if code != 0 || !strings.Contains(out, "\nLength:     65,536\n") || !regexp.MustCompile(`\n\[1\] [^\n]*\n… and 65,534 more \(--limit\)\n\nReferred to by 1 object:\n`).MatchString(out) {
		t.Errorf("table: exit %d (%s):\n%s", code, errOut, out)
	}
	out, _, _ = run(t, "inspect", spark, data, "--limit", "2", "--format", "json")
	var r struct {
		Elements     []json.RawMessage `json:"elements"`
		MoreElements int               `json:"more_elements"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Elements) != 2 || r.MoreElements != 65534 {
		t.Errorf("json: %v, %d elements, more_elements %d", err, len(r.Elements), r.MoreElements)
	}
	out, _, _ = run(t, "inspect", spark, data, "--limit", "2", "--format", "csv")
	if !strings.Contains(out, "\nmore-elements,,,65534,,,,,,\n") {
		t.Errorf("csv:\n%s", out)
	}
	// --limit 0 shows all, as --top 0 does (it showed none).
	out, _, _ = run(t, "inspect", spark, data, "--limit", "0", "--format", "json")
	r.Elements, r.MoreElements = nil, 0
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Elements) != 65536 || r.MoreElements != 0 {
		t.Errorf("--limit 0: %v, %d elements, more_elements %d", err, len(r.Elements), r.MoreElements)
	}
}

// paths counts a class's objects as the histogram does: class objects
// are instances of java.lang.Class there, and paths --class
// java.lang.Class found only the 9 primitive types' mirrors of
// Basic.hprof's 626.
func TestPathsCountsAsHistogram(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	for _, class := range []string{"java.lang.Class", "java.util.HashMap$Node", "byte[]"} {
		histo, _, _ := run(t, "histogram", basic, "--match", "^"+regexp.QuoteMeta(class)+"$", "--format", "json")
		var rows []struct{ Instances int }
		if err := json.Unmarshal([]byte(histo), &rows); err != nil || len(rows) != 1 {
			t.Fatalf("histogram of %s: %v, %d rows", class, err, len(rows))
		}
		out, errOut, code := run(t, "paths", basic, "--class", class, "--max-paths", "1", "--format", "json")
		var r struct {
			Matching int `json:"matching_objects"`
		}
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || r.Matching != rows[0].Instances {
			t.Errorf("paths --class %s: exit %d (%s), %d matching objects; the histogram counts %d", class, code, errOut, r.Matching, rows[0].Instances)
		}
	}
}

// The line under the histogram says how many classes --top left out
// ("15 classes shown" read as all of Basic.hprof's 266) and counts one
// class in the singular.
func TestHistogramShownLine(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	wantEndings(t, []string{"histogram", basic}, []ending{
		{[]string{"--top", "3"}, "\n3 of 266 classes shown; total 21,756 objects, 781 KiB\n"},
		{[]string{"--top", "300"}, "\n266 classes shown; total 21,756 objects, 781 KiB\n"},
		{[]string{"--match", `^java\.lang\.Class$`}, "\n1 class shown; total 626 objects, 75 KiB\n"},
	})
}

// ending is a command's arguments (after the command and the dump) and
// how its output must end.
type ending struct {
	args []string
	want string
}

// wantEndings runs the command and dump in cmd with each case's arguments.
func wantEndings(t *testing.T, cmd []string, cases []ending) {
	t.Helper()
	for _, c := range cases {
		out, errOut, code := run(t, append(slices.Clone(cmd), c.args...)...)
		if code != 0 || !strings.HasSuffix(out, c.want) {
			t.Errorf("%v: exit %d (%s); want the output to end %q:\n%s", c.args, code, errOut, c.want, out)
		}
	}
}

// The walk below a match stops at the head of a linked structure, as
// suspects' accumulation chain does: below Basic.hprof's first ChainNode
// it printed 64 lines of 'next ChainNode', and as many below class Basic.
func TestPathsKeepsStopsAtLinkedList(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	for _, c := range []struct {
		class string
		lines int // of paths, below the header
	}{{"ChainNode", 3}, {"java.lang.Class", 3}} {
		out, errOut, code := run(t, "paths", basic, "--class", c.class, "--max-paths", "1")
		table, _, _ := strings.Cut(out, "\n\n")
		lines := strings.Split(table, "\n")[2:] // below the header and its rule
		if code != 0 || len(lines) != c.lines || !strings.Contains(lines[len(lines)-1], "static CHAIN  ChainNode") {
			t.Errorf("--class %s: exit %d (%s), %d lines, want %d ending at the list's head:\n%s", c.class, code, errOut, len(lines), c.lines, out)
		}
	}
}

// TestPathsOnTheirPaths: a match printed only because it lies on the path
// to one that --max-paths chose is counted apart, not as one of the N:
// 'paths --class HashMap$Node --max-paths 3' on Basic.hprof said "4
// shown". Here the outer Target is on the shortest path to the inner,
// which retains the most (another path reaches it too, so the outer does
// not dominate it).
func TestPathsOnTheirPaths(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	target := w.Class("com/example/Target", obj, 0, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}})
	other := w.Class("com/example/Other", obj, 0, nil, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}})
	one := []hprof.BasicType{hprof.TypeObject}
	outer, inner, x, y, data := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(outer, target, one, []uint64{inner})
	w.Instance(inner, target, one, []uint64{data})
	w.Instance(x, other, one, []uint64{y})
	w.Instance(y, other, one, []uint64{inner})
	w.PrimArray(data, hprof.TypeByte, 1<<20, nil)
	w.Root(hprof.SubRootJNIGlobal, outer, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, x, 0, 0)
	dump := writeDump(t, w, "onpath.hprof")
	out, errOut, code := run(t, "paths", dump, "--class", "Target", "--max-paths", "1")
	if code != 0 || !strings.Contains(out, "2 matching objects; 1 shown (the one that retains the most) and 1 on their paths;") {
		t.Errorf("exit %d (%s):\n%s", code, errOut, out)
	}
	out, _, _ = run(t, "paths", dump, "--class", "Target", "--max-paths", "1", "--format", "json")
	var r struct {
		Shown   int `json:"shown_objects"`
		OnPaths int `json:"shown_on_their_paths"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Shown != 1 || r.OnPaths != 1 {
		t.Errorf("JSON %+v (%v):\n%s", r, err, out)
	}
}

// TestPathsMatchesBelowAMatch: a match printed in the walk below a shown
// one (where its memory sits) is marked and counted apart, as one on the
// paths is: the SPARK-22713 dump's SpillableIterator below the spilled
// map, under --class 'org.apache.spark.util.collection.*', had no ◀ and
// "match": false.
func TestPathsMatchesBelowAMatch(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	one := []hproftest.Field{{Name: "part", Type: hprof.TypeObject}}
	target := w.Class("com/example/Target", obj, 0, nil, one)
	part := w.Class("com/example/TargetPart", obj, 0, nil, one)
	ref := []hprof.BasicType{hprof.TypeObject}
	outer, inner, small, data := w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(outer, target, ref, []uint64{inner})
	w.Instance(inner, part, ref, []uint64{data})
	w.Instance(small, target, ref, []uint64{0})
	w.PrimArray(data, hprof.TypeByte, 1<<20, nil)
	w.Root(hprof.SubRootJNIGlobal, outer, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, small, 0, 0)
	dump := writeDump(t, w, "below.hprof")
	out, errOut, code := run(t, "paths", dump, "--class", "com.example.Target*", "--max-paths", "1")
	if code != 0 || !strings.Contains(out, "part  com.example.TargetPart  ◀") ||
		!strings.Contains(out, "3 matching objects; 1 shown (the one that retains the most) and 1 in what it retains;") {
		t.Errorf("exit %d (%s):\n%s", code, errOut, out)
	}
	out, _, _ = run(t, "paths", dump, "--class", "com.example.Target*", "--max-paths", "1", "--format", "json")
	var r struct {
		Shown int `json:"shown_objects"`
		Below int `json:"shown_below_matches"`
		Paths []struct {
			Children []struct {
				Class string `json:"class"`
				Match bool   `json:"match"`
				Keeps bool   `json:"dominated"`
			} `json:"children"`
		} `json:"paths"`
	}
	err := json.Unmarshal([]byte(out), &r)
	if err != nil || r.Shown != 1 || r.Below != 1 || len(r.Paths) != 1 || len(r.Paths[0].Children) != 1 {
		t.Fatalf("JSON %+v (%v):\n%s", r, err, out)
	}
	if c := r.Paths[0].Children[0]; c.Class != "com.example.TargetPart" || !c.Match || !c.Keeps {
		t.Errorf("the walk below the match: %+v, want the TargetPart, a match:\n%s", c, out)
	}
}

// TestPathsKeepUnreachable: with --keep-unreachable, an object nothing
// reaches is a root of its own on the paths, as in the dominator tree
// (<Unreachable>, MAT's name), dominators names it so, and suspects say
// so; the flag changed
// nothing in paths, which said "not reachable from any GC root".
func TestPathsKeepUnreachable(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	holder := w.Class("com/example/Holder", obj, 0, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}})
	live, gone, data := w.NewID(), w.NewID(), w.NewID()
	w.Instance(live, holder, []hprof.BasicType{hprof.TypeObject}, []uint64{0})
	w.Instance(gone, holder, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
	w.PrimArray(data, hprof.TypeByte, 1<<20, nil)
	w.Root(hprof.SubRootJNIGlobal, live, 0, 0)
	dump := writeDump(t, w, "gone.hprof")
	out, errOut, code := run(t, "paths", dump, "--class", "Holder")
	if code != 0 || !strings.Contains(out, "2 matching objects; 1 shown; 1 not reachable from any GC root") {
		t.Errorf("without --keep-unreachable: exit %d (%s):\n%s", code, errOut, out)
	}
	out, errOut, code = run(t, "paths", dump, "--class", "Holder", "--keep-unreachable")
	if code != 0 || !strings.Contains(out, "<Unreachable> com.example.Holder  ◀") || !strings.Contains(out, "2 matching objects; 2 shown;") {
		t.Errorf("--keep-unreachable: exit %d (%s):\n%s", code, errOut, out)
	}
	// dominators names the root so too (its GC root cell was empty); not
	// the live Holder, a JNI global, nor the class, which both reach.
	out, errOut, code = run(t, "dominators", dump, "--keep-unreachable", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	rootOf := map[string]string{}
	for _, r := range recs[1:] {
		rootOf[r[2]] = r[7]
	}
	if code != 0 || err != nil || len(rootOf) != 3 || rootOf[fmt.Sprintf("0x%x", gone)] != "<Unreachable>" ||
		rootOf[fmt.Sprintf("0x%x", live)] != "<JNI Global>" || rootOf[fmt.Sprintf("0x%x", holder)] != "" {
		t.Errorf("dominators --keep-unreachable: exit %d (%s):\n%s", code, errOut, out)
	}
	out, errOut, code = run(t, "suspects", dump, "--keep-unreachable")
	if code != 0 || !strings.Contains(out, "One instance of Holder, which no GC root reaches (kept as a root of its own: --keep-unreachable)") ||
		!strings.Contains(out, "<Unreachable>  com.example.Holder") {
		t.Errorf("suspects --keep-unreachable: exit %d (%s):\n%s", code, errOut, out)
	}
}

// TestInspectClassAndLoader: inspect names an object's class object and
// its class's loader, and a class object's superclass and loader, as MAT's
// inspector does; the JVM's own loader is <bootstrap>, which is no object.
func TestInspectClassAndLoader(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	loaderClass := w.Class("com/example/JobLoader", obj, 0, nil, nil)
	loader := w.NewID()
	w.Instance(loader, loaderClass, nil, nil)
	base := w.Class("com/example/Base", obj, loader, nil, nil)
	job := w.Class("com/example/Job", base, loader, nil, nil)
	x, y := w.NewID(), w.NewID()
	w.Instance(x, job, nil, nil)
	w.Instance(y, obj, nil, nil)
	w.Root(hprof.SubRootJNIGlobal, x, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, y, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, loader, 0, 0)
	dump := writeDump(t, w, "loaders.hprof")
	type ref struct {
		ID string `json:"id"`
	}
	var r struct {
		ClassObject *ref `json:"class_object"`
		Loader      *ref `json:"class_loader"`
		Bootstrap   bool `json:"bootstrap_loader"`
		Superclass  *ref `json:"superclass"`
	}
	hex := func(id uint64) string { return fmt.Sprintf("0x%x", id) }
	for _, c := range []struct {
		object                 uint64
		class, loader, superOf string
		bootstrap              bool
	}{
		{x, hex(job), hex(loader), "", false},
		{y, hex(obj), "", "", true},
		{job, "", hex(loader), hex(base), false}, // a class object: its class's loader and superclass
	} {
		out, errOut, code := run(t, "inspect", dump, hex(c.object), "--format", "json")
		r.ClassObject, r.Loader, r.Superclass, r.Bootstrap = nil, nil, nil, false
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
			t.Fatalf("%s: exit %d (%s), %v", hex(c.object), code, errOut, err)
		}
		id := func(p *ref) string {
			if p == nil {
				return ""
			}
			return p.ID
		}
		if id(r.ClassObject) != c.class || id(r.Loader) != c.loader || id(r.Superclass) != c.superOf || r.Bootstrap != c.bootstrap {
			t.Errorf("%s: class %q loader %q super %q bootstrap %v; want %q %q %q %v", hex(c.object), id(r.ClassObject), id(r.Loader), id(r.Superclass), r.Bootstrap, c.class, c.loader, c.superOf, c.bootstrap)
		}
	}
	out, _, _ := run(t, "inspect", dump, hex(y))
	if !regexp.MustCompile(`\nLoader: +<bootstrap> \(the JVM's own\)\n`).MatchString(out) {
		t.Errorf("table:\n%s", out)
	}
}

// TestHistogramLoaders: a class name two loaders define has two rows, and
// the table names each one's loader (Basic.hprof's Reloaded, 3 and 2
// instances, read as the same class twice); JSON and CSV give every row's
// loader, <bootstrap> for the JVM's own.
func TestHistogramLoaders(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	out, errOut, code := run(t, "histogram", basic, "--match", "^(Reloaded|ChainNode)$")
	rows := regexp.MustCompile(`\nReloaded \(loader (0x[0-9a-f]+)\) +(\d) `).FindAllStringSubmatch(out, -1)
	if code != 0 || len(rows) != 2 || rows[0][1] == rows[1][1] || !strings.Contains(out, "\nChainNode  ") {
		t.Fatalf("exit %d (%s):\n%s", code, errOut, out)
	}
	csv, _, _ := run(t, "histogram", basic, "--match", "^(Reloaded|byte\\[\\])$", "--format", "csv")
	for _, want := range []string{"class,instances,shallow_bytes,loader\n", "\nReloaded,3,72," + rows[0][1] + "\n", "\nReloaded,2,48," + rows[1][1] + "\n", "\nbyte[],"} {
		if !strings.Contains(csv, want) {
			t.Errorf("csv lacks %q:\n%s", want, csv)
		}
	}
	if !regexp.MustCompile(`\nbyte\[\],\d+,\d+,<bootstrap>\n`).MatchString(csv) {
		t.Errorf("byte[] is not the bootstrap loader's:\n%s", csv)
	}
}

// --min-retained reads its limit as a check rule's limits are read: a
// space before the percent sign is allowed, and the share is of the
// reachable heap.
func TestMinRetainedForms(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	want, errOut, code := run(t, "dominators", basic, "--min-retained", "1%", "--format", "csv")
	if code != 0 {
		t.Fatalf("--min-retained 1%%: exit %d %s", code, errOut)
	}
	if got, errOut, code := run(t, "dominators", basic, "--min-retained", "1 %", "--format", "csv"); code != 0 || got != want {
		t.Errorf("--min-retained '1 %%': exit %d %s\n%s\nwant\n%s", code, errOut, got, want)
	}
	all, _, _ := run(t, "dominators", basic, "--format", "csv")
	if strings.Count(want, "\n") >= strings.Count(all, "\n") {
		t.Errorf("--min-retained 1%% left nothing out:\n%s", want)
	}
}

// inspect --format csv carries what JSON does, in exact bytes: the
// object's shallow size (the csv had no such column), its dominator, GC
// root, class object, superclass, loader, text and length (it had none of
// them) and how many referrers are garbage; and JSON gives every list,
// [] where the object has none (an instance's elements were left out, an
// array's fields).
func TestInspectCSVAsJSON(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	garbage, _, data, b1 := garbageDump(t)
	for _, c := range []struct{ dump, id string }{
		{spark, "0xfab15020"}, // an instance held by a thread's local
		{spark, "0xfab5a9c0"}, // an array, its class the JVM's own
		{spark, "0xfab14de8"}, // a class object
		{spark, "0xfab147b0"}, // a string
		{garbage, b1},         // garbage
		{garbage, data},       // referred to by garbage
	} {
		args := []string{"inspect", c.dump, c.id, "--limit", "2"}
		out, errOut, code := run(t, append(args, "--format", "json")...)
		var lists map[string]json.RawMessage
		var r inspectReport // as the command made it, read back
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
			t.Fatalf("%v: exit %d (%s), %v", args, code, errOut, err)
		}
		json.Unmarshal([]byte(out), &lists)
		for _, key := range []string{"fields", "statics", "elements", "referrers"} {
			if l := string(lists[key]); l == "" || l == "null" {
				t.Errorf("%s json: %q is %q, want a list", c.id, key, l)
			}
		}
		// The rows csv must have, by section: the values of the columns
		// named.
		type cells map[string]string
		want := map[string][]cells{
			"object": {{"object": r.ID, "shallow_bytes": strconv.FormatUint(r.Shallow, 10), "retained_bytes": strconv.FormatUint(r.Retained, 10)}},
		}
		for section, p := range map[string]*objectRef{"immediate-dominator": r.Dominator, "class-object": r.ClassObject, "superclass": r.Superclass, "class-loader": r.Loader} {
			if p != nil {
				want[section] = []cells{{"object": p.ID, "retained_bytes": strconv.FormatUint(p.Retained, 10)}}
			}
		}
		value := func(section, v string) { want[section] = []cells{{"value": v}} }
		if r.Bootstrap {
			value("class-loader", "<bootstrap>")
		}
		if r.GCRoot != "" {
			value("gc-root", r.GCRoot)
		}
		if r.String != nil {
			value("string", *r.String)
		}
		if r.Length != nil {
			value("length", strconv.Itoa(*r.Length))
		}
		for section, n := range map[string]int{"more-elements": r.MoreElements, "more-statics": r.MoreStatics, "more-referrers": r.More, "unreachable-referrers": r.UnreachableReferrers} {
			if n > 0 {
				value(section, strconv.Itoa(n))
			}
		}
		for section, n := range map[string]int{"field": len(r.Fields), "static": len(r.Statics), "element": len(r.Elements), "referrer": len(r.Referrers)} {
			for range n {
				want[section] = append(want[section], cells{})
			}
		}
		out, _, _ = run(t, append(args, "--format", "csv")...)
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]cells{}
		for _, rec := range recs[1:] {
			row := cells{}
			for i, key := range recs[0] {
				row[key] = rec[i]
			}
			got[rec[0]] = append(got[rec[0]], row)
		}
		for section, rows := range want {
			if len(got[section]) != len(rows) {
				t.Errorf("%s csv: %d %s rows, json %d:\n%s", c.id, len(got[section]), section, len(rows), out)
				continue
			}
			for i, row := range rows {
				for key, v := range row {
					if got[section][i][key] != v {
						t.Errorf("%s csv: %s row %d: %s %q, json %q", c.id, section, i, key, got[section][i][key], v)
					}
				}
			}
		}
		for section := range got {
			if want[section] == nil {
				t.Errorf("%s csv: %s rows, json has none", c.id, section)
			}
		}
	}
}

// dominators --group-by --format json gives the totals the ungrouped JSON
// does beside its groups (it was a bare list of groups, with no reachable
// or unreachable counts), and an empty list where no group is left.
func TestDominatorsGroupJSON(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	garbage, _, _, _ := garbageDump(t)
	decode := func(args ...string) map[string]json.RawMessage {
		t.Helper()
		out, errOut, code := run(t, append(args, "--format", "json")...)
		var r map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
			t.Fatalf("%v: exit %d (%s), %v:\n%s", args, code, errOut, err, out)
		}
		return r
	}
	for _, c := range []struct {
		dump  string
		extra []string
	}{
		{spark, nil},
		{spark, []string{"--min-retained", "100%"}},
		{garbage, []string{"--keep-unreachable"}},
	} {
		plain := decode(append([]string{"dominators", c.dump}, c.extra...)...)
		for _, by := range []string{"class", "package", "classloader"} {
			args := append([]string{"dominators", c.dump, "--group-by", by, "--top", "3"}, c.extra...)
			grouped := decode(args...)
			for key, v := range plain {
				if key != "objects" && string(grouped[key]) != string(v) {
					t.Errorf("%v: %s is %s, without --group-by %s", args, key, grouped[key], v)
				}
			}
			var groups []map[string]any
			json.Unmarshal(grouped["groups"], &groups)
			if string(grouped["group_by"]) != strconv.Quote(by) || groups == nil || len(groups) > 3 || len(grouped) != len(plain)+1 {
				t.Errorf("%v: group_by %s, groups %s, keys %d", args, grouped["group_by"], grouped["groups"], len(grouped))
			}
			for _, gr := range groups {
				if _, ok := gr[by]; !ok {
					t.Errorf("%v: group without %q: %v", args, by, gr)
				}
			}
		}
	}
}

// dominators JSON says how many top-level objects there are, as the
// table's footer does: --top leaves the rest out of objects.
func TestDominatorsTopLevelCount(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	table, _, _ := run(t, "dominators", basic, "--top", "3")
	m := regexp.MustCompile(`3 of ([\d,]+) top-level objects shown`).FindStringSubmatch(table)
	if m == nil {
		t.Fatalf("no count in the footer:\n%s", table)
	}
	want, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	out, errOut, code := run(t, "dominators", basic, "--top", "3", "--format", "json")
	var r struct {
		TopLevel *int              `json:"top_level_objects"`
		Objects  []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
		t.Fatalf("exit %d (%s), %v", code, errOut, err)
	}
	if r.TopLevel == nil || *r.TopLevel != want || len(r.Objects) != 3 {
		t.Errorf("top_level_objects %v with %d objects, want %d with 3", r.TopLevel, len(r.Objects), want)
	}
}

// TestCPUProfileOnFailure: a command that fails still stops and writes
// the profile --cpuprofile started (cobra runs no PostRun after an
// error), so that the next run can start one.
func TestCPUProfileOnFailure(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.hprof")
	for i := range 2 {
		prof := filepath.Join(dir, fmt.Sprintf("cpu%d.prof", i))
		_, errOut, code := run(t, "dominators", missing, "--cpuprofile", prof)
		if code != 2 || strings.Contains(errOut, "profil") {
			t.Fatalf("run %d: exit %d, stderr %q; want exit 2 for the missing dump alone", i, code, errOut)
		}
		b, err := os.ReadFile(prof)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("run %d: the profile is not written (%d bytes, %v): want a gzipped pprof profile", i, len(b), err)
		}
	}
}

// TestVersion: --version names the build, for CI logs.
func TestVersion(t *testing.T) {
	defer func(v string) { buildVersion = v }(buildVersion)
	buildVersion = "v1.2.3-4-gabcdef"
	out, errOut, code := runIndexed(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "leakscan v1.2.3-4-gabcdef") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("exit %d (%s): %q", code, errOut, out)
	}
}

// TestHistogramMatchBothNames: --match takes a class by either form of its
// name, whichever --jvm-names shows: with it, '^byte\[\]$' found nothing,
// where '^\[B$' found byte[] without it.
func TestHistogramMatchBothNames(t *testing.T) {
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	for _, c := range [][]string{{`^byte\[\]$`, "--jvm-names"}, {`^\[B$`, "--jvm-names"}, {`^byte\[\]$`}, {`^\[B$`}} {
		out, errOut, code := run(t, append([]string{"histogram", basic, "--format", "csv", "--match"}, c...)...)
		want := "\nbyte[],"
		if len(c) > 1 {
			want = "\n[B,"
		}
		if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, want) {
			t.Errorf("--match %v: exit %d (%s):\n%s", c, code, errOut, out)
		}
	}
}

// TestInspectReferrerEveryField: a referrer that holds the object in
// several fields or slots lists each (the first few slots, and how many):
// Two.a and Two.b showed b alone, {SHARED, SHARED} [0] alone.
func TestInspectReferrerEveryField(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	two := w.Class("com/acme/Two", obj, 0, nil, []hproftest.Field{{Name: "a", Type: hprof.TypeObject}, {Name: "b", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	shared, holder, pair, many := w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(shared, obj, nil, nil)
	w.Instance(holder, two, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}, []uint64{shared, shared})
	w.ObjArray(pair, arr, []uint64{shared, shared})
	w.ObjArray(many, arr, []uint64{shared, 0, shared, shared, shared, shared, shared})
	for _, r := range []uint64{holder, pair, many} {
		w.Root(hprof.SubRootJNIGlobal, r, 0, 0)
	}
	dump := writeDump(t, w, "shared.hprof")
	out, errOut, code := run(t, "inspect", dump, fmt.Sprintf("0x%x", shared), "--format", "json")
	var r struct {
		Referrers []struct {
			ID    string `json:"id"`
			Field string `json:"field"`
		} `json:"referrers"`
	}
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
		t.Fatalf("exit %d (%s), %v:\n%s", code, errOut, err, out)
	}
	got := map[string]string{}
	for _, ref := range r.Referrers {
		got[ref.ID] = ref.Field
	}
	for id, fields := range map[uint64][]string{holder: {"a", "b"}, pair: {"[0], [1]"}, many: {"[0], [2], [3], [4], … 6 slots in all"}} {
		f := got[fmt.Sprintf("0x%x", id)]
		if len(fields) == 2 { // the order the dump gives the fields in
			if f != "a, b" && f != "b, a" {
				t.Errorf("0x%x: %q, want both fields", id, f)
			}
		} else if f != fields[0] {
			t.Errorf("0x%x: %q, want %q", id, f, fields[0])
		}
	}
}

// TestPathsChainOfMatches: the paths down a linked list whose every node
// matches are written without recursion (2 M nodes with --max-paths 0
// overflowed the stack), each node a line; JSON, which nests a line's
// children in it, refuses a chain deeper than it can write, naming CSV.
func TestPathsChainOfMatches(t *testing.T) {
	const n = 3000
	dump, _ := chainDump(t, n)
	out, errOut, code := run(t, "paths", dump, "--class", "Node", "--max-paths", "0", "--format", "csv")
	if rows := strings.Count(out, "\n"); code != 0 || rows != n+1 || !strings.Contains(out, fmt.Sprintf("\n%d,0x", n-1)) {
		t.Errorf("csv: exit %d (%s), %d rows, want %d and the last at depth %d", code, errOut, rows, n+1, n-1)
	}
	if out, errOut, code = run(t, "paths", dump, "--class", "Node", "--max-paths", "0"); code != 0 || !strings.Contains(out, fmt.Sprintf("(depth %d)", n-1)) {
		t.Errorf("table: exit %d (%s)", code, errOut)
	}
	defer func(d int) { jsonDepth = d }(jsonDepth)
	jsonDepth = 1000
	if _, errOut, code = run(t, "paths", dump, "--class", "Node", "--max-paths", "0", "--format", "json"); code != 2 ||
		!strings.Contains(errOut, "the paths are 3,000 lines deep (a chain of matching objects)") || !strings.Contains(errOut, "--format csv") {
		t.Errorf("json: exit %d, %q", code, errOut)
	}
}

// TestInspectStaticsLimit: --limit bounds a class object's static fields
// too, and says how many it left out (5,001 statics printed 5,017 lines).
func TestInspectStaticsLimit(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	var statics []hproftest.Static
	for i := range 25 {
		statics = append(statics, hproftest.Static{Name: fmt.Sprintf("S%d", i), Type: hprof.TypeInt, Value: uint64(i)})
	}
	many := w.Class("com/acme/ManyStatics", obj, 0, statics, nil)
	w.Root(hprof.SubRootStickyClass, many, 0, 0)
	dump := writeDump(t, w, "statics.hprof")
	id := fmt.Sprintf("0x%x", many)
	out, errOut, code := run(t, "inspect", dump, id)
	if code != 0 || !strings.Contains(out, "S19") || strings.Contains(out, "S20") || !strings.Contains(out, "… and 5 more (--limit)") {
		t.Errorf("table: exit %d (%s):\n%s", code, errOut, out)
	}
	for limit, want := range map[string][2]int{"20": {20, 5}, "0": {25, 0}} {
		out, _, _ = run(t, "inspect", dump, id, "--limit", limit, "--format", "json")
		var r struct {
			Statics     []json.RawMessage `json:"statics"`
			MoreStatics int               `json:"more_statics"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Statics) != want[0] || r.MoreStatics != want[1] {
			t.Errorf("--limit %s: %v, %d statics, more_statics %d; want %v", limit, err, len(r.Statics), r.MoreStatics, want)
		}
	}
}

// TestInspectValuesJSON: inspect's JSON gives each value its JSON type
// (an int was "5", a null reference "null"), with a String reference's
// text beside its id, and the table shows them as before; NaN and
// Infinity, which JSON has no numbers for, stay strings.
func TestInspectValuesJSON(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	str := w.StringClass(obj)
	text := w.String(str, "hello")
	longText := strings.Repeat("0123456789", 12)
	long := w.String(str, longText)
	f32 := func(f float32) uint64 { return uint64(math.Float32bits(f)) }
	statics := []hproftest.Static{
		{Name: "b", Type: hprof.TypeByte, Value: 0xfe},
		{Name: "s", Type: hprof.TypeShort, Value: 0x8000},
		{Name: "i", Type: hprof.TypeInt, Value: 5},
		{Name: "j", Type: hprof.TypeLong, Value: math.MaxInt64},
		{Name: "z", Type: hprof.TypeBoolean, Value: 1},
		{Name: "c", Type: hprof.TypeChar, Value: 'é'},
		{Name: "f", Type: hprof.TypeFloat, Value: f32(1.5)},
		{Name: "d", Type: hprof.TypeDouble, Value: math.Float64bits(1e10)},
		{Name: "nan", Type: hprof.TypeDouble, Value: math.Float64bits(math.NaN())},
		{Name: "inf", Type: hprof.TypeFloat, Value: f32(float32(math.Inf(-1)))},
		{Name: "none", Type: hprof.TypeObject, Value: 0},
		{Name: "str", Type: hprof.TypeObject, Value: text},
		{Name: "gone", Type: hprof.TypeObject, Value: 0x7777770},
		{Name: "long", Type: hprof.TypeObject, Value: long},
	}
	c := w.Class("com/acme/Values", obj, 0, statics, nil)
	w.Root(hprof.SubRootStickyClass, c, 0, 0)
	dump := writeDump(t, w, "values.hprof")
	id := fmt.Sprintf("0x%x", c)
	out, errOut, code := run(t, "inspect", dump, id, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Statics []map[string]json.RawMessage `json:"statics"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, st := range r.Statics {
		var name string
		json.Unmarshal(st["name"], &name)
		got[name] = string(st["value"])
		if t, ok := st["text"]; ok {
			got[name+".text"] = string(t)
		}
		if d, ok := st["dangling"]; ok {
			got[name+".dangling"] = string(d)
		}
	}
	want := map[string]string{
		"b": "-2", "s": "-32768", "i": "5", "j": "9223372036854775807", "z": "true", "c": `"é"`,
		"f": "1.5", "d": "1e+10", "nan": `"NaN"`, "inf": `"-Infinity"`, "none": "null",
		"str": fmt.Sprintf(`"0x%x"`, text), "str.text": `"hello"`, "gone": `"0x7777770"`, "gone.dangling": "true",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	// CSV's text column has a String's whole text, which value cuts at
	// 80 characters.
	out, _, _ = run(t, "inspect", dump, id, "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, r := range recs[1:] {
		texts[r[1]] = r[9]
	}
	if recs[0][9] != "text" || texts["str"] != "hello" || texts["long"] != longText || texts["i"] != "" {
		t.Errorf("csv text column: %q", texts)
	}
	table, _, _ := run(t, "inspect", dump, id)
	for _, line := range []string{"'é'", "-Infinity", "1e+10", fmt.Sprintf(`0x%x "hello"`, text), "0x7777770 (not in the dump)"} {
		if !strings.Contains(table, line) {
			t.Errorf("table lacks %q:\n%s", line, table)
		}
	}
}

// TestInspectManyRootKinds: an object that is a GC root of many kinds
// (or a local in many frames) has its GC root line cut after 5 of them,
// saying how many more: a local in a deep recursion through several
// methods is a part for each frame.
func TestInspectManyRootKinds(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	x := w.NewID()
	w.Instance(x, obj, nil, nil)
	for _, tag := range []hprof.SubTag{hprof.SubRootJNIGlobal, hprof.SubRootJNILocal, hprof.SubRootJavaFrame, hprof.SubRootNativeStack,
		hprof.SubRootThreadBlock, hprof.SubRootMonitorUsed, hprof.SubRootUnknown, hprof.SubRootStickyClass} {
		w.Root(tag, x, 0, 0)
	}
	dump := writeDump(t, w, "roots.hprof")
	out, errOut, code := run(t, "inspect", dump, fmt.Sprintf("0x%x", x))
	// The most telling kinds first: <System Class> sorted after five
	// others and was cut.
	if code != 0 || !strings.Contains(out, "GC root:   <System Class>, <JNI Global>, <Busy Monitor>, <Thread Block>, <Native Stack>, … 3 more\n") {
		t.Errorf("exit %d (%s):\n%s", code, errOut, out)
	}
}

// TestInspectClassReferrerLabels: a class object refers to its loader,
// superclass, signers and protection domain as well as its statics, and
// inspect names each such referrer's reference as paths does; it said
// <class> of them all (JobServer's ProtectionDomain, which paths reaches
// through <protection domain>).
func TestInspectClassReferrerLabels(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "JobServer.hprof")
	for _, c := range []struct{ object, referrer, label string }{
		{"0xfad68518", "0xfad68638", "<protection domain>"}, // by class HiveClientImpl
		{"0xfaaeabc0", "0xfab0e768", "<classloader>"},       // by class spark.jobserver.JobServer
	} {
		out, errOut, code := run(t, "inspect", dump, c.object, "--limit", "0", "--format", "json")
		var r struct {
			Referrers []struct{ ID, Field string } `json:"referrers"`
		}
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
			t.Fatalf("inspect %s: exit %d (%s), %v", c.object, code, errOut, err)
		}
		got := ""
		for _, ref := range r.Referrers {
			if ref.ID == c.referrer {
				got = ref.Field
			}
		}
		if got != c.label {
			t.Errorf("inspect %s: referrer %s through %q, want %q", c.object, c.referrer, got, c.label)
		}
	}
	// paths names the step to the protection domain so too.
	if out, _, _ := run(t, "paths", dump, "--object", "0xfad68518", "--format", "csv"); !strings.Contains(out, ",0xfad68518,java.security.ProtectionDomain,<protection domain>,") {
		t.Errorf("paths --object 0xfad68518:\n%s", out)
	}
}

// TestJavaFloat: a float or double field's infinities and NaN read as
// Java writes them; Go's "+Inf" is no Java literal.
func TestJavaFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		bits int
		want string
	}{{math.Inf(1), 64, "Infinity"}, {math.Inf(-1), 32, "-Infinity"}, {math.NaN(), 64, "NaN"}, {1.5, 64, "1.5"}, {0.1, 32, "0.1"}} {
		if got := javaFloat(c.f, c.bits); got != c.want {
			t.Errorf("javaFloat(%v, %d) = %q, want %q", c.f, c.bits, got, c.want)
		}
	}
}
