package heap

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/hprof"
)

// RootsOf returns the GC roots naming object o, in the dump's order,
// from an index of them made at the first call.
func (g *Graph) RootsOf(o ObjectIndex) []Root {
	g.rootIndexOnce.Do(func() { g.rootIndex = newRootIndex(g.Roots, len(g.class)) })
	x := g.rootIndex
	k, ok := x.named.Lookup(int32(o))
	if !ok {
		return nil
	}
	out := make([]Root, 0, x.start[k+1]-x.start[k])
	for _, i := range x.roots[x.start[k]:x.start[k+1]] {
		out = append(out, g.Roots[i])
	}
	return out
}

// rootIndex finds the roots naming an object without a map: a dump may
// have millions of roots (JNI globals, the locals of a deep recursion),
// and a map of them took 0.75 s to build for 4 M. The objects some root
// names are numbered in order (named); object number k's roots are
// roots[start[k]:start[k+1]], indices into Graph.Roots.
type rootIndex struct {
	named bitset.Numbering
	start []int32
	roots []int32
}

func newRootIndex(roots []Root, n int) *rootIndex {
	named := bitset.New(n)
	for _, r := range roots {
		if r.Object >= 0 && int(r.Object) < n {
			named.Add(int32(r.Object))
		}
	}
	x := &rootIndex{named: bitset.Number(named)}
	x.start = make([]int32, x.named.Len()+1)
	for _, r := range roots {
		if k, ok := x.named.Lookup(int32(r.Object)); ok {
			x.start[k+1]++
		}
	}
	for k := 1; k < len(x.start); k++ {
		x.start[k] += x.start[k-1]
	}
	x.roots = make([]int32, x.start[len(x.start)-1])
	next := slices.Clone(x.start[:len(x.start)-1])
	for i, r := range roots {
		if k, ok := x.named.Lookup(int32(r.Object)); ok {
			x.roots[next[k]] = int32(i)
			next[k]++
		}
	}
	return x
}

// IsRoot reports whether some GC root names object o.
func (g *Graph) IsRoot(o ObjectIndex) bool { return len(g.RootsOf(o)) > 0 }

// ThreadBySerial returns the thread with the given serial number.
func (g *Graph) ThreadBySerial(serial uint32) (Thread, bool) {
	if i, ok := g.lookups().threadBySerial[serial]; ok {
		return g.Threads[i], true
	}
	return Thread{}, false
}

// lookupTables are maps over the dump's threads and classes, made on first
// use: a stack is described frame by frame, and a search through every
// thread and every LOAD CLASS record per frame took 121 s for 300 threads
// of 3,000 frames.
type lookupTables struct {
	threadBySerial    map[uint32]int    // a serial's thread, in g.Threads (see lookups)
	classNameBySerial map[uint32]uint64 // the first LOAD CLASS name of a serial
}

func (g *Graph) lookups() *lookupTables {
	g.lookupOnce.Do(func() {
		l := &lookupTables{threadBySerial: map[uint32]int{}, classNameBySerial: map[uint32]uint64{}}
		for i, t := range g.Threads {
			// The first thread of a serial whose object the dump has,
			// or else the first: the thread a stack's locals belong to
			// (RootSet) and the one whose name describes them.
			if j, ok := l.threadBySerial[t.Serial]; !ok || g.Threads[j].Object == None && t.Object != None {
				l.threadBySerial[t.Serial] = i
			}
		}
		for _, lc := range g.Catalog.LoadClasses {
			if _, ok := l.classNameBySerial[lc.Serial]; !ok {
				l.classNameBySerial[lc.Serial] = lc.NameID
			}
		}
		g.lookupTables = l
	})
	return g.lookupTables
}

// ThreadOf returns the thread whose object is o.
func (g *Graph) ThreadOf(o ObjectIndex) (Thread, bool) {
	for _, t := range g.Threads {
		if t.Object == o && o != None {
			return t, true
		}
	}
	return Thread{}, false
}

