package leaks

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// naiveImmediateDominators is ImmediateDominators without its memory: each
// object's dominators walked up one by one, each time, and rows compared
// in a map by class and dominator.
func naiveImmediateDominators(t *dominator.Tree, objs []heap.ObjectIndex, skip []bool) ([]DominatorClass, int64) {
	g := t.Graph()
	is := map[heap.ObjectIndex]bool{}
	for _, o := range objs {
		is[o] = true
	}
	var unreachable int64
	type key struct {
		class   heap.ClassIndex
		statics bool
	}
	rows := map[key]*DominatorClass{}
	perDominator := map[int32]uint64{}
	dominators := map[int32]bool{}
	for _, o := range objs {
		d := t.Idom(o)
		if d == dominator.Unreachable {
			unreachable++
			continue
		}
		roots, _ := g.RootSet()
		for d >= 0 {
			c, _ := classOf(g, heap.ObjectIndex(d))
			if !skip[c] || t.Idom(heap.ObjectIndex(d)) < 0 && (slices.Contains(roots, heap.ObjectIndex(d)) || t.KeptRoot(heap.ObjectIndex(d))) {
				break
			}
			d = t.Idom(heap.ObjectIndex(d))
		}
		k := key{NoDominatorClass, false}
		if d >= 0 {
			k.class, k.statics = classOf(g, heap.ObjectIndex(d))
		} else {
			d = -1
		}
		row := rows[k]
		if row == nil {
			row = &DominatorClass{Class: k.class, Statics: k.statics, Biggest: heap.None}
			rows[k] = row
		}
		if d >= 0 && !dominators[d] {
			dominators[d] = true
			row.Dominators++
			row.DominatorsShallow += g.ShallowSize(heap.ObjectIndex(d))
		}
		row.Dominated++
		row.DominatedShallow += g.ShallowSize(o)
		nested := false
		for a := t.Idom(o); a >= 0; a = t.Idom(heap.ObjectIndex(a)) {
			nested = nested || is[heap.ObjectIndex(a)]
		}
		if !nested {
			row.DominatedRetained += t.Retained(o)
			perDominator[d] += t.Retained(o)
		}
	}
	for d := range dominators {
		c, statics := classOf(g, heap.ObjectIndex(d))
		row := rows[key{c, statics}]
		r := perDominator[d]
		if row.Biggest == heap.None || r > row.BiggestRetained || r == row.BiggestRetained && heap.ObjectIndex(d) < row.Biggest {
			row.Biggest, row.BiggestRetained = heap.ObjectIndex(d), r
		}
	}
	var out []DominatorClass
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, byClassIndex)
	return out, unreachable
}

func byClassIndex(a, b DominatorClass) int {
	return cmp.Or(cmp.Compare(a.Class, b.Class), boolOrder(a.Statics, b.Statics))
}

func checkImmediateDominators(t *testing.T, what string, tr *dominator.Tree, objs []heap.ObjectIndex, skip []bool) {
	t.Helper()
	got, gotUnreachable := ImmediateDominators(tr, objs, skip)
	want, wantUnreachable := naiveImmediateDominators(tr, objs, skip)
	for i := 1; i < len(got); i++ {
		if a, b := got[i-1], got[i]; a.DominatedRetained < b.DominatedRetained ||
			a.DominatedRetained == b.DominatedRetained && a.DominatedShallow < b.DominatedShallow {
			t.Errorf("%s: rows %d and %d out of order", what, i-1, i)
		}
	}
	slices.SortFunc(got, byClassIndex)
	if !slices.Equal(got, want) || gotUnreachable != wantUnreachable {
		t.Errorf("%s: %d unreachable, rows\n%+v\nnaive: %d unreachable,\n%+v", what, gotUnreachable, got, wantUnreachable, want)
	}
}

