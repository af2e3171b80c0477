package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// garbageDump writes a heap whose data array one live Writer (a JNI
// global root) and three Buffers no root reaches refer to, the Buffers
// written first so that they come first by object index: the shape of
// the HeapCharBuffers a dump written without a GC still holds. Buffer
// b1's next is b2, garbage too. It returns the dump and the ids of the
// Writer, the array and b1, as inspect takes them.
func garbageDump(t *testing.T) (string, string, string, string) {
	t.Helper()
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	buffer := w.Class("com/example/Buffer", obj, 0, nil, []hproftest.Field{{Name: "hb", Type: hprof.TypeObject}, {Name: "next", Type: hprof.TypeObject}})
	wclass := w.Class("com/example/Writer", obj, 0, nil, []hproftest.Field{{Name: "buf", Type: hprof.TypeObject}})
	b1, b2, b3, writer, data := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	two := []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}
	w.Instance(b1, buffer, two, []uint64{data, b2})
	w.Instance(b2, buffer, two, []uint64{data, 0})
	w.Instance(b3, buffer, two, []uint64{data, 0})
	w.Instance(writer, wclass, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
	w.PrimArray(data, hprof.TypeByte, 1000, nil)
	w.Root(hprof.SubRootJNIGlobal, writer, 0, 0)
	hex := func(id uint64) string { return fmt.Sprintf("0x%x", id) }
	return writeDump(t, w, "garbage.hprof"), hex(writer), hex(data), hex(b1)
}

// An object no GC root reaches has no retained size: the table says so
// where 0 B under its shallow size read as a bug, and json keeps
// retained_bytes 0 beside "reachable": false.
func TestInspectUnreachableObject(t *testing.T) {
	dump, writer, _, b1 := garbageDump(t)
	out, errOut, code := run(t, "inspect", dump, b1)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "\nRetained:  - (unreachable: not in the dominator tree)\n") || !strings.Contains(out, "\nStatus:    unreachable from GC roots\n") {
		t.Errorf("inspect of garbage:\n%s", out)
	}
	// With --keep-unreachable it is in the tree, and the status says why
	// (it said "reachable; dominated only by the GC roots").
	if out, _, _ := run(t, "inspect", dump, b1, "--keep-unreachable"); !strings.Contains(out, "\nStatus:    no GC root reaches it: a root of the tree") {
		t.Errorf("inspect --keep-unreachable of garbage:\n%s", out)
	}
	// And what hangs below such a root (b1.next).
	var fields struct {
		Fields []struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		} `json:"fields"`
	}
	out, _, _ = run(t, "inspect", dump, b1, "--format", "json")
	if err := json.Unmarshal([]byte(out), &fields); err != nil || len(fields.Fields) != 2 || fields.Fields[1].Name != "next" {
		t.Fatalf("b1's fields: %v\n%s", err, out)
	}
	b2, _ := fields.Fields[1].Value.(string)
	if out, _, _ := run(t, "inspect", dump, b2, "--keep-unreachable"); !strings.Contains(out, "no GC root reaches it: below a root --keep-unreachable made\n") {
		t.Errorf("inspect --keep-unreachable of garbage below garbage (%s):\n%s", b2, out)
	}
	type ref struct {
		Retained  *uint64 `json:"retained_bytes"`
		Reachable *bool   `json:"reachable"`
	}
	inspect := func(id string) (r struct {
		ref
		Shallow uint64 `json:"shallow_bytes"`
	}) {
		out, errOut, code := run(t, "inspect", dump, id, "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r.Retained == nil || r.Reachable == nil {
			t.Fatalf("inspect %s: retained_bytes or reachable missing:\n%s", id, out)
		}
		return r
	}
	if r := inspect(b1); *r.Retained != 0 || *r.Reachable || r.Shallow == 0 {
		t.Errorf("garbage: retained %d, reachable %v, shallow %d; want 0, false and its size", *r.Retained, *r.Reachable, r.Shallow)
	}
	if r := inspect(writer); *r.Retained <= r.Shallow || !*r.Reachable {
		t.Errorf("live writer: retained %d, reachable %v, shallow %d; want more than shallow, true", *r.Retained, *r.Reachable, r.Shallow)
	}
	out, _, _ = run(t, "inspect", dump, b1, "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "section,name,type,value,object,class,shallow_bytes,retained_bytes,reachable,text" ||
		strings.Join(recs[1][4:], ",") != b1+",com.example.Buffer,24,0,false," {
		t.Errorf("csv: %q", recs)
	}
}

