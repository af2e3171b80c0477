package leaks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
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
}

// Loader is one class loader.
type Loader struct {
	Object
	Parent    *Object `json:"parent,omitempty"`
	Builtin   bool    `json:"builtin"`
	Classes   int     `json:"classes"`   // classes it defined
	Instances int64   `json:"instances"` // objects of those classes
	Path      []Step  `json:"path,omitempty"`
}

// Duplicate is a class name several loaders define.
type Duplicate struct {
	Class   string   `json:"class"`
	Loaders []Object `json:"loaders"`
}

// LoaderReport is what `leakscan classloaders` prints.
type LoaderReport struct {
	Loaders    []Loader    `json:"loaders"`
	Duplicates []Duplicate `json:"duplicate_classes"`
}

// builtinLoaders are the JDK's own class loaders.
var builtinLoaders = map[string]bool{
	"jdk.internal.loader.ClassLoaders$AppClassLoader":      true,
	"jdk.internal.loader.ClassLoaders$PlatformClassLoader": true,
	"jdk.internal.loader.ClassLoaders$BootClassLoader":     true,
	"sun.misc.Launcher$AppClassLoader":                     true,
	"sun.misc.Launcher$ExtClassLoader":                     true,
}

func objectOf(g *heap.Graph, t *dominator.Tree, o heap.ObjectIndex) Object {
	return Object{ID: fmt.Sprintf("0x%x", g.ID(o)), Class: g.ObjectLabel(o, false), Retained: t.Retained(o)}
}

// PathTo is the shortest strong path from a GC root to o.
func PathTo(g *heap.Graph, t *dominator.Tree, s *paths.Search, o heap.ObjectIndex) []Step {
	p := s.Path(o)
	out := make([]Step, 0, len(p))
	for i, x := range p {
		st := Step{Object: objectOf(g, t, x)}
		if i == 0 {
			st.GCRoot = g.DescribeRoot(x)
		} else {
			st.Field = s.Label(p[i-1], x)
		}
		out = append(out, st)
	}
	return out
}

// ClassLoaders lists every class loader (the bootstrap loader as id 0x0),
// the classes each defined and their instances, and class names defined
// more than once; non-built-in loaders get their path from a GC root.
func ClassLoaders(g *heap.Graph, t *dominator.Tree, s *paths.Search) *LoaderReport {
	classesBy := map[uint64]int{}
	instancesBy := map[uint64]int64{}
	for _, row := range g.Histogram() {
		c := &g.Classes[row.Class]
		if c.ID == 0 {
			continue
		}
		instancesBy[c.LoaderID] += row.Instances
	}
	for _, c := range g.Classes {
		if c.ID != 0 {
			classesBy[c.LoaderID]++
		}
	}
	// Loaders: what defined classes, and every ClassLoader instance.
	ids := map[uint64]bool{0: true}
	for id := range classesBy {
		ids[id] = true
	}
	for _, o := range instancesOf(g, "java.lang.ClassLoader") {
		ids[g.ID(o)] = true
	}
	r := &LoaderReport{}
	for id := range ids {
		l := Loader{Object: Object{ID: fmt.Sprintf("0x%x", id), Class: "<bootstrap>"}, Builtin: id == 0, Classes: classesBy[id], Instances: instancesBy[id]}
		if id != 0 {
			o := g.Lookup(id)
			if o == heap.None {
				l.Class = "<not in the dump>"
			} else {
				l.Object = objectOf(g, t, o)
				l.Builtin = builtinLoaders[g.Classes[g.ClassOf(o)].Name]
				if p := readFields(g, o).ref("parent"); p != heap.None {
					po := objectOf(g, t, p)
					l.Parent = &po
				}
				if !l.Builtin {
					l.Path = PathTo(g, t, s, o)
				}
			}
		}
		r.Loaders = append(r.Loaders, l)
	}
	slices.SortFunc(r.Loaders, func(a, b Loader) int {
		switch {
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
	// Duplicate class names.
	byName := map[string][]uint64{}
	for _, c := range g.Classes {
		if c.ID != 0 && !slices.Contains(byName[c.Name], c.LoaderID) {
			byName[c.Name] = append(byName[c.Name], c.LoaderID)
		}
	}
	for name, ls := range byName {
		if len(ls) < 2 {
			continue
		}
		d := Duplicate{Class: name}
		for _, id := range ls {
			if id == 0 {
				d.Loaders = append(d.Loaders, Object{ID: "0x0", Class: "<bootstrap>"})
			} else if o := g.Lookup(id); o != heap.None {
				d.Loaders = append(d.Loaders, objectOf(g, t, o))
			}
		}
		slices.SortFunc(d.Loaders, func(a, b Object) int { return strings.Compare(a.ID, b.ID) })
		r.Duplicates = append(r.Duplicates, d)
	}
	slices.SortFunc(r.Duplicates, func(a, b Duplicate) int {
		if len(a.Loaders) != len(b.Loaders) {
			return len(b.Loaders) - len(a.Loaders)
		}
		return strings.Compare(a.Class, b.Class)
	})
	return r
}
