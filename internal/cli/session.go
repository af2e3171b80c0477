package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/par"
	"github.com/leakscan/leakscan/internal/paths"
)

// session is what one command has open for one dump: the graph, the
// dominator tree and searches it computed or mapped from the dump's index,
// and the index parts it writes. Close waits for those writes.
type session struct {
	g    *globalOptions
	s    *IOStreams
	dump string

	indexed   bool   // the index may be read and written
	unindexed string // why not, when the options say so (see unindexed)
	id        index.Identity
	dir       string // index folder, "" until known
	parts     []*index.Part
	writes    par.Group
	mu        sync.Mutex
	// Loaded and Written name the parts read from and written to the index;
	// Failed says why each part that could not be written was not, in the
	// words of its warning ("graph: open …: permission denied").
	Loaded, Written, Failed []string
	// rebuild: the parts found stale or damaged, which the warning said
	// would be rebuilt.
	rebuild map[string]bool

	graph *heap.Graph
	// graphGate, when set, holds back writing a freshly built graph to
	// the index until releaseGraph closes it (see holdGraphWrite).
	graphGate    chan struct{}
	releaseGraph func()
	// ahead is a search started while the dominator tree is computed,
	// once it reaches its last phases (dominator.Options.Spare; see
	// searchAhead).
	ahead *aheadSearch
	// listsWarnings: the command shows the dump's warnings itself (info),
	// so warnDump leaves them out.
	listsWarnings bool
	// failsUnwritten: the command fails when a part could not be written
	// (index), with an error that says why: no warning says it before.
	failsUnwritten bool
}

// aheadSearch is a search running beside the dominator tree.
type aheadSearch struct {
	opts    paths.Options
	started bool
	done    chan struct{}
	result  *paths.Search
	faults  par.Faults // the search's
}

// openSession opens the session of the dump the arguments name (see
// resolveDump). The caller closes it.
func (g *globalOptions) openSession(s *IOStreams, args []string) (*session, error) {
	dump, err := resolveDump(s, args)
	if err != nil {
		return nil, err
	}
	return g.newSession(s, dump), nil
}

func (g *globalOptions) newSession(s *IOStreams, dump string) *session {
	x := &session{g: g, s: s, dump: dump, unindexed: g.unindexed()}
	x.indexed = x.unindexed == ""
	if x.indexed {
		id, err := index.Identify(dump)
		if err != nil {
			x.indexed = false // the dump cannot be read: opening it will say why
		}
		x.id = id
		x.dir = index.Exists(dump, g.indexDir)
	}
	return x
}

// unindexed says why commands with these options neither read nor write
// an index, or "" when they do: the index holds what the default parse
// reads (the last heap dump, the pointer layout found), so another parse
// would be answered for the wrong one.
func (g *globalOptions) unindexed() string {
	switch {
	case g.noIndex:
		return "--no-index"
	case g.compressedOops != "auto" || g.dump != -1:
		return "--compressed-oops or --dump given: the index holds the default parse only"
	}
	return ""
}

func (x *session) warn(format string, args ...any) {
	fmt.Fprintf(x.s.Err, "leakscan: warning: "+format+"\n", args...)
}

// warnDump gives the warnings found in the dump (a guessed object layout,
// dangling references, another heap dump in the file...) on stderr, each
// once, whether the graph or census was parsed now or read from the index.
func (x *session) warnDump(warnings []string) {
	if x.listsWarnings {
		return
	}
	for _, w := range warnings {
		if hprof.IsTruncatedWarning(w) {
			continue // warnTruncated says so, with what the results cover
		}
		x.s.warnOnce("%s: %s", x.dump, w)
	}
}

// load maps an index part, or returns nil when there is none to use (a
// stale or damaged one is reported and will be rebuilt).
func (x *session) load(part string) *index.Part {
	if !x.indexed || x.dir == "" || (x.rebuild[part] && !x.wrote(part)) {
		// A part found stale or damaged is not opened again until this
		// command has written it anew: the warning was given once
		// (histogram --retained may read the dominators part's totals
		// and then its tree), and a census written since is read, not
		// parsed again.
		return nil
	}
	p, err := index.Open(x.dir, part, x.id)
	switch {
	case err == nil:
		x.parts = append(x.parts, p)
		return p
	case errors.Is(err, os.ErrNotExist):
	case errors.Is(err, index.ErrStale):
		// The dump changed (or leakscan did): every part made before is
		// stale, and goes now, said once. In a folder --index-dir names,
		// which may hold another dump's parts (index --rm refuses them),
		// only those of another format version, which none can use.
		if gone := index.RemoveStale(x.dir, x.id, x.g.indexDir != ""); len(gone) > 1 {
			x.warn("the index of %s is stale (%v): the parts %s in %s are removed, and rebuilt as commands need them", x.dump, err, strings.Join(gone, ", "), x.dir)
			if x.rebuild == nil {
				x.rebuild = map[string]bool{}
			}
			for _, p := range gone {
				x.rebuild[p] = true
			}
			return nil
		}
		x.rebuilding(part, "stale", err)
	default:
		x.rebuilding(part, "damaged", err)
	}
	return nil
}

