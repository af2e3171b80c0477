package cli

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// sparkCopy copies the SPARK-22713 dump into a fresh folder.
func sparkCopy(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(t.TempDir(), "spark.hprof")
	if err := os.WriteFile(dump, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dump
}

func indexParts(t *testing.T, dump string) (loaded, written []string) {
	t.Helper()
	out, errOut, code := runIndexed(t, "info", dump, "--format", "json")
	if code != 0 {
		t.Fatalf("info: %d %s", code, errOut)
	}
	var r struct {
		Index struct{ Loaded, Written []string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r.Index.Loaded, r.Index.Written
}

func TestIndexReuse(t *testing.T) {
	dump := sparkCopy(t)
	cmds := [][]string{
		{"dominators", dump, "--top", "5", "--depth", "2"},
		{"paths", dump, "--class", "ExternalAppendOnlyMap"},
		{"histogram", dump, "--top", "5"},
		{"histogram", dump, "--top", "5", "--retained"},
		{"inspect", dump, "0xfab1e388"},
	}
	var first []string
	for _, c := range cmds {
		out, errOut, code := runIndexed(t, c...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", c, code, errOut)
		}
		plain, _, _ := run(t, c...)
		if out != plain {
			t.Errorf("%v: output with the index being written differs from --no-index", c)
		}
		first = append(first, out)
	}
	for _, part := range []string{"graph", "dominators", "paths", "census", "classes"} {
		if _, err := os.Stat(filepath.Join(dump+".leakscan", part+".idx")); err != nil {
			t.Errorf("part %s not written: %v", part, err)
		}
	}
	for i, c := range cmds {
		out, errOut, code := runIndexed(t, c...)
		if code != 0 || errOut != "" || out != first[i] {
			t.Errorf("%v from the index: exit %d, stderr %q, same output %v", c, code, errOut, out == first[i])
		}
	}
	if loaded, written := indexParts(t, dump); len(loaded) != 1 || loaded[0] != "graph" || len(written) != 0 {
		t.Errorf("info: loaded %v, written %v", loaded, written)
	}
	damage := func(part string) {
		path := filepath.Join(dump+".leakscan", part+".idx")
		data, _ := os.ReadFile(path)
		data[len(data)-100] ^= 0x40
		os.WriteFile(path, data, 0o644)
	}
	// histogram --retained answers from the classes part: it does not
	// even read the dominator tree (damaged here, unnoticed).
	damage("dominators")
	if out, errOut, code := runIndexed(t, cmds[3]...); code != 0 || errOut != "" || out != first[3] {
		t.Errorf("histogram --retained, dominators part damaged: exit %d, stderr %q, same output %v", code, errOut, out == first[3])
	}
	// A damaged classes part is rebuilt (from a rebuilt tree here).
	damage("classes")
	if out, errOut, code := runIndexed(t, cmds[3]...); code != 0 || !strings.Contains(errOut, "classes index") || out != first[3] {
		t.Errorf("histogram --retained, classes part damaged: exit %d, stderr %q, same output %v", code, errOut, out == first[3])
	}
	if out, errOut, code := runIndexed(t, cmds[3]...); code != 0 || errOut != "" || out != first[3] {
		t.Errorf("histogram --retained after rebuilding: exit %d, stderr %q", code, errOut)
	}

	// A changed dump (here only its time) makes every part stale.
	later := time.Now().Add(time.Hour)
	os.Chtimes(dump, later, later)
	out, errOut, code := runIndexed(t, cmds[0]...)
	if code != 0 || !strings.Contains(errOut, "stale") || out != first[0] {
		t.Errorf("stale: exit %d, stderr %q", code, errOut)
	}

	// A damaged part is detected and rebuilt. (Not a byte near its end:
	// that may be padding between sections, which nothing reads.)
	part := filepath.Join(dump+".leakscan", "dominators.idx")
	damageBlocks(t, part, "topLevel")
	out, errOut, code = runIndexed(t, cmds[0]...)
	if code != 0 || !strings.Contains(errOut, "damaged") || out != first[0] {
		t.Errorf("corrupt: exit %d, stderr %q", code, errOut)
	}
	// So is a truncated one.
	os.Truncate(filepath.Join(dump+".leakscan", "graph.idx"), 1000)
	out, errOut, code = runIndexed(t, cmds[0]...)
	if code != 0 || !strings.Contains(errOut, "damaged") || out != first[0] {
		t.Errorf("truncated: exit %d, stderr %q", code, errOut)
	}
	if out, errOut, code = runIndexed(t, cmds[0]...); code != 0 || errOut != "" || out != first[0] {
		t.Errorf("after rebuilding: exit %d, stderr %q", code, errOut)
	}
	// paths with a graph to rebuild beside a dominators part still good:
	// it takes the tree from the index and writes the graph, which it
	// must not hold back for a computation it does not run.
	os.Truncate(filepath.Join(dump+".leakscan", "graph.idx"), 1000)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		out, errOut, code = runIndexed(t, cmds[1]...)
	}()
	select {
	case <-finished:
		if code != 0 || !strings.Contains(errOut, "damaged") || out != first[1] {
			t.Errorf("paths, graph rebuilt: exit %d, stderr %q", code, errOut)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("paths, graph rebuilt: still waiting after 2 minutes")
	}
	// paths finding the dominators part damaged rebuilds it, as it says.
	damageBlocks(t, part, "topLevel")
	out, errOut, code = runIndexed(t, cmds[1]...)
	if code != 0 || !strings.Contains(errOut, "damaged") || out != first[1] {
		t.Errorf("paths, dominators damaged: exit %d, stderr %q", code, errOut)
	}
	if out, errOut, code = runIndexed(t, cmds[1]...); code != 0 || errOut != "" || out != first[1] {
		t.Errorf("paths after rebuilding the dominators part: exit %d, stderr %q", code, errOut)
	}

	out, _, code = runIndexed(t, "index", "--rm", dump)
	if _, err := os.Stat(dump + ".leakscan"); code != 0 || err == nil || !strings.Contains(out, "removed") {
		t.Errorf("index --rm: exit %d, %q", code, out)
	}
	dir := filepath.Join(t.TempDir(), "elsewhere")
	if out, errOut, code = runIndexed(t, "index", dump, "--index-dir", dir); code != 0 || !strings.Contains(out, "parts written") {
		t.Errorf("index --index-dir: exit %d, %q %q", code, out, errOut)
	}
	for _, part := range []string{"graph", "dominators", "paths", "census", "classes"} {
		if _, err := os.Stat(filepath.Join(dir, part+".idx")); err != nil {
			t.Errorf("leakscan index did not write the %s part: %v", part, err)
		}
	}
	if _, err := os.Stat(dump + ".leakscan"); err == nil {
		t.Error("--index-dir still wrote beside the dump")
	}

	// Another dump's index in that folder is not this one's to remove:
	// index --rm removed it, saying "removed".
	other := filepath.Join(t.TempDir(), "other.hprof")
	data, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, append(data[:len(data):len(data)], 0), 0o644); err != nil { // another size, so another dump
		t.Fatal(err)
	}
	if out, errOut, code = runIndexed(t, "index", "--rm", other, "--index-dir", dir); code != 2 ||
		!strings.Contains(errOut, "made for another dump, or another version of "+other+": not removed") {
		t.Errorf("index --rm of another dump's index: exit %d, %q %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "graph.idx")); err != nil {
		t.Errorf("index --rm of another dump removed this one's: %v", err)
	}
	// A folder that holds other files too stays, and the line says so.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	if out, errOut, code = runIndexed(t, "index", "--rm", dump, "--index-dir", dir); code != 0 || !strings.Contains(out, "removed the index parts in "+dir+" (it holds other files, kept)") {
		t.Errorf("index --rm in a folder with other files: exit %d, %q %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("index --rm removed a file of the user's: %v", err)
	}
}

// TestIndexConcurrentProcesses starts two leakscan processes on one dump
// at the same moment: both build and write the index, both must finish
// with the right answer, and the index must be valid afterwards.
func TestIndexConcurrentProcesses(t *testing.T) {
	dump := sparkCopy(t)
	want, _, _ := run(t, "paths", dump, "--class", "ExternalAppendOnlyMap")
	var wg sync.WaitGroup
	outs := make([]string, 3)
	errs := make([]error, 3)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "paths", dump, "--class", "ExternalAppendOnlyMap")
			cmd.Env = append(os.Environ(), "LEAKSCAN_TEST_MAIN=1")
			out, err := cmd.Output()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != nil || outs[i] != want {
			t.Errorf("process %d: %v, same output %v", i, errs[i], outs[i] == want)
		}
	}
	out, errOut, code := runIndexed(t, "paths", dump, "--class", "ExternalAppendOnlyMap")
	if code != 0 || errOut != "" || out != want {
		t.Errorf("after the race: exit %d, stderr %q", code, errOut)
	}
	if loaded, _ := indexParts(t, dump); len(loaded) == 0 {
		t.Error("the index left by the racing processes was not used")
	}
}

// TestIndexPathsMany runs paths on 150,000 matching objects of a heap of
// 301,507: from the index, the scans that drop mapped pages behind them
// (the class of every object, in more than one block; the retained sizes
// of more nodes than Sum takes between drops; the objects printed below
// each match) must print what the same command prints without one.
func TestIndexPathsMany(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	item := w.Class("com/example/Item", obj, 0, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	var buckets []uint64
	for b := 0; b < 1500; b++ {
		var items []uint64
		for range 100 {
			id, data := w.NewID(), w.NewID()
			w.PrimArray(data, hprof.TypeByte, 16+len(items), nil)
			w.Instance(id, item, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
			items = append(items, id)
		}
		bucket := w.NewID()
		w.ObjArray(bucket, arr, items)
		buckets = append(buckets, bucket)
	}
	table := w.NewID()
	w.ObjArray(table, arr, buckets)
	holder := w.Class("com/example/Holder", obj, 0, []hproftest.Static{{Name: "TABLE", Type: hprof.TypeObject, Value: table}}, nil)
	w.Root(hprof.SubRootStickyClass, holder, 0, 0)
	dump := writeDump(t, w, "many.hprof")
	if _, errOut, code := runIndexed(t, "index", dump); code != 0 {
		t.Fatalf("index: exit %d, %s", code, errOut)
	}
	for _, c := range [][]string{
		{"paths", dump, "--class", "com.example.Item", "--format", "json"},
		{"paths", dump, "--class", "byte[]", "--max-paths", "3"},
		{"dominators", dump, "--top", "3", "--format", "csv"},
	} {
		plain, errOut, code := run(t, c...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", c, code, errOut)
		}
		if out, errOut, code := runIndexed(t, c...); code != 0 || errOut != "" || out != plain {
			t.Errorf("%v from the index: exit %d, stderr %q, same output %v", c, code, errOut, out == plain)
		}
	}
}

func TestIndexKeepsDumpPath(t *testing.T) {
	// The index is written by a command given a relative path; a later
	// command from another folder names the dump as it was given then.
	dump := sparkCopy(t)
	t.Chdir(filepath.Dir(dump))
	if _, errOut, code := runIndexed(t, "info", filepath.Base(dump)); code != 0 {
		t.Fatalf("info: %d %s", code, errOut)
	}
	t.Chdir(t.TempDir())
	_, errOut, code := runIndexed(t, "paths", dump, "--class", "NoSuchClass")
	if code != 2 || !strings.Contains(errOut, "no class of that name in "+dump+"\n") {
		t.Errorf("paths: exit %d, stderr %q; want the error to name %s", code, errOut, dump)
	}
	if loaded, _ := indexParts(t, dump); len(loaded) == 0 {
		t.Errorf("the index was not used")
	}
	out, errOut, _ := runIndexed(t, "check", dump, "--rules", "builtin:spark", "--format", "json")
	var r struct{ Dump string }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Dump != dump {
		t.Errorf("check json names %q (%v, stderr %q), want %s", r.Dump, err, errOut, dump)
	}
}

func TestIndexKeepsDefaultTree(t *testing.T) {
	// A tree with other semantics is computed afresh and not written: it
	// would replace the default one, which the next command would make
	// again.
	dump := sparkCopy(t)
	if _, errOut, code := runIndexed(t, "histogram", dump, "--retained"); code != 0 {
		t.Fatalf("histogram --retained: %d %s", code, errOut)
	}
	stat := func(part string) os.FileInfo {
		fi, err := os.Stat(filepath.Join(dump+".leakscan", part+".idx"))
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	before := map[string]os.FileInfo{"dominators": stat("dominators"), "classes": stat("classes")}
	for _, flag := range []string{"--weak=ignore", "--keep-unreachable"} {
		plain, _, _ := run(t, "histogram", dump, "--retained", flag)
		out, errOut, code := runIndexed(t, "histogram", dump, "--retained", flag)
		if code != 0 || errOut != "" || out != plain {
			t.Errorf("histogram --retained %s: exit %d, stderr %q, same as --no-index %v", flag, code, errOut, out == plain)
		}
	}
	for part, fi := range before {
		if now := stat(part); !os.SameFile(fi, now) || !now.ModTime().Equal(fi.ModTime()) {
			t.Errorf("the %s part was written again", part)
		}
	}
	// So leakscan index refuses them rather than build a tree it drops.
	if _, errOut, code := runIndexed(t, "index", dump, "--weak=ignore"); code != 2 || !strings.Contains(errOut, "unknown flag: --weak") {
		t.Errorf("index --weak=ignore: exit %d, stderr %q", code, errOut)
	}
}

func TestIndexDefaultParseOnly(t *testing.T) {
	// The index holds what the default parse reads; with another pointer
	// layout or heap dump chosen, commands answer for that one and leave
	// the index alone.
	dump := sparkCopy(t)
	if _, errOut, code := runIndexed(t, "index", dump); code != 0 {
		t.Fatalf("index: %d %s", code, errOut)
	}
	for _, flag := range []string{"--compressed-oops=off", "--dump=0"} {
		plain, _, _ := run(t, "histogram", dump, "--top", "5", flag)
		out, errOut, code := runIndexed(t, "histogram", dump, "--top", "5", flag)
		if code != 0 || out != plain {
			t.Errorf("histogram %s: exit %d, stderr %q, same as --no-index %v", flag, code, errOut, out == plain)
		}
		out, _, _ = runIndexed(t, "info", dump, flag)
		if !strings.Contains(out, "Index:         none (--compressed-oops or --dump given") {
			t.Errorf("info %s does not say the index was left out:\n%s", flag, out)
		}
		if _, errOut, code := runIndexed(t, "index", dump, flag); code != 2 || !strings.Contains(errOut, "nothing to build") {
			t.Errorf("index %s: exit %d, stderr %q", flag, code, errOut)
		}
	}
	def, _, _ := run(t, "histogram", dump, "--top", "5")
	off, _, _ := run(t, "histogram", dump, "--top", "5", "--compressed-oops=off")
	if def == off {
		t.Error("--compressed-oops=off changes nothing on the fixture: the test shows nothing")
	}
}

// An index made from a truncated dump with --allow-truncated answers only
// with that flag again, and then with the parse's warning: without it, the
// command fails as a parse would.
func TestIndexTruncatedDump(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.hprof")
	os.WriteFile(cut, data[:len(data)*3/4], 0o644)
	for _, cmd := range [][]string{{"histogram", cut}, {"dominators", cut, "--top", "5"}, {"histogram", cut, "--retained"}} {
		want, _, code := run(t, append(cmd, "--allow-truncated")...)
		if code != 0 {
			t.Fatalf("%v --allow-truncated --no-index: exit %d", cmd, code)
		}
		for i := range 2 { // writes the index, then reads it
			out, errOut, code := runIndexed(t, append(cmd, "--allow-truncated")...)
			if code != 0 || out != want || !strings.Contains(errOut, "is truncated: the record at offset") || strings.Count(errOut, "is truncated") != 1 {
				t.Errorf("%v --allow-truncated, run %d: exit %d, stderr %q, same output %v", cmd, i, code, errOut, out == want)
			}
		}
		out, errOut, code := runIndexed(t, cmd...)
		if code != 2 || out != "" || !strings.Contains(errOut, "try --allow-truncated") {
			t.Errorf("%v from an index of a truncated dump, without --allow-truncated: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
	}
	if ls, _ := os.ReadDir(cut + ".leakscan"); len(ls) < 3 {
		t.Errorf("the index holds %d parts; want census, graph and dominators", len(ls))
	}
}

// Names are the dump's bytes, modified UTF-8: U+0000 as C0 80 and a
// character beyond U+FFFF as two surrogates, neither valid UTF-8. The
// index kept them as JSON, which replaced such bytes with U+FFFD, so that
// the same command printed other names from the index and no longer found
// the class by its name. They are read as UTF-8 now (hprof.modifiedUTF8),
// and a table shows the NUL escaped (render.Clean); the index still
// answers as the parse does.
func TestIndexKeepsNameBytes(t *testing.T) {
	const name = "com/example/Emoji\xed\xa0\xbd\xed\xb8\x80Nul\xc0\x80"
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	cls := w.Class(name, obj, 0, []hproftest.Static{{Name: "s\xed\xa0\xbd", Type: hprof.TypeInt, Value: 7}},
		[]hproftest.Field{{Name: "f\xc0\x80", Type: hprof.TypeInt}})
	var ids []uint64
	for range 3 {
		id := w.NewID()
		w.Instance(id, cls, []hprof.BasicType{hprof.TypeInt}, []uint64{42})
		w.Root(hprof.SubRootJNIGlobal, id, 0, 0)
		ids = append(ids, id)
	}
	dump := writeDump(t, w, "names.hprof")
	cmds := [][]string{
		{"histogram", dump},
		{"dominators", dump},
		{"paths", dump, "--class", "com.example.Emoji\U0001F600Nul*"},
		{"inspect", dump, fmt.Sprintf("0x%x", ids[0])},
	}
	for _, c := range cmds {
		plain, errOut, code := run(t, c...)
		if code != 0 || !strings.Contains(plain, "Emoji\U0001F600Nul\\x00") {
			t.Fatalf("%v: exit %d (%s), the name's bytes not in:\n%s", c, code, errOut, plain)
		}
		runIndexed(t, c...) // writes the index
		if out, errOut, code := runIndexed(t, c...); code != 0 || out != plain {
			t.Errorf("%v from the index: exit %d (%s), output differs:\n%s\nwant\n%s", c, code, errOut, out, plain)
		}
	}
}

// TestIndexDamagedAsRead damages the sections that are checked a block at
// a time as they are read (the sizes, the references, the classes, the
// immediate dominators): the command that reads a damaged block warns, rebuilds the
// part and answers as before, and the next run finds the index whole.
// Every block of the section is damaged, so whichever the command reads
// fails.
func TestIndexDamagedAsRead(t *testing.T) {
	dump := sparkCopy(t)
	cmds := [][]string{
		{"inspect", dump, "0xfab1e388"}, // sizes, references, dominator
		{"paths", dump, "--class", "ExternalAppendOnlyMap"},
		{"dominators", dump, "--top", "5"},
	}
	var first []string
	for _, c := range cmds {
		out, errOut, code := runIndexed(t, c...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", c, code, errOut)
		}
		first = append(first, out)
	}
	dir := dump + ".leakscan"
	for _, tc := range []struct {
		part, section string
		cmd           int
	}{
		{"graph", "size", 0}, {"graph", "edges", 0}, {"graph", "edgeStart", 0}, {"dominators", "idom", 0},
		{"dominators", "retained4", 0},
		{"graph", "edges", 1}, {"dominators", "retained4", 1}, {"dominators", "idom", 1}, {"paths", "parent", 1},
		{"graph", "size", 2}, {"dominators", "retained4", 2},
		{"graph", "class", 0}, {"graph", "class", 1}, // ClassOf, and the scan for the matches
	} {
		path := filepath.Join(dir, tc.part+".idx")
		if _, err := os.Stat(path); err != nil {
			// Removed as damaged by a command that does not write it
			// again (paths computes only the tree below its matches).
			runIndexed(t, cmds[2]...)
		}
		damageBlocks(t, path, tc.section)
		out, errOut, code := runIndexed(t, cmds[tc.cmd]...)
		want := tc.part + ".idx: section " + tc.section + " fails its checksum at bytes"
		if code != 0 || !strings.Contains(errOut, "damaged") || !strings.Contains(errOut, want) || out != first[tc.cmd] {
			t.Errorf("%s damaged, %v: exit %d, stderr %q, same output %v; want a warning with %q", tc.section, cmds[tc.cmd][0], code, errOut, out == first[tc.cmd], want)
		}
		if out, errOut, code := runIndexed(t, cmds[tc.cmd]...); code != 0 || errOut != "" || out != first[tc.cmd] {
			t.Errorf("%s rebuilt, %v: exit %d, stderr %q", tc.section, cmds[tc.cmd][0], code, errOut)
		}
	}
	// Two parts damaged at once: the first run meets one, removes it and
	// runs again, which meets the other (it stopped with exit 2 there).
	damageBlocks(t, filepath.Join(dir, "graph.idx"), "edges")
	damageBlocks(t, filepath.Join(dir, "dominators.idx"), "idom")
	out, errOut, code := runIndexed(t, cmds[0]...)
	if code != 0 || strings.Count(errOut, "; rebuilding it") != 2 || out != first[0] {
		t.Errorf("graph and dominators damaged, inspect: exit %d, stderr %q, same output %v", code, errOut, out == first[0])
	}
}

// damageBlocks flips a bit in every 64 KiB of a section of an index part.
func damageBlocks(t *testing.T, path, section string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	for i := range int(le.Uint32(b[12:])) {
		e := b[64+36*i:]
		if strings.TrimRight(string(e[:16]), "\x00") != section {
			continue
		}
		off, n := le.Uint64(e[16:]), le.Uint64(e[24:])
		for k := uint64(0); k < n; k += 1 << 16 {
			b[off+k] ^= 0x04
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s has no section %s", path, section)
}

// TestIndexPathsKeepsWholeTree: paths for an object holding nearly all of
// the heap, with shared objects below it (no forest), computes the whole
// tree instead of the part below (dominator.ComputeBelow), and writes it
// to the index, where dominators then finds it.
func TestIndexPathsKeepsWholeTree(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	item := w.Class("com/example/Item", obj, 0, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}})
	box := w.Class("com/example/Box", obj, 0, nil, []hproftest.Field{{Name: "table", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	// Each item in two buckets: thousands of objects with two referrers.
	const buckets, per = 300, 20
	items := make([]uint64, buckets*per)
	for i := range items {
		id, data := w.NewID(), w.NewID()
		w.PrimArray(data, hprof.TypeByte, 16+i%50, nil)
		w.Instance(id, item, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
		items[i] = id
	}
	var ids []uint64
	for b := range buckets {
		next := (b + 1) % buckets
		bucket := w.NewID()
		w.ObjArray(bucket, arr, append(slices.Clone(items[b*per:(b+1)*per]), items[next*per:(next+1)*per]...))
		ids = append(ids, bucket)
	}
	table, b := w.NewID(), w.NewID()
	w.ObjArray(table, arr, ids)
	w.Instance(b, box, []hprof.BasicType{hprof.TypeObject}, []uint64{table})
	w.Root(hprof.SubRootJNIGlobal, b, 0, 0)
	dump := writeDump(t, w, "box.hprof")
	paths := []string{"paths", dump, "--class", "com.example.Box", "--format", "json"}
	plain, errOut, code := run(t, paths...)
	if code != 0 || errOut != "" {
		t.Fatalf("paths --no-index: exit %d, stderr %q", code, errOut)
	}
	if out, errOut, code := runIndexed(t, paths...); code != 0 || errOut != "" || out != plain {
		t.Fatalf("paths: exit %d, stderr %q, same as --no-index %v", code, errOut, out == plain)
	}
	part := filepath.Join(dump+".leakscan", "dominators.idx")
	before, err := os.Stat(part)
	if err != nil {
		t.Fatalf("paths wrote no dominators part: %v", err)
	}
	doms := []string{"dominators", dump, "--top", "5", "--format", "csv"}
	plain, _, _ = run(t, doms...)
	out, errOut, code := runIndexed(t, doms...)
	if code != 0 || errOut != "" || out != plain {
		t.Errorf("dominators: exit %d, stderr %q, same as --no-index %v", code, errOut, out == plain)
	}
	if now, err := os.Stat(part); err != nil || !os.SameFile(before, now) || !now.ModTime().Equal(before.ModTime()) {
		t.Errorf("dominators wrote the part again rather than read it (%v)", err)
	}
}

// TestIndexUnwritable: where the index cannot be written (--index-dir
// names a file), leakscan index fails, saying why, and info says no index
// was written: index exited 0 with "index in  (0 B)", and info said
// "written to" the folder it could not write (found by an exploratory
// test of the index).
func TestIndexUnwritable(t *testing.T) {
	dump := sparkCopy(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runIndexed(t, "index", dump, "--index-dir", file)
	if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "index not written in full: mkdir "+file+": not a directory (parts written: none; already there: none)") {
		t.Errorf("index: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, code = runIndexed(t, "info", dump, "--index-dir", file)
	if code != 0 || !strings.Contains(out, "Index:         none; not written: mkdir "+file+": not a directory\n") {
		t.Errorf("info: exit %d:\n%s", code, out)
	}
	out, _, _ = runIndexed(t, "info", dump, "--index-dir", file, "--format", "json")
	var r struct {
		Index struct {
			Written    []string `json:"written"`
			NotWritten []string `json:"not_written"`
		} `json:"index"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Index.Written) != 0 || len(r.Index.NotWritten) != 1 {
		t.Errorf("info json: %v %+v", err, r)
	}
}

// TestIndexStaleOnce: when the dump changes, every part of its index is
// stale: the first command to find one removes them all, saying so once,
// and the commands after rebuild the parts they need without a word (each
// part was a warning of its own, five over four commands, for one change).
func TestIndexStaleOnce(t *testing.T) {
	dump := sparkCopy(t)
	if _, errOut, code := runIndexed(t, "index", dump); code != 0 {
		t.Fatalf("index: exit %d (%s)", code, errOut)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(dump, later, later); err != nil {
		t.Fatal(err)
	}
	for i, args := range [][]string{
		{"dominators", dump},
		{"histogram", dump},
		{"paths", dump, "--class", "ExternalAppendOnlyMap"},
		{"histogram", dump, "--retained"},
	} {
		out, errOut, code := runIndexed(t, args...)
		want, _, _ := run(t, append(args, "--no-index")...)
		if code != 0 || out != want {
			t.Errorf("%v: exit %d, the output differs from --no-index's", args, code)
		}
		warned := strings.Contains(errOut, "is stale")
		if i == 0 && (!warned || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "the parts census, classes, dominators, graph, paths in "+dump+".leakscan are removed, and rebuilt as commands need them")) {
			t.Errorf("%v: stderr %q, want one warning naming every part", args, errOut)
		}
		if i > 0 && errOut != "" {
			t.Errorf("%v: stderr %q, want none", args, errOut)
		}
	}
}
