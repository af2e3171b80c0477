package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/render"
)

// rootDominators names the row of the objects only the super-root
// dominates, as MAT does.
const rootDominators = "<ROOT>"

// immediateJSON is `dominators --of`'s JSON.
type immediateJSON struct {
	heapTotals
	Of              string         `json:"of"`
	Skip            []string       `json:"skip"`
	MatchingObjects int            `json:"matching_objects"`
	Unreachable     int64          `json:"unreachable_matching_objects"`
	Classes         []immediateRow `json:"classes"`
	MoreClasses     int            `json:"more_classes"`
}

// immediateRow is one class of dominators (leaks.DominatorClass, named).
type immediateRow struct {
	Class  string `json:"class"`
	Loader string `json:"loader"` // "" for the root's row
	// Statics: the dominators are class objects, the class they are
	// named by (its static fields hold the objects).
	Statics           bool    `json:"statics"`
	Dominators        int64   `json:"dominators"`
	DominatorsShallow uint64  `json:"dominators_shallow_bytes"`
	Dominated         int64   `json:"dominated"`
	DominatedShallow  uint64  `json:"dominated_shallow_bytes"`
	DominatedRetained uint64  `json:"dominated_retained_bytes"`
	Percent           float64 `json:"percent"`
	// Biggest is the dominator whose dominated objects retain the most,
	// BiggestDominated what they retain (null and 0 for the root's row).
	Biggest          *leaks.Object `json:"biggest"`
	BiggestDominated uint64        `json:"biggest_dominated_retained_bytes"`
}

// immediateOptions checks --of and --skip against the other flags and
// compiles them; of is nil without --of.
func (o *dominatorsOptions) immediateOptions(cmd *cobra.Command, objects bool) (of *heap.ClassMatcher, skip []*heap.ClassMatcher, err error) {
	changed := cmd.Flags().Changed
	if changed("of") && o.of == "" {
		return nil, nil, fmt.Errorf("--of '': name a class (a class pattern: byte[], com.acme.Cache, com.acme.*)")
	}
	if o.of == "" {
		if changed("skip") {
			return nil, nil, fmt.Errorf("--skip passes over dominators of the objects --of names: give --of CLASS")
		}
		return nil, nil, nil
	}
	for _, other := range []struct {
		given bool
		flag  string
	}{{objects, "--object"}, {o.groupBy != "", "--group-by"}, {changed("depth"), "--depth"}, {changed("children"), "--children"}, {changed("min-retained"), "--min-retained"}} {
		if other.given {
			return nil, nil, fmt.Errorf("--of groups the dominators of a class's objects, and %s shapes the tree: give one", other.flag)
		}
	}
	if of, err = heap.ClassPattern(o.of); err != nil {
		return nil, nil, fmt.Errorf("--of: %w", err)
	}
	for _, p := range o.skip {
		if p == "" {
			continue // passes over nothing
		}
		m, err := heap.ClassPattern(p)
		if err != nil {
			return nil, nil, fmt.Errorf("--skip: %w", err)
		}
		skip = append(skip, m)
	}
	return of, skip, nil
}

