package check

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// Note is a warning that a rule has nothing to check in this dump, a class
// pattern matching no class say. It is no failure: in CI the class may
// simply not be loaded yet when the dump is taken.
type Note struct {
	Rule    string // the rule's id; "" for a note on built-in rules, which names them itself
	Message string
}

// Plan is a rules file resolved against a dump's classes: the rules to
// evaluate, and those that check nothing there, skipped.
type Plan struct {
	file  *File
	Notes []Note   // for stderr
	skip  []string // by rule index: why the rule is skipped; "" for a rule evaluated
}

// Resolve checks the rules against the dump's classes, which needs the
// graph but not the costly analyses Run needs. It fails for a rule that
// cannot be right for any dump holding its classes, a field no matching
// class declares (a misspelling, which would otherwise pass silently),
// and notes each pattern of a rule that matches nothing in this dump. A
// rule with such a pattern checks nothing: the plan skips it, and the
// reports say so rather than that it passed.
//
// Built-in rules get one note for the set, as their user did not write
// them and has no line of them to fix: when none of them matches
// anything the dump is not of the application they are written for, and
// the note says so; else it lists the rules that check nothing and their
// patterns (a Spark executor without netty's pooled arenas), its count
// taking also the rules skipped for a field (below). A field a
// built-in rule reads that the dump's classes lack (or give another type)
// is no mistake of the user's either, but most likely another version of
// the application (a Spark whose MemoryConsumer has no field used): the
// rule is skipped, with a note of its own.
func Resolve(f *File, g *heap.Graph) (*Plan, error) {
	p := &Plan{file: f, skip: make([]string, len(f.Rules))}
	var notes []Note
	var idle []string    // "id (pattern)" of each rule noted
	var versions []Note  // for built-in rules: those reading a field the dump's classes lack
	var skipped []string // each rule skipped and why, in a few words, in the rules' order
	for i := range f.Rules {
		r := &f.Rules[i]
		misses, err := r.resolve(g)
		var fm *fieldMismatch
		if f.app != "" && errors.As(err, &fm) {
			p.skip[i] = fm.reason()
			versions = append(versions, Note{Message: fmt.Sprintf("%s: rule %s checks nothing, the dump's classes not being as it expects (another version of %s?): %s",
				f.name, r.ID, f.app, p.skip[i])})
			skipped = append(skipped, r.ID+" (the dump's classes not as it expects: see below)")
			continue
		}
		if err != nil {
			return nil, f.ruleError(i, err)
		}
		var patterns, reasons []string
		for _, m := range misses {
			notes = append(notes, Note{Rule: r.ID, Message: m.note})
			patterns = append(patterns, m.pattern)
			reasons = append(reasons, m.reason)
		}
		if len(misses) > 0 {
			p.skip[i] = strings.Join(reasons, "; ")
			idle = append(idle, fmt.Sprintf("%s (%s)", r.ID, strings.Join(patterns, ", ")))
			skipped = append(skipped, fmt.Sprintf("%s (no class in the dump matching %s)", r.ID, strings.Join(patterns, ", ")))
		}
	}
	switch {
	case f.app == "" || len(idle) == 0:
		p.Notes = notes
	case len(versions) > 0:
		// The count takes every rule that checks nothing, also those the
		// notes on versions below are about.
		p.Notes = []Note{{Message: fmt.Sprintf("%s: %d of %d rules check nothing: %s", f.name, len(skipped), len(f.Rules), strings.Join(skipped, "; "))}}
	case len(idle) == len(f.Rules):
		p.Notes = []Note{{Message: fmt.Sprintf("%s: no %s class in the dump: its %d rules check nothing", f.name, f.app, len(f.Rules))}}
	case len(idle) == 1:
		p.Notes = []Note{{Message: fmt.Sprintf("%s: 1 of %d rules checks nothing, no class in the dump matching it: %s", f.name, len(f.Rules), idle[0])}}
	default:
		p.Notes = []Note{{Message: fmt.Sprintf("%s: %d of %d rules check nothing, no class in the dump matching them: %s", f.name, len(idle), len(f.Rules), strings.Join(idle, "; "))}}
	}
	p.Notes = append(p.Notes, versions...)
	return p, nil
}

