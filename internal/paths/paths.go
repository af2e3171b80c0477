// Package paths finds shortest reference paths from GC roots to objects
// and merges them into one tree, as Eclipse MAT's "merge shortest paths to
// GC roots" does.
//
// Shortest means fewest references: one breadth-first search from all GC
// roots at once, iterative, recording each object's BFS parent in one
// int32 array (no per-object maps). The successors are those the dominator
// tree uses (class object, stored references, a thread's stack locals),
// less what does not keep anything alive: by default the referent of
// java.lang.ref.Reference (Weak, Soft, Phantom, Final) and the static
// java.lang.ref.Finalizer.unfinalized, plus any field excluded by name.
package paths

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"unsafe"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// FieldRef names a field to leave out: a class pattern (see
// heap.ClassPattern: a name, simple or not, a glob or /regex/) and a field
// of the classes it matches or of their subclasses, or a static of them.
type FieldRef struct{ Class, Field string }

// ParseFieldRef reads "Class:field", the class a valid class pattern.
func ParseFieldRef(s string) (FieldRef, error) {
	i := strings.LastIndexByte(s, ':') // a /regex/ may hold a ':'
	if i <= 0 || i == len(s)-1 {
		return FieldRef{}, fmt.Errorf("--exclude %q: expected Class:field, e.g. java.lang.ref.Finalizer:unfinalized", s)
	}
	ref := FieldRef{s[:i], s[i+1:]}
	if _, err := heap.ClassPattern(ref.Class); err != nil {
		return FieldRef{}, fmt.Errorf("--exclude %q: %w", s, err)
	}
	return ref, nil
}

// appliesTo marks the classes ref's pattern matches (matched) and those
// whose objects it leaves the field out of (classes): the matched ones
// and their subclasses.
func (ref FieldRef) appliesTo(g *heap.Graph) (matched, classes []bool) {
	m, err := heap.ClassPattern(ref.Class)
	if err != nil {
		panic(fmt.Sprintf("paths: --exclude class %q not validated: %v", ref.Class, err))
	}
	matched = g.MatchClasses(m)
	classes = make([]bool, len(g.Classes))
	for c := range g.Classes {
		for a, steps := heap.ClassIndex(c), 0; a >= 0 && steps < len(g.Classes); a, steps = g.Classes[a].Super, steps+1 {
			if matched[a] {
				classes[c] = true
				break
			}
		}
	}
	return matched, classes
}

// UnusedExclude is an exclusion that leaves nothing out of a dump.
type UnusedExclude struct {
	Ref FieldRef
	// NoClass: no class of the dump matches Ref.Class. Else no class it
	// applies to (see FieldRef) has a reference field Ref.Field, instance
	// (declared or inherited) or static, and Fields lists the reference
	// fields of the matching classes, sorted: what may have been meant.
	NoClass bool
	Fields  []string
}

// UnusedExcludes returns the exclusions of refs that leave nothing out of
// g, in the order given: a misspelt class or field would otherwise print
// the paths as if it had not been given. Another dump may hold the class,
// so this is for a warning, not an error.
func UnusedExcludes(g *heap.Graph, refs []FieldRef) []UnusedExclude {
	var out []UnusedExclude
	for _, ref := range refs {
		matched, classes := ref.appliesTo(g)
		if !slices.Contains(matched, true) {
			out = append(out, UnusedExclude{Ref: ref, NoClass: true})
			continue
		}
		found := false
		for c, in := range classes {
			if in && slices.Contains(referenceFields(g, heap.ClassIndex(c)), ref.Field) {
				found = true
				break
			}
		}
		if found {
			continue
		}
		u := UnusedExclude{Ref: ref}
		for c, in := range matched {
			if in {
				u.Fields = append(u.Fields, referenceFields(g, heap.ClassIndex(c))...)
			}
		}
		slices.Sort(u.Fields)
		u.Fields = slices.Compact(u.Fields)
		out = append(out, u)
	}
	return out
}

// referenceFields names the fields of class c the search may leave out:
// its instances' reference fields, inherited ones too, and its reference
// statics.
func referenceFields(g *heap.Graph, c heap.ClassIndex) []string {
	var names []string
	fields, _ := g.AllFields(c)
	for _, f := range fields {
		if f.Type == hprof.TypeObject {
			names = append(names, f.Name)
		}
	}
	for _, st := range g.Classes[c].Statics {
		if st.Type == hprof.TypeObject {
			names = append(names, st.Name)
		}
	}
	return names
}

