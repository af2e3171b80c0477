package testjvm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

const jdk17Sample = `12345:
 num     #instances         #bytes  class name (module)
-------------------------------------------------------
   1:         10000         240000  ChainNode
   2:          1919         104448  [B (java.base@17.0.15)
   3:           636          77720  java.lang.Class (java.base@17.0.15)
   4:           439          41648  [Ljava.lang.Object; (java.base@17.0.15)
   5:             3             72  Reloaded
   6:             2             48  Reloaded
   7:             1             16  jdk.internal.misc.CDS (java.base@17.0.15)
   8:             1             32  sun.nio.fs.UnixPath (java.base)
   9:             1             16  java.lang.invoke.LambdaForm$MH/0x0000000800c01000 (java.base@17.0.15)
  10:             2             32  [[LLeaf;
Total         12964         463944
`

func TestParseHistogramJDK17(t *testing.T) {
	rows, err := ParseHistogram(strings.NewReader(jdk17Sample))
	if err != nil {
		t.Fatal(err)
	}
	want := []HistoRow{
		{"ChainNode", 10000, 240000},
		{"[B", 1919, 104448},
		{"java.lang.Class", 636, 77720},
		{"[Ljava.lang.Object;", 439, 41648},
		{"Reloaded", 3, 72},
		{"Reloaded", 2, 48},
		{"jdk.internal.misc.CDS", 1, 16},
		{"sun.nio.fs.UnixPath", 1, 32},
		{"java.lang.invoke.LambdaForm$MH/0x0000000800c01000", 1, 16},
		{"[[LLeaf;", 2, 32},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	// CRLF input parses the same.
	crlf, err := ParseHistogram(strings.NewReader(strings.ReplaceAll(jdk17Sample, "\n", "\r\n")))
	if err != nil || len(crlf) != len(want) || crlf[3] != want[3] {
		t.Errorf("CRLF: err=%v rows=%+v", err, crlf)
	}
}

func TestParseHistogramIgnoresProse(t *testing.T) {
	in := `Heap histogram of the sample dump, taken with jmap -histo:

   1:          4752         651328  <methodKlass>
some remark: 3 objects
   2:            12            384  <no name>
Total 3 4
 num     #instances         #bytes  class name
`
	rows, err := ParseHistogram(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []HistoRow{{"<methodKlass>", 4752, 651328}, {"<no name>", 12, 384}}
	if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
		t.Fatalf("got %+v, want %+v", rows, want)
	}
}

// sharedDumps returns the shared MAT dump folder (../shared/dumps next to
// the repository root), or skips.
func sharedDumps(t *testing.T) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "..", "shared", "dumps")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared dumps not available (%s): %v", dir, err)
	}
	return dir
}

// countRowLines counts the lines of a file that start with digits (after
// optional blanks): in the shared files every such line is a histogram row.
func countRowLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		s := strings.TrimLeft(sc.Text(), " \t")
		if s != "" && s[0] >= '0' && s[0] <= '9' {
			n++
		}
	}
	return n
}

func TestParseHistogramMAT(t *testing.T) {
	dir := filepath.Join(sharedDumps(t), "mat")
	tests := []struct {
		file        string
		first, last HistoRow
		rows        int
		totalInst   int64
	}{
		{
			file:  "histogram_sun_jdk6_18_x64.txt", // no rank column, CRLF
			first: HistoRow{"<constMethodKlass>", 4678, 574968},
			last:  HistoRow{"sun.misc.Launcher$Factory", 1, 16},
		},
		{
			file:  "histogram_sun_jdk5_13_x32.txt", // no rank column, "<no name>"
			first: HistoRow{"[C", 171, 44312},
			last:  HistoRow{"java.util.Hashtable$EmptyIterator", 1, 8},
		},
		{
			file:  "sun_jdk6_30_x64_compressedOops.notes.txt", // rank column
			first: HistoRow{"<methodKlass>", 4752, 651328},
			last:  HistoRow{"sun.net.www.protocol.file.Handler", 1, 16},
			rows:  168,
		},
		{
			file:  "sun_jdk6_30_x64_nocompressedOops.notes.txt",
			first: HistoRow{"<methodKlass>", 4752, 651328},
			last:  HistoRow{"java.net.UnknownContentHandler", 1, 16},
			rows:  168,
		},
		{
			file:  "sun_jdk6_31_hprofagent_nocompressedOops.txt", // mixed CRLF/LF
			first: HistoRow{"<methodKlass>", 4764, 653024},
			last:  HistoRow{"java.lang.Terminator$1", 1, 16},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			f, err := os.Open(path)
			if err != nil {
				t.Skipf("%s not available: %v", path, err)
			}
			defer f.Close()
			rows, err := ParseHistogram(f)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.rows
			if want == 0 {
				want = countRowLines(t, path)
			}
			if len(rows) != want {
				t.Fatalf("got %d rows, want %d", len(rows), want)
			}
			if rows[0] != tc.first {
				t.Errorf("first row = %+v, want %+v", rows[0], tc.first)
			}
			if got := rows[len(rows)-1]; got != tc.last {
				t.Errorf("last row = %+v, want %+v", got, tc.last)
			}
			for i, r := range rows {
				if r.Class == "" || r.Instances <= 0 || r.Bytes <= 0 || strings.HasSuffix(r.Class, "\r") {
					t.Errorf("row %d looks wrong: %+v", i, r)
				}
			}
		})
	}
}

