package leaks

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/paths"
)

// AccumulationRatio is how much of its parent's retained size the biggest
// dominated child must keep for the walk to go on down to it. Below that,
// the memory fans out over many objects, so the parent is where it
// accumulates. 0.7 is Eclipse MAT's big_drop_ratio: a drop of more than
// 30% at one step marks the accumulation point, and users who know MAT's
// reports get the same answer.
const AccumulationRatio = 0.7

// ClassShare is a class's part of what a suspect retains.
type ClassShare struct {
	Class     string `json:"class"`
	Instances int64  `json:"instances"`
	Shallow   uint64 `json:"shallow_bytes"`
}

// NoStrongPath stands for a Suspect's Path when it is empty: the dominator
// tree follows the referents of java.lang.ref.Reference, the path search
// does not. (With --keep-unreachable an object no GC root reaches has a
// path: from a root of its own, paths.UnreachableRoot.)
const NoStrongPath = "none: no chain of strong references from a GC root leads to it; only the referent of a soft, weak, phantom or final reference does"

// Suspect is a leak suspect.
type Suspect struct {
	// Kind is "object" (one object retains the share) or "class" (the
	// objects of one class do together).
	Kind  string `json:"kind"`
	Class string `json:"class"`
	// Loader is a class suspect's class loader when several loaders
	// define its class's name (a loader per job, say): the suspects of two
	// such classes are told apart by it.
	Loader    *Object `json:"loader,omitempty"`
	Instances int64   `json:"instances"`
	Retained  uint64  `json:"retained_bytes"`
	Percent   float64 `json:"percent"`
	Object    Object  `json:"object"` // the object, or the class's biggest
	// Chain is the dominator-tree walk from Object to the accumulation
	// point (its last element), each keeping at least AccumulationRatio;
	// Path the shortest strong path from a GC root to Object. The middle of
	// a long one is an Elided step. It is empty when no strong path leads
	// to Object: only the referents of soft, weak, phantom or final
	// references do (the tree follows them), or nothing with
	// dominator.Options.KeepUnreachable.
	//
	// A class suspect's Chain is Object alone and its Path leads to Object:
	// it has no one place where the memory accumulates.
	Chain []Step `json:"accumulation_chain"`
	// Parts are the accumulation point's biggest children that each still
	// retain the threshold, where the memory divides: a class whose two
	// static caches each hold half of it, which the chain stops above.
	// An object suspect's only.
	Parts []Step `json:"parts,omitempty"`
	Path  []Step `json:"path_from_gc_root"`
	// Retains is the biggest classes of what the suspect retains: a class
	// suspect's, of what all its instances retain, not Object alone. Class
	// objects count as java.lang.Class.
	Retains []ClassShare `json:"biggest_classes"`
	// HeldByStatic, when the path comes through a thread's local, names a
	// static field that holds an object on it too ("OomLeak.ORDERS"): the
	// owner a reader looks for, where the local may be a method's operand
	// of the moment (a map's put on OutOfMemoryError).
	HeldByStatic string `json:"held_by_static,omitempty"`
	Sentence     string `json:"explanation"`
	// qualified: the sentence names a class suspect's class in full, as
	// another suspect's class has its simple name (a.Cache and b.Cache).
	qualified bool
}

