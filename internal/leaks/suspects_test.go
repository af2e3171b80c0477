package leaks

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dustin/go-humanize"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
	"github.com/leakscan/leakscan/internal/paths"
)

// Suspects are MAT's: top-level dominators alone, or grouped by class. On
// each fixture the groups are checked against a naive grouping of every
// object only the super-root dominates, and no two suspects may share
// memory: before, a class suspect summed every object of its class, so
// HashMap, HashMap$Node[] and HashMap$Node on Netty's dump each counted the
// same maps, 146% of the heap in all.
func TestSuspectsAreDisjoint(t *testing.T) {
	for _, dump := range []string{"Netty.hprof", "Basic.hprof", "JobServer.hprof", "Spark22713.hprof"} {
		a := fixture(t, dump)
		const threshold = 0.10
		min := uint64(threshold * float64(a.t.ReachableBytes))
		// The naive answer: every top-level object, by class name
		// (class objects as java.lang.Class), object suspects apart.
		type sum struct {
			retained uint64
			count    int64
		}
		groups := map[string]*sum{}
		objectNames := map[string]bool{}
		var objects int
		for o := range a.g.NumObjects() {
			x := heap.ObjectIndex(o)
			if a.t.Idom(x) != dominator.TopLevel {
				continue
			}
			name := groupName(a.g, x)
			if a.t.Retained(x) >= min {
				objectNames[name] = true
				objects++
				continue
			}
			key := name
			if !a.g.IsClassObject(x) {
				key = fmt.Sprintf("%s@%d", name, a.g.ClassOf(x)) // loaders apart
			}
			if groups[key] == nil {
				groups[key] = &sum{}
			}
			groups[key].retained += a.t.Retained(x)
			groups[key].count++
		}
		var want int
		for k, s := range groups {
			name, _, _ := strings.Cut(k, "@")
			if s.retained >= min && !objectNames[name] {
				want++
			}
		}
		sus := Suspects(a.g, a.t, a.s, threshold)
		var total uint64
		var got, gotObjects int
		for _, sp := range sus {
			total += sp.Retained
			switch sp.Kind {
			case "class":
				got++
				if objectNames[sp.Class] {
					t.Errorf("%s: class suspect %s beside an object suspect of that class", dump, sp.Class)
				}
			case "object":
				gotObjects++
			}
		}
		if got != want || gotObjects != objects {
			t.Errorf("%s: %d class and %d object suspects; the naive grouping gives %d and %d", dump, got, gotObjects, want, objects)
		}
		if total > a.t.ReachableBytes {
			t.Errorf("%s: suspects retain %d bytes together, more than the reachable heap's %d", dump, total, a.t.ReachableBytes)
		}
	}
}