// DefaultExcludes are left out unless weak references are included.
var DefaultExcludes = []FieldRef{{"java.lang.ref.Finalizer", "unfinalized"}}

// Options choose what the search follows.
type Options struct {
	// IncludeWeak follows Reference.referent and Finalizer.unfinalized.
	IncludeWeak bool
	Exclude     []FieldRef
	// KeepUnreachable searches on, once the GC roots reach nothing more,
	// from each object, in index order, that neither they nor such a root
	// before it reaches, a root of its own (Unreachable, as MAT calls it):
	// the objects that the dominator tree's KeepUnreachable makes roots,
	// where a path to one is asked for. An object that only references
	// the search does not follow reach (a referent, an excluded field) is
	// reachable, and stays unreached; under dominator.Options.IgnoreWeak
	// the tree makes such an object a root too. One that a root of its own
	// reaches only through such references is a root of its own here, where
	// the tree, following weak references, puts it below that root.
	KeepUnreachable bool
}

// Search is the result of the breadth-first search.
type Search struct {
	g *heap.Graph
	// parent[o]: the object o was first reached from, rootParent for a GC
	// root, or unreached.
	parent []int32
	// evict, for a parent array mapped from an index, drops its pages
	// from the resident set once Merge has read them (index.Part.Evictor).
	evict func([]byte)
	// parentChecked, for a parent array mapped from an index, checks it
	// as it is read (index.Deferred): parentOf the block it reads, Merge
	// all of it first for targets enough to read most blocks. Nil
	// otherwise.
	parentChecked *index.Deferred
	locals        map[heap.ObjectIndex][]heap.LocalRoot
	// hasLocals: bitset of the threads in locals, tested before the map
	// is read, once per object searched.
	hasLocals bitset.Set
	// excluded[c]: field names of class c (instance, with inherited ones,
	// or static) not followed; isExcluded[c] says whether there are any.
	// mayExclude[c]: an object of class c may have fields not followed
	// (c is excluded, or is java.lang.Class, whose objects hold statics).
	excluded   map[heap.ClassIndex]map[string]bool
	isExcluded []bool
	mayExclude []bool
	// special[c]: the search takes an object of class c through
	// successors. Its class may exclude fields (mayExclude), be a
	// Reference's whose referent comes first (not followed without
	// IncludeWeak), or be a thread's holding stack locals. Every other
	// object's successors are its class object and its references: find
	// reads those without a call, and without testing the object in two
	// bitsets.
	special []bool
	opts    Options
	// partial: the search stopped once it had reached its targets
	// (FindTargets); it is not to be kept in the index.
	partial bool
	// kept: the objects no GC root reaches that KeepUnreachable made
	// roots; nil without it.
	kept bitset.Set
}

const (
	unreached  int32 = -1
	rootParent int32 = -2
)

// newSearch prepares a search: exclusions and the thread locals.
func newSearch(g *heap.Graph, opts Options) *Search {
	s := &Search{g: g, opts: opts, excluded: map[heap.ClassIndex]map[string]bool{}}
	ex := opts.Exclude
	if !opts.IncludeWeak {
		ex = append(append([]FieldRef{}, ex...), DefaultExcludes...)
	}
	for _, ref := range ex {
		_, classes := ref.appliesTo(g)
		for c, in := range classes {
			if !in {
				continue
			}
			if s.excluded[heap.ClassIndex(c)] == nil {
				s.excluded[heap.ClassIndex(c)] = map[string]bool{}
			}
			s.excluded[heap.ClassIndex(c)][ref.Field] = true
		}
	}
	s.isExcluded = make([]bool, len(g.Classes))
	s.mayExclude = make([]bool, len(g.Classes))
	for c := range s.excluded {
		s.isExcluded[c], s.mayExclude[c] = true, true
		s.mayExclude[g.ClassClass] = true
	}
	_, s.locals = g.RootSet()
	s.hasLocals = bitset.New(g.NumObjects())
	s.special = slices.Clone(s.mayExclude)
	for th := range s.locals {
		s.hasLocals.Add(int32(th))
		s.special[g.ClassOf(th)] = true
	}
	if !opts.IncludeWeak { // (else a referent is a reference like any other)
		for k, w := range g.ReferentBits() {
			for ; w != 0; w &= w - 1 {
				s.special[g.ClassOf(heap.ObjectIndex(k<<6+bits.TrailingZeros64(w)))] = true
			}
		}
	}
	return s
}

