package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof/hproftest"
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
		"paths-spark.txt":            {"paths", spark, "--class", "ExternalAppendOnlyMap"},
		"paths-spark.json":           {"paths", spark, "--class", "ExternalAppendOnlyMap$SpillableIterator", "--format", "json"},
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
		"compressed oops on", "JDK 17 rules", "Java Local 19", "System Class 466", "0 dangling"} {
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
	}
	for _, c := range cases {
		out, errOut, code := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.say) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and one line saying %q", c.args, code, errOut, out, c.code, c.say)
		}
	}
	out, errOut, code := run(t, "histogram", cut, "--allow-truncated", "--top", "3")
	if code != 0 || !strings.Contains(errOut, "truncated at offset") || !strings.Contains(out, "Instances") {
		t.Errorf("--allow-truncated: exit %d, stderr %q", code, errOut)
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
