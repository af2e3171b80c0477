// Package report writes one self-contained HTML file about a dump: the
// summary, the leak suspects with their paths, a zoomable treemap of the
// dominator tree, the histogram, class loaders, off-heap buffers and
// threads. Nothing is fetched from the network. Every string from the dump
// is attacker-controlled: tables go through html/template's escaping, the
// treemap's data is a JavaScript string literal escaped by the template and
// parsed with JSON.parse, and the script writes text only with
// textContent.
package report

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/par"
	"github.com/leakscan/leakscan/internal/render"
)

// Node is a node of the treemap: a subtree of the dominator tree.
type Node struct {
	Name     string  `json:"n"`
	Size     uint64  `json:"s"`
	Package  string  `json:"p"`
	ID       string  `json:"i,omitempty"`
	Children []*Node `json:"c,omitempty"`
}

// HistRow is a histogram row.
type HistRow struct {
	Class     string
	Instances int64
	Shallow   uint64
	Retained  uint64
}

// Data is what the report shows.
type Data struct {
	Title     string
	Summary   [][2]string
	Threshold float64 // suspects' threshold, percent of Reachable
	// Whole names what Reachable is, which percentages are of
	// (leaks.PercentBase): "the reachable heap".
	Whole    string
	Suspects []leaks.Suspect
	// Direct is the direct memory off the heap as a suspect, when it is
	// at least Threshold of Reachable (leaks.DirectSuspectOf), as the
	// suspects command gives it; nil otherwise.
	Direct    *leaks.DirectSuspect
	Tree      *Node
	Histogram []HistRow // biggest retained first
	MoreRows  int       // classes left out of Histogram
	Loaders   *leaks.LoaderReport
	OffHeap   *leaks.OffHeapReport
	Threads   []leaks.ThreadInfo
	// MoreThreads is how many threads were left out of Threads.
	MoreThreads int
	Reachable   uint64
	// UnreachableObjects and UnreachableBytes are what no GC root reaches:
	// Histogram's instances and shallow sizes count them, its retained
	// sizes do not.
	UnreachableObjects int64
	UnreachableBytes   uint64
}

// pruneShare is the share of the reachable heap below which subtrees are
// grouped by class (and small groups folded into "other"), maxKids how many
// subtrees a node shows, and maxDepth how deep the treemap goes: together
// they keep the report to a few MB whatever the dump's size.
const (
	pruneShare = 0.001
	maxDepth   = 8
	maxKids    = 40
)

// BuildTree turns the top of the dominator tree into treemap nodes. Under
// each node, children that retain less than pruneShare of the heap are
// grouped by class ("6,335,731 × java.util.HashMap$Node"), so that a
// table of millions of small entries still shows what it holds; groups
// that are small too are folded into "other".
//
// The big children come from one scan of the retained sizes, and the
// small ones' groups from one scan of the dominators, for all the nodes
// shown at once (dominator.Tree.ChildrenOver and EachChildOf): from the
// bench dump's index, report took 1.77-1.90 s and 400 MB against
// 2.20-2.72 s and 517 MB with the children table (4 alternating runs).
func BuildTree(t *dominator.Tree) *Node {
	g := t.Graph()
	min := uint64(pruneShare * float64(t.ReachableBytes))
	big, ok := t.ChildrenOver(max(min, 1), bigLimit)
	if !ok { // (a long chain of big objects, as a linked list makes)
		big = nil
	}
	bigOf := func(p heap.ObjectIndex) []heap.ObjectIndex {
		if big != nil {
			return big[p]
		}
		var out []heap.ObjectIndex
		for _, k := range t.UnorderedChildren(p) {
			if t.Retained(k) >= min {
				out = append(out, k)
			}
		}
		t.SortByRetained(out)
		return out
	}
	// The nodes shown with their children (depth below maxDepth, among
	// their parent's first maxKids big children), top down.
	shown := map[heap.ObjectIndex]bool{}
	var show func(p heap.ObjectIndex, depth int)
	show = func(p heap.ObjectIndex, depth int) {
		shown[p] = true
		for i, k := range bigOf(p) {
			if i < maxKids && depth+1 < maxDepth {
				show(k, depth+1)
			}
		}
	}
	show(heap.None, -1)
	groups := smallGroups(t, shown, min, big != nil)
	var build func(p heap.ObjectIndex, depth int) []*Node
	build = func(p heap.ObjectIndex, depth int) []*Node { // depth ≤ maxDepth
		mine := groups[p]
		var out []*Node
		for i, k := range bigOf(p) {
			if i >= maxKids {
				mine.add(g.ClassOf(k), 1, t.Retained(k))
				continue
			}
			n := &Node{Name: g.ObjectLabel(k, true), Size: t.Retained(k), Package: g.Package(k), ID: fmt.Sprintf("0x%x", g.ID(k))}
			if depth < maxDepth {
				n.Children = build(k, depth+1)
			}
			out = append(out, n)
		}
		classes := slices.Collect(maps.Keys(mine))
		slices.SortFunc(classes, func(a, b heap.ClassIndex) int {
			return cmp.Or(cmp.Compare(mine[b].size, mine[a].size), cmp.Compare(a, b))
		})
		var other uint64
		var otherN int64
		for _, c := range classes {
			gr := mine[c]
			if gr.size < min || len(out) >= 2*maxKids {
				other += gr.size
				otherN += gr.n
				continue
			}
			name := g.Classes[c].Name
			out = append(out, &Node{Name: humanize.Comma(gr.n) + " × " + heap.SourceName(name), Size: gr.size, Package: heap.PackageOf(name)})
		}
		if other > 0 {
			noun := " objects)"
			if otherN == 1 {
				noun = " object)"
			}
			out = append(out, &Node{Name: "other (" + humanize.Comma(otherN) + noun, Size: other, Package: "~other"})
		}
		slices.SortStableFunc(out, func(a, b *Node) int { return cmp.Compare(b.Size, a.Size) })
		return out
	}
	name := "all reachable objects"
	if t.KeptObjects > 0 {
		name = "all objects, unreachable ones kept as roots included"
	}
	return &Node{Name: name, Size: t.ReachableBytes, Children: build(heap.None, 0)}
}

