package leaks

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/paths"
)

// Object names an object for reports.
type Object struct {
	ID       string `json:"id"`
	Class    string `json:"class"`
	Retained uint64 `json:"retained_bytes"`
}

// Step is a reference on a path from a GC root.
type Step struct {
	Field  string `json:"field,omitempty"`
	Object Object `json:"object"`
	GCRoot string `json:"gc_root,omitempty"`
	// Elided, on a step standing for the middle of a long path or
	// chain, counts the steps left out there (see StepEnds); such a step
	// names no object.
	Elided int64 `json:"elided_steps,omitempty"`
}

// StepEnds is how many steps of a path or an accumulation chain (and
// lines of paths' runs of single references) are kept at each end when it
// is longer than 2*StepEnds+1: its middle becomes one Elided step. A path
// through a 1 M-long linked list printed 150 MB per suspect (and each step
// decodes a record for its field's name); loaders parented one by another
// printed paths of every length, 1.5 GB for 5,000.
const StepEnds = 10

// Folded reports whether item i of a list of n is left out (see
// StepEnds), and for the first left out, i == StepEnds, how many are.
func Folded(i, n int) (left bool, count int) {
	if n <= 2*StepEnds+1 || i < StepEnds || i >= n-StepEnds {
		return false, 0
	}
	if i == StepEnds {
		return true, n - 2*StepEnds
	}
	return true, 0
}

// foldSteps leaves out the middle of a long list of steps (see StepEnds).
func foldSteps(steps []Step) []Step {
	var out []Step
	for i, st := range steps {
		if left, count := Folded(i, len(steps)); count > 0 {
			out = append(out, Step{Elided: int64(count)})
		} else if !left {
			out = append(out, st)
		}
	}
	return out
}

// Loader is one class loader.
type Loader struct {
	Object
	Parent    *Object `json:"parent,omitempty"` // bootstrapLoader for a null parent field
	Builtin   bool    `json:"builtin"`          // the JDK's own (see jdkLoader)
	Classes   int     `json:"classes"`          // classes it defined
	Instances int64   `json:"instances"`        // objects of those classes
	// WithClasses is what the loader and the classes it defined retain
	// together (their objects that no other of them dominates): what its
	// release with them frees. A loader that an instance of its class
	// keeps alive (through the class) retains little itself, where its
	// classes' statics hold the memory: 2.5 KiB against 589 KiB for the
	// same leak held by a thread's context loader.
	WithClasses uint64 `json:"retained_with_classes_bytes"`
	// Unreachable: no GC root reaches the loader, so the next GC collects
	// it with its classes (which Duplicates leaves out).
	Unreachable bool   `json:"unreachable"`
	Path        []Step `json:"path,omitempty"`
}

// Bootstrap reports whether l is the JVM's own loader, which is no object.
func (l Loader) Bootstrap() bool { return l.ID == bootstrapLoader.ID }

// Duplicate is a class name several loaders define, unreachable loaders
// left out.
type Duplicate struct {
	Class   string   `json:"class"`
	Loaders []Object `json:"loaders"`
}

// LoaderReport is what `leakscan classloaders` prints.
type LoaderReport struct {
	// Loaders: <bootstrap> first (it retains nothing to rank it by, and
	// defines the JDK's classes: sorted by size it came last, under
	// --top's cut), then biggest retained size first, then most classes
	// defined.
	Loaders []Loader `json:"loaders"`
	// MoreLoaders counts the loaders a caller leaves out of Loaders
	// (classloaders --top); ClassLoaders lists them all.
	MoreLoaders int         `json:"more_loaders"`
	Duplicates  []Duplicate `json:"duplicate_classes"`
}

// appLoaderClasses are the JDK's loader classes that applications
// instantiate themselves (a URLClassLoader per plugin or job): their
// instances are the application's.
var appLoaderClasses = map[string]bool{
	"java.net.URLClassLoader":                       true,
	"java.net.FactoryURLClassLoader":                true, // URLClassLoader.newInstance, JDK 8
	"java.net.URLClassLoader$FactoryURLClassLoader": true,
	"java.security.SecureClassLoader":               true,
	"jdk.internal.loader.Loader":                    true, // ModuleLayer.defineModulesWithOneLoader
}