// wrote reports whether this command has written part to the index.
func (x *session) wrote(part string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Contains(x.Written, part)
}

// rebuilding reports a part found stale or damaged, and notes that it is
// to be rebuilt.
func (x *session) rebuilding(part, state string, err error) {
	x.warn("the %s index of %s is %s (%v); rebuilding it", part, x.dump, state, err)
	if x.rebuild == nil {
		x.rebuild = map[string]bool{}
	}
	x.rebuild[part] = true
}

// truncatedOK reports whether a part made from a dump that ends early at
// offset at (negative: one that does not) may answer: only with
// --allow-truncated, as a parse would, and then with the parse's warning.
func (x *session) truncatedOK(at int64) bool {
	if at < 0 {
		return true
	}
	if !x.g.allowTruncated {
		return false
	}
	x.g.warnTruncated(x.s, x.dump, at)
	return true
}

// used records that a part was read, or reports a part that failed to load.
func (x *session) used(part string, err error) bool {
	if err != nil {
		x.rebuilding(part, "damaged", err)
		return false
	}
	x.Loaded = append(x.Loaded, part)
	return true
}

// save writes an index part, in the background unless wait is set; fill
// adds the sections, whose memory must not change until Close.
func (x *session) save(part string, wait bool, fill func(*index.Writer) error) {
	x.saveAfter(part, wait, nil, fill)
}

