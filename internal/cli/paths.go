package cli

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/render"
)

type pathsOptions struct {
	class       string
	regex       bool
	objects     []string
	maxPaths    int
	includeWeak bool
	exclude     []string
	format      string
	jvmNames    bool
	tree        treeOptions
	// trim drops what the dump's and the index's mappings hold
	// resident after the reads at random of each object keeps follows
	// (session.trim). The records read for the labels are read through
	// mappings of their own (heap.Graph.EachRecord), closed as the walk
	// leaves a chunk or has read enough at kept offsets.
	trim trimmer
	// excluding: an --exclude names a field of the dump's classes.
	excluding bool
}

// trimmer calls trim (when set) once the reads since it last did add up:
// trimBytes of records, or trimReads reads. After each read, it mapped and
// unmapped the dump a line: 25 of the 30 s that paths --max-paths 0 took
// to print a linked list of 500,000 matching nodes.
type trimmer struct {
	trim  func()
	reads int
	bytes uint64
}

// Trim after this many reads, or records of this many bytes: each read
// keeps a few pages resident, 64 KiB or so, and a big record all of its.
const (
	trimReads = 1024
	trimBytes = 16 << 20
)

// read counts a read of a record of size bytes (0 for reads of a few
// pages) and trims once they add up.
func (t *trimmer) read(size uint64) {
	if t.trim == nil {
		return
	}
	if t.reads, t.bytes = t.reads+1, t.bytes+size; t.reads >= trimReads || t.bytes >= trimBytes {
		t.trim()
		t.reads, t.bytes = 0, 0
	}
}

// keepsRatio is how much of an object's retained size one dominated child
// must hold for the output to follow it below a matching object: where the
// memory really sits (the accumulation point).
const keepsRatio = 0.8

func newPathsCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	o := &pathsOptions{}
	cmd := &cobra.Command{
		Use:   "paths [DUMP] --class NAME and/or --object 0xID",
		Short: "Merged shortest paths from GC roots to the objects of a class: who holds them",
		Long: `Prints the shortest reference paths from the GC roots to every object of a
class (or to single objects), merged into one tree as Eclipse MAT's "merge
shortest paths to GC roots": each line is an object, the field or array slot
that leads to it, how many of the matching objects are reached through it and
their retained size. Below each matching object the output follows the objects
it dominates while one of them keeps at least 80% of its retained size, up to
the head of a linked structure. --max-paths N shows the paths to the N
matching objects that retain the most; the counts and sizes cover them all.

NAME is a simple name (ExternalAppendOnlyMap), a qualified one, an inner class
(ExternalAppendOnlyMap$SpillableIterator) or, with --regex, a regular
expression. Referents of java.lang.ref.Reference and the static
java.lang.ref.Finalizer.unfinalized keep nothing alive and are not followed
unless --include-weak. --exclude Class:field leaves out a reference field,
instance or static, of the classes Class matches (a name, glob or /regex/) and
their subclasses; an --exclude that leaves nothing out of the dump, no class
matching or none having the field, is warned about on stderr.

Without DUMP, the only .hprof/.hprof.gz in the folder is used, or else the
dump analysed last from this folder.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := render.ParseFormat(o.format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			if o.maxPaths == 0 {
				o.maxPaths = math.MaxInt32 // all, as --top 0 is elsewhere
			}
			if o.class == "" && len(o.objects) == 0 {
				return &ExitError{Code: ExitError2, Err: fmt.Errorf("name what to find: --class NAME or --object 0xID")}
			}
			if o.regex && o.class == "" {
				return fmt.Errorf("--regex needs --class: it makes --class a regular expression")
			}
			var match *heap.ClassMatcher
			if o.regex {
				re, err := regexp.Compile(o.class)
				if err != nil {
					return fmt.Errorf("--class: %w", err)
				}
				match = heap.RegexpMatcher(re)
			} else if o.class != "" {
				if match, err = heap.ClassPattern(o.class); err != nil {
					return fmt.Errorf("--class: %w", err)
				}
			}
			ids, err := objectIDs("--object", o.objects)
			if err != nil {
				return err // before the analysis, not after
			}
			popts := o.tree.search()
			popts.IncludeWeak = o.includeWeak
			for _, e := range o.exclude {
				ref, err := paths.ParseFieldRef(e)
				if err != nil {
					return err
				}
				popts.Exclude = append(popts.Exclude, ref)
			}
			x, err := g.openSession(s, args)
			if err != nil {
				return err
			}
			defer x.Close()
			o.trim.trim = x.trim
			release := x.holdGraphWrite() // until Below is done with both cores
			defer release()               // before Close, which waits for the write
			graph, err := x.Graph()
			if err != nil {
				return err
			}
			o.excluding = warnUnusedExcludes(s, graph, popts.Exclude) < len(popts.Exclude)
			targets, err := o.targets(graph, ids, match)
			if err != nil {
				return err
			}
			// The paths are merged while the tree below the targets is
			// finished, and their retained sizes added after.
			var merged *paths.Tree
			dom, search, err := x.Below(&o.tree, targets, popts, func(s *paths.Search) { merged = s.Merge(targets) })
			if err != nil {
				return err
			}
			var passed func(lo, hi heap.ObjectIndex)
			retained := dom.Retained
			if t, ok := dom.(*dominator.Tree); ok {
				passed = t.DropRetained
				if index.ReadsMost(len(targets), graph.NumObjects()) {
					retained = t.RetainedReader() // checked whole first, not on the way
				}
			}
			// Sum takes a match's size back at a match dominating it, which
			// must be above it on the paths: true when the search follows
			// no reference the tree leaves out. With --include-weak and
			// --weak=ignore it follows referents the tree does not, so a
			// dominator can lie off the path; nested matches then add up.
			idom := dom.Idom
			if dopts, _ := o.tree.options(); popts.IncludeWeak && dopts.IgnoreWeak {
				idom = nil
			}
			// The paths to the biggest, not the first found in a walk down
			// the biggest lines: --max-paths 2 showed a 152-byte Object[]
			// beside the 3.1 MiB one, not the 806 KiB one.
			merged.Rank(o.maxPaths)
			merged.Sum(retained, idom, passed)
			return o.write(s, dom, search, merged, len(targets), format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.class, "class", "", "the class whose objects to find: a name (simple, qualified or nested: SpillableIterator), a glob (org.apache.spark.*) or /regex/")
	f.BoolVar(&o.regex, "regex", false, "--class is a regular expression over class names (as /regex/ is)")
	f.StringArrayVar(&o.objects, "object", nil, "an object id (0x…); repeatable")
	f.IntVar(&o.maxPaths, "max-paths", 20, "show the paths to the N matching objects that retain the most (0 = all); counts and sizes cover all")
	f.BoolVar(&o.includeWeak, "include-weak", false, "follow Reference.referent and Finalizer.unfinalized too")
	f.StringArrayVar(&o.exclude, "exclude", nil, "do not follow this field: Class:field (repeatable)")
	f.StringVar(&o.format, "format", "table", "table, json or csv (json nests children; csv is a line per node, with its depth and parent; both carry exact bytes)")
	f.BoolVar(&o.jvmNames, "jvm-names", false, "name array classes as the JVM does ([B)")
	o.tree.register(cmd)
	return cmd
}

// warnUnusedExcludes warns about each --exclude that leaves nothing out
// of this dump, and returns how many do. A warning, not an error: the same
// command line is run against dumps that may hold the class, where a rules
// file's field (check) is written for the application and one missing is
// a mistake.
func warnUnusedExcludes(s *IOStreams, g *heap.Graph, refs []paths.FieldRef) int {
	unused := paths.UnusedExcludes(g, refs)
	for _, u := range unused {
		flag := u.Ref.Class + ":" + u.Ref.Field // as given: ParseFieldRef split it at the last ':'
		if u.NoClass {
			fmt.Fprintf(s.Err, "leakscan: warning: --exclude %q: no class in the dump matches %s: it leaves nothing out\n", flag, u.Ref.Class)
			continue
		}
		hint := "they have no reference fields"
		if len(u.Fields) > 0 {
			fields := u.Fields
			if len(fields) > 10 {
				fields = append(fields[:10:10], "…")
			}
			hint = "reference fields: " + strings.Join(fields, ", ")
		}
		fmt.Fprintf(s.Err, "leakscan: warning: --exclude %q: no class matching %s, nor a subclass, has a reference field %s (%s): it leaves nothing out\n",
			flag, u.Ref.Class, u.Ref.Field, hint)
	}
	return len(unused)
}

// objectIDs reads the values of flag (--object, --retained-by), object ids.
func objectIDs(flag string, args []string) ([]uint64, error) {
	ids := make([]uint64, len(args))
	for i, s := range args {
		id, err := parseID(s)
		if err != nil {
			return nil, fmt.Errorf("%s %q: expected a hexadecimal id such as 0x7f3a1c20", flag, s)
		}
		ids[i] = id
	}
	return ids, nil
}

// lookupObject returns the object with id, which flag's value arg names,
// or an error saying the dump has none.
func lookupObject(g *heap.Graph, flag, arg string, id uint64) (heap.ObjectIndex, error) {
	x := g.Lookup(id)
	if x == heap.None {
		return x, fmt.Errorf("%s %s: no object with that id in %s", flag, arg, g.Source.Path)
	}
	return x, nil
}

// targets returns the objects ids names (the --object values, in their
// order) and those of the classes that match.
func (o *pathsOptions) targets(g *heap.Graph, ids []uint64, classes *heap.ClassMatcher) ([]heap.ObjectIndex, error) {
	var out []heap.ObjectIndex
	for i, id := range ids {
		x, err := lookupObject(g, "--object", o.objects[i], id)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	if o.class == "" {
		return uniqueObjects(out), nil
	}
	objs, err := objectsOfClasses(g, classes, "--class", o.class)
	if err != nil || len(out) == 0 {
		return objs, err
	}
	return uniqueObjects(slices.Concat(out, objs)), nil
}

// objectsOfClasses returns the objects of the classes m matches (class
// objects too, where it takes in java.lang.Class), in object order, each
// once; an error naming flag and its pattern where no class matches.
func objectsOfClasses(g *heap.Graph, m *heap.ClassMatcher, flag, pattern string) ([]heap.ObjectIndex, error) {
	match := g.MatchClasses(m)
	if !slices.Contains(match, true) {
		return nil, fmt.Errorf("%s %q: no class of that name in %s", flag, pattern, g.Source.Path)
	}
	objs := g.ObjectsOf(match) // in order, each once
	if mirrors := classObjects(g, match); len(mirrors) > 0 {
		objs = uniqueObjects(append(mirrors, objs...))
	}
	return objs, nil
}

// classObjects returns every class object when match takes in
// java.lang.Class, whose instances they are, as the histogram counts them
// (ObjectsOf leaves them out: 'paths --class java.lang.Class' found 9 of
// Basic.hprof's 626, the primitive types' mirrors).
func classObjects(g *heap.Graph, match []bool) []heap.ObjectIndex {
	for c, m := range match {
		if !m || g.Classes[c].Name != "java.lang.Class" {
			continue
		}
		var out []heap.ObjectIndex
		for _, cl := range g.Classes {
			if cl.Object != heap.None {
				out = append(out, cl.Object)
			}
		}
		return out
	}
	return nil
}

// uniqueObjects drops repeats (an --object named twice, or also matched by
// --class), so that the count of matching objects is the count Merge sums.
func uniqueObjects(objs []heap.ObjectIndex) []heap.ObjectIndex {
	slices.Sort(objs)
	return slices.Compact(objs)
}

// pathNode is one printed line; JSON nests children.
type pathNode struct {
	ID       string `json:"id"`
	Class    string `json:"class"`
	Label    string `json:"field,omitempty"`
	Root     string `json:"root,omitempty"`
	Objects  int    `json:"objects,omitempty"`
	Retained uint64 `json:"retained_bytes"`
	Match    bool   `json:"match,omitempty"`
	Keeps    bool   `json:"dominated,omitempty"` // followed below a match
	// Elided, on a line standing for a long run of single references,
	// counts the objects left out there (see leaks.StepEnds); the line's
	// object, field and class are the first of them.
	Elided   int         `json:"elided_references,omitempty"`
	Children []*pathNode `json:"children,omitempty"`
	depth    int
	object   heap.ObjectIndex
}

type pathsReport struct {
	Matching  int `json:"matching_objects"`
	Unreached int `json:"unreached_objects"`
	Shown     int `json:"shown_objects"`
	// OnPaths counts matching objects shown because they lie on the path
	// to one of the --max-paths biggest, beyond Shown; Below, those shown
	// in the walk below a shown one, to where its memory sits.
	OnPaths int         `json:"shown_on_their_paths,omitempty"`
	Below   int         `json:"shown_below_matches,omitempty"`
	Paths   []*pathNode `json:"paths"`
}

func (o *pathsOptions) write(s *IOStreams, t dominance, search *paths.Search, m *paths.Tree, matching int, format render.Format) error {
	g := t.Graph()
	if len(m.Nodes) >= 1<<20 { // a line each, and more below the matches
		defer tighterGC()()
	}
	shown, onPaths := 0, 0
	// The matches --max-paths chose, when it chose (paths.Tree.Rank);
	// another match printed lies on the path to one of them.
	chosen := map[int32]bool{}
	for _, k := range m.Biggest() {
		chosen[k] = true
	}
	label := func(x heap.ObjectIndex) string { return g.ObjectLabel(x, !o.jvmNames) }
	node := func(k int32, field string) *pathNode {
		nd := &m.Nodes[k]
		p := &pathNode{object: nd.Object, ID: fmt.Sprintf("0x%x", g.ID(nd.Object)), Class: label(nd.Object), Label: field,
			Objects: int(nd.Targets), Retained: nd.Retained, Match: m.Target(k)}
		if m.Parent(k) < 0 {
			p.Root = search.DescribeRoot(nd.Object)
		}
		return p
	}
	// The lines' labels, how the object above refers to each, are asked
	// for as the lines are made and read after, all at once: each object
	// referring has its record read once, and the records in dump order
	// (paths.Search.LabelAll). One record at a time, the 10 M lines of
	// --max-paths 0 to the bench dump's 3.75 M ArrayLists took 94 s to
	// label, of the command's 144 s; in one walk, 9.9 s of 49 s.
	var edges []paths.Edge
	var dests []*string
	ask := func(from, to heap.ObjectIndex, at *string) {
		edges = append(edges, paths.Edge{From: from, To: to})
		dests = append(dests, at)
	}
	object := func(k int32) heap.ObjectIndex { return m.Nodes[k].Object }
	// build makes the lines from node k down, below node parent (-1 for
	// a root), and puts the first in *at. A run of lines each with one
	// line to print below it, none a match, is followed in a loop, and a
	// long run's middle is left out, its references not labelled. What
	// lies below the run's last line is pushed on todo, not built by
	// recursion: a linked list's paths are as long as the list, and with
	// --max-paths 0 every node of a list of matches is a line (2 M of them
	// overflowed the stack).
	type work struct {
		k, parent int32
		depth     int
		at        **pathNode
	}
	var todo []work
	build := func(k, parent int32, depth int, at **pathNode) {
		run := []int32{k}
		for !m.Target(k) {
			cs := m.Children(k, 2)
			if len(cs) != 1 {
				break
			}
			k = cs[0]
			run = append(run, k)
		}
		var lines []*pathNode
		for i, rk := range run {
			left, n := leaks.Folded(i, len(run))
			if left && n == 0 {
				continue
			}
			p := node(rk, "")
			p.Elided = n
			switch {
			case i > 0:
				ask(object(run[i-1]), object(rk), &p.Label)
			case parent >= 0:
				ask(object(parent), object(rk), &p.Label)
			}
			lines = append(lines, p)
		}
		for i, p := range lines {
			p.depth = depth + i
			if i > 0 {
				lines[i-1].Children = []*pathNode{p}
			}
		}
		last := lines[len(lines)-1]
		if m.Target(k) {
			if len(chosen) > 0 && !chosen[k] {
				onPaths++
			} else {
				shown++
			}
			last.Children = append(last.Children, o.keeps(t, m, object(k), last.depth+1, ask)...)
		}
		cs := m.Children(k, 0) // all of them: the tree holds only the paths to print (Rank)
		first := len(last.Children)
		last.Children = append(last.Children, make([]*pathNode, len(cs))...)
		for i := len(cs) - 1; i >= 0; i-- { // the first child taken first
			todo = append(todo, work{cs[i], k, last.depth + 1, &last.Children[first+i]})
		}
		*at = lines[0]
	}
	report := &pathsReport{Matching: matching, Unreached: m.Unreached, Paths: make([]*pathNode, len(m.Roots))}
	for i := len(m.Roots) - 1; i >= 0; i-- {
		todo = append(todo, work{m.Roots[i], -1, 0, &report.Paths[i]})
	}
	for len(todo) > 0 {
		w := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		build(w.k, w.parent, w.depth, w.at)
	}
	for i, l := range search.LabelAll(edges) {
		*dests[i] = l
	}
	edges, dests = nil, nil
	report.Shown, report.OnPaths = shown, onPaths
	trimKeeps(report.Paths, g.NumObjects())
	report.eachLine(func(p *pathNode, _ string) {
		if p.Keeps && p.Match {
			report.Below++
		}
	})
	switch format {
	case render.JSON:
		deepest := 0
		report.eachLine(func(p *pathNode, _ string) { deepest = max(deepest, p.depth) })
		if deepest > jsonDepth {
			return &ExitError{Code: ExitError2, Err: fmt.Errorf("the paths are %s lines deep (a chain of matching objects): JSON would nest its children as deep, more than it can write (%s); --format csv gives each line with its depth and parent",
				commas(int64(deepest+1)), commas(int64(jsonDepth)))}
		}
		return render.WriteJSON(s.Out, report)
	case render.CSV:
		return writePathsCSV(s.Out, report)
	}
	// The lines go out as they are made, not held as a Grid first (see
	// writePathsCSV).
	rows := render.NewRows(s.Out, format, []render.Column{
		{Title: "Path from GC roots", Key: "path"}, {Title: "Object", Key: "id"},
		{Title: "Objects", Key: "objects", Kind: render.Count}, {Title: "Retained", Key: "retained_bytes", Kind: render.Bytes},
	})
	report.eachLine(func(p *pathNode, _ string) {
		text := p.Class
		switch {
		case p.Elided > 0:
			text = fmt.Sprintf("… %s more references (the first: %s %s)", commas(int64(p.Elided)), p.Label, p.Class)
		case p.Root != "" && strings.Contains(p.Root, p.Class[strings.LastIndexByte(p.Class, ' ')+1:]):
			text = p.Root
		case p.Root != "":
			text = p.Root + " " + p.Class
		case p.Label != "":
			text = p.Label + "  " + p.Class
		}
		if p.Match {
			text += "  ◀"
		}
		rows.Add(render.Indent(p.depth)+text, p.ID, p.objectsCell(), p.Retained)
	})
	if err := rows.Close(); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "\n%s matching %s; %s shown", commas(int64(matching)), plural(matching, "object", "objects"), commas(int64(shown)))
	var more []string
	if onPaths > 0 {
		more = append(more, commas(int64(onPaths))+" on their paths")
	}
	if report.Below > 0 {
		more = append(more, commas(int64(report.Below))+" in what "+plural(shown+onPaths, "it retains", "they retain"))
	}
	if len(more) > 0 {
		if len(chosen) > 0 {
			which := "the " + commas(int64(shown)) + " that retain the most"
			if shown == 1 {
				which = "the one that retains the most"
			}
			fmt.Fprintf(s.Out, " (%s)", which)
		}
		if len(more) == 2 {
			fmt.Fprintf(s.Out, ", %s", more[0])
		}
		fmt.Fprintf(s.Out, " and %s", more[len(more)-1])
	}
	if m.Unreached > 0 {
		fmt.Fprintf(s.Out, "; %s not reachable from any GC root%s", commas(int64(m.Unreached)), o.searchedThrough())
	}
	fmt.Fprintln(s.Out, "; ◀ marks a matching object")
	return nil
}

// jsonDepth bounds the paths' nesting in JSON: encoding/json recurses a
// few calls a level, and 2 M levels (a linked list of matches, --max-paths
// 0) overflowed the stack.
var jsonDepth = 100_000 // (a variable, for tests)

// writePathsCSV flattens the tree as the table prints it, a row per line
// (pre-order), with the JSON's fields: depth and parent (the line above
// it in the tree, "" for a root) give the tree back. The summary line is
// left out, as from the other commands' CSV; JSON has its counts. The rows
// go out as they are made: held as a Grid, the 10 M lines of --max-paths 0
// to the bench dump's 3.75 M ArrayLists peaked at 6.0 GB, so at 5.6 GB
// (the same CSV).
func writePathsCSV(w io.Writer, report *pathsReport) error {
	rows := render.NewRows(w, render.CSV, []render.Column{
		{Key: "depth", Kind: render.Count}, {Key: "parent"}, {Key: "id"}, {Key: "class"},
		{Key: "field"}, {Key: "root"}, {Key: "objects", Kind: render.Count},
		{Key: "retained_bytes", Kind: render.Bytes}, {Key: "match"}, {Key: "dominated"},
		{Key: "elided_references", Kind: render.Count},
	})
	report.eachLine(func(p *pathNode, parent string) {
		rows.Add(p.depth, parent, p.ID, p.Class, p.Label, p.Root,
			p.objectsCell(), p.Retained, strconv.FormatBool(p.Match), strconv.FormatBool(p.Keeps), p.Elided)
	})
	return rows.Close()
}

// eachLine calls line for every line of the tree in print order
// (pre-order), with the id of the line above it in the tree ("" for a
// root).
func (r *pathsReport) eachLine(line func(p *pathNode, parent string)) {
	type item struct {
		p      *pathNode
		parent string
	}
	var todo []item // not recursion: the tree may be millions of lines deep
	for i := len(r.Paths) - 1; i >= 0; i-- {
		todo = append(todo, item{r.Paths[i], ""})
	}
	for len(todo) > 0 {
		it := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		line(it.p, it.parent)
		for i := len(it.p.Children) - 1; i >= 0; i-- {
			todo = append(todo, item{it.p.Children[i], it.p.ID})
		}
	}
}

// objectsCell is a line's count of the matches it leads to, left empty
// on the walk below a match (to where its memory sits), which counts none.
func (p *pathNode) objectsCell() any {
	if p.Keeps {
		return ""
	}
	return p.Objects
}

// searchedThrough says which references the search left out, for the
// matching objects it did not reach: with --include-weak it followed
// weak ones too, and --exclude's fields it never follows.
func (o *pathsOptions) searchedThrough() string {
	switch {
	case o.includeWeak && o.excluding:
		return " (the fields --exclude names left out)"
	case o.includeWeak:
		return ""
	case o.excluding:
		return " (through strong references, the fields --exclude names left out)"
	}
	return " (through strong references)"
}

// plural is one for a count of 1, else many.
func plural[N int | int64](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// trimKeeps cuts each walk below a match (keeps) at the first object that
// the paths print themselves: the lines below the match show it, and what
// it keeps if it matches. An object the paths reach but --max-paths leaves
// unprinted stays in the walk.
func trimKeeps(roots []*pathNode, n int) {
	// Each node once, in any order, without recursion (see eachLine).
	each := func(fn func(p *pathNode)) {
		todo := slices.Clone(roots)
		for len(todo) > 0 {
			p := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			fn(p)
			todo = append(todo, p.Children...)
		}
	}
	printed := bitset.New(n) // (a map by id took a few hundred MB for 10 M lines)
	each(func(p *pathNode) {
		if !p.Keeps {
			printed.Add(int32(p.object))
		}
	})
	each(func(p *pathNode) {
		// A walk is a chain of Keeps nodes, each the one child of the
		// one above, and its head is the match's first child.
		if len(p.Children) > 0 && p.Children[0].Keeps && !p.Keeps {
			if printed.Has(int32(p.Children[0].object)) {
				p.Children = p.Children[1:]
			} else {
				for q := p.Children[0]; len(q.Children) > 0; q = q.Children[0] {
					if printed.Has(int32(q.Children[0].object)) {
						q.Children = nil
						break
					}
				}
			}
		}
	})
}

// keeps follows x's dominated objects while one child holds keepsRatio of
// the retained size: where a matching object's memory actually sits. Such
// a child is unique (siblings' retained sizes add up to at most their
// parent's), and it is looked for among the objects x refers to directly,
// which needs no table of all dominator-tree children; a child x reaches
// only through others ends the walk early, and so does one of x's class.
// It returns the walk's head, the rest chained below it; trimKeeps then
// cuts the walk where it meets an object the paths print.
func (o *pathsOptions) keeps(t dominance, m *paths.Tree, x heap.ObjectIndex, depth int, ask func(from, to heap.ObjectIndex, at *string)) []*pathNode {
	g := t.Graph()
	defer o.trim.read(0)
	var out []*pathNode
	for steps := 0; steps < 64; steps++ {
		c := heap.None
		least := keepsRatio * float64(t.Retained(x))
		for _, r := range g.Refs(x) {
			// The size first: it rules out nearly every reference, and
			// then the idom array need not be read (70 MB of pages for
			// the 3.75 M references of the bench dump's map table).
			if float64(t.Retained(r)) >= least && t.Idom(r) == int32(x) {
				c = r
				break
			}
		}
		if c == heap.None || g.ClassOf(c) == g.ClassOf(x) && !g.IsClassObject(c) {
			// A linked structure: its head is where the memory sits, as
			// suspects' accumulation chains say; a ChainNode's next was
			// followed 64 lines down a linked list.
			break
		}
		p := &pathNode{object: c, ID: fmt.Sprintf("0x%x", g.ID(c)), Class: g.ObjectLabel(c, !o.jvmNames),
			Retained: t.Retained(c), Match: m.Matches(c), Keeps: true, depth: depth}
		ask(x, c, &p.Label)
		out = append(out, p)
		x = c
		depth++
	}
	// A chain, as the dominator tree has it: each step the child of the
	// one above (JSON nests it so; the table indents it by depth).
	for i := 1; i < len(out); i++ {
		out[i-1].Children = []*pathNode{out[i]}
	}
	return out[:min(len(out), 1)]
}
