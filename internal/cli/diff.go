package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/check"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/render"
)

type diffOptions struct {
	top          int
	format       string
	failOnGrowth string
	jvmNames     bool
	// dumps: --base-dump and --new-dump, which heap dump of each file
	// (-1: --dump's).
	dumps [2]int
}

func newDiffCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff BASE NEW",
		Short: "What grew between two dumps: per class, and class loaders (Metaspace)",
		Long: `Compares two dumps of the same application: per class the change in
instances, shallow and retained bytes, biggest growth first; then class
loaders by their class, with how many loaders and how many classes they
define before and after (a job server that leaks a class loader per job shows
here). --fail-on-growth SIZE|PERCENT exits 1 when the reachable heap grew by
more, for CI. With --format csv only the class table is written.

A file holding several heap dumps (the old hprof agent writes one per
request) compares with itself: diff FILE FILE --base-dump 0 --new-dump 1.
--dump picks the same one of both files.

Instances and shallow bytes count every object of the dump, as the histogram
does; retained bytes and the heading's totals count what the GC roots reach.
A class with unreachable instances may so retain less than its shallow size:
the table then says under it how many objects (and bytes) each dump holds
unreachable, and JSON always gives them.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("diff compares two dumps, BASE and NEW: %d given", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := render.ParseFormat(o.format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			if o.failOnGrowth != "" {
				if _, _, err := check.ParseLimit(o.failOnGrowth); err != nil {
					return fmt.Errorf("--fail-on-growth: %w", err)
				}
			}
			if g.indexDir != "" && !g.noIndex {
				// One folder would hold one dump's index at a time: each
				// run would find the other's stale and rebuild it.
				return &ExitError{Code: ExitError2, Err: fmt.Errorf("--index-dir names one index, and diff reads two dumps: leave it out (each dump's index goes beside it) or give --no-index")}
			}
			var trees [2]*dominator.Tree
			var retained [2][]uint64
			for i, dump := range args {
				gi := *g // (a copy: the other dump may be another of the file's)
				if o.dumps[i] >= 0 {
					gi.dump = o.dumps[i]
				}
				x := gi.newSession(s, dump)
				defer x.Close()
				t := &treeOptions{weak: "follow"}
				if trees[i], err = x.Tree(t); err != nil {
					return err
				}
				if retained[i], _, err = x.ClassRetained(t, trees[i]); err != nil {
					return err
				}
			}
			if m0, m1 := trees[0].Graph().Model, trees[1].Graph().Model; m0.RefSize != m1.RefSize || m0.HeaderSize != m1.HeaderSize || m0.Alignment != m1.Alignment || m0.WordSize != m1.WordSize {
				// Every object's size differs for that alone: a JVM flag
				// changed between the dumps would fail --fail-on-growth.
				s.warnOnce("%s and %s come from JVMs that lay objects out differently (%s; %s): sizes differ by that alone, and their changes below count it", args[0], args[1], layoutWords(m0), layoutWords(m1))
			}
			d := o.compute(trees, retained)
			if err := o.write(s.Out, d, format); err != nil {
				return err
			}
			if o.failOnGrowth != "" {
				b, pct, _ := check.ParseLimit(o.failOnGrowth)
				limit := b
				if pct >= 0 {
					limit = uint64(pct / 100 * float64(d.Base.ReachableBytes))
				}
				if d.Growth > 0 && uint64(d.Growth) > limit {
					// Both in exact bytes too: "grew by 4.8 MiB, more than
					// 5MB" read as false (5,016,816 > 5,000,000 bytes).
					grew := fmt.Sprintf("%s (%s bytes)", render.Size(uint64(d.Growth)), commas(d.Growth))
					bound := fmt.Sprintf("%s (%s bytes)", o.failOnGrowth, commas(int64(limit)))
					if pct >= 0 && d.Base.ReachableBytes > 0 {
						grew = fmt.Sprintf("%s, %.2f%% of the base's", grew, float64(d.Growth)*100/float64(d.Base.ReachableBytes))
						bound = fmt.Sprintf("%s (%s bytes of the base's %s bytes)", o.failOnGrowth, commas(int64(limit)), commas(int64(d.Base.ReachableBytes)))
					}
					return &ExitError{Code: ExitFindings, Err: fmt.Errorf("the reachable heap grew by %s, more than %s", grew, bound)}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.top, "top", 30, "classes to show (0 = all that changed)")
	f.StringVar(&o.format, "format", "table", "table, json or csv")
	f.StringVar(&o.failOnGrowth, "fail-on-growth", "", "exit 1 when the reachable heap grew by more than this: a size (100MB) or a share of BASE's (10%)")
	f.BoolVar(&o.jvmNames, "jvm-names", false, "name array classes as the JVM does ([B)")
	f.IntVar(&o.dumps[0], "base-dump", -1, "which heap dump of BASE, when it holds several (0-based; default --dump's)")
	f.IntVar(&o.dumps[1], "new-dump", -1, "which heap dump of NEW, when it holds several (0-based; default --dump's)")
	return cmd
}

// side is one dump's totals. The unreachable objects count in the
// classes' instances and shallow bytes, not in their retained bytes.
type side struct {
	Dump               string `json:"dump"`
	HeapDump           int    `json:"heap_dump"` // which of the file's (0-based)
	ReachableObjects   int64  `json:"reachable_objects"`
	ReachableBytes     uint64 `json:"reachable_bytes"`
	UnreachableObjects int64  `json:"unreachable_objects"`
	UnreachableBytes   uint64 `json:"unreachable_bytes"`
}

func sideOf(t *dominator.Tree) side {
	g := t.Graph()
	return side{Dump: g.Source.Path, HeapDump: g.Dump, ReachableObjects: t.ReachableObjects, ReachableBytes: t.ReachableBytes,
		UnreachableObjects: t.UnreachableObjects, UnreachableBytes: t.UnreachableBytes}
}

// classDelta is one class's change; classes are matched by name.
type classDelta struct {
	Class         string `json:"class"`
	InstancesBase int64  `json:"instances_base"`
	InstancesNew  int64  `json:"instances_new"`
	ShallowBase   uint64 `json:"shallow_base_bytes"`
	ShallowNew    uint64 `json:"shallow_new_bytes"`
	RetainedBase  uint64 `json:"retained_base_bytes"`
	RetainedNew   uint64 `json:"retained_new_bytes"`
	Instances     int64  `json:"instances_delta"`
	Shallow       int64  `json:"shallow_delta_bytes"`
	RetainedDiff  int64  `json:"retained_delta_bytes"`
}

// loaderDelta is the class loaders of one loader class.
type loaderDelta struct {
	LoaderClass string `json:"loader_class"`
	LoadersBase int    `json:"loaders_base"`
	LoadersNew  int    `json:"loaders_new"`
	ClassesBase int    `json:"classes_base"`
	ClassesNew  int    `json:"classes_new"`
}

type diffReport struct {
	Base    side         `json:"base"`
	New     side         `json:"new"`
	Growth  int64        `json:"reachable_growth_bytes"`
	Classes []classDelta `json:"classes"`
	// MoreClasses is how many changed classes --top left out of Classes.
	MoreClasses int           `json:"more_classes"`
	Loaders     []loaderDelta `json:"class_loaders"`
}

type classTotals struct {
	instances         int64
	shallow, retained uint64
}

// totals sums the classes of tree t by name, with their retained sizes
// (retained, by class). A name several loaders define gets its objects'
// retained size that no other object of the name dominates
// (Tree.GroupRetainedFrom): the classes' own sizes would count an object
// of one loader's class dominated by another loader's twice.
func (o *diffOptions) totals(t *dominator.Tree, retained []uint64) map[string]classTotals {
	g := t.Graph()
	names := make([]string, len(g.Classes))
	groupOf := make([]int32, len(g.Classes))
	group := map[string]int32{}
	for c := range g.Classes {
		names[c] = g.Classes[c].Name
		if !o.jvmNames {
			names[c] = heap.SourceName(names[c])
		}
		k, ok := group[names[c]]
		if !ok {
			k = int32(len(group))
			group[names[c]] = k
		}
		groupOf[c] = k
	}
	byName := t.GroupRetainedFrom(func() []uint64 { return retained }, groupOf, len(group))
	out := map[string]classTotals{}
	for _, r := range g.Histogram() {
		name := names[r.Class]
		c := out[name]
		c.instances += r.Instances
		c.shallow += r.ShallowBytes
		c.retained = byName[groupOf[r.Class]]
		out[name] = c
	}
	return out
}

// loaders counts, per class of class loader, the loaders and the classes
// they define (the bootstrap loader as "<bootstrap>").
func loaders(t *dominator.Tree) map[string][2]int {
	g := t.Graph()
	out := map[string][2]int{}
	for id, n := range leaks.LoaderClasses(g) { // one that defines no class too
		name := "<bootstrap>"
		if id != 0 {
			if o := g.Lookup(id); o != heap.None {
				name = g.ObjectLabel(o, false)
			} else {
				name = fmt.Sprintf("<loader 0x%x not in the dump>", id)
			}
		}
		v := out[name]
		v[0]++
		v[1] += n
		out[name] = v
	}
	return out
}

// compute compares the base and new trees, given their classes' retained
// sizes.
func (o *diffOptions) compute(trees [2]*dominator.Tree, retained [2][]uint64) *diffReport {
	base, next := trees[0], trees[1]
	d := &diffReport{Base: sideOf(base), New: sideOf(next), Classes: []classDelta{}} // JSON's [] when none changed, not null
	d.Growth = int64(next.ReachableBytes) - int64(base.ReachableBytes)
	a, b := o.totals(base, retained[0]), o.totals(next, retained[1])
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	for n := range names {
		x, y := a[n], b[n]
		c := classDelta{Class: n, InstancesBase: x.instances, InstancesNew: y.instances, ShallowBase: x.shallow, ShallowNew: y.shallow,
			RetainedBase: x.retained, RetainedNew: y.retained, Instances: y.instances - x.instances,
			Shallow: int64(y.shallow) - int64(x.shallow), RetainedDiff: int64(y.retained) - int64(x.retained)}
		if c.Instances != 0 || c.Shallow != 0 || c.RetainedDiff != 0 {
			d.Classes = append(d.Classes, c)
		}
	}
	slices.SortFunc(d.Classes, func(p, q classDelta) int {
		if c := cmp.Compare(q.RetainedDiff, p.RetainedDiff); c != 0 {
			return c
		}
		if c := cmp.Compare(q.Shallow, p.Shallow); c != 0 {
			return c
		}
		return cmp.Compare(p.Class, q.Class)
	})
	if o.top > 0 && len(d.Classes) > o.top {
		d.MoreClasses = len(d.Classes) - o.top
		d.Classes = d.Classes[:o.top]
	}
	la, lb := loaders(base), loaders(next)
	lnames := map[string]bool{}
	for n := range la {
		lnames[n] = true
	}
	for n := range lb {
		lnames[n] = true
	}
	for n := range lnames {
		d.Loaders = append(d.Loaders, loaderDelta{LoaderClass: n, LoadersBase: la[n][0], LoadersNew: lb[n][0], ClassesBase: la[n][1], ClassesNew: lb[n][1]})
	}
	// Most grown first, in loaders, then in classes defined: 20 more
	// loaders that define no class are a leak too.
	slices.SortFunc(d.Loaders, func(p, q loaderDelta) int {
		return cmp.Or(cmp.Compare(q.LoadersNew-q.LoadersBase, p.LoadersNew-p.LoadersBase),
			cmp.Compare(q.ClassesNew-q.ClassesBase, p.ClassesNew-p.ClassesBase), cmp.Compare(p.LoaderClass, q.LoaderClass))
	})
	return d
}

func (o *diffOptions) write(w io.Writer, d *diffReport, format render.Format) error {
	if format == render.JSON {
		return render.WriteJSON(w, d)
	}
	grid := &render.Grid{Columns: []render.Column{
		{Title: "Class", Key: "class"},
		{Title: "Instances", Key: "instances_delta", Kind: render.Count}, {Title: "Shallow", Key: "shallow_delta_bytes", Kind: render.Bytes},
		{Title: "Retained", Key: "retained_delta_bytes", Kind: render.Bytes},
		{Title: "Instances (new)", Key: "instances_new", Kind: render.Count}, {Title: "Retained (new)", Key: "retained_new_bytes", Kind: render.Bytes},
	}}
	belowShallow := false // a shown row retains less than its shallow size
	for _, c := range d.Classes {
		belowShallow = belowShallow || c.RetainedBase < c.ShallowBase || c.RetainedNew < c.ShallowNew
		instances, shallow, retained := any(c.Instances), any(c.Shallow), any(c.RetainedDiff)
		if format == render.Table {
			// Signed ("3,090" read as a count), right-aligned as numbers
			// (a Grid shows a string as it is in any column).
			instances, shallow, retained = signedCount(c.Instances), render.SignedSize(c.Shallow), render.SignedSize(c.RetainedDiff)
		}
		grid.Rows = append(grid.Rows, []any{c.Class, instances, shallow, retained, c.InstancesNew, c.RetainedNew})
	}
	if format == render.CSV {
		return grid.Write(w, format)
	}
	fmt.Fprintf(w, "reachable heap: %s → %s (%s); objects %s → %s\n\n", render.Size(d.Base.ReachableBytes), render.Size(d.New.ReachableBytes),
		render.SignedSize(d.Growth), commas(d.Base.ReachableObjects), commas(d.New.ReachableObjects))
	if len(d.Classes) == 0 && format == render.Table {
		fmt.Fprintln(w, "No class changed: instances, shallow and retained sizes are the same in both.")
	} else if err := grid.Write(w, format); err != nil {
		return err
	}
	if d.MoreClasses > 0 {
		// Those that shrank most come last: left out unsaid, they
		// read as unchanged.
		fmt.Fprintf(w, "… and %s more classes that changed (--top 0 lists them all)\n", commas(int64(d.MoreClasses)))
	}
	if belowShallow {
		// Only garbage makes a class retain less than its shallow size
		// (the deltas then show shallow bytes the retained ones lack),
		// which unexplained reads as a bug.
		fmt.Fprintf(w, "\nInstances and Shallow count unreachable objects too (BASE holds %s, %s; NEW %s, %s); Retained counts only what GC roots reach.\n",
			commas(d.Base.UnreachableObjects), render.Size(d.Base.UnreachableBytes), commas(d.New.UnreachableObjects), render.Size(d.New.UnreachableBytes))
	}
	fmt.Fprintln(w, "\nClass loaders:")
	lg := &render.Grid{Columns: []render.Column{
		{Title: "Loader class", Key: "loader_class"}, {Title: "Loaders", Key: "loaders", Kind: render.Text}, {Title: "Classes defined", Key: "classes", Kind: render.Text},
	}}
	for _, l := range d.Loaders {
		lg.Rows = append(lg.Rows, []any{l.LoaderClass, commas(int64(l.LoadersBase)) + " → " + commas(int64(l.LoadersNew)), commas(int64(l.ClassesBase)) + " → " + commas(int64(l.ClassesNew))})
	}
	return lg.Write(w, format)
}

// signedCount formats a count's change with its sign: "+3,090", "-2", "0".
func signedCount(n int64) string {
	if n > 0 {
		return "+" + commas(n)
	}
	return commas(n)
}

// layoutWords says a dump's object layout in a few words: "64-bit,
// compressed oops, 12-byte headers, 8-byte alignment".
func layoutWords(m heap.Model) string {
	oops := "compressed oops"
	if !m.CompressedOops() {
		oops = "no compressed oops"
	}
	if m.WordSize == 4 {
		return fmt.Sprintf("32-bit, %d-byte headers, %d-byte alignment", m.HeaderSize, m.Alignment)
	}
	return fmt.Sprintf("64-bit, %s, %d-byte headers, %d-byte alignment", oops, m.HeaderSize, m.Alignment)
}