// TestImmediateDominatorsNaive: on the fixture and shared dumps, the
// dominators of the arrays and strings, and of the most numerous class,
// with MAT's skipping and without, are what walking up from each gives.
func TestImmediateDominatorsNaive(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	shared, _ := filepath.Glob("../../../shared/dumps/mat/*.hprof")
	if len(shared) == 0 {
		t.Log("../shared/dumps absent: the fixture dumps only")
	}
	javaSkip, err := heap.ClassPattern(JDKSkip)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range append(dumps, shared...) {
		g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		tr := dominator.Compute(g, dominator.Options{})
		none := make([]bool, len(g.Classes))
		skip := g.MatchClasses(javaSkip)
		counts := make([]int, len(g.Classes))
		for o := range heap.ObjectIndex(g.NumObjects()) {
			counts[g.ClassOf(o)]++
		}
		most := heap.ClassIndex(0)
		for c, k := range counts {
			if k > counts[most] {
				most = heap.ClassIndex(c)
			}
		}
		for _, name := range []string{"byte[]", "char[]", "java.lang.String", "java.lang.Object[]", g.Classes[most].Name} {
			m, _ := heap.ClassPattern(name)
			objs := g.ObjectsOf(g.MatchClasses(m))
			if len(objs) == 0 {
				continue
			}
			what := filepath.Base(path) + " " + name
			checkImmediateDominators(t, what, tr, objs, skip)
			checkImmediateDominators(t, what+" (nothing skipped)", tr, objs, none)
		}
		g.Close()
	}
}

// TestImmediateDominatorsRandom: random heaps of arrays of three classes,
// one of them skipped, some of the objects unreachable; the objects of one
// class, nested among themselves, and some of every class, also with the
// unreachable ones kept as roots.
func TestImmediateDominatorsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for round := range 300 {
		w := hproftest.New(8, "")
		obj := w.Class("java/lang/Object", 0, 0, nil, nil)
		var classes, ids []uint64
		for _, name := range []string{"[Lcom/acme/A;", "[Ljava/util/B;", "[Lcom/acme/C;"} {
			classes = append(classes, w.Class(name, obj, 0, nil, nil))
		}
		n := 5 + r.IntN(60)
		for i := 0; i < n; i++ {
			ids = append(ids, w.NewID())
		}
		for _, id := range ids {
			var elems []uint64
			for k := r.IntN(4); k > 0; k-- {
				elems = append(elems, ids[r.IntN(n)])
			}
			w.ObjArray(id, classes[r.IntN(3)], elems)
		}
		for k := 1 + r.IntN(3); k > 0; k-- {
			w.Root(hprof.SubRootJNIGlobal, ids[r.IntN(n)], 0, 0)
		}
		g := heaptest.Build(t, w.Bytes())
		tr := dominator.Compute(g, dominator.Options{})
		skip := make([]bool, len(g.Classes))
		for c, cl := range g.Classes {
			skip[c] = cl.Name == "java.util.B[]"
		}
		m, _ := heap.ClassPattern("com.acme.A[]")
		checkImmediateDominators(t, fmt.Sprintf("round %d", round), tr, g.ObjectsOf(g.MatchClasses(m)), skip)
		var some []heap.ObjectIndex
		for o := range heap.ObjectIndex(g.NumObjects()) {
			if r.IntN(3) == 0 {
				some = append(some, o)
			}
		}
		checkImmediateDominators(t, fmt.Sprintf("round %d, some objects", round), tr, some, skip)
		kept := dominator.Compute(g, dominator.Options{KeepUnreachable: true})
		checkImmediateDominators(t, fmt.Sprintf("round %d, unreachable kept", round), kept, some, skip)
	}
}

