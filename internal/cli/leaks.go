package cli

import (
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/render"
)

// leakCommand builds a command that runs one analysis of internal/leaks
// on the dump's graph, dominator tree and strong-path search.
func leakCommand(s *IOStreams, g *globalOptions, use, short, long string,
	run func(w io.Writer, t *dominator.Tree, search *paths.Search, format render.Format) error) *cobra.Command {
	var format string
	var topts treeOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := render.ParseFormat(format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			x, tree, search, err := g.analyse(s, args, &topts)
			if err != nil {
				return err
			}
			defer x.Close()
			return run(s.Out, tree, search, f)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json or csv (one flat table of the main rows, exact bytes)")
	topts.register(cmd)
	return cmd
}

func newClassLoadersCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	var top int
	cmd := leakCommand(s, g, "classloaders [DUMP]", "Class loaders, the classes they define, duplicate classes, and what keeps loaders alive",
		`Lists the class loaders (the bootstrap and system loaders included), biggest
retained size first: each one's class, id, parent (<bootstrap> for a null
parent field), how many classes it defined, how many instances those have,
and its retained size (none for <bootstrap>, the JVM's own loader, which is
no object). Then every class name
more than one loader defines (Metaspace/PermGen leaks: a loader per job, never
released), and for each loader that is not the JDK's the shortest strong path
from a GC root that keeps it alive, grouped by the shape of the path (the
first loader's path stands for its group), and those only a soft or weak
reference holds, which have none. The JDK's loaders are those of a JDK package
(java., javax., jdk., sun., com.sun.), but for java.net.URLClassLoader and the
few others applications instantiate. A loader no GC root reaches is marked
unreachable: the next GC collects it with its classes, so its classes are not
counted as defined more than once. <bootstrap> comes first; --top N lists the
N loaders that retain the most after it (0 = all; JSON counts the rest in
more_loaders); the class names and the paths cover every loader. --format
csv writes the loaders alone.`,
		func(w io.Writer, t *dominator.Tree, search *paths.Search, format render.Format) error {
			r := leaks.ClassLoaders(t.Graph(), t, search)
			shown := *r
			// <bootstrap> (first) and the top loaders by retained size.
			first := 0
			if len(r.Loaders) > 0 && r.Loaders[0].Bootstrap() {
				first = 1
			}
			if top > 0 && len(r.Loaders) > first+top {
				shown.Loaders, shown.MoreLoaders = r.Loaders[:first+top], len(r.Loaders)-first-top
			}
			switch format {
			case render.JSON:
				return render.WriteJSON(w, &shown)
			case render.CSV:
				return loaderGrid(shown.Loaders, format).Write(w, format)
			}
			if err := loaderGrid(shown.Loaders, format).Write(w, format); err != nil {
				return err
			}
			if slices.ContainsFunc(shown.Loaders, leaks.Loader.Bootstrap) {
				fmt.Fprintln(w, "(<bootstrap> is the JVM's own loader, not an object: it has no retained size.)")
			}
			fmt.Fprintf(w, "\n%s %s shown\n", shownOf(len(shown.Loaders), len(r.Loaders)), plural(len(r.Loaders), "class loader", "class loaders"))
			fmt.Fprintf(w, "\n%s defined by more than one loader", render.Nouns(len(r.Duplicates), "class name is", "class names are"))
			if n := unreachableLoaders(r); n > 0 {
				fmt.Fprintf(w, " (not counting the %d marked unreachable: garbage at the next GC)", n)
			}
			if len(r.Duplicates) == 0 {
				fmt.Fprintln(w, ".")
			} else {
				fmt.Fprintln(w, ":")
				dg := &render.Grid{Columns: []render.Column{{Title: "Class", Key: "class"}, {Title: "Loaders", Key: "loaders", Kind: render.Count}, {Title: "Defined by", Key: "by"}}}
				for _, d := range r.Duplicates {
					dg.Rows = append(dg.Rows, []any{d.Class, len(d.Loaders), countClasses(d.Loaders)})
				}
				dg.Write(w, format)
			}
			writeLoaderPaths(w, r)
			return nil
		})
	cmd.Flags().IntVar(&top, "top", 20, "show <bootstrap> and the N class loaders that retain the most after it (0 = all)")
	return cmd
}

