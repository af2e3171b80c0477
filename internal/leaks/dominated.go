package leaks

import (
	"cmp"
	"slices"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/mem"
)

// DominatorClass is one row of ImmediateDominators: the objects of one
// class that immediately dominate some of the objects asked about, and
// those objects.
type DominatorClass struct {
	// Class is the dominators' class, or NoDominatorClass for the row of the
	// objects no object dominates but the super-root, or none that is not
	// passed over (MAT's <ROOT>). With Statics, the dominators are class
	// objects, and Class the class each is: its static fields hold the
	// objects, and a row is the one class object.
	Class   heap.ClassIndex
	Statics bool
	// Dominators counts the dominating objects, DominatorsShallow their
	// shallow sizes (0 for the root's row).
	Dominators        int64
	DominatorsShallow uint64
	// Dominated counts the objects asked about that they dominate, with
	// their shallow sizes and their retained sizes, each byte once: an
	// object that another of them dominates adds nothing to the latter,
	// as its memory is in the other's.
	Dominated         int64
	DominatedShallow  uint64
	DominatedRetained uint64
	// Biggest is the dominator of the row whose dominated objects retain
	// the most (the first in object order among equals; heap.None for
	// the root's row), and BiggestRetained what they retain.
	Biggest         heap.ObjectIndex
	BiggestRetained uint64
}

// ImmediateDominators groups the immediate dominators of objs by class,
// as Eclipse MAT's Immediate Dominators query does: for every object of
// objs that a GC root reaches, its immediate dominator, or, while that
// one's class is one skip marks (by class index), the dominator above it.
// Unlike MAT, a GC root at the top of the tree is never passed over, to
// the super-root, as nothing else holds what it dominates: the thread
// whose stack does, a JNI global, names the holder where MAT's <ROOT>
// would not (a top-level object that is no root, shared by several, is
// passed over). And a class object counts as the class it is (its
// statics), not as a java.lang.Class, which MAT skips with the JDK's
// classes. Rows come biggest dominated retained size first, then
// dominated shallow size, then class name. objs holds each object once.
// It also returns how many
// objects of objs no GC root reaches (they have no dominator, and are in
// no row). The walks up the tree are walkUp's.
func ImmediateDominators(t *dominator.Tree, objs []heap.ObjectIndex, skip []bool) (rows []DominatorClass, unreachable int64) {
	g := t.Graph()
	n := g.NumObjects()
	w := newWalkUp(t, objs, skip)
	// Each object's dominator not passed over: an object index, or
	// gone (unreachable) or -1 (the super-root).
	const gone = -2
	doms := make([]int32, len(objs))
	for i, o := range objs {
		switch d := t.Idom(o); {
		case d == dominator.Unreachable:
			unreachable++
			doms[i] = gone
		case d < 0:
			doms[i] = -1
		default:
			doms[i] = w.holder(d)
		}
	}
	up := w.up
	// The rows, by class; and a slot for each dominator, in the order met,
	// its number kept in up (the walks are done with it): its row, and
	// what the objects it dominates retain. (Sorting the objects by
	// dominator instead took 2.2 s of the 2.8 s for the bench dump's
	// 9.4 M byte[], from the index.)
	type key struct {
		class   heap.ClassIndex
		statics bool
	}
	type slot struct {
		dominator, row int32
		retained       uint64
	}
	var list []*DominatorClass
	byClass := map[key]int32{}
	rowOf := func(k key) int32 {
		r, ok := byClass[k]
		if !ok {
			r = int32(len(list))
			byClass[k] = r
			list = append(list, &DominatorClass{Class: k.class, Statics: k.statics, Biggest: heap.None})
		}
		return r
	}
	met := bitset.New(n)
	var slots []slot
	for i, o := range objs {
		d := doms[i]
		var row *DominatorClass
		var at *slot
		switch {
		case d == gone:
			continue
		case d < 0:
			row = list[rowOf(key{NoDominatorClass, false})]
		default:
			if !met.Has(d) {
				met.Add(d)
				up[d] = int32(len(slots))
				c, statics := classOf(g, heap.ObjectIndex(d))
				slots = append(slots, slot{dominator: d, row: rowOf(key{c, statics})})
				r := list[slots[len(slots)-1].row]
				r.Dominators++
				r.DominatorsShallow += g.ShallowSize(heap.ObjectIndex(d))
			}
			at = &slots[up[d]]
			row = list[at.row]
		}
		row.Dominated++
		row.DominatedShallow += g.ShallowSize(o)
		if !w.nested(o) { // each byte once
			r := t.Retained(o)
			row.DominatedRetained += r
			if at != nil {
				at.retained += r
			}
		}
	}
	for _, sl := range slots {
		row := list[sl.row]
		if d := heap.ObjectIndex(sl.dominator); row.Biggest == heap.None || sl.retained > row.BiggestRetained ||
			sl.retained == row.BiggestRetained && d < row.Biggest {
			row.Biggest, row.BiggestRetained = d, sl.retained
		}
	}
	for _, row := range list {
		rows = append(rows, *row)
	}
	name := func(c heap.ClassIndex) string {
		if c == NoDominatorClass {
			return ""
		}
		return heap.SourceName(g.Classes[c].Name) // as the table names them
	}
	slices.SortFunc(rows, func(a, b DominatorClass) int {
		return cmp.Or(cmp.Compare(b.DominatedRetained, a.DominatedRetained), cmp.Compare(b.DominatedShallow, a.DominatedShallow),
			cmp.Compare(name(a.Class), name(b.Class)), cmp.Compare(a.Class, b.Class), boolOrder(a.Statics, b.Statics))
	})
	return rows, unreachable
}

