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

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/leaks"
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
	Whole     string
	Suspects  []leaks.Suspect
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
func BuildTree(t *dominator.Tree) *Node {
	g := t.Graph()
	min := uint64(pruneShare * float64(t.ReachableBytes))
	type group struct {
		n    int64
		size uint64
	}
	var build func(kids []heap.ObjectIndex, depth int) []*Node
	build = func(kids []heap.ObjectIndex, depth int) []*Node { // depth ≤ maxDepth
		// Only the big children are sorted: a table's millions of small
		// entries are grouped in whatever order they come.
		groups := map[heap.ClassIndex]*group{}
		fold := func(k heap.ObjectIndex) {
			c := g.ClassOf(k)
			if groups[c] == nil {
				groups[c] = &group{}
			}
			groups[c].n++
			groups[c].size += t.Retained(k)
		}
		var big []heap.ObjectIndex
		for _, k := range kids {
			if t.Retained(k) >= min {
				big = append(big, k)
			} else {
				fold(k)
			}
		}
		t.SortByRetained(big)
		var out []*Node
		for i, k := range big {
			if i >= maxKids {
				fold(k)
				continue
			}
			label := g.ObjectLabel(k, true)
			n := &Node{Name: label, Size: t.Retained(k), Package: g.Package(k), ID: fmt.Sprintf("0x%x", g.ID(k))}
			if depth < maxDepth {
				n.Children = build(t.UnorderedChildren(k), depth+1)
			}
			out = append(out, n)
		}
		classes := slices.Collect(maps.Keys(groups))
		slices.SortFunc(classes, func(a, b heap.ClassIndex) int {
			return cmp.Or(cmp.Compare(groups[b].size, groups[a].size), cmp.Compare(a, b))
		})
		var other uint64
		var otherN int64
		for _, c := range classes {
			gr := groups[c]
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
	return &Node{Name: name, Size: t.ReachableBytes, Children: build(t.UnorderedChildren(heap.None), 0)}
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
	"size":         func(b uint64) string { return humanize.IBytes(b) },
	"comma":        func(n int64) string { return humanize.Comma(n) },
	"inc":          func(i int) int { return i + 1 },
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