// writeLoaderPaths writes what keeps the loaders that are not the JDK's
// alive: one path per shape, standing for the loaders with a path of that
// shape, and a line for those no strong path reaches (a soft or weak
// reference holds them), which have none to show.
func writeLoaderPaths(w io.Writer, r *leaks.LoaderReport) {
	type shape struct {
		n    int
		path []leaks.Step
	}
	shapes := map[string]*shape{}
	var order []string
	var pathless []leaks.Loader
	for _, l := range r.Loaders {
		switch {
		case l.Builtin || l.Unreachable || l.Class == leaks.LoaderNotInDump:
			continue
		case len(l.Path) == 0:
			pathless = append(pathless, l)
			continue
		}
		key := pathShape(l.Path)
		if shapes[key] == nil {
			shapes[key] = &shape{path: l.Path}
			order = append(order, key)
		}
		shapes[key].n++
	}
	if len(order) == 0 && len(pathless) == 0 {
		return
	}
	fmt.Fprintln(w, "\nWhat keeps the loaders that are not the JDK's alive (shortest strong path from a GC root):")
	for _, k := range order {
		if shapes[k].n == 1 {
			fmt.Fprintln(w, "  1 loader:")
		} else {
			fmt.Fprintf(w, "  %s by paths of this shape; the first's:\n", render.Nouns(shapes[k].n, "loader", "loaders"))
		}
		for i, st := range shapes[k].path {
			fmt.Fprintf(w, "    %s%s\n", render.Indent(i), stepLine(st, i == 0, false))
		}
	}
	if len(pathless) > 0 {
		first := pathless[0].Class + " " + pathless[0].ID
		if len(pathless) == 1 {
			fmt.Fprintf(w, "  1 loader, %s:\n", first)
		} else {
			fmt.Fprintf(w, "  %s, the first %s:\n", render.Nouns(len(pathless), "loader", "loaders"), first)
		}
		fmt.Fprintln(w, "    "+leaks.NoStrongPath)
	}
}

// loaderGrid is the loaders' table. A table marks unreachable loaders in
// their class column; CSV has columns of its own for that and for the JDK's
// loaders.
func loaderGrid(loaders []leaks.Loader, format render.Format) *render.Grid {
	grid := &render.Grid{Columns: []render.Column{{Title: "Class loader", Key: "class"}, {Title: "Object", Key: "id"}, {Title: "Parent", Key: "parent"},
		{Title: "Classes", Key: "classes", Kind: render.Count}, {Title: "Instances", Key: "instances", Kind: render.Count}, {Title: "Retained", Key: "retained_bytes", Kind: render.Bytes},
		{Title: "With its classes", Key: "retained_with_classes_bytes", Kind: render.Bytes}}}
	csv := format == render.CSV
	if csv {
		grid.Columns = append(grid.Columns, render.Column{Key: "builtin"}, render.Column{Key: "unreachable"})
	}
	for _, l := range loaders {
		parent := ""
		if l.Parent != nil {
			parent = l.Parent.Class + " " + l.Parent.ID
		}
		class := l.Class
		if l.Unreachable && !csv {
			class += " (unreachable)"
		}
		var retained, with any = l.Retained, l.WithClasses
		if l.Bootstrap() && !csv {
			retained, with = "-", "-" // not an object (the line under the table says so)
		}
		row := []any{class, l.ID, parent, l.Classes, l.Instances, retained, with}
		if csv {
			row = append(row, strconv.FormatBool(l.Builtin), strconv.FormatBool(l.Unreachable))
		}
		grid.Rows = append(grid.Rows, row)
	}
	return grid
}

// unreachableLoaders counts the loaders no GC root reaches.
func unreachableLoaders(r *leaks.LoaderReport) int {
	n := 0
	for _, l := range r.Loaders {
		if l.Unreachable {
			n++
		}
	}
	return n
}

var slotRE = regexp.MustCompile(`\[\d+\]`)

// stepLine is one step of a path from a GC root (with the root's kind
// on the first) or of an accumulation chain (with retained sizes), or
// the line standing for the middle of a long one.
func stepLine(st leaks.Step, first, retains bool) string {
	if st.Elided > 0 {
		return fmt.Sprintf("… %s more steps", commas(st.Elided))
	}
	line := st.Object.Class + " " + st.Object.ID
	if retains {
		line += "  retains " + render.Size(st.Object.Retained)
	}
	if first && st.GCRoot != "" {
		line = st.GCRoot + "  " + line
	}
	if st.Field != "" {
		line = st.Field + "  " + line
	}
	return line
}