// Suspects finds objects, or the objects of one class, that retain at
// least threshold (a fraction of the reachable heap), biggest first.
//
// As in Eclipse MAT's leak suspects, both kinds are top-level dominators
// (objects only the super-root dominates): an object suspect retains the
// threshold alone; a class suspect is the rest of them grouped by class (a
// class object under java.lang.Class), whose objects, none big enough
// alone, retain it together, unless an object suspect has that class name.
// So no two suspects share memory, and their percentages add up to at
// most 100.
func Suspects(g *heap.Graph, t *dominator.Tree, s *paths.Search, threshold float64) []Suspect {
	min := uint64(threshold * float64(t.ReachableBytes))
	if min == 0 {
		min = 1
	}
	out := []Suspect{}           // JSON's [] when there is none, not null
	top := t.Children(heap.None) // biggest first
	suspectNames := map[string]bool{}
	ch := newChains(t, min)
	i := 0
	for ; i < len(top) && t.Retained(top[i]) >= min; i++ {
		sp := suspectAt(g, t, s, top[i], "object", ch)
		sp.Instances = 1
		suspectNames[groupName(g, top[i])] = true
		out = append(out, sp)
	}
	// The groups, by class index (classes of one name in several loaders
	// are groups apart, as in MAT); class objects go to java.lang.Class's.
	type group struct {
		retained uint64
		count    int64
		biggest  heap.ObjectIndex // the first met: top is biggest first
		suspect  bool
		members  []heap.ObjectIndex // a suspect's instances
	}
	groups := map[heap.ClassIndex]*group{}
	var order []heap.ClassIndex
	for _, x := range top[i:] {
		c := g.ClassOf(x) // java.lang.Class for a class object
		gr := groups[c]
		if gr == nil {
			gr = &group{biggest: x}
			groups[c] = gr
			order = append(order, c)
		}
		gr.retained += t.Retained(x)
		gr.count++
	}
	var picked []*group
	for _, c := range order {
		gr := groups[c]
		if gr.retained >= min && !suspectNames[groupName(g, gr.biggest)] {
			gr.suspect = true
			picked = append(picked, gr)
		}
	}
	// Their instances, in a second pass so that only the suspects' groups
	// keep lists (the top level can be millions of objects).
	for _, x := range top[i:] {
		if gr := groups[g.ClassOf(x)]; gr.suspect {
			gr.members = append(gr.members, x)
		}
	}
	// Class suspects whose classes share a simple name name them in full:
	// two suspects of 250 instances of Cache each (a.Cache and b.Cache)
	// read identically.
	fullNames := map[string]map[string]bool{} // by simple name
	for _, gr := range picked {
		name := groupName(g, gr.biggest)
		if fullNames[simpleName(name)] == nil {
			fullNames[simpleName(name)] = map[string]bool{}
		}
		fullNames[simpleName(name)][name] = true
	}
	for _, gr := range picked {
		name := groupName(g, gr.biggest)
		sp := suspectAt(g, t, s, gr.biggest, "class", ch)
		sp.Class = name
		sp.qualified = len(fullNames[simpleName(name)]) > 1
		if c := g.ClassOf(gr.biggest); !g.IsClassObject(gr.biggest) && len(g.ClassByName(g.Classes[c].Name)) > 1 {
			l := loaderObject(g, t, g.Classes[c].LoaderID)
			sp.Loader = &l
		}
		sp.Instances = gr.count
		sp.Retained = gr.retained
		sp.Percent = percentOf(gr.retained, t.ReachableBytes)
		sp.Chain = sp.Chain[:1]
		// All of what the instances retain: listing their own class alone
		// left out 53 of the 82 KiB 1,224 Strings retain on Basic.hprof
		// (their byte[] values).
		sp.Retains = retainedClasses(g, t, gr.members, 5)
		sp.Sentence = sentence(sp, sp.Retains, PercentBase(t))
		out = append(out, sp)
	}
	slices.SortStableFunc(out, func(a, b Suspect) int {
		return cmp.Or(cmp.Compare(b.Retained, a.Retained), strings.Compare(a.Object.ID, b.Object.ID)) // biggest first
	})
	return out
}

// groupName is the name of the class suspects group x into: its class's,
// java.lang.Class for a class object (the graph gives class objects that
// class).
func groupName(g *heap.Graph, x heap.ObjectIndex) string {
	return heap.SourceName(g.Classes[g.ClassOf(x)].Name)
}

// PercentBase names what a suspect's percentage is of, the tree's
// ReachableBytes: the reachable heap, or, when KeepUnreachable took
// objects no GC root reaches into the tree, the heap with those.
func PercentBase(t *dominator.Tree) string {
	if t.KeptObjects > 0 {
		return "the heap, unreachable objects kept as roots included"
	}
	return "the reachable heap"
}