// TestParseAllSharedHistograms makes sure every histogram text in the shared
// folder parses to one row per numeric line.
func TestParseAllSharedHistograms(t *testing.T) {
	dir := filepath.Join(sharedDumps(t), "mat")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) == 0 {
		t.Skipf("no histogram texts in %s", dir)
	}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := ParseHistogram(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if want := countRowLines(t, path); len(rows) != want {
			t.Errorf("%s: got %d rows, want %d", filepath.Base(path), len(rows), want)
		}
	}
}

// histoByClass aggregates rows by class name (a name can occur several times,
// once per defining class loader).
func histoByClass(rows []HistoRow) map[string]HistoRow {
	m := make(map[string]HistoRow, len(rows))
	for _, r := range rows {
		a := m[r.Class]
		a.Class = r.Class
		a.Instances += r.Instances
		a.Bytes += r.Bytes
		m[r.Class] = a
	}
	return m
}

// histoDiff returns "class: before -> after" lines for every class whose
// aggregated row differs.
func histoDiff(before, after []HistoRow) []string {
	b, a := histoByClass(before), histoByClass(after)
	var out []string
	for name, rb := range b {
		ra, ok := a[name]
		if !ok {
			out = append(out, name+": "+rowString(rb)+" -> (absent)")
		} else if ra != rb {
			out = append(out, name+": "+rowString(rb)+" -> "+rowString(ra))
		}
	}
	for name, ra := range a {
		if _, ok := b[name]; !ok {
			out = append(out, name+": (absent) -> "+rowString(ra))
		}
	}
	sort.Strings(out)
	return out
}

func rowString(r HistoRow) string {
	return fmt.Sprintf("%d objs/%d B", r.Instances, r.Bytes)
}