// fieldMismatch is a field a rule reads that no class of the rule's
// declares with a type the rule can read: in a user's rules a mistake,
// in built-in rules a dump of another version of the application.
type fieldMismatch struct {
	class string // the class pattern the rule gives
	cause error  // checkField's
	keyed error  // cause placed at the rule's key
}

func (e *fieldMismatch) Error() string { return e.keyed.Error() }
func (e *fieldMismatch) Unwrap() error { return e.keyed }

// reason is why a built-in rule is skipped for the mismatch, naming the
// class and the field: "org.apache.spark.memory.MemoryConsumer: no
// matching class has a field used (fields that are …: pageSize)".
func (e *fieldMismatch) reason() string { return fmt.Sprintf("%s: %v", e.class, e.cause) }

// miss is a class pattern of a rule that selects nothing in the dump.
type miss struct {
	pattern string // as the rule gives it
	note    string // the note for the rule: its key, the pattern, what follows
	reason  string // why the rule is skipped: "no class matches com.acme.Session"
}

// matchesNothing is the miss of a pattern no class matches.
func matchesNothing(key, pattern string) miss {
	return miss{pattern, fmt.Sprintf("%s %s matches no class in the dump: the rule checks nothing", key, pattern), "no class matches " + pattern}
}

func (r *Rule) resolve(g *heap.Graph) (misses []miss, err error) {
	some := func(match []bool) bool { return slices.Contains(match, true) }
	switch {
	case r.Retained != nil:
		switch {
		case some(retainedMatch(g, r.Retained)):
		case r.Retained.Package != "":
			misses = append(misses, miss{r.Retained.Package, fmt.Sprintf("retained.package %s: no class of that package in the dump: the rule checks nothing", r.Retained.Package),
				"no class of package " + r.Retained.Package})
		default:
			misses = append(misses, matchesNothing("retained.class", r.Retained.Class))
		}
	case r.Instances != nil:
		if !some(classMatch(g, r.Instances.Class)) {
			misses = append(misses, matchesNothing("instances.class", r.Instances.Class))
		}
	case r.Path != nil:
		return r.Path.resolve(g)
	case r.Accounting != nil:
		return r.Accounting.resolve(g)
	case r.DuplicateClasses != nil:
		if r.DuplicateClasses.Class != "" && !some(classMatch(g, r.DuplicateClasses.Class)) {
			misses = append(misses, matchesNothing("duplicate-classes.class", r.DuplicateClasses.Class))
		}
	case r.DirectMemory != nil:
		if r.DirectMemory.Owner != "" && !some(classMatch(g, r.DirectMemory.Owner)) {
			misses = append(misses, matchesNothing("direct-memory.owner", r.DirectMemory.Owner))
		}
	case r.FinalizerQueue != nil:
		if len(g.ClassByName("java.lang.ref.Finalizer")) == 0 {
			misses = append(misses, miss{"java.lang.ref.Finalizer", "finalizer-queue: no java.lang.ref.Finalizer class in the dump: the rule checks nothing",
				"no java.lang.ref.Finalizer class in the dump"})
		}
	}
	return misses, nil
}

// resolve fails for a through field that no class it names declares, or
// that holds no reference; it notes a class or a through matching nothing
// and a through class without objects.
func (p *PathRule) resolve(g *heap.Graph) (misses []miss, err error) {
	if !slices.Contains(classMatch(g, p.Class), true) {
		misses = append(misses, matchesNothing("path.class", p.Class))
	}
	named, field := splitThrough(g, p.Through)
	via := withSubclasses(g, named)
	var statics []classStatic // the static fields field names, if any
	if field != "" {
		isRef := func(t hprof.BasicType) bool { return t == hprof.TypeObject }
		err := checkField(g, via, named, field, isRef, "a reference")
		statics = staticFields(g, named, field)
		for _, st := range statics {
			if err != nil && isRef(st.Type) {
				err = nil // a static reference field of a class named
			} else if err != nil {
				err = fmt.Errorf("static %s is of type %s, not a reference", field, st.Type)
			}
		}
		if err != nil && len(statics) == 0 {
			if names := staticReferences(g, named); len(names) > 0 {
				err = fmt.Errorf("%w; static reference fields: %s", err, strings.Join(names, ", "))
			}
		}
		if err != nil {
			class, _, _ := throughField(p.Through)
			return nil, &fieldMismatch{class, err, keyErrorf("path.through", "path.through %s: %w", p.Through, err)}
		}
	}
	switch {
	case !slices.Contains(named, true):
		misses = append(misses, matchesNothing("path.through", p.Through))
	case slices.ContainsFunc(statics, func(st classStatic) bool { return g.Classes[st.class].Object != heap.None }):
		// A static field: its class object holds it.
	case !hasObjects(g, via):
		misses = append(misses, miss{p.Through, fmt.Sprintf("path.through %s: no object of that class in the dump: nothing is reachable through it", p.Through),
			"no object of a class matching " + p.Through})
	}
	return misses, nil
}