// threadLocals returns the locals of thread v's stack frames.
func (s *Search) threadLocals(v heap.ObjectIndex) []heap.LocalRoot {
	if !s.hasLocals.Has(int32(v)) {
		return nil
	}
	return s.locals[v]
}

// Find runs the search.
func Find(g *heap.Graph, opts Options) *Search { return find(g, opts, nil) }

// FindTargets is Find stopped once it has reached every one of targets
// (all of it when one is never reached). The paths to the targets are
// the ones Find gives, as is every parent it sets, but it may leave other
// objects unreached that Find reaches: for a search asked for these
// paths only, and not kept in the index. Objects at a few references from
// the roots are then found in a fraction of the search (on the bench
// dump's 30 M objects, about 2 s on one core for the whole), and it
// leaves out objects through which it could find nothing new
// (skipInert).
func FindTargets(g *heap.Graph, opts Options, targets []heap.ObjectIndex) *Search {
	is := bitset.New(g.NumObjects())
	left := 0
	for _, t := range targets {
		if !is.Has(int32(t)) {
			is.Add(int32(t))
			left++
		}
	}
	s := find(g, opts, &targetSet{is: is, left: left})
	s.partial = true
	return s
}

// targetSet is what FindTargets still has to reach.
type targetSet struct {
	is   bitset.Set
	left int
}

// find runs the search until it has reached every target in ts (nil: all
// it can).
func find(g *heap.Graph, opts Options, ts *targetSet) *Search {
	s := newSearch(g, opts)
	n := g.NumObjects()
	s.parent = make([]int32, n)
	for i := range s.parent {
		s.parent[i] = unreached
	}
	roots, _ := g.RootSet()
	// The search tests a bitset, not parent: at one bit per object it
	// stays in cache, where parent, read at random once per edge, would
	// not.
	b := &bfs{parent: s.parent, seen: bitset.New(n), queue: make([]int32, 0, n), targets: ts} // every object enters once
	for _, r := range roots {
		b.reach(int32(r), rootParent)
	}
	start, edges := g.EdgeArrays()
	classes := g.ClassArray()
	classObject := g.ClassObjects()
	if ts != nil {
		b.skipInert(s.special, s.hasLocals, start, edges, classes, classObject)
	}
	if opts.KeepUnreachable {
		s.kept = bitset.New(n)
	}
	head, next := 0, 0 // next: where rootOfItsOwn looks on from
	var reachable bitset.Set
	for {
		for ; head < len(b.queue) && !b.done(); head++ {
			// The queue says which objects come next: ask for their edge
			// offsets, classes and edges ahead of time.
			mem.PrefetchQueue(b.queue, head, start, unsafe.Pointer(unsafe.SliceData(edges)), unsafe.Pointer(&classes[0]))
			v := b.queue[head]
			// (The class is at hand: a call per object cost 0.3 s of CPU on
			// the bench dump's 30 M objects.)
			if s.special[classes[v]] {
				s.successors(heap.ObjectIndex(v), func(w heap.ObjectIndex) { b.reach(int32(w), v) })
				continue
			}
			// successors, unrolled: the class object, then the references.
			// (Calling an AppendSuccessors that serves both made the search
			// about 15% slower: 1.77 -> 2.04 s, medians of 7 interleaved
			// runs on the bench dump.)
			if c := classObject[classes[v]]; c >= 0 {
				b.reach(c, v)
			}
			for _, w := range edges[start[v]:start[v+1]] {
				b.reach(int32(w), v)
			}
		}
		if s.kept == nil || b.done() {
			return s
		}
		if reachable == nil { // the GC roots reach nothing more
			reachable = s.notFollowed(b.seen)
		}
		if !b.rootOfItsOwn(s.kept, reachable, &next) {
			return s
		}
	}
}

// rootOfItsOwn makes the first object from *next on that the search has
// not seen, nor is reachable, a root (KeepUnreachable), and records it in
// kept; false when none is left.
func (b *bfs) rootOfItsOwn(kept, reachable bitset.Set, next *int) bool {
	for ; *next < len(b.parent); *next++ {
		if o := int32(*next); !b.seen.Has(o) && !reachable.Has(o) {
			kept.Add(o)
			b.reach(o, rootParent)
			return true
		}
	}
	return false
}

