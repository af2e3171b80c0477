package heap

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/testjvm"
)

// jvmRow is a histogram row keyed by the JVM's class name.
type jvmRow struct{ instances, bytes int64 }

func ourHistogram(g *Graph) map[string]jvmRow {
	out := map[string]jvmRow{}
	for _, r := range g.Histogram() {
		n := g.Classes[r.Class].Name
		o := out[n]
		o.instances += r.Instances
		o.bytes += int64(r.ShallowBytes)
		out[n] = o
	}
	return out
}

func readHistogram(t *testing.T, path string) map[string]jvmRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := testjvm.ParseHistogram(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]jvmRow{}
	for _, r := range rows {
		o := out[r.Class]
		o.instances += r.Instances
		o.bytes += r.Bytes
		out[r.Class] = o
	}
	return out
}

// notInDump says why a JVM histogram row may legitimately differ from
// what the dump holds, or "" when it must match exactly. This is the
// complete list; the README's "Shallow sizes" section explains each entry.
func notInDump(class string, jdk int) string {
	switch {
	case strings.HasPrefix(class, "<"):
		return "JVM metadata (PermGen klasses), not heap objects"
	case jdk <= 6 && class == "[[I":
		return "JDK 6: int[][] in PermGen, which the HotSpot 6 dumper skips"
	case jdk <= 6 && class == "java.lang.Class":
		return "JDK 6: mirrors of classes outside the system dictionary, which the dumper skips"
	case jdk <= 6 && class == "java.lang.Object":
		return "JDK 6: the deleted-JNI-handle sentinel, which the dumper hides"
	}
	return ""
}

// compareHistograms checks every JVM row against the graph: exact unless
// notInDump explains it, in which case the dump may hold fewer objects but
// never more.
func compareHistograms(t *testing.T, g *Graph, jvm map[string]jvmRow) {
	t.Helper()
	ours := ourHistogram(g)
	checked := 0
	for class, want := range jvm {
		got := ours[class]
		if why := notInDump(class, g.Model.JDK); why != "" {
			if got.instances > want.instances {
				t.Errorf("%s: dump has %d instances, more than the JVM's %d (%s)", class, got.instances, want.instances, why)
			}
			continue
		}
		checked++
		if got != want {
			t.Errorf("%s: ours %d instances %d bytes, JVM %d instances %d bytes", class, got.instances, got.bytes, want.instances, want.bytes)
		}
	}
	for class, got := range ours {
		if _, ok := jvm[class]; !ok && !strings.HasPrefix(class, "<unknown") {
			t.Errorf("%s: %d instances in the dump, none in the JVM's histogram", class, got.instances)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d classes compared", checked)
	}
	t.Logf("%d classes equal the JVM's histogram", checked)
}

func repoFile(t *testing.T, rel string) string {
	t.Helper()
	root, err := testjvm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, rel)
}

// TestCommittedFixtureHistogram runs everywhere: a JDK 17 dump made by
// testdata/java/Basic.java, plain and gzip (jcmd -gz=1), with the JVM's
// GC.class_histogram of the same heap.
func TestCommittedFixtureHistogram(t *testing.T) {
	for _, name := range []string{"Basic.hprof", "Basic.hprof.gz", "Spark22713.hprof", "Spark22713.hprof.gz", "Netty.hprof", "JobServer.hprof"} {
		t.Run(name, func(t *testing.T) {
			jvm := readHistogram(t, repoFile(t, "testdata/dumps/"+strings.Split(name, ".")[0]+".histo.txt"))
			g, err := Open(repoFile(t, "testdata/dumps/"+name), hprof.Options{}, Options{Dump: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			if g.Model.JDK != 17 || !g.Model.CompressedOops() || g.Stats.Dangling != 0 {
				t.Errorf("model %+v (%s), dangling %d", g.Model, g.ModelReason, g.Stats.Dangling)
			}
			compareHistograms(t, g, jvm)
		})
	}
}

// TestLiveJVMHistograms dumps the Basic fixture from the local JDK under
// several pointer layouts and compares with the JVM's own histogram.
func TestLiveJVMHistograms(t *testing.T) {
	if ok, why := testjvm.Available(); !ok {
		t.Skip(why)
	}
	if testing.Short() {
		t.Skip("starts JVMs; skipped with -short")
	}
	variants := map[string][]string{
		"default":                      nil,
		"no compressed oops":           {"-XX:-UseCompressedOops"},
		"no compressed class pointers": {"-XX:-UseCompressedOops", "-XX:-UseCompressedClassPointers"},
		"16-byte alignment":            {"-XX:ObjectAlignmentInBytes=16"},
		"parallel gc":                  {"-XX:+UseParallelGC"},
	}
	for name, flags := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			dir := t.TempDir()
			capt, err := testjvm.Run(ctx, testjvm.Options{Program: "Basic", SourceDir: repoFile(t, "testdata/java"),
				JVMFlags: append([]string{"-Xmx64m", "-Xshare:off"}, flags...), OutDir: dir, Gzip: name == "default"})
			if err != nil {
				t.Fatal(err)
			}
			jvm := map[string]jvmRow{}
			for _, r := range capt.Histogram {
				o := jvm[r.Class]
				o.instances += r.Instances
				o.bytes += r.Bytes
				jvm[r.Class] = o
			}
			dumps := []string{capt.Dump}
			if capt.GzDump != "" {
				dumps = append(dumps, capt.GzDump)
			}
			for _, d := range dumps {
				g, err := Open(d, hprof.Options{}, Options{Dump: -1})
				if err != nil {
					t.Fatal(err)
				}
				compareHistograms(t, g, jvm)
				g.Close()
			}
		})
	}
}

