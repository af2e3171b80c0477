package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/render"
	"github.com/leakscan/leakscan/internal/testjvm"
)

// TestBuildTree: the treemap accounts for every reachable byte at the top,
// never gives children more than their parent retains, prunes to a
// bounded size, and keeps the SPARK-22713 chain.
func TestBuildTree(t *testing.T) {
	root, err := testjvm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	g, err := heap.Open(filepath.Join(root, "testdata", "dumps", "Spark22713.hprof"), hprof.Options{}, heap.Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	tr := dominator.Compute(g, dominator.Options{})
	top := BuildTree(tr)
	var sum uint64
	for _, c := range top.Children {
		sum += c.Size
	}
	if sum != tr.ReachableBytes || top.Size != tr.ReachableBytes {
		t.Errorf("top level sums %d, root says %d, reachable %d", sum, top.Size, tr.ReachableBytes)
	}
	nodes := 0
	var names []string
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		nodes++
		names = append(names, n.Name)
		var s uint64
		for i, c := range n.Children {
			s += c.Size
			if i > 0 && c.Size > n.Children[i-1].Size {
				t.Errorf("%s: children not biggest first", n.Name)
			}
			walk(c, depth+1)
		}
		if s > n.Size {
			t.Errorf("%s retains %d, its children %d", n.Name, n.Size, s)
		}
		if depth > maxDepth+2 {
			t.Errorf("%s is %d deep", n.Name, depth)
		}
	}
	walk(top, 0)
	if nodes > 2000 {
		t.Errorf("%d treemap nodes for an 85,431-object dump", nodes)
	}
	all := strings.Join(names, "\n")
	for _, want := range []string{"org.apache.spark.memory.TaskMemoryManager", "org.apache.spark.util.collection.ExternalAppendOnlyMap", "× java.lang.Class"} {
		if !strings.Contains(all, want) {
			t.Errorf("treemap lacks %q", want)
		}
	}
	var page bytes.Buffer
	if err := Write(&page, &Data{Title: "t", Tree: top, Loaders: nil, OffHeap: nil}); err != nil {
		t.Fatalf("a report with nothing but the tree: %v", err)
	}
	// From the children table (more big objects than the scan takes),
	// the same tree.
	defer func(old int) { bigLimit = old }(bigLimit)
	bigLimit = 0
	if again := BuildTree(dominator.Compute(g, dominator.Options{})); !reflect.DeepEqual(again, top) {
		t.Error("the tree from the children table differs from the scan's")
	}
}

// TestElidedSteps: the middle of a long path or chain is one line saying
// how many steps it stands for, and no line is indented past
// render.MaxIndent levels.
func TestElidedSteps(t *testing.T) {
	var path []leaks.Step
	for i := range 60 {
		path = append(path, leaks.Step{Field: "next", Object: leaks.Object{ID: fmt.Sprintf("0x%x", i), Class: "Node"}})
	}
	path[10] = leaks.Step{Elided: 1234}
	sp := leaks.Suspect{Kind: "object", Path: path, Chain: path}
	var page bytes.Buffer
	if err := Write(&page, &Data{Title: "t", Tree: &Node{Name: "all"}, Suspects: []leaks.Suspect{sp}}); err != nil {
		t.Fatal(err)
	}
	out := page.String()
	if n := strings.Count(out, "… 1,234 more steps"); n != 2 {
		t.Errorf("%d lines for the elided steps, want one in the path and one in the chain", n)
	}
	if deep := strings.Repeat("\u00a0\u00a0", render.MaxIndent+1); strings.Contains(out, deep) {
		t.Errorf("a line is indented past %d levels", render.MaxIndent)
	}
}

// TestRetainedBelowShallowNote: a histogram row that retains less than its
// shallow size (garbage instances count in the one, not the other) comes
// with a note saying why and how much is unreachable, as histogram
// --retained's table does; without such a row there is none. Before, the
// page showed the numbers unexplained.
func TestRetainedBelowShallowNote(t *testing.T) {
	const note = "Instances and Shallow count unreachable objects too (1,234 in the dump, 56 KiB)"
	for _, retained := range []uint64{1 << 10, 100 << 10} {
		d := &Data{Title: "t", Tree: &Node{Name: "all"}, UnreachableObjects: 1234, UnreachableBytes: 56 << 10,
			Histogram: []HistRow{{Class: "byte[]", Instances: 10, Shallow: 64 << 10, Retained: retained}}}
		var page bytes.Buffer
		if err := Write(&page, d); err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Contains(page.String(), note), retained < 64<<10; got != want {
			t.Errorf("retained %d of a shallow 64 KiB: note shown %v, want %v", retained, got, want)
		}
	}
}

