package cli

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/render"
)

type histogramOptions struct {
	top      int
	match    string
	format   string
	jvmNames bool
	retained bool
	// retainedBy: --retained-by, the objects whose retained set to count.
	retainedBy []string
	// unreachable: --unreachable, only the objects no GC root reaches.
	unreachable bool
	tree        treeOptions
}

func newHistogramCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	o := &histogramOptions{}
	cmd := &cobra.Command{
		Use:   "histogram [DUMP]",
		Short: "Instances and shallow bytes per class, biggest first",
		Long: `Counts objects and their shallow sizes per class, as the JVM lays them out
(the numbers jcmd GC.class_histogram prints for the same heap). Class objects
count as java.lang.Class. Rows are sorted by shallow bytes, then name; with
--retained, by retained size (which needs the whole graph and dominator tree,
where the plain histogram is one pass over the dump).

Every object the dump holds is counted, reachable or not, as the JVM counts
them. jcmd GC.heap_dump collects garbage first, but a dump written on
OutOfMemoryError (or with -all) may hold some, which Eclipse MAT leaves out:
'leakscan dominators' totals it as unreachable, and retained sizes count only
what the GC roots reach: a class with garbage instances may retain less than
its shallow size, and the table then says under it how many objects (and
bytes) the dump holds unreachable. --unreachable counts those objects alone
(MAT's unreachable objects histogram): what the next collection frees.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := render.ParseFormat(o.format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			// Without --retained no tree is built, which these shape.
			for _, name := range []string{"weak", "keep-unreachable"} {
				if !o.retained && len(o.retainedBy) == 0 && !(o.unreachable && name == "weak") && cmd.Flags().Changed(name) {
					return fmt.Errorf("--%s needs --retained or --retained-by: it changes retained sizes, and without them the histogram has none", name)
				}
			}
			if o.unreachable && (o.retained || len(o.retainedBy) > 0) {
				return fmt.Errorf("--unreachable counts what no GC root reaches, which retains nothing: not with --retained or --retained-by")
			}
			var by []uint64
			if len(o.retainedBy) > 0 {
				if o.retained {
					return fmt.Errorf("--retained-by counts what some objects retain, and --retained adds each class's retained size to the whole heap's: give one")
				}
				if by, err = objectIDs("--retained-by", o.retainedBy); err != nil {
					return err
				}
			}
			var re *regexp.Regexp
			if o.match != "" {
				if re, err = regexp.Compile(o.match); err != nil {
					return fmt.Errorf("--match: %w", err)
				}
			}
			x, err := g.openSession(s, args)
			if err != nil {
				return err
			}
			defer x.Close()
			if len(o.retainedBy) > 0 {
				return o.runRetainedBy(s, x, by, re, format)
			}
			if o.unreachable {
				return o.runUnreachable(s, x, re, format)
			}
			if !o.retained {
				census, err := x.Census()
				if err != nil {
					return err
				}
				return o.run(s, census, nil, nil, re, format)
			}
			retained, tree, err := x.ClassRetained(&o.tree, nil)
			if err != nil {
				return err
			}
			unreachable := func() (int64, uint64, error) { return x.Unreachable(&o.tree, tree) }
			census := (*heap.Census)(nil)
			if tree != nil {
				census = tree.Graph().Census() // the graph is at hand
			} else if census, err = x.Census(); err != nil {
				return err
			}
			return o.run(s, census, retained, unreachable, re, format)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.top, "top", 0, "show only the N biggest classes (0 = all)")
	f.StringVar(&o.match, "match", "", "only classes whose name matches this regular expression")
	f.StringVar(&o.format, "format", "table", "table, json or csv (json and csv carry exact bytes)")
	f.BoolVar(&o.jvmNames, "jvm-names", false, "name array classes as the JVM does ([B, [Ljava.lang.Object;)")
	f.BoolVar(&o.retained, "retained", false, "add each class's retained size (its objects not dominated by another object of the class); builds the dominator tree")
	f.StringArrayVar(&o.retainedBy, "retained-by", nil, "count only what this object (0x…; repeatable: what they retain together) retains, itself included: its retained set (MAT's Show Retained Set); builds the dominator tree")
	f.BoolVar(&o.unreachable, "unreachable", false, "count only the objects no GC root reaches, garbage the next collection frees (MAT's unreachable objects histogram; with --weak ignore, the weakly reachable too); builds the dominator tree")
	o.tree.register(cmd)
	return cmd
}

// runUnreachable writes the histogram of the objects no GC root reaches,
// which the dominator tree leaves out.
func (o *histogramOptions) runUnreachable(s *IOStreams, x *session, re *regexp.Regexp, format render.Format) error {
	tree, err := x.Tree(&o.tree)
	if err != nil {
		return err
	}
	g := tree.Graph()
	rows, _ := placedRows(g, placeWhere(g.NumObjects(), func(i int) bool { return tree.Idom(heap.ObjectIndex(i)) == dominator.Unreachable }))
	if format == render.Table {
		what := "no GC root reaches"
		if o.tree.weak == "ignore" {
			what = "no GC root reaches by strong references"
		}
		fmt.Fprintf(s.Out, "Objects %s (%s, %s), which the next collection frees:\n\n", what, objects(tree.UnreachableObjects), render.Size(tree.UnreachableBytes))
		if len(rows) == 0 {
			return nil
		}
	}
	return o.run(s, &heap.Census{Classes: g.Classes, Rows: rows}, nil, nil, re, format)
}

// runRetainedBy writes the histogram of the objects that the objects ids
// retain together, themselves included (MAT's Show Retained Set). For
// one object those are what it dominates, which the dominator tree places
// below it, and their shallow sizes add up to its retained size. For
// several they may be more than what each dominates: an object two of
// them hold, which neither dominates; a search without them finds those
// (dominator.RetainedSet).
func (o *histogramOptions) runRetainedBy(s *IOStreams, x *session, ids []uint64, re *regexp.Regexp, format render.Format) error {
	tree, err := x.Tree(&o.tree)
	if err != nil {
		return err
	}
	g := tree.Graph()
	var objs []heap.ObjectIndex
	for i, id := range ids {
		obj, err := lookupObject(g, "--retained-by", o.retainedBy[i], id)
		switch {
		case err != nil:
			return err
		case tree.Idom(obj) == dominator.Unreachable:
			return fmt.Errorf("--retained-by %s: no GC root reaches it, so it retains nothing (--keep-unreachable takes it in)", o.retainedBy[i])
		}
		if !slices.Contains(objs, obj) { // (the order given, for the heading)
			objs = append(objs, obj)
		}
	}
	var place []uint8
	if len(objs) == 1 {
		place = tree.PlaceBelow(objs, []uint8{0})
	} else {
		dopts, err := o.tree.options()
		if err != nil {
			return err
		}
		var also []heap.ObjectIndex // the roots --keep-unreachable made
		if dopts.KeepUnreachable {
			for i := range g.NumObjects() {
				if x := heap.ObjectIndex(i); tree.KeptRoot(x) {
					also = append(also, x)
				}
			}
		}
		bar := x.g.bar(s)
		dopts.Progress = bar.Update
		set := dominator.RetainedSet(g, dopts, objs, also)
		bar.Done()
		place = placeWhere(g.NumObjects(), func(i int) bool { return set.Has(int32(i)) })
	}
	rows, total := placedRows(g, place)
	census := &heap.Census{Classes: g.Classes, Rows: rows}
	refs := make([]leaks.Object, len(objs))
	names := make([]string, len(objs))
	for i, obj := range objs {
		refs[i] = leaks.Object{ID: fmt.Sprintf("0x%x", g.ID(obj)), Class: g.ObjectLabel(obj, !o.jvmNames), Retained: tree.Retained(obj)}
		names[i] = refs[i].ID + " " + refs[i].Class
	}
	switch format {
	case render.Table:
		if len(objs) == 1 {
			fmt.Fprintf(s.Out, "What %s retains (%s):\n\n", names[0], render.Size(total))
		} else {
			if len(names) > 5 {
				names = append(names[:4], fmt.Sprintf("%d more", len(objs)-4))
			}
			fmt.Fprintf(s.Out, "What %s and %s retain together (%s):\n\n", strings.Join(names[:len(names)-1], ", "), names[len(names)-1], render.Size(total))
		}
	case render.JSON:
		// The objects beside the rows, as the table's heading gives them
		// (CSV has the rows alone: their shallow sizes add up to the
		// total).
		var rows bytes.Buffer
		to := *s
		to.Out = &rows
		if err := o.run(&to, census, nil, nil, re, format); err != nil {
			return err
		}
		return render.WriteJSON(s.Out, struct {
			Objects  []leaks.Object  `json:"objects"`
			Retained uint64          `json:"retained_bytes"`
			Classes  json.RawMessage `json:"classes"`
		}{refs, total, rows.Bytes()})
	}
	return o.run(s, census, nil, nil, re, format)
}

// placeWhere returns a place for each of n objects (as
// dominator.Tree.PlaceBelow gives them): BelowTop where in says so, else
// BelowNone.
func placeWhere(n int, in func(i int) bool) []uint8 {
	place := make([]uint8, n)
	for i := range place {
		place[i] = dominator.BelowNone
		if in(i) {
			place[i] = dominator.BelowTop
		}
	}
	return place
}

// placedRows returns the histogram's rows of the objects placed BelowTop,
// in its order, and their shallow bytes in all.
func placedRows(g *heap.Graph, place []uint8) ([]heap.ClassStats, uint64) {
	var rows []heap.ClassStats
	var total uint64
	for _, row := range g.ClassTotals(place, dominator.BelowTop, 1)[0] {
		if row.Instances > 0 {
			rows = append(rows, row)
			total += row.ShallowBytes
		}
	}
	heap.SortRows(g.Classes, rows)
	return rows, total
}

func (o *histogramOptions) className(classes []heap.Class, c heap.ClassIndex) string {
	if o.jvmNames {
		return classes[c].Name
	}
	return heap.SourceName(classes[c].Name)
}

// run writes the histogram, with retained sizes when retained is set;
// unreachable then gives the tree's totals of what no GC root reaches,
// asked for only by a table with a row that retains less than its shallow
// size.
func (o *histogramOptions) run(s *IOStreams, census *heap.Census, retained []uint64, unreachable func() (int64, uint64, error), re *regexp.Regexp, format render.Format) error {
	grid := &render.Grid{Columns: []render.Column{
		{Title: "Class", Key: "class", Kind: render.Text},
		{Title: "Instances", Key: "instances", Kind: render.Count},
		{Title: "Shallow", Key: "shallow_bytes", Kind: render.Bytes},
	}}
	rows := census.Rows
	if retained != nil {
		grid.Columns = append(grid.Columns, render.Column{Title: "Retained", Key: "retained_bytes", Kind: render.Bytes})
		rows = byRetained(rows, retained)
	}
	if format != render.Table {
		grid.Columns = append(grid.Columns, render.Column{Title: "Loader", Key: "loader", Kind: render.Text})
	}
	// A name several loaders define has a row per loader (the JVM's
	// histogram has too): the table names the loader beside it, as JSON
	// and CSV do for every row.
	defined := definedBy(census.Classes, rows)
	var totalN int64
	var totalB uint64
	classes := 0          // matching, shown or not
	belowShallow := false // a shown row retains less than its shallow size
	for _, row := range rows {
		name := o.className(census.Classes, row.Class)
		// Both forms of a name match, whichever is shown: '\[\]$' found
		// nothing with --jvm-names, where '^\[' found byte[] without.
		if jvm := census.Classes[row.Class].Name; re != nil && !re.MatchString(jvm) && !re.MatchString(heap.SourceName(jvm)) {
			continue
		}
		totalN += row.Instances
		totalB += row.ShallowBytes
		classes++
		if o.top > 0 && len(grid.Rows) >= o.top {
			continue
		}
		loader := loaderID(census.Classes[row.Class].LoaderID)
		if format == render.Table {
			name = withLoader(name, census.Classes, row.Class, defined)
		}
		r := []any{name, row.Instances, row.ShallowBytes}
		if retained != nil {
			r = append(r, retained[row.Class])
			belowShallow = belowShallow || retained[row.Class] < row.ShallowBytes
		}
		if format != render.Table {
			r = append(r, loader)
		}
		grid.Rows = append(grid.Rows, r)
	}
	if err := grid.Write(s.Out, format); err != nil {
		return err
	}
	if format == render.Table {
		fmt.Fprintf(s.Out, "\n%s %s shown; total %s, %s\n", shownOf(len(grid.Rows), classes), plural(classes, "class", "classes"), objects(totalN), render.Size(totalB))
		if belowShallow {
			// Only garbage makes a class retain less than its shallow
			// size (a reachable instance counts in its class's retained
			// size, on its own or under another instance of the class),
			// which unexplained reads as a bug.
			n, b, err := unreachable()
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "Instances and Shallow count unreachable objects too (%s in the dump, %s); Retained counts only what GC roots reach.\n", commas(n), render.Size(b))
		}
	}
	return nil
}

// byRetained returns a copy of the histogram's rows, biggest retained size
// first (rows of equal size keep their order).
func byRetained(rows []heap.ClassStats, retained []uint64) []heap.ClassStats {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b heap.ClassStats) int { return cmp.Compare(retained[b.Class], retained[a.Class]) })
	return rows
}

// definedBy counts the rows of each class name: more than one, and several
// loaders define it.
func definedBy(classes []heap.Class, rows []heap.ClassStats) map[string]int {
	defined := map[string]int{}
	for _, row := range rows {
		defined[classes[row.Class].Name]++
	}
	return defined
}

// loaderID names a class loader by its id, "<bootstrap>" for the JVM's own.
func loaderID(id uint64) string {
	if id == 0 {
		return "<bootstrap>"
	}
	return fmt.Sprintf("0x%x", id)
}

// withLoader adds to name, class c's as a row shows it, the loader that
// defined c when several loaders define its name (defined, by definedBy):
// "Reloaded (loader 0xfd5d6ef0)".
func withLoader(name string, classes []heap.Class, c heap.ClassIndex, defined map[string]int) string {
	if defined[classes[c].Name] > 1 {
		name += " (loader " + loaderID(classes[c].LoaderID) + ")"
	}
	return name
}