// TestSuspectRetains: a suspect's biggest classes are those of everything
// it retains (a class suspect's, all its instances), counted here the long
// way: each object's top-level dominator found by climbing Idom, and its
// shallow size summed under its class's name, class objects under
// java.lang.Class as the histogram counts them, when that dominator is the
// suspect or one of the group's instances. Before, a class suspect's list
// held the instances' own class alone: on Basic.hprof, 1,224 Strings with
// 29 KiB of the 82 KiB they retain, not the 53 KiB of their byte[] values;
// and each class object had a row of its own, so that the 1,965 class
// objects JobServer.hprof's AppClassLoader retains were missing from its
// list.
func TestSuspectRetains(t *testing.T) {
	var checked int
	for _, dump := range []string{"Basic.hprof", "Netty.hprof", "JobServer.hprof", "Spark22713.hprof"} {
		a := fixture(t, dump)
		n := a.g.NumObjects()
		// top[o]: the top-level object that dominates o (o itself at the
		// top level), heap.None when o is unreachable.
		top := make([]heap.ObjectIndex, n)
		known := make([]bool, n)
		var climbed []heap.ObjectIndex
		for o := range n {
			x := heap.ObjectIndex(o)
			climbed = climbed[:0]
			for !known[x] {
				climbed = append(climbed, x)
				d := a.t.Idom(x)
				if d == dominator.TopLevel || d == dominator.Unreachable {
					top[x], known[x] = x, true
					if d == dominator.Unreachable {
						top[x] = heap.None
					}
					break
				}
				x = heap.ObjectIndex(d)
			}
			for _, y := range climbed {
				top[y], known[y] = top[x], true
			}
		}
		for _, sp := range Suspects(a.g, a.t, a.s, 0.10) {
			if sp.Kind == "class" {
				checked++
			}
			// The group: top-level objects of the biggest instance's class
			// index (class objects all have java.lang.Class's); an object
			// suspect is a group of its own.
			group := heap.None
			var instances int64
			for o := range n {
				x := heap.ObjectIndex(o)
				if top[x] == x && fmt.Sprintf("0x%x", a.g.ID(x)) == sp.Object.ID {
					group = x
				}
			}
			if group == heap.None {
				t.Fatalf("%s: suspect %s: no top-level object %s", dump, sp.Class, sp.Object.ID)
			}
			per := map[string]*ClassShare{}
			var total uint64
			for o := range n {
				x := heap.ObjectIndex(o)
				if top[x] == heap.None || a.g.ClassOf(top[x]) != a.g.ClassOf(group) || sp.Kind == "object" && top[x] != group {
					continue
				}
				if top[x] == x {
					instances++
				}
				label := heap.SourceName(a.g.Classes[a.g.ClassOf(x)].Name)
				if per[label] == nil {
					per[label] = &ClassShare{Class: label}
				}
				per[label].Instances++
				per[label].Shallow += a.g.ShallowSize(x)
				total += a.g.ShallowSize(x)
			}
			if instances != sp.Instances || total != sp.Retained {
				t.Errorf("%s: suspect %s: %d instances retaining %d bytes; counted %d retaining %d", dump, sp.Class, sp.Instances, sp.Retained, instances, total)
			}
			var want []ClassShare
			for _, c := range per {
				want = append(want, *c)
			}
			slices.SortFunc(want, func(a, b ClassShare) int {
				return cmp.Or(cmp.Compare(b.Shallow, a.Shallow), strings.Compare(a.Class, b.Class))
			})
			want = want[:min(5, len(want))]
			if !slices.Equal(sp.Retains, want) {
				t.Errorf("%s: suspect %s retains\n%+v\nthe count over the dominator tree gives\n%+v", dump, sp.Class, sp.Retains, want)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no class suspect on the fixtures")
	}
}

// TestSuspectSentenceHolds: a suspect's sentence says what the memory is
// mostly made of. For an object suspect that is the biggest class of what
// the last object it names holds, the accumulation point, counted here
// over that object's dominator subtree. Before, it was the suspect's own
// biggest class: on Spark22713.hprof, "the memory accumulates in one
// Object[] holding 3.1 MiB, mostly 50,001 byte[] (3.1 MiB)", where the
// Object[] holds 39,998 byte[] and the thread above it the other 10,003.
// For a class suspect it is the first of its biggest classes (which
// TestSuspectRetains counts): before, its sentence had none. It says
// "mostly" only of more than half: JobServer.hprof's SharedImageReader was
// "mostly 2,539 byte[] (193 KiB)" of 686 KiB.
func TestSuspectSentenceHolds(t *testing.T) {
	checked := map[string]int{}
	var shares int
	for _, dump := range []string{"Spark22713.hprof", "Basic.hprof", "JobServer.hprof", "Netty.hprof"} {
		a := fixture(t, dump)
		for _, sp := range Suspects(a.g, a.t, a.s, 0.10) {
			holder, whole := sp.Chain[len(sp.Chain)-1].Object, sp.Retained
			what := fmt.Sprintf("the %d instances of %s", sp.Instances, sp.Class)
			var top ClassShare
			if sp.Kind == "class" {
				top = sp.Retains[0]
			} else {
				what = holder.Class + " " + holder.ID
				id, err := strconv.ParseUint(strings.TrimPrefix(holder.ID, "0x"), 16, 64)
				if err != nil {
					t.Fatal(err)
				}
				per := map[string]*ClassShare{}
				a.t.Subtree(a.g.Lookup(id), func(o heap.ObjectIndex) {
					name := heap.SourceName(a.g.Classes[a.g.ClassOf(o)].Name)
					if per[name] == nil {
						per[name] = &ClassShare{Class: name}
					}
					per[name].Instances++
					per[name].Shallow += a.g.ShallowSize(o)
				})
				for _, c := range per {
					if c.Shallow > top.Shallow || c.Shallow == top.Shallow && c.Class < top.Class {
						top = *c
					}
				}
				whole = holder.Retained
			}
			want := fmt.Sprintf(", mostly %s %s (%s)", humanize.Comma(top.Instances), top.Class, humanize.IBytes(top.Shallow))
			if top.Shallow*2 <= whole {
				want = fmt.Sprintf(", its biggest share %s %s (%s, %.0f%% of it)", humanize.Comma(top.Instances), top.Class,
					humanize.IBytes(top.Shallow), float64(top.Shallow)*100/float64(whole))
				shares++
			}
			if !strings.Contains(sp.Sentence, want) {
				t.Errorf("%s: %q\nlacks %q, the biggest class of what %s hold", dump, sp.Sentence, want, what)
			}
			checked[sp.Kind]++
		}
	}
	if checked["object"] < 4 || checked["class"] < 5 || shares == 0 {
		t.Errorf("%v suspects on the fixtures, %d of them with a biggest class of half or less; want 4 object and 5 class suspects, and 1", checked, shares)
	}
}

// TestSuspectsLoaders: a job server's loaders each define Cache, whose
// instances retain a third of the heap per loader: two class suspects of
// one name, told apart by their loader (they read the same); a class one
// loader defines names none.
func TestSuspectsLoaders(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	base := w.Class("java/lang/ClassLoader", obj, 0, nil, []hproftest.Field{{Name: "parent", Type: hprof.TypeObject}})
	jobLoader := w.Class("com/example/JobLoader", base, 0, nil, nil)
	loaders := []uint64{w.NewID(), w.NewID()}
	field := []hproftest.Field{{Name: "data", Type: hprof.TypeObject}}
	classes := []uint64{w.Class("com/example/Cache", obj, loaders[0], nil, field), w.Class("com/example/Cache", obj, loaders[1], nil, field),
		w.Class("com/example/Single", obj, 0, nil, field)}
	for _, l := range loaders {
		w.Instance(l, jobLoader, []hprof.BasicType{hprof.TypeObject}, []uint64{0})
		w.Root(hprof.SubRootJNIGlobal, l, 0, 0)
	}
	for _, c := range classes {
		for range 10 { // each 3% of the heap: a suspect by class alone
			data, x := w.NewID(), w.NewID()
			w.PrimArray(data, hprof.TypeByte, 50_000, nil)
			w.Instance(x, c, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
			w.Root(hprof.SubRootJNIGlobal, x, 0, 0)
		}
	}
	sps := suspectsIn(t, w)
	byLoader := map[string]Suspect{}
	for _, sp := range sps {
		if sp.Kind != "class" || sp.Instances != 10 {
			t.Fatalf("suspect %+v: want 3 groups of 10", sp)
		}
		id := "none"
		if sp.Loader != nil {
			id = sp.Loader.ID
			if sp.Class != "com.example.Cache" || sp.Loader.Class != "com.example.JobLoader" ||
				!strings.HasPrefix(sp.Sentence, "10 instances of Cache from loader JobLoader "+id+" (the biggest") {
				t.Errorf("suspect %+v", sp)
			}
		}
		byLoader[id] = sp
	}
	if len(sps) != 3 || byLoader["none"].Class != "com.example.Single" || byLoader[fmt.Sprintf("0x%x", loaders[0])].Loader == nil || byLoader[fmt.Sprintf("0x%x", loaders[1])].Loader == nil {
		t.Errorf("suspects %+v: want Cache from each loader and Single from none", sps)
	}
}

// TestChainsAsChildren: the biggest children that accumulation chains
// take, from the objects retaining much and from the children table
// further down, are Children's first wherever a chain goes on (they keep
// AccumulationRatio), down from every top-level object of the fixtures
// that retains 1% or 10% of the heap.
func TestChainsAsChildren(t *testing.T) {
	for _, dump := range []string{"Spark22713.hprof", "Basic.hprof", "JobServer.hprof", "Netty.hprof"} {
		a := fixture(t, dump)
		steps := 0
		var taken [][2]heap.ObjectIndex // the chains' steps: object, biggest child
		for _, percent := range []uint64{1, 10} {
			min := a.t.ReachableBytes * percent / 100
			ch := newChains(a.t, min)
			for _, cur := range a.t.Children(heap.None) {
				if a.t.Retained(cur) < min {
					break // (biggest first)
				}
				for {
					kids := a.t.Children(cur)
					got := ch.biggestChild(cur)
					if len(kids) == 0 || float64(a.t.Retained(kids[0])) < AccumulationRatio*float64(a.t.Retained(cur)) {
						if got != heap.None && got != kids[0] {
							t.Fatalf("%s: biggest child of %d: %d, want none or %d", dump, cur, got, kids[0])
						}
						break
					}
					if got != kids[0] {
						t.Fatalf("%s: biggest child of %d: %d, want %d", dump, cur, got, kids[0])
					}
					taken = append(taken, [2]heap.ObjectIndex{cur, got})
					cur = got
					steps++
				}
			}
			if ch.looked && ch.heavy == nil {
				t.Fatalf("%s, %d%%: too many objects retain %d bytes", dump, percent, ch.least)
			}
		}
		if steps == 0 {
			t.Fatalf("%s: no chain has a step", dump)
		}
		// A step whose child retains a byte less than the objects kept
		// apart: the child comes from the table.
		for _, st := range taken[:min(len(taken), 5)] {
			ch := &chains{t: a.t, least: a.t.Retained(st[1]) + 1}
			if got := ch.biggestChild(st[0]); got != st[1] {
				t.Fatalf("%s: biggest child of %d, objects over %d bytes apart: %d, want %d", dump, st[0], ch.least, got, st[1])
			}
		}
	}
}

// TestSuspectParts: where the accumulation chain stops because the memory
// divides, the suspect names the parts that each still retain the
// threshold, by their fields: a class with two static caches of half the
// heap each was "The static fields of class Holder" alone. The rest of a
// linked structure is not a part of its head.
func TestSuspectParts(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	arr := w.ObjectArrayClass()
	cache := func(n, size int) uint64 {
		elems := make([]uint64, n)
		for i := range elems {
			elems[i] = w.NewID()
			w.PrimArray(elems[i], hprof.TypeByte, size, make([]byte, size))
		}
		id := w.NewID()
		w.ObjArray(id, arr, elems)
		return id
	}
	a, b, small := cache(100, 1000), cache(80, 1000), cache(5, 100)
	holder := w.Class("com/acme/Holder", obj, 0, []hproftest.Static{
		{Name: "A", Type: hprof.TypeObject, Value: a}, {Name: "B", Type: hprof.TypeObject, Value: b}, {Name: "C", Type: hprof.TypeObject, Value: small},
	}, nil)
	w.Root(hprof.SubRootStickyClass, holder, 0, 0)
	sus := suspectsIn(t, w)
	if len(sus) == 0 || sus[0].Class != "class com.acme.Holder" {
		t.Fatalf("suspects %+v", sus)
	}
	sp := sus[0]
	var fields []string
	for _, p := range sp.Parts {
		fields = append(fields, p.Field+" "+p.Object.ID)
	}
	want := []string{fmt.Sprintf("static A 0x%x", a), fmt.Sprintf("static B 0x%x", b)}
	if !slices.Equal(fields, want) {
		t.Errorf("parts %q, want %q", fields, want)
	}
	if !strings.Contains(sp.Sentence, " It divides into A (") || !strings.Contains(sp.Sentence, ") and B (") {
		t.Errorf("sentence %q", sp.Sentence)
	}
	// Basic's chain of 10,000 ChainNodes: its head is where the memory
	// accumulates, and its next no part of it.
	basic := fixture(t, "Basic.hprof")
	for _, sp := range Suspects(basic.g, basic.t, basic.s, 0.10) {
		if sp.Kind == "object" && len(sp.Parts) > 0 {
			t.Errorf("Basic.hprof: %s has parts %+v", sp.Object.Class, sp.Parts)
		}
	}
}

// TestAwaitsFinalization: a suspect held through java.lang.ref.Finalizer's
// list of objects not yet finalized says so: paths, which do not follow
// Finalizer.unfinalized, find no strong path to them, and the sentence
// named class Finalizer's statics alone (found by a leak-scenario test).
func TestAwaitsFinalization(t *testing.T) {
	fin := Suspect{Kind: "object", Class: "class java.lang.ref.Finalizer", Retained: 100, Percent: 95,
		Object: Object{ID: "0x1", Class: "class java.lang.ref.Finalizer", Retained: 100},
		Chain: []Step{{Object: Object{ID: "0x1", Class: "class java.lang.ref.Finalizer", Retained: 100}},
			{Field: "static unfinalized", Object: Object{ID: "0x2", Class: "java.lang.ref.Finalizer", Retained: 100}}}}
	if s := sentence(fin, nil, "the reachable heap"); !strings.Contains(s, " It awaits finalization: ") {
		t.Errorf("%q", s)
	}
	other := fin
	other.Chain = []Step{{Object: Object{ID: "0x3", Class: "class com.acme.Cache", Retained: 100}}}
	other.Object = other.Chain[0].Object
	if s := sentence(other, nil, "the reachable heap"); strings.Contains(s, "finalization") {
		t.Errorf("%q", s)
	}
}

// TestSuspectNamesApplicationClass: where the JDK's objects alone lead to
// an application class whose statics are where the memory accumulates, the
// suspect is named by that class, not by the JDK's loader above it ("One
// instance of ClassLoaders$AppClassLoader … accumulates in one
// LambdaLeak$Registry" read as an instance; found by a leak-scenario test).
func TestSuspectNamesApplicationClass(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	loaderClass := w.Class("jdk/internal/loader/ClassLoaders$AppClassLoader", obj, 0, nil, []hproftest.Field{{Name: "classes", Type: hprof.TypeObject}})
	data := w.NewID()
	w.PrimArray(data, hprof.TypeLong, 100000, make([]byte, 800000))
	registry := w.Class("com/acme/Registry", obj, 0, []hproftest.Static{{Name: "STATS", Type: hprof.TypeObject, Value: data}}, nil)
	classes, loader := w.NewID(), w.NewID()
	w.ObjArray(classes, w.ObjectArrayClass(), []uint64{registry})
	w.Instance(loader, loaderClass, []hprof.BasicType{hprof.TypeObject}, []uint64{classes})
	w.Root(hprof.SubRootJNIGlobal, loader, 0, 0)
	sus := suspectsIn(t, w)
	if len(sus) == 0 || !strings.HasPrefix(sus[0].Sentence, "The static fields of class Registry, reached from <JNI Global> through ClassLoaders$AppClassLoader.classes, retain ") ||
		!strings.Contains(sus[0].Sentence, "The ClassLoaders$AppClassLoader ") {
		t.Errorf("%+v", sus)
	}
}

// TestSuspectThroughApplicationField: a class suspect reached through the
// launcher's field that holds the main class, and then the main class's
// static, is said to be reached through the static: every leak through a
// main class's statics on JDK 9+ read "through LauncherHelper.appClass".
// (A second, longer way to the items keeps any one object from
// dominating them: they are top-level, a class suspect.)
func TestSuspectThroughApplicationField(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	item := w.Class("com/acme/Item", obj, 0, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}})
	items, others := w.NewID(), w.NewID()
	main := w.Class("com/acme/Main", obj, 0, []hproftest.Static{{Name: "ITEMS", Type: hprof.TypeObject, Value: items}}, nil)
	launcher := w.Class("sun/launcher/LauncherHelper", obj, 0, []hproftest.Static{{Name: "appClass", Type: hprof.TypeObject, Value: main}}, nil)
	box := w.Class("java/util/Box", obj, 0, nil, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}})
	var elems []uint64
	for range 300 {
		it, data := w.NewID(), w.NewID()
		w.PrimArray(data, hprof.TypeLong, 100, make([]byte, 800))
		w.Instance(it, item, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
		elems = append(elems, it)
	}
	w.ObjArray(items, w.ObjectArrayClass(), elems)
	w.ObjArray(others, w.ObjectArrayClass(), elems)
	b1, b2, b3 := w.NewID(), w.NewID(), w.NewID()
	one := []hprof.BasicType{hprof.TypeObject}
	w.Instance(b1, box, one, []uint64{b2})
	w.Instance(b2, box, one, []uint64{b3})
	w.Instance(b3, box, one, []uint64{others})
	w.Root(hprof.SubRootStickyClass, launcher, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, b1, 0, 0)
	sus := suspectsIn(t, w)
	for _, sp := range sus {
		if sp.Kind == "class" && sp.Class == "com.acme.Item" {
			if !strings.Contains(sp.Sentence, " through Main.ITEMS)") {
				t.Errorf("%s", sp.Sentence)
			}
			return
		}
	}
	for _, sp := range sus {
		t.Logf("%s %s: %s", sp.Kind, sp.Class, sp.Sentence)
	}
	t.Errorf("no class suspect of com.acme.Item")
}