// The referrers a GC root reaches come first, garbage ones are marked and
// counted in the heading: by index alone the three Buffers came first and
// --limit 2 hid the Writer, the one referrer that keeps the array alive.
func TestInspectUnreachableReferrers(t *testing.T) {
	dump, writer, data, b1 := garbageDump(t)
	out, errOut, code := run(t, "inspect", dump, data, "--limit", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, table, _ := strings.Cut(out, "\nReferred to by ")
	lines := strings.Split(table, "\n")
	if len(lines) < 6 || lines[0] != "4 objects (3 unreachable):" ||
		!strings.HasPrefix(lines[3], writer+"  com.example.Writer") || !strings.HasSuffix(strings.TrimSpace(lines[3]), "KiB") ||
		!strings.HasPrefix(lines[4], b1+"  com.example.Buffer") || !strings.HasSuffix(strings.TrimSpace(lines[4]), " (unreachable)") ||
		lines[5] != "… and 2 more (--limit)" {
		t.Errorf("referrers:\n%s", table)
	}
	out, _, _ = run(t, "inspect", dump, data, "--limit", "2", "--format", "json")
	var r struct {
		Referrers []struct {
			ID        string `json:"id"`
			Reachable bool   `json:"reachable"`
		} `json:"referrers"`
		More        int `json:"more_referrers"`
		Unreachable int `json:"unreachable_referrers"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Referrers) != 2 || r.Referrers[0].ID != writer || !r.Referrers[0].Reachable || r.Referrers[1].ID != b1 || r.Referrers[1].Reachable ||
		r.More != 2 || r.Unreachable != 3 {
		t.Errorf("json referrers: %+v", r)
	}
	// A field pointing at garbage (b1's next) is marked in the table too.
	out, _, _ = run(t, "inspect", dump, b1)
	if !regexp.MustCompile(`\nnext +Object +0x[0-9a-f]+ +com\.example\.Buffer +\(unreachable\) *\n`).MatchString(out) {
		t.Errorf("field pointing at garbage:\n%s", out)
	}
}

// histogram --retained says under its table why a class retains less than
// its shallow size (Buffer: 3 instances, all garbage, retain 0 B), from
// the tree and from the index alike, and says nothing where no shown row
// does or in csv and json.
func TestHistogramUnreachableNote(t *testing.T) {
	dump, _, _, _ := garbageDump(t)
	const note = "Instances and Shallow count unreachable objects too (4 in the dump, 96 B); Retained counts only what GC roots reach.\n"
	out, errOut, code := run(t, "histogram", dump, "--retained")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !regexp.MustCompile(`\ncom\.example\.Buffer +3 +72 B +0 B *\n`).MatchString(out) || !strings.HasSuffix(out, "\n4 classes shown; total 8 objects, 1.1 KiB\n"+note) {
		t.Errorf("histogram --retained:\n%s", out)
	}
	for _, args := range [][]string{{"--match", "Writer"}, {"--format", "csv"}, {"--format", "json"}, {"--keep-unreachable"}} {
		out, _, _ := run(t, append([]string{"histogram", dump, "--retained"}, args...)...)
		if strings.Contains(out, "unreachable") {
			t.Errorf("histogram --retained %v: %s", args, out)
		}
	}
	// The first run computes the tree and writes the index; the second
	// takes the classes' sizes from it, and the totals from the dominators
	// part's meta.
	for i := range 2 {
		out, errOut, code := runIndexed(t, "histogram", dump, "--retained", "--format", "table")
		// The test writer's objects lie apart: the layout is a guess, the
		// one warning each run gives here.
		if code != 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "object sizes rest on a guess") || !strings.HasSuffix(out, note) {
			t.Errorf("indexed run %d: exit %d, stderr %q:\n%s", i+1, code, errOut, out)
		}
	}
	// A damaged dominators part is said once, though both the totals and
	// the tree are looked for in it, and rebuilt.
	os.Truncate(filepath.Join(dump+".leakscan", "dominators.idx"), 100)
	out, errOut, code = runIndexed(t, "histogram", dump, "--retained")
	if code != 0 || strings.Count(errOut, "dominators index") != 1 || !strings.HasSuffix(out, note) {
		t.Errorf("dominators part damaged: exit %d, stderr %q:\n%s", code, errOut, out)
	}
}

// With --keep-unreachable the objects no GC root reaches are in the tree,
// and the totals say how many and how big they are, as the default mode
// says what it leaves out: the footer said "reachable: 8 objects", the
// garbage among them, and the JSON "unreachable_objects": 0.
func TestKeepUnreachableTotals(t *testing.T) {
	dump, _, _, _ := garbageDump(t)
	const (
		left = "reachable: 4 objects, 1.1 KiB; unreachable (left out): 4 objects, 96 B\n"
		kept = "reachable: 4 objects, 1.1 KiB; unreachable (kept as roots, so in retained sizes and %): 4 objects, 96 B\n"
	)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"dominators", dump}, left},
		{[]string{"dominators", dump, "--keep-unreachable"}, kept},
		{[]string{"dominators", dump, "--keep-unreachable", "--group-by", "class"}, kept},
		{[]string{"suspects", dump, "--keep-unreachable", "--threshold", "100"},
			"No suspect: nothing retains 100% or more of the heap, unreachable objects kept as roots included (1.1 KiB, 96 B of it in 4 unreachable objects).\n"},
	} {
		out, errOut, code := run(t, c.args...)
		if code != 0 || !strings.HasSuffix(out, c.want) {
			t.Errorf("%v: exit %d (%s); want the output to end %q:\n%s", c.args, code, errOut, c.want, out)
		}
	}
	// With --weak ignore, what is left out is not all garbage: a soft
	// reference's referent is live (Basic's SoftTarget).
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	if out, _, _ := run(t, "suspects", basic, "--weak", "ignore"); !strings.Contains(out, "no GC root reaches them through strong references (garbage, or what only weak, soft or phantom references reach") {
		t.Errorf("suspects --weak ignore: %s", out)
	}
	// suspects' JSON gives the totals as dominators' does: what the text's
	// "Left out" line says.
	for _, c := range []struct {
		cmd  string
		keep bool
	}{{"dominators", false}, {"dominators", true}, {"suspects", false}, {"suspects", true}} {
		args, keep := []string{c.cmd, dump, "--format", "json"}, c.keep
		if keep {
			args = append(args, "--keep-unreachable")
		}
		out, errOut, code := run(t, args...)
		var r heapTotals
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
			t.Fatalf("%v: exit %d (%s), %v", args, code, errOut, err)
		}
		if want := (heapTotals{4, 1080, 4, 96, keep}); r != want {
			t.Errorf("%v: %+v, want %+v", args, r, want)
		}
	}
	// A suspect's sentence says what its share is of.
	out, _, _ := run(t, "suspects", dump, "--keep-unreachable")
	if !strings.Contains(out, "% of the heap, unreachable objects kept as roots included)") {
		t.Errorf("suspects --keep-unreachable:\n%s", out)
	}
	// The report's summary says it as dominators does.
	out, _, _ = run(t, "report", dump, "--keep-unreachable", "-o", "-")
	if _, summary, _ := strings.Cut(out, ">Dominator tree</th><td>"); !strings.HasPrefix(summary, strings.TrimSuffix(kept, "\n")+"</td>") {
		t.Errorf("report --keep-unreachable: the summary of the tree is %.200q", summary)
	}
}

// TestHistogramUnreachable: --unreachable counts what no GC root reaches,
// the three Buffers and their class (no root holds it in this dump, and
// only they refer to it), and its totals are what dominators leaves out; it is refused beside --retained, and --weak goes with it.
func TestHistogramUnreachable(t *testing.T) {
	dump, _, _, _ := garbageDump(t)
	out, errOut, code := run(t, "histogram", dump, "--unreachable", "--format", "json")
	var rows []struct {
		Class     string `json:"class"`
		Instances int64  `json:"instances"`
		Shallow   uint64 `json:"shallow_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("exit %d %s %v:\n%s", code, errOut, err, out)
	}
	var n int64
	var b uint64
	for _, r := range rows {
		n, b = n+r.Instances, b+r.Shallow
	}
	var dom struct {
		Objects int64  `json:"unreachable_objects"`
		Bytes   uint64 `json:"unreachable_bytes"`
	}
	out, _, _ = run(t, "dominators", dump, "--format", "json")
	if err := json.Unmarshal([]byte(out), &dom); err != nil || len(rows) != 2 || rows[0].Class != "com.example.Buffer" || rows[0].Instances != 3 ||
		rows[1].Class != "java.lang.Class" || rows[1].Instances != 1 || n != dom.Objects || b != dom.Bytes {
		t.Errorf("rows %+v (%d objects, %d bytes); dominators leaves out %+v (%v)", rows, n, b, dom, err)
	}
	out, _, code = run(t, "histogram", dump, "--unreachable", "--weak", "ignore")
	if code != 0 || !strings.HasPrefix(out, "Objects no GC root reaches by strong references (4 objects, ") {
		t.Errorf("--weak ignore: exit %d:\n%s", code, out)
	}
	// A byte[] only a WeakReference holds: reachable as the tree takes
	// references by default, not with --weak ignore.
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := w.Class("java/lang/ref/Reference", obj, 0, nil, []hproftest.Field{{Name: "referent", Type: hprof.TypeObject}})
	weak := w.Class("java/lang/ref/WeakReference", ref, 0, nil, nil)
	wr, x := w.NewID(), w.NewID()
	w.Instance(wr, weak, []hprof.BasicType{hprof.TypeObject}, []uint64{x})
	w.PrimArray(x, hprof.TypeByte, 100, nil)
	w.Root(hprof.SubRootJNIGlobal, wr, 0, 0)
	for _, c := range []uint64{obj, ref, weak} {
		w.Root(hprof.SubRootStickyClass, c, 0, 0)
	}
	weakDump := writeDump(t, w, "weak.hprof")
	for weakness, want := range map[string]string{"follow": "(0 objects, 0 B)", "ignore": "(1 object, 120 B)"} {
		out, _, code := run(t, "histogram", weakDump, "--unreachable", "--weak", weakness)
		if code != 0 || !strings.Contains(out, want) || (weakness == "ignore") != strings.Contains(out, "byte[]") {
			t.Errorf("--weak %s: exit %d, want %s:\n%s", weakness, code, want, out)
		}
	}
	if _, errOut, code := run(t, "histogram", dump, "--unreachable", "--retained"); code == 0 || !strings.Contains(errOut, "not with --retained") {
		t.Errorf("with --retained: exit %d, %q", code, errOut)
	}
}