// TestMATDumps: every dump from Eclipse MAT's test suite builds; the two
// jcmd-era JDK 6 dumps whose histograms were taken from the same heap
// match the JVM's numbers.
func TestMATDumps(t *testing.T) {
	dir := filepath.Join(repoFile(t, ".."), "shared", "dumps", "mat")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference dumps not present (%s)", dir)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.hprof*"))
	files = slices.DeleteFunc(files, func(p string) bool { return strings.HasSuffix(p, ".leakscan") }) // an index beside one
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			g, err := Open(path, hprof.Options{}, Options{Dump: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			if g.NumObjects() == 0 || len(g.Histogram()) == 0 {
				t.Fatal("empty graph")
			}
			histo := map[string]string{
				"sun_jdk6_30_x64_compressedOops.hprof":   "sun_jdk6_30_x64_compressedOops.notes.txt",
				"sun_jdk6_30_x64_nocompressedOops.hprof": "sun_jdk6_30_x64_nocompressedOops.notes.txt",
			}[filepath.Base(path)]
			if histo != "" {
				compareHistograms(t, g, readHistogram(t, filepath.Join(dir, histo)))
			}
		})
	}
}

func ExampleSourceName() {
	fmt.Println(SourceName("[[Ljava.lang.String;"), SourceName("[J"))
	// Output: java.lang.String[][] long[]
}

// TestCensusEqualsGraph: the one-pass histogram and the graph's agree on
// every dump at hand.
func TestCensusEqualsGraph(t *testing.T) {
	paths := []string{repoFile(t, "testdata/dumps/Basic.hprof"), repoFile(t, "testdata/dumps/Basic.hprof.gz")}
	if m, _ := filepath.Glob(filepath.Join(repoFile(t, ".."), "shared", "dumps", "*", "*.hprof*")); len(m) > 0 {
		paths = append(paths, slices.DeleteFunc(m, func(p string) bool { return strings.HasSuffix(p, ".leakscan") })...) // an index beside one
	}
	for _, path := range paths {
		f, cat := openDump(t, path)
		census, err := ScanCensus(f, cat, Options{Dump: -1})
		if err != nil {
			t.Fatal(err)
		}
		g, err := Build(f, cat, Options{Dump: -1})
		if err != nil {
			t.Fatal(err)
		}
		want := g.Histogram()
		if len(want) != len(census.Rows) {
			t.Errorf("%s: %d rows, graph has %d", path, len(census.Rows), len(want))
		}
		for i := range min(len(want), len(census.Rows)) {
			a, b := census.Rows[i], want[i]
			if census.Classes[a.Class].Name != g.Classes[b.Class].Name || a.Instances != b.Instances || a.ShallowBytes != b.ShallowBytes {
				t.Errorf("%s row %d: census %s %d %d, graph %s %d %d", filepath.Base(path), i, census.Classes[a.Class].Name, a.Instances, a.ShallowBytes,
					g.Classes[b.Class].Name, b.Instances, b.ShallowBytes)
				break
			}
		}
		f.Close()
	}
}