// walkUp memoises walks up the dominator tree from objects of a set, objs:
// for each object a walk passed, the first object at or above it that the
// walks do not pass over (see ImmediateDominators: an object of a class
// skip marks is passed over, unless it is a GC root at the top), and
// whether an object of objs lies strictly above it. A walk stops where an
// earlier one passed, so the walks together read each dominator once.
type walkUp struct {
	t             *dominator.Tree
	g             *heap.Graph
	skip          []bool
	isObj, isRoot bitset.Set // (isRoot: the GC roots, and KeepUnreachable's)
	// up[x], for an object a walk passed: the first object at or above it
	// not passed over, plus 1, or -1 for none (the super-root); 0 for an
	// object no walk passed yet. above: for those, whether an object of
	// objs lies strictly above.
	up    []int32
	above bitset.Set
	walk  []int32
}

func newWalkUp(t *dominator.Tree, objs []heap.ObjectIndex, skip []bool) *walkUp {
	g := t.Graph()
	n := g.NumObjects()
	w := &walkUp{t: t, g: g, skip: skip, isObj: bitset.New(n), isRoot: bitset.New(n), up: mem.Make[int32](n), above: bitset.New(n)}
	for _, o := range objs {
		w.isObj.Add(int32(o))
	}
	roots, _ := g.RootSet()
	for _, r := range roots {
		w.isRoot.Add(int32(r))
	}
	return w
}

// holder returns the first object at or above x (an object a GC root
// reaches) that the walks do not pass over, or -1 for none.
func (w *walkUp) holder(x int32) int32 {
	if w.up[x] == 0 {
		w.resolve(x)
	}
	return max(w.up[x]-1, -1)
}

// resolve walks up from x to an object walked before, or the top, and
// notes up and above for each object it passes, from the top down.
func (w *walkUp) resolve(x int32) {
	t := w.t
	w.walk = w.walk[:0]
	for w.up[x] == 0 {
		w.walk = append(w.walk, x)
		if x = t.Idom(heap.ObjectIndex(x)); x < 0 { // top level
			break
		}
	}
	for i := len(w.walk) - 1; i >= 0; i-- {
		y := w.walk[i]
		d := t.Idom(heap.ObjectIndex(y))
		u := int32(-1) // passed over: the one above's, or the super-root
		if d >= 0 {
			u = w.up[d]
			if w.isObj.Has(d) || w.above.Has(d) {
				w.above.Add(y)
			}
		}
		c, _ := classOf(w.g, heap.ObjectIndex(y))
		if !w.skip[c] || d < 0 && (w.isRoot.Has(y) || t.KeptRoot(heap.ObjectIndex(y))) {
			u = y + 1
		}
		w.up[y] = u
	}
}

// nested reports whether another object of objs lies above o in the tree,
// so that o's retained size is part of that one's. o's dominator must have
// been walked from (holder): it reads what the walks noted, nothing else.
func (w *walkUp) nested(o heap.ObjectIndex) bool {
	p := w.t.Idom(o)
	return p >= 0 && (w.isObj.Has(p) || w.above.Has(p))
}

// classOf is the class ImmediateDominators takes object o for: the class
// it is, for a class object (statics true), else its class.
func classOf(g *heap.Graph, o heap.ObjectIndex) (c heap.ClassIndex, statics bool) {
	if m, ok := g.MirrorClass(o); ok {
		return m, true
	}
	return g.ClassOf(o), false
}

// boolOrder orders false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// JDKSkip is the class pattern whose dominators ImmediateDominators is
// given to skip by default: the JDK's classes, so that a byte[] held by a
// String held by a HashMap's entry shows the application's object above
// them. MAT's query skips java.*|com\.sun\..* as a regular expression,
// which takes in javax, but also javassist and javafx; this skips java.
// and javax. only, and adds jdk.* and sun.*, where the JDK keeps its own
// since JDK 9 (jdk.internal.loader's class loaders).
const JDKSkip = `/^(java\.|javax\.|jdk\.|sun\.|com\.sun\.)/`

// NoDominatorClass is DominatorClass.Class for the row of the objects that
// only the super-root dominates.
const NoDominatorClass heap.ClassIndex = -1