// TestSuspectsSameSimpleName: two class suspects whose classes share a
// simple name (a.Cache and b.Cache) name them in full: with the same
// counts their sentences read the same, and with others they still name
// one class for both.
func TestSuspectsSameSimpleName(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	for i, name := range []string{"a/Cache", "b/Cache"} {
		c := w.Class(name, obj, 0, nil, []hproftest.Field{{Name: "data", Type: hprof.TypeObject}})
		for range 250 + 10*i { // the counts differ: the sentences would too, but for the name
			x, data := w.NewID(), w.NewID()
			w.PrimArray(data, hprof.TypeLong, 100, make([]byte, 800))
			w.Instance(x, c, []hprof.BasicType{hprof.TypeObject}, []uint64{data})
			w.Root(hprof.SubRootJNIGlobal, x, 0, 0)
		}
	}
	sus := suspectsIn(t, w)
	if len(sus) != 2 || !strings.HasPrefix(sus[0].Sentence, "260 instances of b.Cache") || !strings.HasPrefix(sus[1].Sentence, "250 instances of a.Cache") {
		for _, sp := range sus {
			t.Errorf("%s", sp.Sentence)
		}
	}
}

// TestSuspectNamesApplicationObject: where only the JDK's objects lead to
// an application object that is the accumulation point (a thread and its
// local, here a JDK holder), that object is the one named: "One instance
// of Thread, reached from thread main" named the thread.
func TestSuspectNamesApplicationObject(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	four := []hproftest.Field{{Name: "a", Type: hprof.TypeObject}, {Name: "b", Type: hprof.TypeObject}, {Name: "c", Type: hprof.TypeObject}, {Name: "d", Type: hprof.TypeObject}}
	big := w.Class("com/acme/Big", obj, 0, nil, four)
	holder := w.Class("java/util/Holder", obj, 0, nil, []hproftest.Field{{Name: "value", Type: hprof.TypeObject}})
	var parts []uint64
	for range 4 { // no one part holds most of it: Big is where it accumulates
		p := w.NewID()
		w.PrimArray(p, hprof.TypeLong, 10000, make([]byte, 80000))
		parts = append(parts, p)
	}
	b, h := w.NewID(), w.NewID()
	w.Instance(b, big, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject, hprof.TypeObject, hprof.TypeObject}, parts)
	w.Instance(h, holder, []hprof.BasicType{hprof.TypeObject}, []uint64{b})
	w.Root(hprof.SubRootJNIGlobal, h, 0, 0)
	sus := suspectsIn(t, w)
	if len(sus) == 0 || !strings.HasPrefix(sus[0].Sentence, "One instance of Big, reached from <JNI Global>") || !strings.Contains(sus[0].Sentence, "The Holder ") {
		for _, sp := range sus {
			t.Errorf("%s", sp.Sentence)
		}
	}
}