// bigLimit is how many objects retaining pruneShare of the heap BuildTree
// takes from one scan; with more, it reads the children table. (A
// variable, for tests.)
var bigLimit = 1 << 20

// group is a count of objects and what they retain.
type group struct {
	n    int64
	size uint64
}

// classGroups are groups by class.
type classGroups map[heap.ClassIndex]*group

// add counts n objects of class c retaining size bytes.
func (gs classGroups) add(c heap.ClassIndex, n int64, size uint64) {
	if gs[c] == nil {
		gs[c] = &group{}
	}
	gs[c].n += n
	gs[c].size += size
}

// smallGroups groups by class, for each of shown (heap.None: the top
// level), the children that retain less than min bytes: from one scan of
// the dominators on all cores, or, without scan, from the children table.
func smallGroups(t *dominator.Tree, shown map[heap.ObjectIndex]bool, min uint64, scan bool) map[heap.ObjectIndex]classGroups {
	g := t.Graph()
	out := map[heap.ObjectIndex]classGroups{}
	for p := range shown {
		out[p] = classGroups{}
	}
	if !scan {
		for p, gs := range out {
			for _, k := range t.UnorderedChildren(p) {
				if r := t.Retained(k); r < min {
					gs.add(g.ClassOf(k), 1, r)
				}
			}
		}
		return out
	}
	parents := bitset.New(g.NumObjects())
	for p := range shown {
		if p != heap.None {
			parents.Add(int32(p))
		}
	}
	classes, retained := g.ClassArray(), t.RetainedReader()
	parts := make([]map[heap.ObjectIndex]classGroups, par.Shares(g.NumObjects(), 0))
	for i := range parts {
		parts[i] = map[heap.ObjectIndex]classGroups{}
	}
	t.EachChildOf(parents, true, len(parts), func(part int, p, k heap.ObjectIndex) {
		if r := retained(k); r < min {
			gs := parts[part][p]
			if gs == nil {
				gs = classGroups{}
				parts[part][p] = gs
			}
			gs.add(classes[k], 1, r)
		}
	})
	for _, part := range parts {
		for p, gs := range part {
			for c, gr := range gs {
				out[p].add(c, gr.n, gr.size)
			}
		}
	}
	return out
}

// RetainedBelowShallow reports whether a Histogram row retains less than
// its shallow size, which only unreachable instances make it do (a
// reachable one counts in its class's retained size, on its own or under
// another instance of the class): the page then says why.
func (d *Data) RetainedBelowShallow() bool {
	for _, r := range d.Histogram {
		if r.Retained < r.Shallow {
			return true
		}
	}
	return false
}

//go:embed report.html.tmpl
var pageText string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"size": func(b uint64) string { return humanize.IBytes(b) },
	"comma": func(n any) string { // int64 counts, and int ones (a loader's classes)
		switch v := n.(type) {
		case int:
			return humanize.Comma(int64(v))
		case int64:
			return humanize.Comma(v)
		}
		return fmt.Sprint(n)
	},
	"inc":          func(i int) int { return i + 1 },
	"isTrue":       func(b *bool) bool { return b != nil && *b }, // a thread's daemon, when the dump says
	"noStrongPath": func() string { return leaks.NoStrongPath },
	"pct": func(f float64) string {
		return strings.TrimRight(strings.TrimRight(humanize.FormatFloat("#.#", f), "0"), ".") + "%"
	},
	"indent": func(n int) string {
		return strings.Repeat("\u00a0\u00a0", min(n, render.MaxIndent))
	},
}).Parse(pageText))

// Write renders the report.
func Write(w io.Writer, d *Data) error {
	tree, err := json.Marshal(d.Tree)
	if err != nil {
		return err
	}
	return page.Execute(w, struct {
		*Data
		TreeJSON string
	}{d, string(tree)})
}