// TestImmediateDominatorsByHand: a Holder holding three byte[] through an
// ArrayList and its Object[]; a byte[] that is a root; an Object[] root
// holding an Object[] holding a byte[]; a class whose static field holds a
// byte[], and a java.lang.Thread root holding one.
func TestImmediateDominatorsByHand(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	ref := []hproftest.Field{{Name: "next", Type: hprof.TypeObject}}
	holder := w.Class("com/acme/Holder", obj, 0, nil, ref)
	list := w.Class("java/util/ArrayList", obj, 0, nil, ref)
	arr := w.ObjectArrayClass()
	h, l, a, o1, o2, th := w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()
	b := []uint64{w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID(), w.NewID()}
	cache := w.Class("com/acme/Cache", obj, 0, []hproftest.Static{{Name: "DATA", Type: hprof.TypeObject, Value: b[5]}}, nil)
	thread := w.Class("java/lang/Thread", obj, 0, nil, ref)
	w.Instance(th, thread, []hprof.BasicType{hprof.TypeObject}, []uint64{b[6]})
	refs := []hprof.BasicType{hprof.TypeObject}
	w.Instance(h, holder, refs, []uint64{l})
	w.Instance(l, list, refs, []uint64{a})
	w.ObjArray(a, arr, b[:3])
	w.ObjArray(o1, arr, []uint64{o2})
	w.ObjArray(o2, arr, []uint64{b[4]})
	for i, id := range b {
		w.PrimArray(id, hprof.TypeByte, 10*(i+1), make([]byte, 10*(i+1)))
	}
	for _, id := range []uint64{h, b[3], o1, th} {
		w.Root(hprof.SubRootJNIGlobal, id, 0, 0)
	}
	w.Root(hprof.SubRootStickyClass, cache, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	tr := dominator.Compute(g, dominator.Options{})
	javaSkip, _ := heap.ClassPattern(JDKSkip)
	name := func(r DominatorClass) string {
		switch {
		case r.Class == NoDominatorClass:
			return "<ROOT>"
		case r.Statics:
			return "class " + g.Classes[r.Class].Name
		}
		return heap.SourceName(g.Classes[r.Class].Name)
	}
	type row struct {
		class                 string
		dominators, dominated int64
		retained              uint64
		biggest               uint64
	}
	rowsOf := func(class string, skip []bool) []row {
		m, _ := heap.ClassPattern(class)
		rows, _ := ImmediateDominators(tr, g.ObjectsOf(g.MatchClasses(m)), skip)
		var out []row
		for _, r := range rows {
			id := uint64(0)
			if r.Biggest != heap.None {
				id = g.ID(r.Biggest)
			}
			out = append(out, row{name(r), r.Dominators, r.Dominated, r.DominatedRetained, id})
		}
		slices.SortFunc(out, func(a, b row) int { return cmp.Compare(a.class, b.class) })
		return out
	}
	size := func(id uint64) uint64 { return tr.Retained(g.Lookup(id)) }
	// Skipping the JDK's classes: b0-b2 go up past the Object[] and the
	// ArrayList to the Holder; b4 past o2 to o1, which is top-level and
	// so not passed over, nor is the Thread; b3 is a root; b5 is held by
	// the class com.acme.Cache, which counts as com.acme.Cache (not as the
	// java.lang.Class it is an instance of, which is skipped).
	got := rowsOf("byte[]", g.MatchClasses(javaSkip))
	want := []row{
		{"<ROOT>", 0, 1, size(b[3]), 0},
		{"class com.acme.Cache", 1, 1, size(b[5]), cache},
		{"com.acme.Holder", 1, 3, size(b[0]) + size(b[1]) + size(b[2]), h},
		{"java.lang.Object[]", 1, 1, size(b[4]), o1},
		{"java.lang.Thread", 1, 1, size(b[6]), th},
	}
	if !slices.Equal(got, want) {
		t.Errorf("byte[], java.* skipped: %+v, want %+v", got, want)
	}
	got = rowsOf("byte[]", make([]bool, len(g.Classes)))
	want = []row{
		{"<ROOT>", 0, 1, size(b[3]), 0},
		{"class com.acme.Cache", 1, 1, size(b[5]), cache},
		{"java.lang.Object[]", 2, 4, size(b[0]) + size(b[1]) + size(b[2]) + size(b[4]), a},
		{"java.lang.Thread", 1, 1, size(b[6]), th},
	}
	if !slices.Equal(got, want) {
		t.Errorf("byte[], nothing skipped: %+v, want %+v", got, want)
	}
	// o2 lies in o1's retained size: it adds nothing to its row.
	got = rowsOf("java.lang.Object[]", make([]bool, len(g.Classes)))
	want = []row{
		{"<ROOT>", 0, 1, size(o1), 0},
		{"java.lang.Object[]", 1, 1, 0, o1},
		{"java.util.ArrayList", 1, 1, size(a), l},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Object[], nothing skipped: %+v, want %+v", got, want)
	}
}