// notFollowed returns the objects that seen (the search from the GC
// roots, done) does not hold but that are reachable all the same: through
// the references the search does not follow, from an object of a special
// class (a referent, an excluded field), and on through every reference.
func (s *Search) notFollowed(seen bitset.Set) bitset.Set {
	g := s.g
	n := g.NumObjects()
	more := bitset.New(n)
	var stack []heap.ObjectIndex
	add := func(w heap.ObjectIndex) {
		if !seen.Has(int32(w)) && !more.Has(int32(w)) {
			more.Add(int32(w))
			stack = append(stack, w)
		}
	}
	for v := range heap.ObjectIndex(n) {
		if s.special[g.ClassOf(v)] && seen.Has(int32(v)) {
			for _, w := range g.Refs(v) {
				add(w)
			}
		}
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c := g.ClassObject(v); c != heap.None {
			add(c)
		}
		for _, w := range g.Refs(v) {
			add(w)
		}
		for _, l := range s.threadLocals(v) {
			add(l.Object)
		}
	}
	return more
}

// bfs is Find's search state.
type bfs struct {
	parent  []int32
	seen    bitset.Set
	queue   []int32
	targets *targetSet // nil: search all
}

// reach records w, unless already reached, as reached from from.
func (b *bfs) reach(w, from int32) {
	// (Written out: with the bitset's Has and Add, reach is over the
	// inlining budget, and find calls it for every reference.)
	if b.seen[w>>6]&(1<<(uint(w)&63)) == 0 {
		b.seen[w>>6] |= 1 << (uint(w) & 63)
		b.parent[w] = from
		b.queue = append(b.queue, w)
		if b.targets != nil && b.targets.is.Has(w) {
			b.targets.left--
		}
	}
}

// skipInert marks as seen, with no parent, objects that the search for
// targets need not reach: those that are not targets and whose
// successors are all seen already (GC roots, or objects marked so before
// them). Reached, such an object would be queued, and taking it from the
// queue would reach nothing new. So every other object is reached in the
// same order, from the same parent, as without skipInert, and the search
// stops at the same point. Three passes find most such objects on a
// HotSpot dump: over the class objects that array classes have (not GC
// roots there, but referring to GC roots only), over the objects without
// references (arrays of primitives), then over the rest in object order,
// each marked when all it refers to is marked by then (a String, whose
// byte[] is; an Object[] of Strings that lie before it, as allocation
// order often has them). On the bench dump it leaves 10.3 M of the 30 M
// objects to search for the 3.75 M ArrayLists, and the search took 1.36
// against 2.11 s (BenchmarkFindTargets, medians of 5 alternating rounds;
// pairs -0.01 to -1.06 s). paths --no-index is not quicker for it there:
// ComputeBelow's side is the longer one.
//
// (A thread with stack locals is a GC root in every dump we know, and an
// object of a special class follows fewer references, not more: the
// checks for both are a guard.)
func (b *bfs) skipInert(special []bool, hasLocals bitset.Set, start []uint32, edges []heap.ObjectIndex, classes []heap.ClassIndex, classObject []int32) {
	for _, o := range classObject {
		if o >= 0 && !b.seen.Has(o) && b.inert(o, hasLocals, start, edges, classes, classObject) {
			b.seen.Add(o)
		}
	}
	// plain[c]: the search follows every reference of c's objects, and
	// their class object is seen.
	plain := make([]bool, len(classObject))
	for c, o := range classObject {
		plain[c] = !special[c] && (o < 0 || b.seen.Has(o))
	}
	n := len(classes)
	for k := range b.seen {
		var w uint64
		for free := ^(b.seen[k] | b.targets.is[k]); free != 0; free &= free - 1 {
			v := k<<6 + bits.TrailingZeros64(free)
			if v >= n {
				break
			}
			if start[v] == start[v+1] && plain[classes[v]] {
				w |= free & -free
			}
		}
		b.seen[k] |= w
	}
	for k := range b.seen {
		for free := ^(b.seen[k] | b.targets.is[k]); free != 0; free &= free - 1 {
			v := k<<6 + bits.TrailingZeros64(free)
			if v >= n {
				break
			}
			if !plain[classes[v]] {
				continue
			}
			if b.allSeen(edges[start[v]:start[v+1]]) {
				b.seen[k] |= free & -free
			}
		}
	}
}