// TestOffHeapKinds: the off-heap section says what offheap's table does,
// the direct memory split by where it came from and the mapped files and
// the JDK's own mappings beside it. Before, it left out the last two
// (JobServer.hprof's 123 MiB of the JDK's mappings) and the split.
func TestOffHeapKinds(t *testing.T) {
	d := &Data{Title: "t", Tree: &Node{Name: "all"}, OffHeap: &leaks.OffHeapReport{Total: 3 << 10, Allocated: 1 << 10, NoCleaner: 2 << 10,
		MappedFiles: make([]leaks.Buffer, 2), MappedBytes: 5 << 20, JDKInternal: make([]leaks.Buffer, 7), JDKInternalBytes: 123 << 20}}
	var page bytes.Buffer
	if err := Write(&page, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3.0 KiB in 0 direct buffers (from allocateDirect 1.0 KiB; without a Cleaner 2.0 KiB)",
		"Mapped files (page cache, not direct memory): 5.0 MiB in 2 buffers.",
		"The JDK's own mappings (held by JDK classes alone, not direct memory): 123 MiB in 7 buffers."} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestOffHeapNotFreed: the off-heap sentence's parts add up to the total
// when some direct memory is neither strongly reachable nor freed by a
// Cleaner (offheap counts it apart since 4216625); it names the part only
// when there is one.
func TestOffHeapNotFreed(t *testing.T) {
	for _, notFreed := range []uint64{0, 2 << 10} {
		d := &Data{Title: "t", Tree: &Node{Name: "all"}, OffHeap: &leaks.OffHeapReport{Total: 4 << 10, Allocated: 2 << 10, NoCleaner: 2 << 10,
			Strong: 1<<10 + 1<<10 - notFreed/2, PendingFree: 1<<10 + 1<<10 - notFreed/2, NotFreed: notFreed}}
		var page bytes.Buffer
		if err := Write(&page, d); err != nil {
			t.Fatal(err)
		}
		named := strings.Contains(page.String(), "2.0 KiB neither strongly reachable nor freed by a Cleaner")
		if named != (notFreed > 0) || notFreed == 0 && strings.Contains(page.String(), "neither strongly") {
			t.Errorf("%d bytes not freed: the page names them: %v", notFreed, named)
		}
	}
}

// TestOffHeapGarbage: direct buffers no GC root reaches are said to be
// left out, as offheap says: a dump whose only buffers were garbage showed
// "0 B in 0 direct buffers" and nothing more.
func TestOffHeapGarbage(t *testing.T) {
	d := &Data{Title: "t", Tree: &Node{Name: "all"}, OffHeap: &leaks.OffHeapReport{Unreachable: 2, UnreachableBytes: 3 << 20}}
	var page bytes.Buffer
	if err := Write(&page, d); err != nil {
		t.Fatal(err)
	}
	if want := "Left out: 2 buffers (3.0 MiB) that no GC root reaches, garbage at the next GC."; !strings.Contains(page.String(), want) {
		t.Errorf("the page lacks %q", want)
	}
}

// TestUnreachableLoader: a loader no GC root reaches is marked so, as
// classloaders marks it: its retained size of 0 B and its classes left out
// of the duplicates were unexplained.
func TestUnreachableLoader(t *testing.T) {
	loaders := &leaks.LoaderReport{Loaders: []leaks.Loader{{Object: leaks.Object{Class: "com.example.JobLoader", ID: "0x10"}, Classes: 3, Unreachable: true},
		{Object: leaks.Object{Class: "com.example.LiveLoader", ID: "0x20"}, Classes: 3}}}
	var page bytes.Buffer
	if err := Write(&page, &Data{Title: "t", Tree: &Node{Name: "all"}, Loaders: loaders}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(page.String(), "(unreachable: the next GC collects it)"); n != 1 || !strings.Contains(page.String(), "com.example.JobLoader <span class=\"muted\">(unreachable") {
		t.Errorf("%d loaders marked unreachable, want com.example.JobLoader alone", n)
	}
}

// TestBootstrapLoaderRetained: the bootstrap loader is no object and has
// no retained size: the loaders' table gives "-", as classloaders does,
// not "0 B" beside the loaders that are objects.
func TestBootstrapLoaderRetained(t *testing.T) {
	loaders := &leaks.LoaderReport{Loaders: []leaks.Loader{{Object: leaks.Object{Class: "<bootstrap>", ID: "0x0"}, Builtin: true, Classes: 500},
		{Object: leaks.Object{Class: "com.example.JobLoader", ID: "0x10", Retained: 4096}, Classes: 3}}}
	var page bytes.Buffer
	if err := Write(&page, &Data{Title: "t", Tree: &Node{Name: "all"}, Loaders: loaders}); err != nil {
		t.Fatal(err)
	}
	row := page.String()[strings.Index(page.String(), "&lt;bootstrap&gt;"):]
	row = row[:strings.Index(row, "</tr>")]
	if strings.Contains(row, "0 B") || !strings.Contains(row, ">-</td>") {
		t.Errorf("the bootstrap loader's row %q gives a retained size, want -", row)
	}
}
