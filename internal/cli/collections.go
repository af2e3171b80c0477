package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/render"
)

// collectionsJSON is collections' JSON: the rows cut to --top, and how
// many that left out.
type collectionsJSON struct {
	Classes     []leaks.CollectionStats `json:"classes"`
	MoreClasses int                     `json:"more_classes"`
}

func newCollectionsCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	var top int
	var format string
	var topts treeOptions
	cmd := &cobra.Command{
		Use:   "collections [DUMP]",
		Short: "Collection fill ratios: empty and sparse HashMaps, ArrayLists and the like, by the memory their unused slots take",
		Long: `Measures the reachable instances of the JDK's collections and their
subclasses (HashMap, LinkedHashMap, Hashtable, Properties, WeakHashMap,
IdentityHashMap, ConcurrentHashMap, HashSet, LinkedHashSet, ArrayList, Vector,
Stack, PriorityQueue, ArrayDeque), by class, as Eclipse MAT's collection fill
ratio does: how many there are, how many are empty, how many fill their
capacity up to 25%, 50%, 75% or more (entries over the backing array's
length; a hash table's may pass 1), their entries, their backing arrays'
slots and the slots holding no reference, with the bytes those take. Classes
come most unused bytes first: many empty or oversized collections is memory
spent on nothing. Bytes are the collections' own and their arrays' shallow
sizes (a set's map's too; the set's map counts in the set's row only), not
what the entries hold. A ConcurrentHashMap's size is its baseCount and its
counter cells' (JDK 8+), or its segments' counts. Collections no GC root
reaches are left out, unless --keep-unreachable. --top N lists the N classes
with the most unused bytes (0 = all).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := render.ParseFormat(format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			x, err := g.openSession(s, args)
			if err != nil {
				return err
			}
			defer x.Close()
			t, err := x.Tree(&topts) // (reachability is the tree's)
			if err != nil {
				return err
			}
			defer tighterGC()()
			rows, err := leaks.Collections(t.Graph(), t)
			if err != nil {
				return err
			}
			shown, more := firstOf(rows, top)
			if format == render.JSON {
				return render.WriteJSON(s.Out, collectionsJSON{Classes: shown, MoreClasses: more})
			}
			grid := &render.Grid{Columns: []render.Column{
				{Title: "Class", Key: "class"}, {Title: "Collections", Key: "collections", Kind: render.Count},
				{Title: "Empty", Key: "empty", Kind: render.Count}, {Title: "≤25%", Key: "fill_up_to_25", Kind: render.Count},
				{Title: "≤50%", Key: "fill_up_to_50", Kind: render.Count}, {Title: "≤75%", Key: "fill_up_to_75", Kind: render.Count},
				{Title: ">75%", Key: "fill_over_75", Kind: render.Count}, {Title: "Entries", Key: "entries", Kind: render.Count},
				{Title: "Slots", Key: "slots", Kind: render.Count}, {Title: "Unused slots", Key: "unused_slots", Kind: render.Count},
				{Title: "Unused", Key: "unused_bytes", Kind: render.Bytes}, {Title: "Bytes", Key: "bytes", Kind: render.Bytes},
				{Title: "Most unused", Key: "most_unused_id"},
			}}
			var n, empty int64
			var unused, total uint64
			for _, r := range rows {
				n, empty, unused, total = n+r.Collections, empty+r.Empty, unused+r.UnusedBytes, total+r.Bytes
			}
			for _, r := range shown {
				grid.Rows = append(grid.Rows, []any{r.Class, r.Collections, r.Empty, r.FillUpTo25, r.FillUpTo50, r.FillUpTo75, r.FillOver75,
					r.Entries, r.Slots, r.UnusedSlots, r.UnusedBytes, r.Bytes, r.Worst.ID})
			}
			if format == render.CSV {
				return grid.Write(s.Out, format)
			}
			fmt.Fprintf(s.Out, "%s reachable in %s, %s of them empty; their unused slots take %s of their %s (%.1f%%).\n",
				render.Nouns(n, "collection", "collections"), render.Nouns(len(rows), "class", "classes"), commas(empty), render.Size(unused), render.Size(total), percent(unused, total))
			if len(rows) == 0 {
				return nil
			}
			fmt.Fprintln(s.Out)
			if err := grid.Write(s.Out, format); err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "\n%s %s shown; ≤25%% … >75%%: collections by entries over capacity; Most unused: the one whose unused slots take most\n",
				shownOf(len(shown), len(rows)), plural(len(rows), "class", "classes"))
			return nil
		},
	}
	cmd.Flags().IntVar(&top, "top", 20, "show the N classes whose unused slots take the most (0 = all)")
	cmd.Flags().StringVar(&format, "format", "table", "table, json or csv (one flat table of the classes, exact bytes)")
	topts.register(cmd)
	return cmd
}

// firstOf returns the first top of rows (all of them for top 0) and how
// many that leaves out.
func firstOf[T any](rows []T, top int) ([]T, int) {
	if top > 0 && len(rows) > top {
		return rows[:top], len(rows) - top
	}
	return rows, 0
}