// inert reports whether every successor of o is seen, and o is not a
// target. (The search follows o's class object and its references, or
// some of them where its class is special, and a thread's stack locals
// too.)
func (b *bfs) inert(o int32, hasLocals bitset.Set, start []uint32, edges []heap.ObjectIndex, classes []heap.ClassIndex, classObject []int32) bool {
	if b.targets.is.Has(o) || hasLocals.Has(o) {
		return false
	}
	if c := classObject[classes[o]]; c >= 0 && !b.seen.Has(c) {
		return false
	}
	return b.allSeen(edges[start[o]:start[o+1]])
}

// allSeen reports whether every object of ws has been seen.
func (b *bfs) allSeen(ws []heap.ObjectIndex) bool {
	for _, w := range ws {
		if !b.seen.Has(int32(w)) {
			return false
		}
	}
	return true
}

// done reports whether every target has been reached.
func (b *bfs) done() bool { return b.targets != nil && b.targets.left == 0 }

// Successors calls fn for v's successors in the search: the references it
// follows from v.
func (s *Search) Successors(v heap.ObjectIndex, fn func(heap.ObjectIndex)) { s.successors(v, fn) }

// successors calls fn for v's successors in the search.
func (s *Search) successors(v heap.ObjectIndex, fn func(heap.ObjectIndex)) {
	g := s.g
	if c := g.ClassObject(v); c != heap.None {
		fn(c)
	}
	if s.hasExclusions(v) {
		for _, e := range s.fieldEdges(v) {
			if !e.excluded {
				fn(e.target)
			}
		}
	} else {
		refs := g.Refs(v)
		if len(refs) > 0 && g.ReferentFirst(v) && !s.opts.IncludeWeak {
			refs = refs[1:]
		}
		for _, w := range refs {
			fn(w)
		}
	}
	for _, l := range s.threadLocals(v) {
		fn(l.Object)
	}
}

func (s *Search) hasExclusions(v heap.ObjectIndex) bool {
	if !s.mayExclude[s.g.ClassOf(v)] {
		return false
	}
	if c, ok := s.g.MirrorClass(v); ok {
		return s.isExcluded[c]
	}
	return s.isExcluded[s.g.ClassOf(v)] && s.g.Kind(v) == heap.KindInstance
}

// edge is one reference out of an object, with what leads along it.
type edge struct {
	target   heap.ObjectIndex
	label    string
	excluded bool
}

// fieldEdges decodes the references of v from its record, labelled.
func (s *Search) fieldEdges(v heap.ObjectIndex) []edge { return s.fieldEdgesIn(v, nil) }

// fieldEdgesIn is fieldEdges with v's record, if rec is not nil, already
// read.
func (s *Search) fieldEdgesIn(v heap.ObjectIndex, rec *hprof.SubRecord) []edge {
	g := s.g
	var out []edge
	if c, ok := g.MirrorClass(v); ok {
		cl := &g.Classes[c]
		add := func(id uint64, label string, excluded bool) {
			if id != 0 {
				if t := g.Lookup(id); t != heap.None {
					out = append(out, edge{t, label, excluded})
				}
			}
		}
		if cl.Super >= 0 {
			add(g.Classes[cl.Super].ID, "<super>", false)
		}
		add(cl.LoaderID, "<classloader>", false)
		add(cl.SignersID, "<signers>", false)
		add(cl.ProtectionDomainID, "<protection domain>", false)
		for _, st := range cl.Statics {
			if st.Type == hprof.TypeObject {
				add(st.Value, "static "+st.Name, s.excluded[c][st.Name])
			}
		}
		return out
	}
	switch g.Kind(v) {
	case heap.KindInstance:
		ex := s.excluded[g.ClassOf(v)]
		withRecord(g, v, rec, func(rec hprof.SubRecord) {
			fields, _ := g.InstanceFieldsIn(v, rec) // (none for a record of another kind)
			for _, f := range fields {
				if f.Type != hprof.TypeObject || f.Value == 0 {
					continue
				}
				if t := g.Lookup(f.Value); t != heap.None {
					weak := f.Name == "referent" && !s.opts.IncludeWeak && g.ReferentFirst(v)
					out = append(out, edge{t, f.Name, ex[f.Name] || weak})
				}
			}
		})
	case heap.KindObjectArray:
		idSize := g.Model.IDSize
		withRecord(g, v, rec, func(rec hprof.SubRecord) {
			for i := 0; i+idSize <= len(rec.Body); i += idSize {
				if id := hprof.ReadID(rec.Body[i:], idSize); id != 0 {
					if t := g.Lookup(id); t != heap.None {
						out = append(out, edge{t, fmt.Sprintf("[%d]", i/idSize), false})
					}
				}
			}
		})
	}
	return out
}

