package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
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
}