// writeImmediate prints the immediate dominators of objs, grouped by
// class (leaks.ImmediateDominators).
func (o *dominatorsOptions) writeImmediate(s *IOStreams, t *dominator.Tree, objs []heap.ObjectIndex, skips []*heap.ClassMatcher, format render.Format) error {
	g := t.Graph()
	skip := make([]bool, len(g.Classes))
	for _, m := range skips {
		for c, yes := range g.MatchClasses(m) {
			skip[c] = skip[c] || yes
		}
	}
	rows, unreachable := leaks.ImmediateDominators(t, objs, skip)
	defined := map[string]int{}
	for _, c := range g.Classes {
		defined[c.Name]++
	}
	shown, more := firstOf(rows, o.top)
	out := make([]immediateRow, len(shown))
	for i, r := range shown {
		row := immediateRow{Class: rootDominators, Dominators: r.Dominators, DominatorsShallow: r.DominatorsShallow,
			Dominated: r.Dominated, DominatedShallow: r.DominatedShallow, DominatedRetained: r.DominatedRetained,
			Percent: percent(r.DominatedRetained, t.ReachableBytes), BiggestDominated: r.BiggestRetained}
		if r.Class != leaks.NoDominatorClass {
			name := g.Classes[r.Class].Name
			if !o.jvmNames {
				name = heap.SourceName(name)
			}
			row.Class = withLoader(name, g.Classes, r.Class, defined)
			row.Statics = r.Statics
			if r.Statics {
				row.Class = "class " + row.Class // the class object: its statics
			}
			row.Loader = loaderID(g.Classes[r.Class].LoaderID)
			b := leaks.Object{ID: fmt.Sprintf("0x%x", g.ID(r.Biggest)), Class: g.ObjectLabel(r.Biggest, !o.jvmNames), Retained: t.Retained(r.Biggest)}
			row.Biggest = &b
		}
		out[i] = row
	}
	skipped := slices.DeleteFunc(slices.Clone(o.skip), func(p string) bool { return p == "" })
	if format == render.JSON {
		return render.WriteJSON(s.Out, immediateJSON{heapTotals: totalsOf(t), Of: o.of, Skip: skipped, MatchingObjects: len(objs),
			Unreachable: unreachable, Classes: out, MoreClasses: more})
	}
	cols := []render.Column{
		{Title: "Dominator class", Key: "class"}, {Title: "Dominators", Key: "dominators", Kind: render.Count},
		{Title: "Shallow", Key: "dominators_shallow_bytes", Kind: render.Bytes},
		{Title: "Dominated", Key: "dominated", Kind: render.Count}, {Title: "Dominated shallow", Key: "dominated_shallow_bytes", Kind: render.Bytes},
		{Title: "Dominated retained", Key: "dominated_retained_bytes", Kind: render.Bytes}, {Title: "%", Key: "percent", Kind: render.Percent},
		{Title: "Biggest dominator", Key: "biggest_id"}, {Title: "Dominated by it", Key: "biggest_dominated_retained_bytes", Kind: render.Bytes},
	}
	if format == render.CSV {
		cols = append(cols, render.Column{Key: "loader"}, render.Column{Key: "statics"})
	}
	rowsOut := render.NewRows(s.Out, format, cols)
	for _, r := range out {
		id := ""
		if r.Biggest != nil {
			id = r.Biggest.ID
		}
		cells := []any{r.Class, r.Dominators, r.DominatorsShallow, r.Dominated, r.DominatedShallow, r.DominatedRetained, r.Percent, id, r.BiggestDominated}
		if format == render.CSV {
			cells = append(cells, r.Loader, strconv.FormatBool(r.Statics))
		}
		rowsOut.Add(cells...)
	}
	if err := rowsOut.Close(); err != nil || format != render.Table {
		return err
	}
	fmt.Fprintf(s.Out, "\n%s %s shown; the immediate dominators of %s %s", shownOf(len(shown), len(rows)), plural(len(rows), "class", "classes"),
		commas(int64(len(objs))), plural(len(objs), "object", "objects"))
	if unreachable > 0 {
		fmt.Fprintf(s.Out, " (%s of them unreachable: no dominator)", commas(unreachable))
	}
	fmt.Fprintf(s.Out, " matching %s", o.of)
	if len(skipped) > 0 {
		fmt.Fprintf(s.Out, ", dominators of classes matching %s passed over for the one above (but GC roots at the top)", strings.Join(skipped, " or "))
	}
	fmt.Fprint(s.Out, "; Dominated retained counts each byte once: a matching object inside another's counts in that one's row")
	if slices.ContainsFunc(out, func(r immediateRow) bool { return r.Biggest == nil }) {
		fmt.Fprintf(s.Out, "; %s: no dominator but the super-root, or none not passed over", rootDominators)
	}
	fmt.Fprintln(s.Out)
	writeReachable(s, t)
	return nil
}