// resolve fails for a field that the classes (and subclasses) do not
// declare or that is not a long, int or short.
func (a *AccountingRule) resolve(g *heap.Graph) (misses []miss, err error) {
	named := classMatch(g, a.Class)
	if !slices.Contains(named, true) {
		return []miss{matchesNothing("accounting.class", a.Class)}, nil
	}
	if err := checkField(g, withSubclasses(g, named), named, a.Field, isCount, "a long, int or short"); err != nil {
		return nil, &fieldMismatch{a.Class, err, keyErrorf("accounting.field", "accounting.field: %w", err)}
	}
	if field, _ := a.offHeap(); field != "" {
		isRef := func(t hprof.BasicType) bool { return t == hprof.TypeObject }
		if err := checkField(g, withSubclasses(g, named), named, field, isRef, "a reference"); err != nil {
			return nil, &fieldMismatch{a.Class, err, keyErrorf("accounting.off-heap-when", "accounting.off-heap-when: %w", err)}
		}
	}
	return nil, nil
}

// isCount reports whether a field of type t can state a number of bytes.
func isCount(t hprof.BasicType) bool {
	return t == hprof.TypeLong || t == hprof.TypeInt || t == hprof.TypeShort
}

// checkField fails unless some class in match declares or inherits field
// with a type ok accepts (described by want). The error suggests the
// fields ok accepts of the named classes (those the pattern matches, not
// their many subclasses' fields).
func checkField(g *heap.Graph, match, named []bool, field string, ok func(hprof.BasicType) bool, want string) error {
	var wrong hprof.BasicType
	for c, m := range match {
		if !m {
			continue
		}
		fields, _ := g.AllFields(heap.ClassIndex(c))
		for _, f := range fields {
			switch {
			case f.Name == field && ok(f.Type):
				return nil
			case f.Name == field:
				wrong = f.Type
			}
		}
	}
	if wrong != 0 {
		return fmt.Errorf("%s is of type %s, not %s", field, wrong, want)
	}
	var candidates []string
	for c, m := range named {
		fields, _ := g.AllFields(heap.ClassIndex(c))
		for _, f := range fields {
			if m && ok(f.Type) && !slices.Contains(candidates, f.Name) {
				candidates = append(candidates, f.Name)
			}
		}
	}
	if len(candidates) == 0 {
		return fmt.Errorf("no matching class has a field %s, nor any field that is %s", field, want)
	}
	slices.Sort(candidates)
	if len(candidates) > 10 {
		candidates = append(candidates[:10], "…")
	}
	return fmt.Errorf("no matching class has a field %s (fields that are %s: %s)", field, want, strings.Join(candidates, ", "))
}

// staticReferences returns the names of the static reference fields the
// classes named declare, sorted, at most 10 (and "…").
func staticReferences(g *heap.Graph, named []bool) []string {
	var names []string
	for c, m := range named {
		for _, st := range g.Classes[c].Statics {
			if m && st.Type == hprof.TypeObject && !strings.HasPrefix(st.Name, "<") && !slices.Contains(names, st.Name) {
				names = append(names, st.Name)
			}
		}
	}
	slices.Sort(names)
	if len(names) > 10 {
		names = append(names[:10], "…")
	}
	return names
}

// hasObjects reports whether some object's class is marked in match.
func hasObjects(g *heap.Graph, match []bool) bool {
	return slices.ContainsFunc(g.ClassArray(), func(c heap.ClassIndex) bool { return match[c] })
}