// jdkLoader reports whether a loader of this class is the JDK's own: the
// built-in loaders, and those the JDK makes for itself (reflection's
// DelegatingClassLoader, MethodUtil, JMX's NoCallStackClassLoader,
// ResourceBundle's RBClassLoader, …), which no application leak keeps.
func jdkLoader(class string) bool {
	return systemPackage(class) && !appLoaderClasses[class]
}

func objectOf(g *heap.Graph, t *dominator.Tree, o heap.ObjectIndex) Object {
	return Object{ID: fmt.Sprintf("0x%x", g.ID(o)), Class: g.ObjectLabel(o, true), Retained: t.Retained(o)}
}

// PathTo is the shortest strong path from a GC root to o, its middle
// left out when it is long (see StepEnds).
func PathTo(g *heap.Graph, t *dominator.Tree, s *paths.Search, o heap.ObjectIndex) []Step {
	p := s.Path(o)
	out := make([]Step, 0, min(len(p), 2*StepEnds+1))
	for i, x := range p {
		if left, count := Folded(i, len(p)); left {
			if count > 0 {
				out = append(out, Step{Elided: int64(count)})
			}
			continue
		}
		st := Step{Object: objectOf(g, t, x)}
		if i == 0 {
			st.GCRoot = s.DescribeRoot(x)
		} else {
			st.Field = s.Label(p[i-1], x)
		}
		out = append(out, st)
	}
	return out
}

// ClassLoaders lists every class loader (the bootstrap loader as id 0x0),
// the classes each defined and their instances, and class names live
// loaders define more than once; loaders that are not the JDK's get their
// path from a GC root.
func ClassLoaders(g *heap.Graph, t *dominator.Tree, s *paths.Search) *LoaderReport {
	instancesBy := map[uint64]int64{}
	for _, row := range g.Histogram() {
		c := &g.Classes[row.Class]
		if c.ID == 0 {
			continue
		}
		instancesBy[c.LoaderID] += row.Instances
	}
	// Loaders: what defined classes, and every ClassLoader instance.
	classesBy := LoaderClasses(g)
	ids := map[uint64]bool{}
	for id := range classesBy {
		ids[id] = true
	}
	r := &LoaderReport{}
	byID := map[uint64]Loader{}
	// In the order of their records in the dump: reading a loader's
	// fields walks the part of the dump its record is in, and 5,000
	// loaders taken in a map's order walked their parts anew each time
	// (35 s; each part holds up to 65,536 records).
	sorted := slices.SortedFunc(maps.Keys(ids), func(a, b uint64) int { return cmp.Compare(g.Lookup(a), g.Lookup(b)) })
	with := retainedWithClasses(g, t, classesBy)
	for _, id := range sorted {
		l := loaderOf(g, t, s, id)
		l.Classes, l.Instances = classesBy[id], instancesBy[id]
		if !l.Bootstrap() {
			l.WithClasses = with[id]
		}
		byID[id] = l
		r.Loaders = append(r.Loaders, l)
	}
	slices.SortFunc(r.Loaders, func(a, b Loader) int {
		switch {
		case a.Bootstrap() != b.Bootstrap():
			if a.Bootstrap() {
				return -1
			}
			return 1
		case a.WithClasses != b.WithClasses: // what releasing it frees
			if a.WithClasses > b.WithClasses {
				return -1
			}
			return 1
		case a.Retained != b.Retained:
			if a.Retained > b.Retained {
				return -1
			}
			return 1
		case a.Classes != b.Classes:
			return b.Classes - a.Classes
		}
		return strings.Compare(a.ID, b.ID)
	})
	r.Duplicates = duplicates(g, byID)
	return r
}