// saveAfter is save whose background write starts only once gate is
// closed (nil: at once).
func (x *session) saveAfter(part string, wait bool, gate <-chan struct{}, fill func(*index.Writer) error) {
	if !x.indexed {
		return
	}
	if x.dir == "" {
		dir, err := index.Dir(x.dump, x.g.indexDir)
		if err != nil {
			if !x.failsUnwritten {
				x.warn("no index written: %v", err)
			}
			x.indexed = false
			x.mu.Lock()
			x.Failed = append(x.Failed, err.Error())
			x.mu.Unlock()
			return
		}
		if beside := index.Beside(x.dump); x.g.indexDir == "" && dir != beside {
			// Said once, as the first part goes there: info says where
			// the index is, but nothing else would.
			x.warn("the index of %s cannot go beside it (%s): it goes to %s", x.dump, filepath.Base(beside), dir)
		}
		x.dir = dir
	}
	write := func() {
		var w index.Writer
		err := fill(&w)
		if err == nil {
			err = w.Commit(x.dir, part, x.id)
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		if err != nil {
			if !x.failsUnwritten {
				x.warn("index part %s not written: %v", part, err)
			}
			x.Failed = append(x.Failed, part+": "+err.Error())
			return
		}
		x.Written = append(x.Written, part)
	}
	if wait {
		write()
		return
	}
	x.writes.Go(func() {
		if gate != nil {
			<-gate
		}
		write()
	})
}

// trim drops the pages of the index parts read so far from the resident
// set, where they are mapped, and unmaps the dump where records are read
// (mapped again by the next read; Graph.TrimFile keeps the walk that finds
// records): reads at random (the few objects a report shows) each keep a
// run of pages mapped, which add up, and a big array's record read once
// need not stay. No record may be in use.
func (x *session) trim() {
	for _, p := range x.parts {
		p.Evict()
	}
	if x.graph != nil {
		x.graph.TrimFile()
	}
}

// Close waits for index writes, then releases the graph and the parts.
func (x *session) Close() {
	if a := x.ahead; a != nil && a.started {
		<-a.done // it reads the graph and the dump
	}
	x.writes.Wait()
	if x.graph != nil {
		x.graph.Close()
	}
	for _, p := range x.parts {
		p.Close()
	}
}

// Graph returns the dump's graph, from the index when it has one.
func (x *session) Graph() (*heap.Graph, error) {
	if x.graph != nil {
		return x.graph, nil
	}
	if p := x.load("graph"); p != nil {
		fopts, _, err := x.g.options(nil)
		if err != nil {
			return nil, err
		}
		g, err := heap.LoadIndex(p, func() (*hprof.File, error) { return hprof.Open(x.dump, fopts) })
		if err == nil && !x.truncatedOK(g.Source.Truncated) {
			// The parse below fails as it would without an index.
		} else if x.used("graph", err) {
			remember(x.dump)
			// The path as given now, not as when the index was written
			// (maybe relative to another folder).
			g.Source.Path = x.dump
			x.graph = g
			x.warnDump(g.Warnings)
			return g, nil
		}
	}
	g, err := x.g.openGraph(x.s, x.dump)
	if err != nil {
		return nil, err
	}
	if props, _, ok := leaks.SystemProperties(g); ok {
		g.JVM, g.Command = describeJVM(props), leaks.PropertyValue(props, "sun.java.command")
	}
	x.graph = g
	x.warnDump(g.Warnings)
	x.saveAfter("graph", false, x.graphGate, g.SaveIndex)
	return g, nil
}

// holdGraphWrite holds back writing the graph to the index, should Graph
// build it, until release is called (any number of times): the analyses
// that follow use both cores at first, and the write is better run where
// they leave one idle. Later holds share the first one's release.
func (x *session) holdGraphWrite() (release func()) {
	if x.releaseGraph == nil {
		gate := make(chan struct{})
		var once sync.Once
		x.graphGate = gate
		x.releaseGraph = func() { once.Do(func() { close(gate) }) }
	}
	return x.releaseGraph
}

// loadTree returns the dominator tree from the index, when it holds one
// made with dopts.
func (x *session) loadTree(g *heap.Graph, dopts dominator.Options) (*dominator.Tree, bool) {
	if p := x.load("dominators"); p != nil {
		tree, ok, err := dominator.LoadIndex(p, g, dopts)
		if ok || err != nil {
			return tree, x.used("dominators", err)
		}
	}
	return nil, false
}

// Tree returns the dominator tree, from the index when it has one made
// with the same options.
func (x *session) Tree(t *treeOptions) (*dominator.Tree, error) {
	dopts, err := t.options()
	if err != nil {
		return nil, err
	}
	// The graph's write waits for the dominator computation's last
	// phases (dominator.Options.Spare): Semi-NCA's EVAL leaves a core
	// idle; after a peel's placing, the write runs beside the retained
	// sizes (run 54 in docs/benchmark-log.md: no core is idle anywhere then, and
	// starting it earlier gained nothing).
	open := x.holdGraphWrite()
	defer open()
	g, err := x.Graph()
	if err != nil {
		return nil, err
	}
	tree, ok := x.loadTree(g, dopts)
	if !ok {
		tree = x.computeTree(g, dopts)
	}
	if tree.ReachableObjects == 0 && tree.UnreachableObjects > 0 {
		// A dump cut short (the JVM killed mid-dump) ends before its
		// roots, which HotSpot writes after the objects.
		x.warn("%s has no GC roots: no object is reachable, and the tree is empty; --keep-unreachable makes the unreached objects roots", x.dump)
	}
	return tree, nil
}

// computeTree computes the dominator tree and writes it to the index. A
// held graph write is released, and the ahead search started, when the
// computation reaches its last phases (dominator.Options.Spare).
func (x *session) computeTree(g *heap.Graph, dopts dominator.Options) *dominator.Tree {
	open := x.holdGraphWrite()
	defer open()
	g.ReleaseFile() // the dump's pages need not stay resident meanwhile
	bar := x.g.bar(x.s)
	dopts.Progress = bar.Update
	dopts.Spare = open
	computed := false
	if a := x.ahead; a != nil && !a.started {
		var once sync.Once
		dopts.Spare = func() {
			once.Do(func() {
				open()
				defer close(a.done)
				defer a.faults.Catch() // for Search
				a.result = paths.Find(g, a.opts)
			})
		}
		a.started = true
		defer func() {
			if !computed {
				// A fault ended Compute, maybe before it started the
				// search, which Close would wait for.
				once.Do(func() { close(a.done) })
			}
		}()
	}
	tree := dominator.Compute(g, dopts)
	computed = true
	bar.Done()
	x.keepTree(tree, dopts)
	return tree
}

// keepTree writes tree, computed with dopts, to the index in the
// background when it has the default semantics (see defaultTree).
func (x *session) keepTree(tree *dominator.Tree, dopts dominator.Options) {
	if defaultTree(dopts) {
		tree.Children(heap.None) // computed here, not while the writer reads it
		x.save("dominators", false, func(w *index.Writer) error { return tree.SaveIndex(w, dopts) })
	}
}

// defaultTree reports whether dopts are the default semantics, the only
// ones the index keeps: a tree made with others would take the default
// one's place, which the next command would then make again.
func defaultTree(dopts dominator.Options) bool { return !dopts.IgnoreWeak && !dopts.KeepUnreachable }

// ClassRetained returns every class's retained size
// (dominator.Tree.ClassRetained) in the tree t asks for, from the index
// when it has them: they take a walk of the whole tree (2 s on the bench
// dump), which the command that first writes the tree leaves out, so the
// first command to need them writes them. tree is that tree when the
// caller has it; else it is got only when the sizes are not in the index,
// and returned (nil when they were).
func (x *session) ClassRetained(t *treeOptions, tree *dominator.Tree) ([]uint64, *dominator.Tree, error) {
	dopts, err := t.options()
	if err != nil {
		return nil, nil, err
	}
	if p := x.load("classes"); p != nil {
		r, warnings, ok, err := dominator.LoadClassRetained(p, dopts)
		if ok && err == nil {
			// The part is this dump's; its class count must be too.
			var classes int
			if tree != nil {
				classes = len(tree.Graph().Classes)
			} else if c, cerr := x.Census(); cerr == nil {
				classes = len(c.Classes)
			} else {
				return nil, nil, cerr
			}
			if len(r) != classes {
				err = fmt.Errorf("index classes part: %d sizes for %d classes", len(r), classes)
			}
		}
		if (ok || err != nil) && x.used("classes", err) {
			// The graph's warnings, which the census's may lack (dangling
			// references), but for its guess of the layout: the census
			// gave its own, in other words.
			warnings = slices.DeleteFunc(warnings, heap.IsGuessWarning)
			x.warnDump(warnings)
			return r, nil, nil
		}
	}
	if tree == nil {
		if tree, err = x.Tree(t); err != nil {
			return nil, nil, err
		}
	}
	r := tree.ClassRetained()
	if defaultTree(dopts) {
		warnings := tree.Graph().Warnings
		x.save("classes", false, func(w *index.Writer) error { return dominator.SaveClassRetained(w, dopts, r, warnings) })
	}
	return r, tree, nil
}

// Unreachable returns how many objects, and bytes, no GC root reaches in
// the tree t asks for: tree's totals when the caller has it, else those
// the index keeps with its dominators part (its meta: no graph and no tree
// to map), else the tree's, got as Tree gets it.
func (x *session) Unreachable(t *treeOptions, tree *dominator.Tree) (int64, uint64, error) {
	if tree == nil {
		dopts, err := t.options()
		if err != nil {
			return 0, 0, err
		}
		if p := x.load("dominators"); p != nil {
			n, b, ok, err := dominator.LoadUnreachable(p, dopts)
			if (ok || err != nil) && x.used("dominators", err) {
				return n, b, nil
			}
		}
		if tree, err = x.Tree(t); err != nil {
			return 0, 0, err
		}
	}
	return tree.UnreachableObjects, tree.UnreachableBytes, nil
}

// Census returns the class histogram, from the index when it has one.
func (x *session) Census() (*heap.Census, error) {
	if p := x.load("census"); p != nil {
		c, err := heap.LoadCensus(p)
		if err == nil && c.TruncatedAt > 0 && !x.truncatedOK(c.TruncatedAt) {
			// The parse below fails as it would without an index.
		} else if x.used("census", err) {
			remember(x.dump)
			x.warnDump(c.Warnings)
			return c, nil
		}
	}
	c, err := x.g.census(x.s, x.dump)
	if err != nil {
		return nil, err
	}
	x.warnDump(c.Warnings)
	x.save("census", true, c.SaveIndex)
	return c, nil
}

// Search returns the shortest-path search, from the index for the default
// options.
func (x *session) Search(opts paths.Options) (*paths.Search, error) {
	g, err := x.Graph()
	if err != nil {
		return nil, err
	}
	if a := x.ahead; a != nil && a.started && reflect.DeepEqual(a.opts, opts) {
		x.ahead = nil
		<-a.done
		a.faults.Check()
		if opts.IsDefault() {
			x.save("paths", false, func(w *index.Writer) error { a.result.SaveIndex(w); return nil })
		}
		return a.result, nil
	}
	if !opts.IsDefault() {
		return paths.Find(g, opts), nil
	}
	if p := x.load("paths"); p != nil {
		s, err := paths.LoadIndex(p, g)
		if x.used("paths", err) {
			return s, nil
		}
	}
	s := paths.Find(g, opts)
	x.save("paths", false, func(w *index.Writer) error { s.SaveIndex(w); return nil })
	return s, nil
}

// searchFor returns a search that reaches at least targets: Search's, or,
// where no index part would be read or written from it, one that stops
// once it has reached them (paths.FindTargets).
func (x *session) searchFor(opts paths.Options, targets []heap.ObjectIndex) (*paths.Search, error) {
	if x.usesSearch(opts) {
		return x.Search(opts)
	}
	g, err := x.Graph()
	if err != nil {
		return nil, err
	}
	return paths.FindTargets(g, opts, targets), nil
}

// usesSearch reports whether searchFor(opts, …) returns Search's: one an
// index may hold, or the search ahead of the tree that suspects needs.
func (x *session) usesSearch(opts paths.Options) bool {
	return (x.indexed && opts.IsDefault()) || x.ahead != nil
}

// dominance is what paths shows of the dominator tree: the whole tree,
// or only the part below the matching objects (dominator.Below).
type dominance interface {
	Graph() *heap.Graph
	Idom(heap.ObjectIndex) int32
	Retained(heap.ObjectIndex) uint64
}

// Below returns the dominator tree below targets and the search for
// opts. When the index holds the whole tree, that is used; otherwise
// only the part below the targets is computed, beside the search on the
// other core: for a few objects, a fraction of the whole tree's cost.
// then, if set, is called once with the search before Below returns: when
// the tree below is computed, as soon as the search is done and that
// computation reaches its last phases (dominator.Options.Spare), so that
// work needing only the search overlaps them.
func (x *session) Below(t *treeOptions, targets []heap.ObjectIndex, opts paths.Options, then func(*paths.Search)) (dominance, *paths.Search, error) {
	dopts, err := t.options()
	if err != nil {
		return nil, nil, err
	}
	g, err := x.Graph()
	if err != nil {
		return nil, nil, err
	}
	if then == nil {
		then = func(*paths.Search) {}
	}
	var (
		search    *paths.Search
		searchErr error
		searched  = make(chan struct{})
	)
	// After the search: then, on whichever goroutine comes first.
	afterSearch := sync.OnceFunc(func() {
		if <-searched; searchErr == nil {
			then(search)
		}
	})
	find := func() {
		search, searchErr = x.searchFor(opts, targets)
		close(searched)
	}
	if tree, ok := x.loadTree(g, dopts); ok {
		find()
		afterSearch()
		return tree, search, searchErr
	}
	if x.rebuild["dominators"] || dopts.KeepUnreachable {
		// The whole tree: a part that was there is to be rebuilt (so the
		// warning said), and with --keep-unreachable the roots it adds
		// depend on the whole search anyway.
		x.searchAhead(opts)
		tree := x.computeTree(g, dopts)
		find()
		afterSearch()
		return tree, search, searchErr
	}
	bar := x.g.bar(x.s)
	dopts.Progress = bar.Update
	dopts.Spare = afterSearch
	// searchFor's search beside the tree keeps a core busy as long when it
	// is Search's (the index's when it holds one, else a whole search) or
	// meets most objects before its last target.
	if x.usesSearch(opts) || index.ReadsMost(len(targets), g.NumObjects()) {
		dopts.Beside = 1
	}
	var below *dominator.Below
	wait := par.Go(func() { below = dominator.ComputeBelow(g, dopts, targets) })
	began := time.Now()
	find()
	bar.Beside("search", time.Since(began))
	wait()
	afterSearch() // if ComputeBelow did not start it, or to wait for it
	bar.Done()
	if t := below.Whole(); t != nil {
		// The whole tree was cheaper (the objects below the targets are
		// most of the heap).
		x.keepTree(t, dopts)
	}
	x.holdGraphWrite()() // both cores are free now
	return below, search, searchErr
}

// searchAhead says that Search(opts) will follow Tree: when no index
// could hold them (none exists yet, or --no-index), Tree runs the search
// on the core the dominator computation leaves idle in its last phases.
// It costs the search's memory (8 bytes per object) beside the tree's.
func (x *session) searchAhead(opts paths.Options) {
	if x.indexed && x.dir != "" {
		return // the index may hold both
	}
	x.ahead = &aheadSearch{opts: opts, done: make(chan struct{})}
}

// analyse opens the dump the arguments name (see resolveDump) and returns
// its session, dominator tree (MAT's semantics: weak references followed)
// and the strong-path search the leak analyses need. The caller closes the
// session.
func (g *globalOptions) analyse(s *IOStreams, args []string, t *treeOptions) (*session, *dominator.Tree, *paths.Search, error) {
	x, err := g.openSession(s, args)
	if err != nil {
		return nil, nil, nil, err
	}
	x.searchAhead(t.search())
	tree, err := x.Tree(t)
	if err != nil {
		x.Close()
		return nil, nil, nil, err
	}
	search, err := x.Search(t.search())
	if err != nil {
		x.Close()
		return nil, nil, nil, err
	}
	return x, tree, search, nil
}