// Reached reports whether the search reached o.
func (s *Search) Reached(o heap.ObjectIndex) bool { return s.parentOf(int32(o)) != unreached }

// parentOf returns parent[x], checked if mapped from an index.
func (s *Search) parentOf(x int32) int32 {
	if s.parentChecked != nil { // no call in a search made here
		s.checkParentAt(x)
	}
	return s.parent[x]
}

// checkParentAt checks the block of the parent array that parentOf(x)
// reads (a call of its own, so that parentOf stays inlined).
func (s *Search) checkParentAt(x int32) { s.parentChecked.CheckEntry(uint64(x), 4) }

// Path returns the objects from a GC root to o, root first; nil when o is
// not reached.
func (s *Search) Path(o heap.ObjectIndex) []heap.ObjectIndex {
	if !s.Reached(o) {
		return nil
	}
	var path []heap.ObjectIndex
	for x := int32(o); x != rootParent; x = s.parentOf(x) {
		path = append(path, heap.ObjectIndex(x))
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// UnreachableRoot is how DescribeRoot names a root that KeepUnreachable
// made.
const UnreachableRoot = "<Unreachable>"

// DescribeRoot says what kind of root o, the top of a path, is:
// heap.Graph.DescribeRoot's answer, or UnreachableRoot for an object no
// GC root reaches that KeepUnreachable made a root.
func (s *Search) DescribeRoot(o heap.ObjectIndex) string {
	if s.kept != nil && s.kept.Has(int32(o)) {
		return UnreachableRoot
	}
	return s.g.DescribeRoot(o)
}

// Label says how from references to: a field name, an array slot "[6]",
// "static NAME", "<class>", "<classloader>", "<super>", or "<Java Local>"
// with the frame that holds it.
func (s *Search) Label(from, to heap.ObjectIndex) string {
	return s.Labels(from, []heap.ObjectIndex{to})[0]
}

// withRecord calls fn with object v's record: rec if not nil, else the
// one read from the dump (fn is not called if it cannot be read).
func withRecord(g *heap.Graph, v heap.ObjectIndex, rec *hprof.SubRecord, fn func(hprof.SubRecord)) {
	if rec != nil {
		fn(*rec)
		return
	}
	g.WithRecord(v, func(rec hprof.SubRecord) error {
		fn(rec)
		return nil
	})
}

// Labels is Label for several objects from refers to, reading from's
// record once: an array of millions of elements is searched in one pass.
func (s *Search) Labels(from heap.ObjectIndex, to []heap.ObjectIndex) []string {
	return s.labelsIn(from, to, nil)
}

// An Edge is a reference from one object to another, for LabelAll.
type Edge struct{ From, To heap.ObjectIndex }

// LabelAll returns Label for each edge, reading the record of each object
// referring once, and the records in dump order (heap.Graph.EachRecord):
// labelling the 10 M lines of the bench dump's paths to its 3.75 M
// ArrayLists (--max-paths 0) took 94 s a record at a time, 9.9 s so.
func (s *Search) LabelAll(edges []Edge) []string {
	g := s.g
	out := make([]string, len(edges))
	order := make([]int, len(edges))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(edges[a].From, edges[b].From) })
	// The edges from one object, order[lo:hi].
	type group struct{ lo, hi int }
	var read []group             // from instances and object arrays: their records
	var froms []heap.ObjectIndex // their objects
	for lo := 0; lo < len(order); {
		from := edges[order[lo]].From
		hi := lo + 1
		for hi < len(order) && edges[order[hi]].From == from {
			hi++
		}
		if _, mirror := g.MirrorClass(from); !mirror && (g.Kind(from) == heap.KindInstance || g.Kind(from) == heap.KindObjectArray) {
			read = append(read, group{lo, hi})
			froms = append(froms, from)
		} else {
			s.labelGroup(from, edges, order[lo:hi], out, nil) // a class's references are in the class table
		}
		lo = hi
	}
	n := 0
	g.EachRecord(froms, func(from heap.ObjectIndex, rec hprof.SubRecord) error {
		gr := read[n]
		n++
		s.labelGroup(from, edges, order[gr.lo:gr.hi], out, &rec)
		return nil
	})
	for _, gr := range read[n:] { // a walk stopped by a record it could not read: each read alone ("?" where it cannot be)
		s.labelGroup(edges[order[gr.lo]].From, edges, order[gr.lo:gr.hi], out, nil)
	}
	return out
}