// pathShape is a path with ids, array slots and the length of an elided
// middle left out.
func pathShape(p []leaks.Step) string {
	var b strings.Builder
	for _, st := range p {
		if st.Elided > 0 {
			// Loaders each the parent of the next have paths of every
			// length: one shape for all that are long.
			b.WriteString("…|")
			continue
		}
		b.WriteString(slotRE.ReplaceAllString(st.Field, "[]") + ">" + st.Object.Class + "|")
	}
	return b.String()
}

// countClasses summarises objects by class: "IsolatedClientLoader ×40".
func countClasses(objs []leaks.Object) string {
	n := map[string]int{}
	for _, o := range objs {
		n[o.Class]++
	}
	var parts []string
	for c, k := range n {
		parts = append(parts, fmt.Sprintf("%s ×%d", c, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func newOffHeapCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	return leakCommand(s, g, "offheap [DUMP]", "Direct (off-heap) memory the heap points at, by owner",
		`Sums the capacity of java.nio.DirectByteBuffer, by where the memory came from:
  allocate-direct  ByteBuffer.allocateDirect (a Cleaner that frees it): counts
                   against -XX:MaxDirectMemorySize
  no-cleaner       native memory wrapped without a Cleaner and held by
                   application code (netty's noCleaner buffers, JNI's
                   NewDirectByteBuffer): freed only by the code that made it
  mapped-file      FileChannel.map (an fd, or a Cleaner that unmaps): page cache
  jdk-internal     the JDK's own mappings held by JDK classes alone (the
                   lib/modules image, perf counters)
The first two are the direct memory, strongly reachable or reachable only
through a Cleaner (a phantom reference: freed at the next reference
processing); a buffer without a Cleaner that no strong path reaches is counted
apart, as nothing frees its memory. The other two kinds are listed apart.
Slices and duplicates share the memory of the buffer they view (their att
field; viewedBuffer before JDK 7) and are counted once with it.
Buffers are grouped by what holds them: the nearest object outside the JDK on
their shortest strong path from a GC root (e.g. io.netty.buffer.PoolChunk), or
on a path through the JDK alone the nearest stack frame ("<Java Local> in
Foo.run(Foo.java:12)"), the GC root a buffer is itself ("<JNI Global>") or the
nearest JDK holder (sun.nio.ch.Util$BufferCache); a buffer from allocateDirect
is also reachable through its Cleaner, so no application object dominates it
in MAT's sense. A heap histogram shows this memory as a few bytes per buffer.
Buffers no GC root reaches are left out, and counted in the summary. A dump
without direct memory says so in a line.
--format csv writes every buffer, of every kind.`,
		func(w io.Writer, t *dominator.Tree, search *paths.Search, format render.Format) error {
			r := leaks.OffHeap(t.Graph(), t, search)
			switch format {
			case render.JSON:
				return render.WriteJSON(w, r)
			case render.CSV:
				return bufferGrid(slices.Concat(r.Buffers, r.MappedFiles, r.JDKInternal), -1).Write(w, format)
			}
			if err := writeDirectMemory(w, r); err != nil {
				return err
			}
			if len(r.MappedFiles) > 0 {
				fmt.Fprintf(w, "\nMapped files (page cache, not direct memory): %s in %s.\n\n", render.Size(r.MappedBytes), render.Nouns(len(r.MappedFiles), "buffer", "buffers"))
				if err := writeBuffers(w, r.MappedFiles); err != nil {
					return err
				}
			}
			if len(r.JDKInternal) > 0 {
				fmt.Fprintf(w, "\nThe JDK's own mappings (held by JDK classes alone, not direct memory): %s in %s.\n\n", render.Size(r.JDKInternalBytes), render.Nouns(len(r.JDKInternal), "buffer", "buffers"))
				return writeBuffers(w, r.JDKInternal)
			}
			return nil
		})
}

// writeDirectMemory writes the direct memory's summary, owners and buffers,
// or says plainly that there is none.
func writeDirectMemory(w io.Writer, r *leaks.OffHeapReport) error {
	garbage := ""
	if r.Unreachable > 0 {
		garbage = fmt.Sprintf("; %s that no GC root reaches (%s, garbage at the next GC) left out", render.Nouns(r.Unreachable, "buffer", "buffers"), render.Size(r.UnreachableBytes))
	}
	if len(r.Buffers) == 0 {
		_, err := fmt.Fprintf(w, "No direct memory: no reachable java.nio.DirectByteBuffer holds any (from allocateDirect or without a Cleaner)%s.\n", garbage)
		return err
	}
	notFreed := ""
	if r.NotFreed > 0 {
		notFreed = fmt.Sprintf(", neither strongly reachable nor freed by a Cleaner %s", render.Size(r.NotFreed))
	}
	fmt.Fprintf(w, "Direct memory: %s in %s (from allocateDirect %s; without a Cleaner %s); strongly reachable %s, waiting to be freed %s%s; %s counted with their buffers%s.\n\n",
		render.Size(r.Total), render.Nouns(len(r.Buffers), "buffer", "buffers"), render.Size(r.Allocated), render.Size(r.NoCleaner), render.Size(r.Strong), render.Size(r.PendingFree), notFreed,
		render.Nouns(r.Views, "slice or duplicate", "slices and duplicates"), garbage)
	og := &render.Grid{Columns: []render.Column{{Title: "Owner", Key: "owner"}, {Title: "Buffers", Key: "buffers", Kind: render.Count}, {Title: "Capacity", Key: "capacity_bytes", Kind: render.Bytes}}}
	for _, o := range r.Owners {
		og.Rows = append(og.Rows, []any{o.Owner, o.Buffers, o.Capacity})
	}
	if err := og.Write(w, render.Table); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return writeBuffers(w, r.Buffers)
}

// maxBuffers bounds the buffers a table lists.
const maxBuffers = 50

// writeBuffers writes the first maxBuffers buffers as a table, and how many
// more there are.
func writeBuffers(w io.Writer, buffers []leaks.Buffer) error {
	if err := bufferGrid(buffers, maxBuffers).Write(w, render.Table); err != nil {
		return err
	}
	if len(buffers) > maxBuffers {
		fmt.Fprintf(w, "… %d more buffers (--format json or csv lists them all)\n", len(buffers)-maxBuffers)
	}
	return nil
}

// bufferGrid lists buffers, at most limit of them (all when negative).
func bufferGrid(buffers []leaks.Buffer, limit int) *render.Grid {
	grid := &render.Grid{Columns: []render.Column{{Title: "Buffer", Key: "id"}, {Title: "Kind", Key: "kind"}, {Title: "Capacity", Key: "capacity_bytes", Kind: render.Bytes},
		{Title: "Views", Key: "views", Kind: render.Count}, {Title: "Owner", Key: "owner"}, {Title: "Address", Key: "address"}, {Title: "Strong", Key: "strong"}}}
	for i, b := range buffers {
		if i == limit {
			break
		}
		grid.Rows = append(grid.Rows, []any{b.ID, string(b.Kind), b.Capacity, b.Views, b.Owner, fmt.Sprintf("0x%x", b.Address), strconv.FormatBool(b.Strong)})
	}
	return grid
}

func newThreadsCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	return leakCommand(s, g, "threads [DUMP]", "Threads: stacks, the objects each frame holds, retained sizes",
		`Every thread with its name, daemon flag and state (where the dump has them),
its stack (class.method(File:line)), the objects each frame holds as locals
(JAVA FRAME roots) with class and retained size, and the thread's retained
size, biggest first, like MAT's thread overview. A thread whose object no GC
root reaches has ended (the old hprof agent's dumps keep a record of it) and is
left out; a dump without a live thread says so. A thread running no Java code
(the JVM's own, or one the dump gives no stack trace for) shows "no Java
frames". --format csv writes one row per thread, without its stack.`,
		func(w io.Writer, t *dominator.Tree, search *paths.Search, format render.Format) error {
			ts := leaks.Threads(t.Graph(), t)
			switch format {
			case render.JSON:
				return render.WriteJSON(w, ts)
			case render.CSV:
				return threadGrid(ts).Write(w, format)
			}
			if len(ts) == 0 {
				fmt.Fprintln(w, "No live thread: the dump names no thread that a GC root reaches.")
			}
			for _, th := range ts {
				writeThread(w, th)
				fmt.Fprintln(w)
			}
			return nil
		})
}

// writeThread writes a thread, its stack and the objects its frames hold.
func writeThread(w io.Writer, th leaks.ThreadInfo) {
	var flags []string
	if th.Daemon != nil && *th.Daemon {
		flags = append(flags, "daemon")
	}
	if th.State != "" {
		flags = append(flags, th.State)
	}
	fmt.Fprintf(w, "Thread %q %s  %s  retains %s\n", th.Name, th.ID, strings.Join(flags, ", "), render.Size(th.Retained))
	if len(th.Stack) == 0 && len(th.Unplaced) == 0 {
		fmt.Fprintln(w, "    no Java frames in the dump")
	}
	for _, f := range th.Stack {
		fmt.Fprintf(w, "    at %s\n", f.Method)
		for _, l := range f.Locals {
			fmt.Fprintf(w, "        local %s %s  retains %s\n", l.Class, l.ID, render.Size(l.Retained))
		}
	}
	for _, l := range th.Unplaced {
		fmt.Fprintf(w, "    local (frame unknown) %s %s  retains %s\n", l.Class, l.ID, render.Size(l.Retained))
	}
}

// threadGrid is one row per thread: daemon is "" where the dump does not
// tell, locals counts the objects its frames hold.
func threadGrid(ts []leaks.ThreadInfo) *render.Grid {
	grid := &render.Grid{Columns: []render.Column{{Key: "id"}, {Key: "name"}, {Key: "daemon"}, {Key: "state"}, {Key: "retained_bytes", Kind: render.Bytes},
		{Key: "frames", Kind: render.Count}, {Key: "locals", Kind: render.Count}}}
	for _, th := range ts {
		daemon := ""
		if th.Daemon != nil {
			daemon = strconv.FormatBool(*th.Daemon)
		}
		locals := len(th.Unplaced)
		for _, f := range th.Stack {
			locals += len(f.Locals)
		}
		grid.Rows = append(grid.Rows, []any{th.ID, th.Name, daemon, th.State, th.Retained, len(th.Stack), locals})
	}
	return grid
}

func newSparkCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	return leakCommand(s, g, "spark [DUMP]", "A Spark executor's memory: tasks' consumers, memory pools, cached blocks, netty arenas",
		`Reads an executor's memory accounting from its heap, with Spark 2.x/3.x class
and field names: for every TaskMemoryManager the task attempt and its memory
consumers, each with the bytes it claims (MemoryConsumer.used) beside the
bytes it retains, flagging consumers that retain over 1 MiB more than they
claim (SPARK-22713); the memory manager's pools (max heap memory, storage
region, the storage and execution pools with their size and use,
memoryForTask) next to what the heap really holds for the on-heap ones; the
blocks cached in MemoryStore.entries, biggest first; netty's direct arenas
(see leakscan offheap). A task the execution pool's memoryForTask has no entry
for holds 0 B: Spark removes the entry when a task's memory drops to 0. A part
the heap lacks (no task running, no cached block) says so in a line, as does a
heap with Spark classes but none of an executor's memory. --format csv writes
the tasks' memory consumers alone, one row each (a task without any on a row
of its own).`,
		func(w io.Writer, t *dominator.Tree, search *paths.Search, format render.Format) error {
			r := leaks.Spark(t.Graph(), t, search)
			switch format {
			case render.JSON:
				return render.WriteJSON(w, r)
			case render.CSV:
				return consumerGrid(r).Write(w, format)
			}
			return writeSpark(w, r)
		})
}

// writeSpark writes an executor's memory accounting as text. Every part
// the heap lacks says so in a line, as does a heap with Spark classes but
// nothing of an executor's memory (JobServer's Hive client classes).
func writeSpark(w io.Writer, r *leaks.SparkReport) error {
	if !r.Found {
		_, err := fmt.Fprintln(w, "No Spark classes found: this does not look like a Spark executor's heap.")
		return err
	}
	if r.Empty() {
		_, err := fmt.Fprintln(w, "Spark classes (org.apache.spark.*) but no TaskMemoryManager, MemoryManager, MemoryStore nor netty direct arena: nothing of a Spark executor's memory to show.")
		return err
	}
	if len(r.Tasks) == 0 {
		fmt.Fprintln(w, "Tasks: none (no org.apache.spark.memory.TaskMemoryManager in the heap).")
	} else {
		fmt.Fprintf(w, "Tasks (%d):\n", len(r.Tasks))
	}
	for _, task := range r.Tasks {
		exec := sizeOrUnknown(task.ExecutionMemory)
		if m := task.OffHeapExecutionMemory; m != nil && *m > 0 {
			exec += " on the heap, " + render.Size(uint64(*m)) + " off it"
		}
		fmt.Fprintf(w, "  task attempt %d  TaskMemoryManager %s  retains %s; execution memory granted: %s\n", task.TaskAttemptID, task.ID, render.Size(task.Retained), exec)
		if len(task.Consumers) == 0 {
			fmt.Fprintln(w, "    no memory consumers")
			continue
		}
		cg := &render.Grid{Columns: []render.Column{{Title: "    Consumer", Key: "class"}, {Title: "Object", Key: "id"}, {Title: "Claims (used)", Key: "used", Kind: render.Bytes},
			{Title: "Retains", Key: "retained", Kind: render.Bytes}, {Title: "", Key: "flag"}}}
		for _, c := range task.Consumers {
			flag := ""
			switch {
			case c.Unaccounted && c.OffHeap():
				flag = "◀ retains on the heap, where it claims nothing (SPARK-22713)"
			case c.Unaccounted:
				flag = "◀ retains far more than it claims (SPARK-22713)"
			case c.OffHeap():
				flag = "(claims off the heap)"
			}
			cg.Rows = append(cg.Rows, []any{"    " + c.Class, c.ID, uint64(max(c.Used, 0)), c.Retained, flag})
		}
		if err := cg.Write(w, render.Table); err != nil {
			return err
		}
	}
	if len(r.Managers) == 0 {
		fmt.Fprintln(w, "\nMemory manager: none (no org.apache.spark.memory.MemoryManager in the heap).")
	}
	for _, m := range r.Managers {
		fmt.Fprintf(w, "\n%s %s: max heap memory %s, storage region %s\n", m.Class, m.ID, sizeOrUnknown(m.MaxHeapMemory), sizeOrUnknown(m.StorageRegionSize))
		pg := &render.Grid{Columns: []render.Column{{Title: "  Pool", Key: "pool"}, {Title: "Size", Key: "size", Kind: render.Bytes}, {Title: "Used (accounted)", Key: "used", Kind: render.Bytes}, {Title: "Heap holds", Key: "holds", Kind: render.Bytes}}}
		for _, p := range m.Pools {
			var holds any = p.HeapHolds
			if p.OffHeap() {
				holds = "- (off the heap)"
			}
			pg.Rows = append(pg.Rows, []any{"  " + p.Name, uint64(max(p.PoolSize, 0)), uint64(max(p.Used, 0)), holds})
		}
		if err := pg.Write(w, render.Table); err != nil {
			return err
		}
		for _, p := range m.Pools {
			for _, k := range slices.Sorted(maps.Keys(p.MemoryForTask)) {
				fmt.Fprintf(w, "  %s memoryForTask[%d] = %s\n", p.Name, k, render.Size(uint64(max(p.MemoryForTask[k], 0))))
			}
		}
	}
	if len(r.Blocks) == 0 {
		fmt.Fprintln(w, "\nCached blocks: none.")
	} else {
		fmt.Fprintf(w, "\nCached blocks (%d):\n", len(r.Blocks))
		bg := &render.Grid{Columns: []render.Column{{Title: "  Block", Key: "block"}, {Title: "Entry", Key: "class"}, {Title: "Size (accounted)", Key: "size", Kind: render.Bytes}, {Title: "Retained", Key: "retained", Kind: render.Bytes}}}
		for _, b := range r.Blocks {
			bg.Rows = append(bg.Rows, []any{"  " + b.ID, b.Entry.Class, uint64(max(b.Size, 0)), b.Entry.Retained})
		}
		if err := bg.Write(w, render.Table); err != nil {
			return err
		}
	}
	if len(r.Netty) == 0 {
		// As the parts above say theirs: a line for a part not found.
		fmt.Fprintln(w, "\nNetty direct memory: none (no direct buffer held through io.netty classes).")
		return nil
	}
	fmt.Fprintln(w, "\nNetty direct memory:")
	for _, n := range r.Netty {
		fmt.Fprintf(w, "  %s: %s, %s\n", n.Owner, render.Nouns(n.Buffers, "buffer", "buffers"), render.Size(n.Capacity))
	}
	return nil
}

// sizeOrUnknown is a size, or "unknown" for a negative one (a field the
// dump's classes lack).
func sizeOrUnknown(n *int64) string {
	if n == nil {
		return "unknown"
	}
	return render.Size(uint64(*n))
}

// consumerGrid is one row per memory consumer of a task, with the task's
// attempt and execution memory on and off the heap (empty: unknown); a
// task without consumers has a row with the consumer's columns empty.
func consumerGrid(r *leaks.SparkReport) *render.Grid {
	grid := &render.Grid{Columns: []render.Column{{Key: "task_attempt_id", Kind: render.Count}, {Key: "task_memory_manager"}, {Key: "execution_memory_bytes", Kind: render.Bytes},
		{Key: "off_heap_execution_memory_bytes", Kind: render.Bytes}, {Key: "consumer_class"}, {Key: "consumer_id"}, {Key: "mode"}, {Key: "used_bytes", Kind: render.Bytes},
		{Key: "retained_bytes", Kind: render.Bytes}, {Key: "unaccounted"}}}
	known := func(m *int64) any {
		if m == nil {
			return ""
		}
		return *m
	}
	for _, task := range r.Tasks {
		on, off := known(task.ExecutionMemory), known(task.OffHeapExecutionMemory)
		if len(task.Consumers) == 0 {
			grid.Rows = append(grid.Rows, []any{task.TaskAttemptID, task.ID, on, off, "", "", "", "", "", ""})
		}
		for _, c := range task.Consumers {
			grid.Rows = append(grid.Rows, []any{task.TaskAttemptID, task.ID, on, off, c.Class, c.ID, c.Mode, c.Used, c.Retained, strconv.FormatBool(c.Unaccounted)})
		}
	}
	return grid
}

func newSuspectsCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	var threshold string
	var format string
	var topts treeOptions
	cmd := &cobra.Command{
		Use:   "suspects [DUMP]",
		Short: "Leak suspects, explained: what holds at least 10% of the heap, where, and through what",
		Long: `Finds objects, or the objects of one class together, whose retained size is
at least --threshold of the reachable heap. For each: the accumulation point
(the dominator tree walked down while the biggest child keeps at least 70% of
its parent's retained size — Eclipse MAT's big_drop_ratio: a bigger drop
means the memory fans out, so the object above it is where it accumulates),
the shortest strong path from a GC root, the biggest classes it retains, and
a sentence saying it in plain words. For the objects of one class, the path
is to the biggest of them, and the classes are those of what they all retain.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format == string(render.Table) {
				format = "text" // what the other commands call their human form
			}
			f, err := render.ParseFormat(format, render.Format("text"), render.JSON)
			if err != nil {
				return err
			}
			pct, err := parseThreshold(threshold)
			if err != nil {
				return err
			}
			x, tree, search, err := g.analyse(s, args, &topts)
			if err != nil {
				return err
			}
			defer x.Close()
			sus := leaks.Suspects(tree.Graph(), tree, search, pct/100)
			direct := leaks.DirectSuspectOf(leaks.OffHeap(tree.Graph(), tree, search), tree.ReachableBytes, pct/100)
			if f == render.JSON {
				return render.WriteJSON(s.Out, suspectsJSON{ThresholdPercent: pct, PercentOf: strings.TrimPrefix(leaks.PercentBase(tree), "the "), heapTotals: totalsOf(tree), Suspects: sus, Direct: direct})
			}
			writeSuspects(s.Out, sus, direct, tree, pct, topts.weak == "ignore")
			return nil
		},
	}
	cmd.Flags().StringVar(&threshold, "threshold", "10%", "report what retains at least this share of the reachable heap (a percentage: 10% or 10)")
	cmd.Flags().StringVar(&format, "format", "text", "text (or table, the same) or json")
	topts.register(cmd)
	return cmd
}

// suspectsJSON is suspects' JSON: the suspects beside what their shares
// are of, and the heap's totals, which say what the tree left out (the
// objects no GC root reaches) as the text's last line does.
type suspectsJSON struct {
	ThresholdPercent float64 `json:"threshold_percent"`
	PercentOf        string  `json:"percent_of"`
	heapTotals
	Suspects []leaks.Suspect `json:"suspects"`
	// Direct is the direct memory off the heap when it comes to the
	// threshold's share of the reachable heap, else null.
	Direct *leaks.DirectSuspect `json:"direct_memory"`
}

// writeSuspects writes the suspects found in t as text, and the direct
// memory when it is one (or nil); threshold is --threshold's percentage
// (given as "10" or "10%").
func writeSuspects(w io.Writer, sus []leaks.Suspect, direct *leaks.DirectSuspect, t *dominator.Tree, threshold float64, weakIgnored bool) {
	defer writeLeftOut(w, totalsOf(t), weakIgnored)
	defer writeDirectSuspect(w, direct)
	if len(sus) == 0 {
		size := render.Size(t.ReachableBytes)
		if h := totalsOf(t); h.UnreachableKept {
			size += fmt.Sprintf(", %s of it in %s", render.Size(h.UnreachableBytes), render.Nouns(h.UnreachableObjects, "unreachable object", "unreachable objects"))
		}
		where := ""
		if direct != nil {
			where = " on the heap" // the direct memory is one, below
		}
		fmt.Fprintf(w, "No suspect%s: nothing retains %g%% or more of %s (%s).\n", where, threshold, leaks.PercentBase(t), size)
		if direct != nil {
			fmt.Fprintln(w)
		}
		return
	}
	for i, sp := range sus {
		fmt.Fprintf(w, "Suspect %d: %s\n\n", i+1, sp.Sentence)
		// A class suspect's path and chain are its biggest instance's, and
		// that instance retains a small part of what the list below
		// covers: the headings say which is which.
		// An object suspect's list is of what it retains, which its
		// sentence may not name (a thread above the object it does): the
		// heading names it.
		pathHead, chainHead := "Path from a GC root:", "Accumulation (each step keeps ≥ 70% of the one above):"
		classesHead := fmt.Sprintf("Biggest classes of what %s %s retains (%s):", sp.Object.Class, sp.Object.ID, render.Size(sp.Retained))
		if sp.Kind == "class" {
			pathHead = "Path from a GC root to the biggest instance:"
			chainHead = "The biggest instance:"
			classesHead = fmt.Sprintf("Biggest classes the %s instances retain together (%s):", commas(sp.Instances), render.Size(sp.Retained))
		}
		fmt.Fprintln(w, "  "+pathHead)
		if len(sp.Path) == 0 {
			fmt.Fprintln(w, "    "+leaks.NoStrongPath)
		}
		for j, st := range sp.Path {
			fmt.Fprintf(w, "    %s%s\n", render.Indent(j), stepLine(st, j == 0, false))
		}
		fmt.Fprintln(w, "  "+chainHead)
		for j, st := range sp.Chain {
			fmt.Fprintf(w, "    %s%s\n", render.Indent(j), stepLine(st, false, true))
		}
		if len(sp.Parts) > 0 {
			fmt.Fprintf(w, "  Where it divides (what of it retains %g%% or more):\n", threshold)
			for _, st := range sp.Parts {
				fmt.Fprintf(w, "    %s\n", stepLine(st, false, true))
			}
		}
		fmt.Fprintln(w, "  "+classesHead)
		for _, c := range sp.Retains {
			noun := "objects"
			if c.Instances == 1 {
				noun = "object "
			}
			fmt.Fprintf(w, "    %-60s %10s %s  %s\n", c.Class, commas(c.Instances), noun, render.Size(c.Shallow))
		}
		fmt.Fprintln(w)
	}
}

// writeDirectSuspect writes the direct memory under the heap's suspects,
// when it is one.
func writeDirectSuspect(w io.Writer, d *leaks.DirectSuspect) {
	if d != nil {
		fmt.Fprintf(w, "Suspect off the heap: %s `leakscan offheap` lists the buffers.\n\n", d.Sentence)
	}
}

// writeLeftOut says, under the suspects, what the tree left out: the
// objects no GC root reaches, which a dump written on OutOfMemoryError may
// hold most of the heap in (as dominators' and histogram's notes do).
func writeLeftOut(w io.Writer, h heapTotals, weakIgnored bool) {
	if h.UnreachableObjects == 0 || h.UnreachableKept {
		return
	}
	// With --weak ignore, what only weak or soft references reach is
	// left out too: live, not garbage (a cache of soft references).
	what := "no GC root reaches them (garbage; --keep-unreachable takes them in as roots)"
	if weakIgnored {
		what = "no GC root reaches them through strong references (garbage, or what only weak, soft or phantom references reach, as --weak ignore has it; --keep-unreachable takes them in as roots)"
	}
	fmt.Fprintf(w, "Left out: %s, %s (%.1f%% of the dump's objects' bytes): %s.\n",
		render.Nouns(h.UnreachableObjects, "unreachable object", "unreachable objects"), render.Size(h.UnreachableBytes), percent(h.UnreachableBytes, h.ReachableBytes+h.UnreachableBytes), what)
}

// parseThreshold reads --threshold: a percentage of the reachable heap,
// "10%" or "10", above 0 and at most 100.
func parseThreshold(v string) (float64, error) {
	pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "%")), 64)
	switch {
	case err == nil && pct > 100:
		return 0, fmt.Errorf("--threshold %q: a share of the reachable heap is at most 100%%", v)
	case err == nil && pct <= 0:
		return 0, fmt.Errorf("--threshold %q: the share must be above 0%% (at 0%%, every object would be a suspect)", v)
	case err != nil || !(pct > 0): // NaN too
		return 0, fmt.Errorf("--threshold %q: expected a percentage such as 10%%", v)
	}
	return pct, nil
}