func TestRunBasic(t *testing.T) {
	if ok, reason := Available(); !ok {
		t.Skip(reason)
	}
	if testing.Short() {
		t.Skip("starts a JVM; skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	c, err := Run(ctx, Options{
		Program:  "Basic",
		JVMFlags: []string{"-Xmx64m", "-XX:+UseSerialGC", "-Xshare:off"},
		OutDir:   out,
		Gzip:     true,
	})
	if err != nil {
		t.Fatal(err)
	}

	if c.Dump != filepath.Join(out, "Basic.hprof") {
		t.Errorf("Dump = %q", c.Dump)
	}
	head := readHead(t, c.Dump, 19)
	if string(head) != "JAVA PROFILE 1.0.2\x00" {
		t.Errorf("%s starts with %q, want JAVA PROFILE 1.0.2", c.Dump, head)
	}
	if st, err := os.Stat(c.Dump); err == nil {
		t.Logf("%s: %d bytes", c.Dump, st.Size())
	}

	if c.GzDump != c.Dump+".gz" {
		t.Errorf("GzDump = %q", c.GzDump)
	}
	if magic := readHead(t, c.GzDump, 2); !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		t.Errorf("%s starts with % x, want gzip magic 1f 8b", c.GzDump, magic)
	} else {
		f, err := os.Open(c.GzDump)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		zhead := make([]byte, 19)
		if _, err := io.ReadFull(zr, zhead); err != nil || string(zhead) != "JAVA PROFILE 1.0.2\x00" {
			t.Errorf("gunzipped %s starts with %q (%v)", c.GzDump, zhead, err)
		}
	}

	// The histogram texts are written next to the dump and parse back to
	// the returned rows.
	for name, rows := range map[string][]HistoRow{
		"Basic.histo.txt":        c.Histogram,
		"Basic.histo.before.txt": c.HistogramBefore,
	} {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseHistogram(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Errorf("%s: %d rows, Capture has %d", name, len(got), len(rows))
		}
	}

	// Ground truth from Basic.java: distinct instance counts per zoo class.
	byClass := histoByClass(c.Histogram)
	for class, want := range map[string]int64{
		"OnlyByte": 3, "OnlyLong": 9, "MixAll": 13, "Level4": 22, "Empty": 31,
		"StaticsAndFields": 32, "ChainNode": 10000, "Reloaded": 5, "ParkedThread": 1,
		"ZooLoader": 1, "MainLocal": 1, "SoftTarget": 1, "WeakStrongTarget": 1,
	} {
		if got := byClass[class].Instances; got != want {
			t.Errorf("histogram: %s has %d instances, want %d", class, got, want)
		}
	}
	for _, gone := range []string{"WeakOnlyTarget", "PhantomTarget"} {
		if r, ok := byClass[gone]; ok {
			t.Errorf("histogram: %s should have been collected: %+v", gone, r)
		}
	}
	// No hidden classes (lambdas, method handles, concat) may be spun.
	for _, r := range c.Histogram {
		if strings.Contains(r.Class, "/0x") || strings.Contains(r.Class, "$$Lambda") {
			t.Errorf("hidden class in histogram: %+v", r)
		}
	}

	// Before and after should agree except for a few rows.
	diff := histoDiff(c.HistogramBefore, c.Histogram)
	for _, d := range diff {
		t.Logf("unstable histogram row: %s", d)
	}
	bi, bb := Totals(c.HistogramBefore)
	ai, ab := Totals(c.Histogram)
	t.Logf("before: %d rows %d objects %d bytes; after: %d rows %d objects %d bytes; %d rows differ",
		len(c.HistogramBefore), bi, bb, len(c.Histogram), ai, ab, len(diff))
	if len(diff) > 10 {
		t.Errorf("%d histogram rows differ between before and after; want at most 10", len(diff))
	}
}

func readHead(t *testing.T, path string, n int) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// TestForJVM: --add-opens, which JDK 8 refuses (it exits), is dropped for
// a JVM before 9, in both its forms; kept from 9 on, and where the version
// is unknown. java -version's first lines give the version.
func TestForJVM(t *testing.T) {
	flags := []string{"-Xmx64m", "--add-opens", "java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.lang.ref=ALL-UNNAMED", "-Xshare:off"}
	if got := forJVM(flags, 8); !slices.Equal(got, []string{"-Xmx64m", "-Xshare:off"}) {
		t.Errorf("JDK 8: %q", got)
	}
	for _, major := range []int{0, 9, 17} {
		if got := forJVM(flags, major); !slices.Equal(got, flags) {
			t.Errorf("JDK %d: %q", major, got)
		}
	}
	for out, want := range map[string]int{
		"openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime Environment": 17,
		"java version \"1.8.0_392\"\nJava(TM) SE Runtime Environment":         8,
		"openjdk version \"25\" 2025-09-16":                                   25,
		"something else":                                                      0,
	} {
		if got := parseJavaMajor(out); got != want {
			t.Errorf("%q: %d, want %d", out, got, want)
		}
	}
}

// TestParseJavaMajorPickedUp: a "Picked up" line before the version line,
// holding a version "…" of its own, is not taken for it.
func TestParseJavaMajorPickedUp(t *testing.T) {
	out := "Picked up JAVA_TOOL_OPTIONS: -Dbuild=version \"2\"\njava version \"1.8.0_392\"\nJava(TM) SE Runtime Environment"
	if got := parseJavaMajor(out); got != 8 {
		t.Errorf("%d, want 8", got)
	}
}
