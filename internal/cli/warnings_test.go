package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// TestDumpWarnings: what the parse found worth a warning (here a guessed
// object layout: no two objects lie next to each other to measure) is said
// on stderr once per command, whether the graph or the census was parsed
// or read from the index; info lists it in its report instead.
//
// A GC root naming no object is found by the graph's parse, not by the
// census's: histogram --retained answered from the index (the classes part
// and the census) left it out.
func TestDumpWarnings(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	w.Instance(w.NewID(), obj, nil, nil)
	w.Root(hprof.SubRootJNIGlobal, 0xdead0, 0, 0)
	dump := writeDump(t, w, "guess.hprof")
	idx := filepath.Join(t.TempDir(), "index")
	const (
		warning = "guess.hprof: object sizes rest on a guess: "
		root    = "guess.hprof: 1 GC roots name ids that no object in the dump has"
	)
	for _, args := range [][]string{
		{"histogram", dump, "--index-dir", idx}, // parsed: the census
		{"histogram", dump, "--index-dir", idx}, // from the index
		{"dominators", dump, "--index-dir", idx},
		{"dominators", dump, "--index-dir", idx},
		{"histogram", dump, "--retained", "--index-dir", idx}, // the classes part written
		{"histogram", dump, "--retained", "--index-dir", idx}, // read, with the census
		{"paths", dump, "--class", "java.lang.Object", "--no-index"},
	} {
		_, errOut, code := runIndexed(t, args...)
		if code != 0 || strings.Count(errOut, warning) != 1 || !strings.Contains(errOut, "--compressed-oops") {
			t.Errorf("%v: exit %d, stderr %q: want the warning once", args, code, errOut)
		}
		if graph := args[0] != "histogram" || args[2] == "--retained"; graph && strings.Count(errOut, root) != 1 {
			t.Errorf("%v: exit %d, stderr %q: want the GC roots' warning once", args, code, errOut)
		}
	}
	out, errOut, code := run(t, "info", dump)
	if code != 0 || strings.Contains(errOut, warning) || !strings.Contains(out, "object sizes rest on a guess") {
		t.Errorf("info: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	if _, errOut, code := run(t, "histogram", dump, "--compressed-oops", "on"); code != 0 || strings.Contains(errOut, warning) {
		t.Errorf("--compressed-oops on: exit %d, stderr %q", code, errOut)
	}
}

// TestTruncatedBeforeHeapDump: a dump cut before its heap dump began says
// so, with --allow-truncated, where it would otherwise say only that the
// file holds no heap dump; so does one cut on a record's boundary, which
// reads as whole (found by a hostile-input test).
func TestTruncatedBeforeHeapDump(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.hprof")
	if err := os.WriteFile(cut, data[:400000], 0o644); err != nil { // in the names, before the objects
		t.Fatal(err)
	}
	for _, cmd := range []string{"histogram", "dominators"} {
		_, errOut, code := run(t, cmd, cut, "--allow-truncated")
		if code != 2 || !strings.Contains(errOut, "cut.hprof: offset 400000: expected a HEAP DUMP or HEAP DUMP SEGMENT record, the file is cut short at offset 399986 before one began") {
			t.Errorf("%s: exit %d, stderr %q", cmd, code, errOut)
		}
	}
	// Cut on a record's boundary, it reads as whole: the error is at the
	// end, where the heap dump was looked for last (it was at the first
	// record, offset 31), and says it may be cut short.
	if err := os.WriteFile(cut, data[:916678], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "info", cut); code != 2 || errOut != "leakscan: "+cut+": offset 916678: expected a HEAP DUMP or HEAP DUMP SEGMENT record, the file ends without one (cut short before its heap dump began?)\n" {
		t.Errorf("cut on a record's boundary: exit %d, stderr %q", code, errOut)
	}
}

// TestIndexInCacheSaid: where the index cannot go beside the dump (here a
// file holds its folder's name), it goes under the user's cache folder,
// and the command that first writes it there says so; the next reads it
// without a word.
func TestIndexInCacheSaid(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sets XDG_CACHE_HOME, the cache folder on Linux")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	dump := filepath.Join(t.TempDir(), "basic.hprof")
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dump, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dump+".leakscan", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	const said = "basic.hprof cannot go beside it (basic.hprof.leakscan): it goes to "
	_, errOut, code := runIndexed(t, "dominators", dump, "--top", "3")
	if code != 0 || !strings.Contains(errOut, said+filepath.Join(cache, "leakscan")) {
		t.Errorf("first run: exit %d, stderr %q", code, errOut)
	}
	out, errOut, code := runIndexed(t, "info", dump)
	if code != 0 || errOut != "" || !strings.Contains(out, filepath.Join(cache, "leakscan")) {
		t.Errorf("info: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
}

// TestWarningsOnceAcrossRuns: a dump's warnings are said once even when a
// damaged index part makes the command run again (twice here), and a file
// of two heap dumps names the one analysed unless --dump chose it.
func TestWarningsOnceAcrossRuns(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	w.Instance(w.NewID(), obj, nil, nil)
	w.Flush()
	w.Record(hprof.TagHeapDumpEnd, nil)
	id := w.NewID()
	w.Instance(id, obj, nil, nil)
	w.Root(hprof.SubRootJNIGlobal, id, 0, 0) // a tree to read
	dump := writeDump(t, w, "two.hprof")
	const two = "the file holds 2 heap dumps; analysing dump 1, the last (choose with --dump)"
	if _, errOut, code := run(t, "histogram", dump); code != 0 || strings.Count(errOut, two) != 1 {
		t.Errorf("histogram: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := run(t, "histogram", dump, "--dump", "0"); code != 0 || strings.Contains(errOut, "heap dumps") {
		t.Errorf("histogram --dump 0: exit %d, stderr %q", code, errOut)
	}
	first, _, code := runIndexed(t, "dominators", dump)
	if code != 0 {
		t.Fatalf("dominators: exit %d", code)
	}
	damageBlocks(t, dump+".leakscan/graph.idx", "size")
	damageBlocks(t, dump+".leakscan/dominators.idx", "idom")
	out, errOut, code := runIndexed(t, "dominators", dump)
	if code != 0 || out != first || strings.Count(errOut, "; rebuilding it") != 2 ||
		strings.Count(errOut, two) != 1 || strings.Count(errOut, "object sizes rest on a guess") != 1 {
		t.Errorf("two parts damaged: exit %d, same output %v, stderr %q", code, out == first, errOut)
	}
}

// TestCensusRebuiltOnce: a damaged census part is parsed again once, not
// once each time the command asks for the census (histogram --retained
// does twice), and read from the index after.
func TestCensusRebuiltOnce(t *testing.T) {
	dump := sparkCopy(t)
	if _, _, code := runIndexed(t, "index", dump); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if err := os.Truncate(dump+".leakscan/census.idx", 10); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runIndexed(t, "histogram", dump, "--retained", "--timings")
	if code != 0 || strings.Count(errOut, "timing: scanning") != 1 || strings.Count(errOut, "census index") != 1 {
		t.Errorf("exit %d, stderr %q: want one warning and one scan", code, errOut)
	}
}