// retainedWithClasses returns, by loader id, what each loader object (of
// loaders, LoaderClasses') and the class objects of the classes it defined
// retain together: the retained sizes of those of them that no other of
// them dominates (found up each one's dominators, a few steps for a class
// object).
func retainedWithClasses(g *heap.Graph, t *dominator.Tree, loaders map[uint64]int) map[uint64]uint64 {
	group := map[heap.ObjectIndex]uint64{} // member object: its loader's id
	for _, c := range g.Classes {
		if c.ID != 0 && c.Object != heap.None {
			group[c.Object] = c.LoaderID
		}
	}
	for id := range loaders {
		if o := g.Lookup(id); id != 0 && o != heap.None {
			group[o] = id
		}
	}
	out := map[uint64]uint64{}
	for o, id := range group {
		inner := false
		for p := t.Idom(o); p >= 0 && !inner; p = t.Idom(heap.ObjectIndex(p)) {
			k, ok := group[heap.ObjectIndex(p)]
			inner = ok && k == id
		}
		if !inner {
			out[id] += t.Retained(o)
		}
	}
	return out
}

// LoaderNotInDump is the class of a loader that classes name but the dump
// does not hold.
const LoaderNotInDump = "<not in the dump>"

// bootstrapLoader is the JVM's own loader: not an object, so it has no
// retained size. Classes it defined name loader 0.
var bootstrapLoader = Object{ID: "0x0", Class: "<bootstrap>"}

// LoaderClasses returns the class loaders of the dump by object id, each
// with how many classes it defined: the bootstrap loader (id 0), the
// loaders that defined classes, and every ClassLoader instance, one that
// defined none too (a loader made per job whose classes its parent
// defines).
func LoaderClasses(g *heap.Graph) map[uint64]int {
	out := map[uint64]int{0: 0}
	for _, c := range g.Classes {
		if c.ID != 0 {
			out[c.LoaderID]++
		}
	}
	for _, o := range instancesOf(g, "java.lang.ClassLoader") {
		out[g.ID(o)] += 0
	}
	return out
}

// loaderObject is the loader with the given id as an Object: the
// bootstrap loader for 0, LoaderNotInDump's for an id the dump lacks.
func loaderObject(g *heap.Graph, t *dominator.Tree, id uint64) Object {
	if id == 0 {
		return bootstrapLoader
	}
	if o := g.Lookup(id); o != heap.None {
		return objectOf(g, t, o)
	}
	return Object{ID: fmt.Sprintf("0x%x", id), Class: LoaderNotInDump}
}

// loaderOf describes the loader with the given id (0: the bootstrap
// loader), without its classes.
func loaderOf(g *heap.Graph, t *dominator.Tree, s *paths.Search, id uint64) Loader {
	if id == 0 {
		return Loader{Object: bootstrapLoader, Builtin: true}
	}
	o := g.Lookup(id)
	if o == heap.None {
		return Loader{Object: loaderObject(g, t, id)}
	}
	l := Loader{Object: objectOf(g, t, o), Builtin: jdkLoader(g.Classes[g.ClassOf(o)].Name), Unreachable: t.Idom(o) == dominator.Unreachable}
	if v, ok := readFields(g, o).find("parent"); ok && v.Type == hprof.TypeObject {
		if v.Value == 0 {
			// ClassLoader.loadClass asks the bootstrap loader then.
			po := bootstrapLoader
			l.Parent = &po
		} else if p := g.Lookup(v.Value); p != heap.None {
			po := objectOf(g, t, p)
			l.Parent = &po
		}
	}
	if !l.Builtin {
		l.Path = PathTo(g, t, s, o)
	}
	return l
}

// duplicates lists the class names more than one reachable loader
// defines: an unreachable loader's classes go with it at the next GC, so
// they are no Metaspace leak.
func duplicates(g *heap.Graph, loaders map[uint64]Loader) []Duplicate {
	byName := g.LoadersByName(func(c heap.ClassIndex) bool { return !loaders[g.Classes[c].LoaderID].Unreachable })
	out := []Duplicate{}
	for name, ids := range byName {
		if len(ids) < 2 {
			continue
		}
		d := Duplicate{Class: name}
		for _, id := range ids {
			d.Loaders = append(d.Loaders, loaders[id].Object)
		}
		slices.SortFunc(d.Loaders, func(a, b Object) int { return strings.Compare(a.ID, b.ID) })
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Duplicate) int {
		if len(a.Loaders) != len(b.Loaders) {
			return len(b.Loaders) - len(a.Loaders)
		}
		return strings.Compare(a.Class, b.Class)
	})
	return out
}