func percentOf(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

// maxParts is how many of an accumulation point's parts a suspect names.
const maxParts = 5

// chainSteps is how many steps down from a suspect object an
// accumulation chain finds its biggest children without the children
// table (see newChains), chainLimit how many objects that takes at most.
const (
	chainSteps = 20
	chainLimit = 1 << 20
)

// chains finds the biggest children along accumulation chains: from the
// objects that retain least bytes or more (heavy), or from the children
// table further down. Every step of a chain keeps AccumulationRatio of the
// one above, so from a suspect retaining min bytes, the first chainSteps
// steps' biggest children are among heavy when they keep that much, and
// when they do not, the chain ends there anyway. (The children table took
// 0.6 s of suspects' 1.8 s from the bench dump's index, and its 8 bytes
// an object most of the 520 MB peak: 1.15-1.45 s and 190 MB without it.)
type chains struct {
	t      *dominator.Tree
	min    uint64 // what a suspect retains at least
	least  uint64
	heavy  map[heap.ObjectIndex][]heap.ObjectIndex // nil: the table for all
	looked bool                                    // heavy was looked for
	// statics: object id, "Class.FIELD" of the first static field that
	// holds it (staticHolding).
	statics map[uint64]string
}

func newChains(t *dominator.Tree, min uint64) *chains {
	return &chains{t: t, min: min, least: max(1, uint64(float64(min)*math.Pow(AccumulationRatio, chainSteps)))}
}

// staticHolding returns "Class.FIELD" of a static field that holds an
// object of path, where the path comes through a thread's local ("" where
// it does not, or none does). The statics are looked at once, for all.
func (c *chains) staticHolding(g *heap.Graph, path []Step) string {
	if len(path) < 2 || !strings.HasPrefix(path[1].Field, javaLocal) {
		return ""
	}
	if c.statics == nil {
		c.statics = map[uint64]string{}
		for _, cl := range g.Classes {
			for _, st := range cl.Statics {
				if _, seen := c.statics[st.Value]; st.Type == hprof.TypeObject && st.Value != 0 && !seen {
					c.statics[st.Value] = simpleName(heap.SourceName(cl.Name)) + "." + st.Name
				}
			}
		}
	}
	for _, st := range path[1:] {
		id, err := strconv.ParseUint(strings.TrimPrefix(st.Object.ID, "0x"), 16, 64)
		if name, ok := c.statics[id]; err == nil && ok {
			return name
		}
	}
	return ""
}

// biggestChild returns the biggest child of cur (heap.None when it has
// none) when it keeps AccumulationRatio of cur's retained size, and may
// return heap.None or the biggest child when it does not.
func (c *chains) biggestChild(cur heap.ObjectIndex) heap.ObjectIndex {
	if !c.looked {
		c.heavy, _ = c.t.ChildrenOver(c.least, chainLimit)
		c.looked = true
	}
	if c.heavy == nil || AccumulationRatio*float64(c.t.Retained(cur)) < float64(c.least) {
		return c.t.BiggestChild(cur)
	}
	if b := c.heavy[cur]; len(b) > 0 {
		return b[0]
	}
	return heap.None
}

// suspectAt explains what x retains: for an object suspect, its
// accumulation chain and what it retains by class; a class suspect's
// caller explains all its instances.
func suspectAt(g *heap.Graph, t *dominator.Tree, s *paths.Search, x heap.ObjectIndex, kind string, ch *chains) Suspect {
	sp := Suspect{Kind: kind, Class: g.ObjectLabel(x, true), Retained: t.Retained(x),
		Percent: percentOf(t.Retained(x), t.ReachableBytes), Object: objectOf(g, t, x), Path: PathTo(g, t, s, x)}
	sp.Chain = []Step{{Object: sp.Object}}
	sp.HeldByStatic = ch.staticHolding(g, sp.Path)
	if kind == "class" {
		return sp
	}
	// The accumulation chain.
	cur := x
	for steps := 0; steps < 10000; steps++ {
		next := ch.biggestChild(cur)
		if next == heap.None || float64(t.Retained(next)) < AccumulationRatio*float64(t.Retained(cur)) {
			break
		}
		if g.ClassOf(next) == g.ClassOf(cur) && !g.IsClassObject(next) {
			break // a linked structure: its head is where it accumulates
		}
		label := s.Label(cur, next)
		if label == "?" {
			label = ""
		}
		sp.Chain = append(sp.Chain, Step{Field: label, Object: objectOf(g, t, next)})
		cur = next
	}
	// The sentence says what the accumulation point holds: x's list
	// counts what its other children hold too (on Spark22713.hprof, the
	// thread's 50,001 byte[], where its Object[] holds 39,998). One scan
	// counts both, the point's part apart.
	// (A walk of the dominator tree's children below x, and a count per
	// object, took suspects from the bench dump's index to 1.83 s
	// against 1.25 s with this scan, medians of 4 alternating runs.)
	// Where it divides: cur's children that each retain what a suspect
	// does, biggest first (one scan of the tree).
	kids, _ := t.BiggestChildren([]heap.ObjectIndex{cur}, maxParts)
	for _, c := range kids[0] {
		if t.Retained(c) < ch.min {
			break
		}
		if g.ClassOf(c) == g.ClassOf(cur) && !g.IsClassObject(c) {
			continue // the rest of a linked structure, whose head cur is
		}
		label := s.Label(cur, c)
		if label == "?" {
			label = "" // held through other objects cur dominates
		}
		sp.Parts = append(sp.Parts, Step{Field: label, Object: objectOf(g, t, c)})
	}
	place := t.PlaceBelow([]heap.ObjectIndex{x, cur}, []uint8{0, 1}) // cur's label last: x may be cur
	totals := g.ClassTotals(place, dominator.BelowTop, 2)
	rest, point := classTally(totals[0]), classTally(totals[1])
	held := point.top(g, 1)
	sp.Retains = point.top(g, 5, rest)
	sp.Sentence = sentence(sp, held, PercentBase(t))
	sp.Chain = foldSteps(sp.Chain) // after the sentence, which names its objects
	return sp
}

// retainedClasses sums, per class name, the objects the roots dominate
// (their retained sets, each root with everything it dominates), the n
// biggest shallow totals first. Class objects count as java.lang.Class, as
// in the histogram, dominators --group-by class and MAT: with a row per
// class object ("class Foo", 1 object), the 1,965 class objects (220 KiB)
// that JobServer.hprof's AppClassLoader retains, the second biggest class
// of what it holds, were missing from its list.
//
// One scan counts each object once, under the nearest of roots above it
// (a class suspect's instances are top-level objects, whose retained sets
// are apart anyway).
func retainedClasses(g *heap.Graph, t *dominator.Tree, roots []heap.ObjectIndex, n int) []ClassShare {
	totals := g.ClassTotals(t.PlaceBelow(roots, make([]uint8, len(roots))), dominator.BelowTop, 1)
	return classTally(totals[0]).top(g, n)
}

// classTally is a count and a sum of shallow sizes of objects by class
// index (a group of heap.Graph.ClassTotals').
type classTally []heap.ClassStats

// top returns the n biggest classes by shallow total, in ct and more
// summed together; classes of one name (in several loaders) count as one.
func (ct classTally) top(g *heap.Graph, n int, more ...classTally) []ClassShare {
	per := map[string]*ClassShare{}
	for _, t := range append([]classTally{ct}, more...) {
		for _, row := range t {
			if row.Instances == 0 {
				continue
			}
			name := heap.SourceName(g.Classes[row.Class].Name)
			s := per[name]
			if s == nil {
				s = &ClassShare{Class: name}
				per[name] = s
			}
			s.Instances += row.Instances
			s.Shallow += row.ShallowBytes
		}
	}
	var out []ClassShare
	for _, c := range per {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ClassShare) int {
		return cmp.Or(cmp.Compare(b.Shallow, a.Shallow), strings.Compare(a.Class, b.Class)) // biggest first
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// jdkLabel reports whether an object's label (its class as the steps
// show it: "byte[]", "java.util.HashMap$Node[]", "class java.lang.System")
// names a class of the JDK, a primitive array among them.
func jdkLabel(label string) bool {
	name := strings.TrimPrefix(label, "class ")
	elem := strings.TrimRight(name, "[]")
	switch elem {
	case "boolean", "char", "byte", "short", "int", "long", "float", "double":
		return elem != name // a primitive array; a bare primitive name is no class
	}
	return systemPackage(elem)
}

// javaLocal begins the label of a reference from a thread to a local of
// one of its frames ("<Java Local> in Foo.run(Foo.java:12)").
var javaLocal = "<" + heap.RootKindName(hprof.SubRootJavaFrame) + ">"

func simpleName(class string) string {
	class = heap.SourceName(strings.TrimPrefix(class, "class "))
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return class
}

// sentence explains a suspect in plain words; held is the biggest classes,
// biggest first, of what an object suspect's accumulation point (the end
// of its chain) retains, or of what all a class suspect's instances do;
// whole names what its percentage is of (PercentBase).
func sentence(sp Suspect, held []ClassShare, whole string) string {
	var b strings.Builder
	// Name the suspect by the most telling object on its chain: the last
	// one outside the JDK before the accumulation point, else the first.
	named, at := sp.Chain[0].Object, 0 // at: named's step on the chain
	for i, st := range sp.Chain[:len(sp.Chain)-1] {
		if !jdkLabel(st.Object.Class) {
			named, at = st.Object, i
		}
	}
	// Where the JDK's objects alone lead to it, an application object or
	// class (its statics) that is the accumulation point is the one
	// named: "One instance of ClassLoaders$AppClassLoader" said nothing
	// of the class, and "One instance of Thread, reached from thread
	// main" nothing of the object its stack holds.
	last := len(sp.Chain) - 1
	if acc := sp.Chain[last].Object; sp.Kind == "object" && last > 0 && jdkLabel(named.Class) && !jdkLabel(acc.Class) {
		named, at = acc, last
	}
	if sp.Kind == "class" {
		name := simpleName(sp.Class)
		if sp.qualified {
			name = heap.SourceName(sp.Class)
		}
		fmt.Fprintf(&b, "%s instances of %s", humanize.Comma(sp.Instances), name)
		if sp.Loader != nil {
			fmt.Fprintf(&b, " from loader %s %s", simpleName(sp.Loader.Class), sp.Loader.ID)
		}
		b.WriteString(" (the biggest")
	} else if strings.HasPrefix(named.Class, "class ") {
		fmt.Fprintf(&b, "The static fields of class %s", simpleName(named.Class))
	} else {
		fmt.Fprintf(&b, "One instance of %s", simpleName(named.Class))
	}
	if len(sp.Path) == 0 {
		// Only a Reference's referent leads to it (a cache of soft
		// references, say).
		b.WriteString(", reached from no GC root by strong references alone")
	} else if root := sp.Path[0]; root.GCRoot == paths.UnreachableRoot && len(sp.Path) == 1 {
		b.WriteString(", which no GC root reaches (kept as a root of its own: --keep-unreachable)")
	} else {
		switch {
		case root.GCRoot == paths.UnreachableRoot:
			fmt.Fprintf(&b, ", reached from a %s that no GC root reaches (kept as a root: --keep-unreachable)", simpleName(root.Object.Class))
		case strings.HasPrefix(root.GCRoot, "Thread "):
			fmt.Fprintf(&b, ", reached from thread %s", strings.TrimPrefix(root.GCRoot, "Thread "))
		case root.GCRoot != "":
			fmt.Fprintf(&b, ", reached from %s", root.GCRoot)
		}
		// The first field on the way down to the object named (the path,
		// then the chain to it) that is not a local or an array slot: not
		// one below it, where its memory sits ("reached from thread main
		// through Target.payload" named the field of a local below it).
		// Without one, a thread's local that leads there says where.
		// A field an application class holds comes before one the JDK's
		// own do: every leak through a main class's statics on JDK 9+
		// read "through LauncherHelper.appClass", the launcher's field
		// that holds the main class.
		way := append(append([]Step{}, sp.Path...), sp.Chain[1:at+1]...)
		through, local, jdkThrough := "", "", ""
		for i := 1; i < len(way) && through == ""; i++ {
			switch f := way[i].Field; {
			case strings.HasPrefix(f, javaLocal) && local == "":
				local = " as a local" + strings.TrimPrefix(f, javaLocal)
			case f != "" && !strings.HasPrefix(f, "<") && !strings.HasPrefix(f, "["):
				field := fmt.Sprintf(" through %s.%s", simpleName(way[i-1].Object.Class), strings.TrimPrefix(f, "static "))
				if !jdkLabel(way[i-1].Object.Class) {
					through = field
				} else if jdkThrough == "" {
					jdkThrough = field
				}
			}
		}
		through = cmp.Or(through, jdkThrough)
		b.WriteString(cmp.Or(through, local))
		if sp.HeldByStatic != "" && through == "" {
			fmt.Fprintf(&b, " (and held by static %s)", sp.HeldByStatic)
		}
	}
	verb := "retains"
	switch {
	case sp.Kind == "class":
		verb = "together retain"
		b.WriteString(")")
	case strings.HasPrefix(named.Class, "class "):
		verb = "retain" // the static fields
	}
	retained, percent := sp.Retained, sp.Percent
	if sp.Kind == "object" && named.ID != sp.Object.ID && sp.Retained > 0 {
		retained = named.Retained
		percent = sp.Percent * float64(named.Retained) / float64(sp.Retained)
	}
	fmt.Fprintf(&b, ", %s %s (%.0f%% of %s)", verb, humanize.IBytes(retained), percent, whole)
	acc := sp.Chain[len(sp.Chain)-1].Object
	switch {
	case len(sp.Chain) == 1 || at == last: // named is where it accumulates
	case strings.HasPrefix(acc.Class, "class "):
		fmt.Fprintf(&b, "; the memory accumulates in the static fields of class %s, holding %s", simpleName(acc.Class), humanize.IBytes(acc.Retained))
	default:
		fmt.Fprintf(&b, "; the memory accumulates in one %s holding %s", simpleName(acc.Class), humanize.IBytes(acc.Retained))
	}
	// What the memory mostly is, unless that is the one object where it
	// accumulates itself ("accumulates in one byte[] holding 488 KiB,
	// mostly 1 byte[] (488 KiB)", or "One instance of byte[] … mostly 1
	// byte[]").
	if len(held) > 0 && !(held[0].Instances == 1 && held[0].Class == heap.SourceName(acc.Class)) {
		whole := acc.Retained
		if sp.Kind == "class" {
			whole = sp.Retained // what all the instances retain, as held
		}
		b.WriteString(heldClause(held[0], whole))
	}
	b.WriteString(".")
	if len(sp.Parts) > 0 {
		// Named by its field where cur refers to it, else by its class.
		var parts []string
		for _, p := range sp.Parts {
			name := strings.TrimPrefix(p.Field, "static ")
			if name == "" || strings.HasPrefix(name, "[") || strings.HasPrefix(name, "<") {
				name = "one " + simpleName(p.Object.Class)
				if strings.HasPrefix(p.Object.Class, "class ") {
					name = "class " + simpleName(p.Object.Class) // a class object, its statics
				}
				if strings.HasPrefix(p.Field, "[") {
					name += " at " + p.Field
				}
			}
			parts = append(parts, fmt.Sprintf("%s (%s, %.0f%%)", name, humanize.IBytes(p.Object.Retained), sp.Percent*float64(p.Object.Retained)/float64(max(sp.Retained, 1))))
		}
		lead := " Its biggest part is "
		if len(parts) > 1 {
			lead = " It divides into "
		}
		b.WriteString(lead + joinAnd(parts) + ".")
	}
	if retained != sp.Retained {
		fmt.Fprintf(&b, " The %s %s that holds it retains %s (%.0f%%) in all.", simpleName(sp.Object.Class), sp.Object.ID, humanize.IBytes(sp.Retained), sp.Percent)
	}
	if awaitsFinalization(sp) {
		// The Finalizer's queue holds it: paths, which do not follow
		// Finalizer.unfinalized, find no strong path to those objects.
		b.WriteString(" It awaits finalization: objects whose class has a finalize() method, which the Finalizer thread has not run yet (leakscan finalizers shows the queue and what that thread is doing).")
	}
	return b.String()
}

// heldClause says what a biggest class is of whole bytes: "mostly" only
// when it is more than half of them (JobServer.hprof's SharedImageReader
// was "mostly" the byte[] that are 28% of what it retains).
func heldClause(top ClassShare, whole uint64) string {
	objects := humanize.Comma(top.Instances) + " " + top.Class
	if top.Shallow*2 > whole {
		return fmt.Sprintf(", mostly %s (%s)", objects, humanize.IBytes(top.Shallow))
	}
	return fmt.Sprintf(", its biggest share %s (%s, %.0f%% of it)", objects, humanize.IBytes(top.Shallow), percentOf(top.Shallow, whole))
}

// joinAnd joins items as a sentence lists them: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// awaitsFinalization reports whether a suspect's memory is held through
// java.lang.ref.Finalizer's list of objects not yet finalized.
func awaitsFinalization(sp Suspect) bool {
	for _, st := range append(append([]Step{}, sp.Path...), sp.Chain...) {
		if st.Field == "static unfinalized" || st.Object.Class == "java.lang.ref.Finalizer" {
			return true
		}
	}
	return false
}