// DescribeRoot says what kind of GC root object o is, as MAT users read
// it: `Thread "main"`, `<System Class> java.lang.ref.Finalizer`,
// `<JNI Global>`, `<Java Local> of Thread "worker" in Worker.run(Worker.java:12)`
// (the frame where the dump names it); "" when o is no root.
func (g *Graph) DescribeRoot(o ObjectIndex) string {
	// Each kind of root once, with its rank (rootRank): the kinds that
	// say most about why the object lives first, then a thread's locals
	// (a local in many frames, a recursion through several methods, is
	// as many parts, and the few shown must not crowd out, say, the
	// <System Class> it also is).
	type part struct {
		text string
		rank int
	}
	var parts []part
	seen := map[string]bool{}
	add := func(s string, rank int) {
		if !seen[s] {
			seen[s] = true
			parts = append(parts, part{s, rank})
		}
	}
	rankOf := func(k hprof.SubTag) int {
		if i := slices.Index(rootRank, k); i >= 0 {
			return i
		}
		return len(rootRank)
	}
	for _, r := range g.RootsOf(o) {
		switch r.Kind {
		case hprof.SubRootThreadObject:
			// A thread is a thread first: that it is also some frame's
			// local says little next to that.
			if t, ok := g.ThreadOf(o); ok && t.Name != "" {
				return fmt.Sprintf("Thread %q", t.Name)
			}
			return "<Thread>"
		case hprof.SubRootStickyClass:
			if g.IsClassObject(o) {
				add("<System Class> "+g.ClassNameOfMirror(o), rankOf(r.Kind))
			} else {
				add("<System Class>", rankOf(r.Kind))
			}
		case hprof.SubRootJavaFrame, hprof.SubRootJNILocal, hprof.SubRootNativeStack, hprof.SubRootThreadBlock, hprof.SubRootJNIMonitor:
			label, rank := "<"+RootKindName(r.Kind)+">", rankOf(r.Kind)
			if t, ok := g.ThreadBySerial(r.ThreadSerial); ok && t.Name != "" {
				label += fmt.Sprintf(" of Thread %q", t.Name)
				rank = len(rootRank) + 1
			}
			if f := g.FrameDescription(r.ThreadSerial, r.Frame); f != "" {
				label += " in " + f
				rank = len(rootRank) + 1
			}
			add(label, rank)
		default:
			add("<"+RootKindName(r.Kind)+">", rankOf(r.Kind))
		}
	}
	slices.SortFunc(parts, func(a, b part) int { return cmp.Or(a.rank-b.rank, strings.Compare(a.text, b.text)) })
	texts := make([]string, len(parts))
	for i, p := range parts {
		texts[i] = p.text
	}
	const most = 5
	if len(texts) > most {
		return fmt.Sprintf("%s, … %d more", strings.Join(texts[:most], ", "), len(texts)-most)
	}
	return strings.Join(texts, ", ")
}

// rootRank orders the kinds of GC root in a description: the most telling
// first (a class held by the system, a JNI global, a monitor in use).
var rootRank = []hprof.SubTag{hprof.SubRootStickyClass, hprof.SubRootJNIGlobal, hprof.SubRootMonitorUsed, hprof.SubRootThreadBlock,
	hprof.SubRootNativeStack, hprof.SubRootJNILocal, hprof.SubRootJavaFrame}

// ClassNameOfMirror returns the name of the class whose class object is o.
func (g *Graph) ClassNameOfMirror(o ObjectIndex) string {
	if c, ok := g.classIndexByID(g.ID(o)); ok {
		return g.Classes[c].Name
	}
	return "?"
}

// MirrorClass returns the class whose class object is o.
func (g *Graph) MirrorClass(o ObjectIndex) (ClassIndex, bool) {
	if !g.IsClassObject(o) {
		return -1, false
	}
	return g.classIndexByID(g.ID(o))
}

// Package returns the package of object o's class, or of the class it is
// the class object of ("java.util" for a HashMap$Node[]); "" for the
// default package.
func (g *Graph) Package(o ObjectIndex) string {
	name := g.Classes[g.ClassOf(o)].Name
	if g.IsClassObject(o) {
		name = g.ClassNameOfMirror(o)
	}
	return PackageOf(name)
}

// PackageOf returns the package of a class given by its JVM name, array
// dimensions left out; "" for the default package.
func PackageOf(jvm string) string {
	name := strings.TrimRight(strings.TrimLeft(SourceName(jvm), "["), "[]")
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	return ""
}

// ObjectLabel names object o's class for display ("java.util.HashMap",
// "class java.lang.String" for class objects); sourceNames turns "[B"
// into "byte[]".
func (g *Graph) ObjectLabel(o ObjectIndex, sourceNames bool) string {
	name := func(n string) string {
		if sourceNames {
			return SourceName(n)
		}
		return n
	}
	if g.IsClassObject(o) {
		return "class " + name(g.ClassNameOfMirror(o))
	}
	return name(g.Classes[g.ClassOf(o)].Name)
}