// labelGroup sets out[k] for each k of which, edges from object from.
func (s *Search) labelGroup(from heap.ObjectIndex, edges []Edge, which []int, out []string, rec *hprof.SubRecord) {
	to := make([]heap.ObjectIndex, len(which))
	for i, k := range which {
		to[i] = edges[k].To
	}
	for i, l := range s.labelsIn(from, to, rec) {
		out[which[i]] = l
	}
}

// labelsIn is Labels with from's record, if rec is not nil, already read.
func (s *Search) labelsIn(from heap.ObjectIndex, to []heap.ObjectIndex, rec *hprof.SubRecord) []string {
	g := s.g
	out := make([]string, len(to))
	found := make([]bool, len(to)) // a label may be "" (a field name missing from the dump)
	left := len(to)
	set := func(k int, label string) {
		if !found[k] {
			out[k], found[k] = label, true
			left--
		}
	}
	for k, x := range to {
		for _, l := range s.locals[from] {
			if l.Object == x {
				label := "<" + heap.RootKindName(l.Kind) + ">"
				if t, ok := g.ThreadOf(from); ok {
					if fr := g.FrameDescription(t.Serial, l.Frame); fr != "" {
						label += " in " + fr
					}
				}
				set(k, label)
				break
			}
		}
	}
	if left > 0 && g.Kind(from) == heap.KindObjectArray {
		// Look for the ids, not for every element's object; a bit per
		// hash of the wanted ids skips almost every element unlooked-up.
		want := make(map[uint64][]int, len(to))
		var filter [64]uint64
		for k, x := range to {
			if !found[k] {
				id := g.ID(x)
				want[id] = append(want[id], k)
				h := idHash(id)
				filter[h>>6&63] |= 1 << (h & 63)
			}
		}
		withRecord(g, from, rec, func(rec hprof.SubRecord) {
			for _, h := range findIDs(rec.Body, g.Model.IDSize, &filter, want, left) {
				set(h.k, fmt.Sprintf("[%d]", h.slot))
			}
		})
	} else if left > 0 {
		edges := s.fieldEdgesIn(from, rec)
		for k, x := range to {
			for _, e := range edges {
				if e.target == x {
					set(k, e.label)
					break
				}
			}
		}
	}
	for k, x := range to {
		if !found[k] && g.ClassObject(from) == x {
			set(k, "<class>")
		}
		if !found[k] {
			out[k] = "?"
		}
	}
	return out
}

// slotHit says that slot holds the id of Labels' wanted object k.
type slotHit struct{ slot, k int }

// findIDs returns the slots of the object array body (ids of idSize
// bytes) that hold the ids of want, each wanted object's slots in order.
// One that holds 1 Mi slots or more is scanned on all cores (the bench
// dump's map table, 64 MB, took 0.020-0.031 s on one); a smaller one on
// one core, which stops once it has found left wanted objects.
func findIDs(body []byte, idSize int, filter *[64]uint64, want map[uint64][]int, left int) []slotHit {
	n := len(body) / idSize
	shares := 1
	if n >= 1<<20 {
		shares = par.Shares(n, 0)
	}
	hits := make([][]slotHit, shares)
	par.InShares(n, shares, func(t, lo, hi int) {
		var out []slotHit
		found := map[int]bool{}
		for i := lo; i < hi && (shares > 1 || len(found) < left); i++ {
			id := hprof.ReadID(body[i*idSize:], idSize)
			if h := idHash(id); filter[h>>6&63]&(1<<(h&63)) == 0 {
				continue
			}
			for _, k := range want[id] {
				out = append(out, slotHit{i, k})
				found[k] = true
			}
		}
		hits[t] = out
	})
	return slices.Concat(hits...)
}

// idHash mixes an object id's bits for Labels' filter: ids are aligned,
// and their low bits alone would say little.
func idHash(id uint64) uint64 { return id * 0x9e3779b97f4a7c15 >> 52 }