// TestSuspectSentenceNoEcho: where the memory accumulates in one array,
// the sentence does not say again that it is mostly that one array
// ("accumulates in one byte[] holding 488 KiB, mostly 1 byte[] (488 KiB)").
func TestSuspectSentenceNoEcho(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	holder := w.Class("com/acme/Holder", obj, 0, nil, []hproftest.Field{{Name: "buf", Type: hprof.TypeObject}})
	h, buf := w.NewID(), w.NewID()
	w.PrimArray(buf, hprof.TypeByte, 500000, make([]byte, 500000))
	w.Instance(h, holder, []hprof.BasicType{hprof.TypeObject}, []uint64{buf})
	w.Root(hprof.SubRootJNIGlobal, h, 0, 0)
	sus := suspectsIn(t, w)
	if len(sus) != 1 || !strings.Contains(sus[0].Sentence, "; the memory accumulates in one byte[] holding 488 KiB.") {
		for _, sp := range sus {
			t.Errorf("%s", sp.Sentence)
		}
	}
}

// TestSuspectArraysAreJDK: a JDK holder of a big array is named, not the
// array (a primitive array's label, byte[], read as an application class:
// "One instance of byte[], reached from <JNI Global> through
// ByteArrayOutputStream.buf"), and a lone array is not said to be mostly
// itself.
func TestSuspectArraysAreJDK(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	baos := w.Class("java/io/ByteArrayOutputStream", obj, 0, nil, []hproftest.Field{{Name: "buf", Type: hprof.TypeObject}})
	h, buf, lone := w.NewID(), w.NewID(), w.NewID()
	w.PrimArray(buf, hprof.TypeByte, 500000, make([]byte, 500000))
	w.PrimArray(lone, hprof.TypeByte, 400000, make([]byte, 400000))
	w.Instance(h, baos, []hprof.BasicType{hprof.TypeObject}, []uint64{buf})
	w.Root(hprof.SubRootJNIGlobal, h, 0, 0)
	w.Root(hprof.SubRootJNIGlobal, lone, 0, 0)
	sus := suspectsIn(t, w)
	if len(sus) != 2 || !strings.HasPrefix(sus[0].Sentence, "One instance of ByteArrayOutputStream, reached from <JNI Global>, retains 488 KiB") ||
		!strings.HasSuffix(sus[0].Sentence, "; the memory accumulates in one byte[] holding 488 KiB.") ||
		!strings.HasPrefix(sus[1].Sentence, "One instance of byte[], reached from <JNI Global>, retains 391 KiB") || strings.Contains(sus[1].Sentence, "mostly") {
		for _, sp := range sus {
			t.Errorf("%s", sp.Sentence)
		}
	}
}

// suspectsIn returns the suspects of the heap w wrote, at a threshold of
// 10%, with the default tree and path search.
func suspectsIn(t *testing.T, w *hproftest.Writer) []Suspect {
	t.Helper()
	g := heaptest.Build(t, w.Bytes())
	return Suspects(g, dominator.Compute(g, dominator.Options{}), paths.Find(g, paths.Options{}), 0.10)
}
