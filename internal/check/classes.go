package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/heap"
)

// classMatch marks the classes whose name, as the JVM or Java source
// writes it, matches the pattern. The pattern was checked when the rules
// loaded.
func classMatch(g *heap.Graph, pattern string) []bool {
	m, err := heap.ClassPattern(pattern)
	if err != nil {
		panic(fmt.Sprintf("check: pattern %q not validated: %v", pattern, err))
	}
	return g.MatchClasses(m)
}

// withSubclasses adds to match the subclasses of the classes it marks.
func withSubclasses(g *heap.Graph, match []bool) []bool {
	out := make([]bool, len(g.Classes))
	for cl := range g.Classes {
		for a, steps := heap.ClassIndex(cl), 0; a >= 0 && steps < len(g.Classes); a, steps = g.Classes[a].Super, steps+1 {
			if match[a] {
				out[cl] = true
				break
			}
		}
	}
	return out
}

// classGroup is the classes of one name: one per class loader that
// defined it. A loader leaked per job shows as many small classes of one
// name, which only count as a leak together.
type classGroup struct {
	name    string
	classes []heap.ClassIndex
}

// groupByName groups the matching classes by name, in the order of each
// name's first class. groupOf[c] is class c's group, or -1 when c does not
// match.
func groupByName(g *heap.Graph, match []bool) (groupOf []int32, groups []classGroup) {
	groupOf = make([]int32, len(g.Classes))
	byName := map[string]int32{}
	for c, cl := range g.Classes {
		groupOf[c] = -1
		if !match[c] {
			continue
		}
		k, ok := byName[cl.Name]
		if !ok {
			k = int32(len(groups))
			byName[cl.Name] = k
			groups = append(groups, classGroup{name: cl.Name})
		}
		groups[k].classes = append(groups[k].classes, heap.ClassIndex(c))
		groupOf[c] = k
	}
	return groupOf, groups
}

// loaded says, for a name several classes have, how many and in how many
// class loaders, as " (40 classes of that name, in 40 class loaders)";
// "" for a name one class has.
func (gr classGroup) loaded(g *heap.Graph) string {
	if len(gr.classes) < 2 {
		return ""
	}
	loaders := map[uint64]bool{}
	for _, c := range gr.classes {
		loaders[g.Classes[c].LoaderID] = true
	}
	return fmt.Sprintf(" (%d classes of that name, in %d class loaders)", len(gr.classes), len(loaders))
}

// groupRetained is the retained size of each group's objects that no
// other object of the group dominates: MAT's retained size of a class,
// with a name's classes taken as one (summing the classes' own sizes
// would count an object of one loader's class dominated by another
// loader's object of that name twice).
func (c *checker) groupRetained(groupOf []int32, groups []classGroup) []uint64 {
	return c.in.Tree.GroupRetainedFrom(c.classRetained, groupOf, len(groups))
}

// splitThrough resolves a path rule's through: the classes it names (the
// path goes through their subclasses' objects too, which hold an
// inherited field: withSubclasses) and, for "Y.f" where Y matches a class
// of the dump, the field f ("" for none), an instance field or a static
// one. A name that starts upper case ("Y.CACHE", a static cache) is a
// field where a class Y names (or a subclass, or for a static a
// superclass) declares it, or where it reads as a field misspelt
// (misspeltField), which resolve reports; else "Y.F" is a class name, as
// "Y.f" is when Y matches no class.
func splitThrough(g *heap.Graph, through string) (named []bool, field string) {
	if cls, f, ok := throughField(through); ok {
		if via := classMatch(g, cls); slices.Contains(via, true) &&
			(fieldLike(f) || declaresField(g, via, f) || misspeltField(g, cls, f)) {
			return via, f
		}
	}
	return classMatch(g, through), ""
}

// misspeltField reports whether an upper-case name f after a plain class
// name y (no glob, no regular expression), which no class declares, is
// best read as a field misspelt, which resolve reports: neither "y.f" nor
// "y$f" (a nested class written with a dot, "Map.Entry") matches a class.
// After a pattern (com.acme.*.Cache), "y.f" is taken whole as a class
// pattern, skipped where it matches nothing.
func misspeltField(g *heap.Graph, y, f string) bool {
	if strings.ContainsAny(y, "*/") {
		return false
	}
	return !slices.Contains(classMatch(g, y+"."+f), true) && !slices.Contains(classMatch(g, y+"$"+f), true)
}

// declaresField reports whether a class named declares or inherits an
// instance field f, a subclass of one declares it, or a class named
// declares a static field f.
func declaresField(g *heap.Graph, named []bool, f string) bool {
	return hasInstanceField(g, withSubclasses(g, named), f) || len(staticFields(g, named, f)) > 0
}

// hasInstanceField reports whether a class in match declares or inherits
// an instance field f.
func hasInstanceField(g *heap.Graph, match []bool, f string) bool {
	for c, m := range match {
		if !m {
			continue
		}
		fields, _ := g.AllFields(heap.ClassIndex(c))
		if slices.ContainsFunc(fields, func(x heap.Field) bool { return x.Name == f }) {
			return true
		}
	}
	return false
}

// staticFields returns the static fields f that the classes named
// declare or inherit (Sub.CACHE names a CACHE its superclass declares, as
// Java reads it), each with its declaring class, once.
func staticFields(g *heap.Graph, named []bool, f string) (out []classStatic) {
	seen := map[heap.ClassIndex]bool{}
	for c, m := range named {
		for a, steps := heap.ClassIndex(c), 0; m && a >= 0 && steps < len(g.Classes) && !seen[a]; a, steps = g.Classes[a].Super, steps+1 {
			seen[a] = true
			for _, st := range g.Classes[a].Statics {
				if st.Name == f {
					out = append(out, classStatic{a, st})
				}
			}
		}
	}
	return out
}

// classStatic is a static field and its class.
type classStatic struct {
	class heap.ClassIndex
	heap.Static
}
