package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/render"
)

func newFinalizersCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	return leakCommand(s, g, "finalizers [DUMP]", "Objects awaiting finalize(): the finalizer queue, what its thread runs, what is not yet due",
		`The objects registered for finalization (their class has a finalize() that
does something), by state and class, as MAT's finalizer overview: running
(its finalize() runs now, or is stuck: a finalizer thread has taken it),
queued (in the finalizer's queue: the GC found it unreachable, and it waits
for the finalizer thread with all it holds), pending (found unreachable, on
the GC's list, which the Reference Handler thread moves to the queue; a dump
taken with a GC first, as jcmd GC.heap_dump's, holds those the GC found),
active (in use, or not yet found unreachable: not due). The states are read
from each java.lang.ref.Finalizer's fields, as java.lang.ref.Reference
documents them. A long queue means the finalizer thread is behind, or stuck in
one finalize(): its stack is shown. Retained sizes count each byte once, and
depend on --weak: with "ignore", a queued object that only its Finalizer
holds retains nothing (though the JVM holds it strongly: only an active
Finalizer's referent is weak to it). --format csv writes the state and
class rows.`,
		func(w io.Writer, t *dominator.Tree, _ *paths.Search, format render.Format) error {
			r := leaks.Finalizers(t.Graph(), t)
			switch format {
			case render.JSON:
				return render.WriteJSON(w, r)
			case render.CSV:
				return finalizerGrid(r, format).Write(w, format)
			}
			if r.Finalizers == 0 {
				fmt.Fprintln(w, "No object registered for finalization: no java.lang.ref.Finalizer that a GC root reaches.")
				return nil
			}
			if r.Finalizers == r.Cleared {
				fmt.Fprintf(w, "No object registered for finalization: %s finalized, and not yet collected.\n", render.Nouns(r.Cleared, "Finalizer", "Finalizers"))
				return nil
			}
			fmt.Fprintf(w, "%s registered for finalization", render.Nouns(r.Finalizers-r.Cleared, "object", "objects"))
			if r.Cleared > 0 {
				fmt.Fprintf(w, "; %s finalized, and not yet collected", render.Nouns(r.Cleared, "Finalizer", "Finalizers"))
			}
			fmt.Fprintln(w, ".")
			for _, st := range []struct{ state, says string }{
				{leaks.FinalizeRunning, "Running finalize() now"},
				{leaks.FinalizeQueued, "Waiting in the finalizer's queue"},
				{leaks.FinalizePending, "Pending, on their way to the queue"},
				{leaks.FinalizeActive, "Active, not due"},
			} {
				if n, b := r.Totals(st.state); n > 0 {
					fmt.Fprintf(w, "  %s: %s retaining %s\n", st.says, render.Nouns(n, "object", "objects"), render.Size(b))
				}
			}
			fmt.Fprintln(w)
			if err := finalizerGrid(r, format).Write(w, format); err != nil {
				return err
			}
			if len(r.Threads) == 0 {
				fmt.Fprintln(w, "\nNo finalizer thread in the dump.")
			}
			for _, th := range r.Threads {
				fmt.Fprintln(w)
				writeThread(w, th)
			}
			return nil
		})
}

// finalizerGrid is a row per state and class. The table names a loader
// by its class and id, as classloaders does; CSV gives the two apart.
func finalizerGrid(r *leaks.FinalizerReport, format render.Format) *render.Grid {
	grid := &render.Grid{Columns: []render.Column{
		{Title: "State", Key: "state"}, {Title: "Class", Key: "class"}, {Title: "Loader", Key: "loader"}, {Title: "Objects", Key: "objects", Kind: render.Count},
		{Title: "Shallow", Key: "shallow_bytes", Kind: render.Bytes}, {Title: "Retained", Key: "retained_bytes", Kind: render.Bytes},
	}}
	if format == render.CSV {
		grid.Columns = append(grid.Columns, render.Column{Key: "loader_class"})
	}
	for _, c := range r.Classes {
		loader := c.Loader
		if format == render.Table && c.LoaderClass != "" {
			loader = c.LoaderClass + " " + c.Loader
		}
		row := []any{c.State, c.Class, loader, c.Objects, c.Shallow, c.Retained}
		if format == render.CSV {
			row = append(row, c.LoaderClass)
		}
		grid.Rows = append(grid.Rows, row)
	}
	return grid
}
