package cli

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/check"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/render"
)

// treeOptions are the dominator semantics flags shared by the commands
// that need retained sizes.
type treeOptions struct {
	weak            string
	keepUnreachable bool
}

func (t *treeOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&t.weak, "weak", "follow", "referents of Weak/Soft/Phantom/Final references: follow (they retain, as in MAT) or ignore")
	cmd.Flags().BoolVar(&t.keepUnreachable, "keep-unreachable", false, "treat objects no GC root reaches as roots instead of leaving them out")
	// Checked before any work, also where the tree is not always needed
	// (histogram without --retained).
	cmd.PreRunE = func(*cobra.Command, []string) error {
		_, err := t.options()
		return err
	}
}

// search returns the path search's options that go with the tree's:
// with --keep-unreachable, the objects the tree makes roots are roots of
// the paths too.
func (t *treeOptions) search() paths.Options {
	return paths.Options{KeepUnreachable: t.keepUnreachable}
}

func (t *treeOptions) options() (dominator.Options, error) {
	o := dominator.Options{KeepUnreachable: t.keepUnreachable}
	switch t.weak {
	case "follow":
	case "ignore":
		o.IgnoreWeak = true
	default:
		return o, fmt.Errorf("--weak %q: expected follow or ignore", t.weak)
	}
	return o, nil
}

type dominatorsOptions struct {
	tree        treeOptions
	top         int
	depth       int
	children    int
	minRetained string
	groupBy     string
	format      string
	jvmNames    bool
	objects     []string // --object: where the view starts
	of          string   // --of: the class whose objects' dominators are grouped
	skip        []string // --skip: with --of, the dominators' classes passed over
}

func newDominatorsCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	o := &dominatorsOptions{}
	cmd := &cobra.Command{
		Use:   "dominators [DUMP]",
		Short: "The biggest objects by retained size: the top of the dominator tree; --of CLASS: who dominates a class's objects",
		Long: `Prints the objects that keep the most memory alive: the top of the dominator
tree, biggest retained size first (ties by object index). An object's retained
size is what the GC would free if it were gone: itself and everything only it
keeps reachable.

Semantics follow Eclipse MAT: a virtual super-root's children are the GC
roots; a GC-root object is dominated only by the super-root; a local variable
of a known thread (JAVA FRAME / JNI LOCAL root) is an edge from that thread,
so a thread retains what only its stack holds; every object references its
class; referents of java.lang.ref.Reference count unless --weak=ignore;
objects no root reaches are left out (and totalled) unless --keep-unreachable,
which makes them roots (and totals them as kept: percentages are then of the
reachable and the unreachable objects together).

--of CLASS prints, instead of the tree, who dominates the objects of a class
(MAT's Immediate Dominators): each object's immediate dominator, or, while
that one's class matches --skip (by default the JDK's: java.*, javax.*,
jdk.*, sun.*, com.sun.*; --skip given replaces it), the dominator above it,
grouped by the dominator's class; the
dominators, the objects they dominate with their shallow and retained sizes
(each byte once: a matching object inside another's retained size counts in
that one's row, so a row's retained size may be less than its shallow one),
and the dominator of each class that dominates the most. "dominators --of
byte[]" names what holds the byte arrays past the Strings, HashMaps and
ArrayLists between. <ROOT> gathers the objects with no dominator but the
super-root, or none not passed over. Unlike MAT, a GC root at the top of the
tree is never passed over (a java.lang.Thread whose stack holds them, a JNI
global), and a class object counts as the class it is ("class
com.acme.Cache": its statics), not as a java.lang.Class.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := render.ParseFormat(o.format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			if o.groupBy != "" && o.groupBy != "class" && o.groupBy != "package" && o.groupBy != "classloader" {
				return fmt.Errorf("--group-by %q: expected class, package or classloader", o.groupBy)
			}
			if o.groupBy != "" && o.depth > 0 {
				return fmt.Errorf("--depth expands objects, and --group-by prints groups: give one")
			}
			ids, err := objectIDs("--object", o.objects)
			if err != nil {
				return err
			}
			of, skip, err := o.immediateOptions(cmd, len(ids) > 0)
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				switch {
				case o.groupBy != "":
					return fmt.Errorf("--object starts the tree at an object, and --group-by groups the top-level ones: give one")
				case cmd.Flags().Changed("top"):
					return fmt.Errorf("--top counts top-level objects, and --object starts the tree at the objects named: give one")
				case !cmd.Flags().Changed("depth"):
					o.depth = 1 // the object and its biggest children, as MAT opens one
				}
			}
			// --children has a default (5), so only Changed tells it
			// was given; without --depth it would be ignored silently.
			if cmd.Flags().Changed("children") && o.depth == 0 {
				return fmt.Errorf("--children %d needs --depth N (1 or more), or --object: only they list an object's children", o.children)
			}
			if _, err := parseMinRetained(o.minRetained, 0); err != nil {
				return err // before the analysis, not after
			}
			// The flags are checked before the dump is looked for: a
			// usage error is one line, not "using a.hprof" and then it.
			x, err := g.openSession(s, args)
			if err != nil {
				return err
			}
			defer x.Close()
			var ofObjects []heap.ObjectIndex
			if of != nil {
				// A class the dump lacks is an error before the tree is
				// made, not after.
				graph, err := x.Graph()
				if err != nil {
					return err
				}
				if ofObjects, err = objectsOfClasses(graph, of, "--of", o.of); err != nil {
					return err
				}
			}
			tree, err := x.Tree(&o.tree)
			if err != nil {
				return err
			}
			min, err := parseMinRetained(o.minRetained, tree.ReachableBytes)
			if err != nil {
				return err
			}
			if o.groupBy != "" {
				return o.writeGroups(s, tree, min, format)
			}
			if of != nil {
				return o.writeImmediate(s, tree, ofObjects, skip, format)
			}
			var starts []heap.ObjectIndex
			named := map[heap.ObjectIndex]bool{} // each once, in the order given
			for i, id := range ids {
				x, err := lookupObject(tree.Graph(), "--object", o.objects[i], id)
				switch {
				case err != nil:
					return err
				case tree.Idom(x) == dominator.Unreachable:
					return fmt.Errorf("--object %s: no GC root reaches it, so the tree leaves it out (--keep-unreachable takes it in)", o.objects[i])
				}
				if !named[x] {
					named[x] = true
					starts = append(starts, x)
				}
			}
			return o.write(s, tree, starts, min, format)
		},
	}
	o.tree.register(cmd)
	f := cmd.Flags()
	f.IntVar(&o.top, "top", 20, "how many top-level objects, or with --of dominator classes (0 = all)")
	f.IntVar(&o.depth, "depth", 0, "expand each printed object's biggest children this many levels (MAT's dominator tree view; not with --group-by)")
	f.IntVar(&o.children, "children", 5, "with --depth, or --object (one level by default), how many children per object (0 = all)")
	f.StringVar(&o.minRetained, "min-retained", "", "leave out objects retaining less: a size (10MB, 512KiB) or a share of the reachable heap up to 100% (1%)")
	f.StringVar(&o.groupBy, "group-by", "", "aggregate the top-level objects by class, package or classloader (not with --depth)")
	f.StringVar(&o.format, "format", "table", "table, json or csv (json nests children; json and csv carry exact bytes)")
	f.BoolVar(&o.jvmNames, "jvm-names", false, "name array classes as the JVM does ([B)")
	f.StringArrayVar(&o.objects, "object", nil, "start the tree at this object (0x…; repeatable) instead of the top level, with what dominates it (--depth defaults to 1)")
	f.StringVar(&o.of, "of", "", "the immediate dominators of the objects of this class (a class pattern), grouped by class (MAT's Immediate Dominators), in place of the tree")
	f.StringArrayVar(&o.skip, "skip", []string{leaks.JDKSkip}, "with --of, pass over dominators of classes matching this pattern to the one above (repeatable; given, it replaces the default, the JDK's classes; '' passes over none)")
	return cmd
}

// parseMinRetained reads "10MB", "512 KiB", "1%" (of the reachable heap,
// at most 100%: above, every object is left out, which says nothing), as
// a check rule's limits are read.
func parseMinRetained(s string, reachable uint64) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	b, pct, err := check.ParseLimit(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("--min-retained %w", err)
	case pct > 100:
		return 0, fmt.Errorf("--min-retained %q: a share of the reachable heap is at most 100%%", s)
	case pct >= 0:
		return uint64(pct / 100 * float64(reachable)), nil
	}
	return b, nil
}

// domNode is one printed object; JSON nests children.
type domNode struct {
	ID       string     `json:"id"`
	Class    string     `json:"class"`
	Shallow  uint64     `json:"shallow_bytes"`
	Retained uint64     `json:"retained_bytes"`
	Percent  float64    `json:"percent"`
	Root     string     `json:"root,omitempty"`
	Children []*domNode `json:"children,omitempty"`
	// MoreChildren counts an expanded object's children left out (by
	// --children or --min-retained), MoreRetained what they retain, as
	// MAT's "more" line says.
	MoreChildren int    `json:"more_children,omitempty"`
	MoreRetained uint64 `json:"more_children_retained_bytes,omitempty"`
	// DominatedBy, for an object --object names, is its chain of
	// immediate dominators, nearest first, up to a top-level object
	// ([] for one): each would free it with itself (MAT's immediate
	// dominators). Absent for the others.
	DominatedBy *[]*domNode `json:"dominated_by,omitempty"`
	depth       int
	object      heap.ObjectIndex
}

// domReport is the JSON form of `leakscan dominators`.
type domReport struct {
	heapTotals
	// TopLevelObjects counts the top of the tree, shown in Objects or not
	// (the table's "15 of 2,316 top-level objects shown").
	TopLevelObjects int        `json:"top_level_objects"`
	Objects         []*domNode `json:"objects"`
}

// domGroups is the JSON form of `leakscan dominators --group-by`: the
// totals as without it, and the groups, each under the key its grouping
// names ("package": "java.lang").
type domGroups struct {
	heapTotals
	TopLevelObjects int              `json:"top_level_objects"` // what the groups are made of, shown or not
	GroupBy         string           `json:"group_by"`
	Groups          []map[string]any `json:"groups"`
}

// heapTotals are what the GC roots reach and what they do not, as the
// line under a dominators table says them and its JSON gives them.
// UnreachableKept: --keep-unreachable took the unreachable objects into
// the tree as roots, so retained sizes and percentages count them (the
// percentages are of ReachableBytes and UnreachableBytes together).
type heapTotals struct {
	ReachableObjects   int64  `json:"reachable_objects"`
	ReachableBytes     uint64 `json:"reachable_bytes"`
	UnreachableObjects int64  `json:"unreachable_objects"`
	UnreachableBytes   uint64 `json:"unreachable_bytes"`
	UnreachableKept    bool   `json:"unreachable_kept"`
}

// totalsOf returns the tree's totals, the objects it keeps that no GC
// root reaches counted as unreachable.
func totalsOf(t *dominator.Tree) heapTotals {
	return heapTotals{ReachableObjects: t.ReachableObjects - t.KeptObjects, ReachableBytes: t.ReachableBytes - t.KeptBytes,
		UnreachableObjects: t.UnreachableObjects + t.KeptObjects, UnreachableBytes: t.UnreachableBytes + t.KeptBytes,
		UnreachableKept: t.KeptObjects > 0}
}

// String says the totals as the line under a table ends: "reachable:
// 85,282 objects, 4.4 MiB; unreachable (left out): 149 objects, 10 KiB".
func (h heapTotals) String() string {
	s := fmt.Sprintf("reachable: %s, %s", objects(h.ReachableObjects), render.Size(h.ReachableBytes))
	switch {
	case h.UnreachableKept:
		s += fmt.Sprintf("; unreachable (kept as roots, so in retained sizes and %%): %s, %s", objects(h.UnreachableObjects), render.Size(h.UnreachableBytes))
	case h.UnreachableObjects > 0:
		s += fmt.Sprintf("; unreachable (left out): %s, %s", objects(h.UnreachableObjects), render.Size(h.UnreachableBytes))
	}
	return s
}

func percent(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

func (o *dominatorsOptions) node(t *dominator.Tree, x heap.ObjectIndex, depth int) *domNode {
	g := t.Graph()
	n := &domNode{ID: fmt.Sprintf("0x%x", g.ID(x)), Class: g.ObjectLabel(x, !o.jvmNames), Shallow: g.ShallowSize(x),
		Retained: t.Retained(x), Percent: percent(t.Retained(x), t.ReachableBytes), depth: depth, object: x}
	switch {
	case t.KeptRoot(x):
		n.Root = paths.UnreachableRoot // as paths names it, and MAT
	case t.Idom(x) == dominator.TopLevel:
		// Empty for objects that are no root themselves but are reached
		// from several roots with no common dominator.
		n.Root = g.DescribeRoot(x)
	}
	return n
}

// scanLevels is how many levels --depth expands by scanning the whole
// tree once a level (Tree.BiggestChildren without the children table);
// deeper levels use the table. On the bench dump from the index, a scan
// takes about 0.03 s and the table 0.6 s and 330 MB: 20 levels took 0.84 s
// by scanning, 1.01 s and 3.5 times the memory with the table; a
// 40,000-deep chain took 4.0 s by scanning, a tenth of it with the table.
const scanLevels = 32

// collect builds the printed tree level by level: each level's objects
// get their biggest children in one call (one scan of the tree, not a
// children table of every object; see dominator.Tree.BiggestChildren),
// for the first scanLevels levels. It starts at the top-level objects, or
// at starts when --object names some (each shown whatever it retains,
// with its dominators).
func (o *dominatorsOptions) collect(t *dominator.Tree, starts []heap.ObjectIndex, min uint64) []*domNode {
	out := []*domNode{} // JSON [] when nothing is left
	for _, x := range starts {
		n := o.node(t, x, 0)
		chain := []*domNode{} // JSON [] for a top-level object
		for d := t.Idom(x); d >= 0; d = t.Idom(heap.ObjectIndex(d)) {
			chain = append(chain, o.node(t, heap.ObjectIndex(d), 0))
		}
		n.DominatedBy = &chain
		out = append(out, n)
	}
	for _, x := range t.Children(heap.None) {
		if starts != nil || (o.top > 0 && len(out) >= o.top) || t.Retained(x) < min {
			break
		}
		out = append(out, o.node(t, x, 0))
	}
	children := o.children
	if children == 0 {
		children = math.MaxInt32 // all, as --top 0 is
	}
	level := out
	for depth := 0; depth < o.depth && len(level) > 0; depth++ {
		if depth == scanLevels {
			t.IndexChildren() // deeper levels look children up
		}
		objs := make([]heap.ObjectIndex, len(level))
		for i, n := range level {
			objs[i] = n.object
		}
		var next []*domNode
		all, counts := t.BiggestChildren(objs, children)
		for i, biggest := range all {
			p := level[i]
			p.MoreChildren, p.MoreRetained = counts[i], p.Retained-p.Shallow
			for _, c := range biggest {
				if t.Retained(c) < min {
					break
				}
				n := o.node(t, c, depth+1)
				p.Children = append(p.Children, n)
				p.MoreChildren--
				p.MoreRetained -= n.Retained
				next = append(next, n)
			}
			if p.MoreChildren == 0 {
				p.MoreRetained = 0
			}
		}
		level = next
	}
	return out
}

func (o *dominatorsOptions) write(s *IOStreams, t *dominator.Tree, starts []heap.ObjectIndex, min uint64, format render.Format) error {
	nodes := o.collect(t, starts, min)
	if format == render.JSON {
		return render.WriteJSON(s.Out, &domReport{heapTotals: totalsOf(t), TopLevelObjects: len(t.Children(heap.None)), Objects: nodes})
	}
	cols := []render.Column{
		{Title: "Object", Key: "id"}, {Title: "Class", Key: "class"},
		{Title: "Shallow", Key: "shallow_bytes", Kind: render.Bytes}, {Title: "Retained", Key: "retained_bytes", Kind: render.Bytes},
		{Title: "%", Key: "percent", Kind: render.Percent}, {Title: "GC root", Key: "root"},
	}
	if format == render.CSV {
		cols = append([]render.Column{{Title: "Depth", Key: "depth", Kind: render.Count}, {Title: "Parent", Key: "parent"}}, cols...)
		cols = append(cols, render.Column{Key: "more_children", Kind: render.Count}, render.Column{Key: "more_children_retained_bytes", Kind: render.Bytes})
		if starts != nil {
			// JSON's dominated_by as the ids, nearest first, space
			// separated, on the rows of the objects --object names.
			cols = append(cols, render.Column{Key: "dominated_by"})
		}
	}
	// The rows go out as the walk meets them (CSV), or are kept as text
	// (a table): --children 0 below a big array prints millions.
	rows := render.NewRows(s.Out, format, cols)
	var walk func(n *domNode, parent string)
	walk = func(n *domNode, parent string) {
		class := n.Class
		if format == render.Table {
			class = render.Indent(n.depth) + class
		}
		row := []any{n.ID, class, n.Shallow, n.Retained, n.Percent, n.Root}
		if format == render.CSV {
			row = append(append([]any{n.depth, parent}, row...), n.MoreChildren, n.MoreRetained)
			if starts != nil {
				var ids []string
				if n.DominatedBy != nil {
					for _, d := range *n.DominatedBy {
						ids = append(ids, d.ID)
					}
				}
				row = append(row, strings.Join(ids, " "))
			}
		}
		rows.Add(row...)
		for _, c := range n.Children {
			walk(c, n.ID)
		}
		if n.MoreChildren > 0 && format == render.Table {
			more := fmt.Sprintf("%s… %s", render.Indent(n.depth+1), render.Nouns(n.MoreChildren, "more child", "more children"))
			rows.Add("", more, "", n.MoreRetained, percent(n.MoreRetained, t.ReachableBytes), "")
		}
	}
	for _, n := range nodes {
		walk(n, "")
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if format == render.Table && starts != nil {
		fmt.Fprintln(s.Out)
		for _, n := range nodes {
			writeDominatedBy(s.Out, n)
		}
		fmt.Fprint(s.Out, "\n")
		writeReachable(s, t)
	} else if format == render.Table {
		top := len(t.Children(heap.None))
		fmt.Fprintf(s.Out, "\n%s top-level %s shown; ", shownOf(len(nodes), top), plural(top, "object", "objects"))
		writeReachable(s, t)
	}
	return nil
}

// chainShown is how many of an object's dominators the table names, the
// nearest ones, beside the top-level one.
const chainShown = 8

// writeDominatedBy says under a table what dominates an object --object
// named: "0xfae483c0 is dominated by 0xfab1e388 …ExternalAppendOnlyMap
// (3.2 MiB) ← … ← 0xfab148f0 java.lang.Thread (4.0 MiB), top level (7
// dominators in all)".
func writeDominatedBy(w io.Writer, n *domNode) {
	above := *n.DominatedBy
	if len(above) == 0 {
		fmt.Fprintf(w, "%s is a top-level object: no other object dominates it.\n", n.ID)
		return
	}
	var chain []string
	say := func(d *domNode) string { return fmt.Sprintf("%s %s (%s)", d.ID, d.Class, render.Size(d.Retained)) }
	last := len(above) - 1
	for i, d := range above {
		switch {
		case i == last:
			chain = append(chain, say(d)+", top level")
		case i < chainShown || last <= chainShown+1: // not "… 1 more …"
			chain = append(chain, say(d))
		case i == chainShown:
			chain = append(chain, fmt.Sprintf("… %s …", render.Nouns(last-chainShown, "more", "more")))
		}
	}
	fmt.Fprintf(w, "%s is dominated by %s (%s in all).\n", n.ID, strings.Join(chain, " ← "), render.Nouns(len(above), "dominator", "dominators"))
}

// shownOf says "n" when all are shown, else "n of all".
func shownOf(n, all int) string {
	if n < all {
		return commas(int64(n)) + " of " + commas(int64(all))
	}
	return commas(int64(n))
}

// writeReachable ends the line under a table with the tree's totals.
func writeReachable(s *IOStreams, t *dominator.Tree) {
	fmt.Fprintln(s.Out, totalsOf(t))
}

func (o *dominatorsOptions) groupKey(t *dominator.Tree, x heap.ObjectIndex) string {
	g := t.Graph()
	switch o.groupBy {
	case "package":
		if p := g.Package(x); p != "" {
			return p
		}
		return "<default package>"
	case "classloader":
		loader := g.Classes[g.ClassOf(x)].LoaderID
		if c, ok := g.MirrorClass(x); ok {
			loader = g.Classes[c].LoaderID
		}
		if loader == 0 {
			return "<bootstrap>"
		}
		if l := g.Lookup(loader); l != heap.None {
			return fmt.Sprintf("%s @ 0x%x", g.ObjectLabel(l, !o.jvmNames), loader)
		}
		return fmt.Sprintf("0x%x", loader)
	}
	// By the object's own class, as MAT groups: a class object is a
	// java.lang.Class (its class in the graph), not a group of its own.
	name := g.Classes[g.ClassOf(x)].Name
	if !o.jvmNames {
		name = heap.SourceName(name)
	}
	return name
}

func (o *dominatorsOptions) writeGroups(s *IOStreams, t *dominator.Tree, min uint64, format render.Format) error {
	type group struct {
		key               string
		objects           int64
		shallow, retained uint64
	}
	groups := map[string]*group{}
	g := t.Graph()
	for _, x := range t.Children(heap.None) {
		k := o.groupKey(t, x)
		gr := groups[k]
		if gr == nil {
			gr = &group{key: k}
			groups[k] = gr
		}
		gr.objects++
		gr.shallow += g.ShallowSize(x)
		gr.retained += t.Retained(x)
	}
	list := make([]*group, 0, len(groups))
	for _, gr := range groups {
		if gr.retained >= min {
			list = append(list, gr)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].retained != list[j].retained {
			return list[i].retained > list[j].retained
		}
		return list[i].key < list[j].key
	})
	if o.top > 0 && len(list) > o.top {
		list = list[:o.top]
	}
	title := map[string]string{"class": "Class", "package": "Package", "classloader": "Class loader"}[o.groupBy]
	grid := &render.Grid{Columns: []render.Column{
		{Title: title, Key: o.groupBy}, {Title: "Objects", Key: "objects", Kind: render.Count},
		{Title: "Shallow", Key: "shallow_bytes", Kind: render.Bytes}, {Title: "Retained", Key: "retained_bytes", Kind: render.Bytes},
		{Title: "%", Key: "percent", Kind: render.Percent},
	}}
	for _, gr := range list {
		grid.Rows = append(grid.Rows, []any{gr.key, gr.objects, gr.shallow, gr.retained, percent(gr.retained, t.ReachableBytes)})
	}
	if format == render.JSON {
		return render.WriteJSON(s.Out, &domGroups{heapTotals: totalsOf(t), TopLevelObjects: len(t.Children(heap.None)), GroupBy: o.groupBy, Groups: grid.Records()})
	}
	if err := grid.Write(s.Out, format); err != nil || format != render.Table {
		return err
	}
	kinds := map[string][2]string{"class": {"class", "classes"}, "package": {"package", "packages"}, "classloader": {"class loader", "class loaders"}}[o.groupBy]
	top := len(t.Children(heap.None))
	fmt.Fprintf(s.Out, "\n%s %s shown, grouping %s top-level %s; ", shownOf(len(grid.Rows), len(groups)), plural(len(groups), kinds[0], kinds[1]),
		commas(int64(top)), plural(top, "object", "objects"))
	writeReachable(s, t)
	return nil
}