// TestMATPerInstanceSizes: the other MAT dumps' jmap histograms were not
// taken from the dumped heap (they list fewer objects than even the
// reachable part of the dump), so counts cannot match; but every instance
// class both have must have the JVM's instance size. That checks the layout
// model on JDK 5 and 6, 32- and 64-bit, and the old agent's dumps.
func TestMATPerInstanceSizes(t *testing.T) {
	dir := filepath.Join(repoFile(t, ".."), "shared", "dumps", "mat")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference dumps not present (%s)", dir)
	}
	cases := []struct {
		dump, histo string
		oops        CompressedOopsMode
	}{
		{"sun_jdk6_18_x64.hprof", "histogram_sun_jdk6_18_x64.txt", OopsAuto},
		{"sun_jdk6_18_x32.hprof", "histogram_sun_jdk6_18_x32.txt", OopsAuto},
		{"sun_jdk5_13_x32.hprof", "histogram_sun_jdk5_13_x32.txt", OopsAuto},
		{"sun_jdk6_31_hprofagent_compressedOops.hprof", "sun_jdk6_31_hprofagent_compressedOops.txt", OopsOn},
		{"sun_jdk6_31_hprofagent_nocompressedOops.hprof", "sun_jdk6_31_hprofagent_nocompressedOops.txt", OopsOff},
		// Guessed from java.vm.name (a 64-Bit Server VM) and 6u31's default.
		{"sun_jdk6_31_hprofagent_compressedOops.hprof", "sun_jdk6_31_hprofagent_compressedOops.txt", OopsAuto},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.dump, c.oops), func(t *testing.T) {
			g, err := Open(filepath.Join(dir, c.dump), hprof.Options{}, Options{Dump: -1, CompressedOops: c.oops})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			jvm := readHistogram(t, filepath.Join(dir, c.histo))
			checked := 0
			for _, r := range g.Histogram() {
				cl := g.Classes[r.Class]
				want, ok := jvm[cl.Name]
				if !ok || cl.Kind != ClassInstance || cl.Name == "java.lang.Class" || want.instances == 0 {
					continue
				}
				checked++
				if got := r.ShallowBytes / uint64(r.Instances); int64(got)*want.instances != want.bytes {
					t.Errorf("%s: instance size %d, JVM %d bytes / %d instances", cl.Name, got, want.bytes, want.instances)
				}
			}
			t.Logf("%d instance classes have the JVM's size", checked)
			if checked < 20 {
				t.Fatalf("only %d classes compared", checked)
			}
		})
	}
}

// TestHistogramEvicts: on 1 to 3 workers, with shares across block ends,
// the counts and bytes are right and a mapped graph's class and size
// arrays are each dropped once behind the scan.
func TestHistogramEvicts(t *testing.T) {
	n := 3*ScanBlock + 9
	g := &Graph{class: make([]ClassIndex, n), size: make([]uint32, n), Classes: make([]Class, 3)}
	for i := range n {
		g.class[i], g.size[i] = ClassIndex(i%3), uint32(i%5+1)
	}
	for _, workers := range []int{1, 2, 3} {
		counts := map[uintptr]int{}
		var mu sync.Mutex
		g.evict = func(b []byte) {
			mu.Lock()
			defer mu.Unlock()
			for p := uintptr(unsafe.Pointer(&b[0])); p < uintptr(unsafe.Pointer(&b[0]))+uintptr(len(b)); p += 4 {
				counts[p]++
			}
		}
		var objects int64
		var bytes uint64
		for _, r := range g.histogram(workers) {
			objects += r.Instances
			bytes += r.ShallowBytes
		}
		var want uint64
		for _, s := range g.size {
			want += uint64(s) << 3
		}
		if objects != int64(n) || bytes != want {
			t.Fatalf("%d workers: %d objects, %d bytes; want %d, %d", workers, objects, bytes, n, want)
		}
		for _, a := range [][]byte{unsafe.Slice((*byte)(unsafe.Pointer(&g.class[0])), 4*n), unsafe.Slice((*byte)(unsafe.Pointer(&g.size[0])), 4*n)} {
			for p := uintptr(unsafe.Pointer(&a[0])); p < uintptr(unsafe.Pointer(&a[0]))+uintptr(len(a)); p += 4 {
				if counts[p] != 1 {
					t.Fatalf("%d workers: an element evicted %d times", workers, counts[p])
				}
			}
		}
	}
}
