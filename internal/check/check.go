package check

import (
	"fmt"
	"maps"
	"math"
	mathbits "math/bits"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/render"
)

// ObjectRef is an object a finding names.
type ObjectRef struct {
	ID       string `json:"id"`
	Class    string `json:"class"`
	Retained uint64 `json:"retained_bytes"`
}

// Step is one reference on a path from a GC root.
type Step struct {
	Field  string `json:"field,omitempty"` // how the previous object refers to this one
	ID     string `json:"id"`
	Class  string `json:"class"`
	GCRoot string `json:"gc_root,omitempty"` // the first step's kind of root
	// Elided, on a step standing for the middle of a long path, counts the
	// steps left out there (leaks.StepEnds), and the step has nothing
	// else.
	Elided int64 `json:"elided_steps,omitempty"`
}

// Finding is one violation of a rule.
type Finding struct {
	Rule     string      `json:"rule"`
	Severity string      `json:"severity"`
	Message  string      `json:"message"`
	Objects  []ObjectRef `json:"objects"`
	Path     []Step      `json:"path,omitempty"`
}

// RuleResult is a rule with its findings.
type RuleResult struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Severity    string    `json:"severity"`
	Description string    `json:"description"`
	Findings    []Finding `json:"findings"`
	// More counts violations beyond the findings listed.
	More int `json:"more,omitempty"`
	// Status is Skipped for a rule not evaluated, as it checks nothing in
	// the dump (Reason says why: "no class matches com.acme.Session");
	// "" for a rule evaluated, whose findings say whether it held.
	Status string `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Note says what an evaluated rule could not decide, which its
	// findings leave out ("" for none).
	Note string `json:"note,omitempty"`
}

// Skipped is the status of a rule not evaluated.
const Skipped = "skipped"

// Result is the outcome of a check.
type Result struct {
	Dump  string       `json:"dump"`
	Rules []RuleResult `json:"rules"`
	// Errors and Warnings count the violations of error and warning
	// rules, including those beyond the findings listed (More).
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// Skipped counts the rules not evaluated.
	Skipped int `json:"skipped"`
}

// Inputs are the analyses rules are evaluated against.
type Inputs struct {
	Graph  *heap.Graph
	Tree   *dominator.Tree
	Search *paths.Search // strong references only
	// ClassRetained, if set, gives Tree.ClassRetained (from an index);
	// else that is computed when a rule needs it.
	ClassRetained func() []uint64
}

// maxFindings bounds the findings listed per rule, biggest first.
const maxFindings = 10

// Run evaluates the rules the plan does not skip. It fails when a rule
// cannot read what it needs of the dump: a rule evaluated in part could
// pass where the whole would not.
func (p *Plan) Run(in Inputs) (*Result, error) {
	r := &Result{Dump: in.Graph.Source.Path}
	for i := range p.file.Rules {
		rule := &p.file.Rules[i]
		rr := RuleResult{ID: rule.ID, Kind: rule.Kind(), Severity: rule.Severity, Description: strings.TrimSpace(rule.Description), Findings: []Finding{}}
		if p.skip[i] != "" {
			rr.Status, rr.Reason = Skipped, p.skip[i]
			r.Skipped++
			r.Rules = append(r.Rules, rr)
			continue
		}
		c := &checker{in: in, rule: rule}
		switch rule.Kind() {
		case "retained":
			c.retained()
		case "instances":
			c.instances()
		case "path":
			c.path()
		case "accounting":
			c.accounting()
		case "duplicate-classes":
			c.duplicates()
		case "direct-memory":
			c.direct()
		case "finalizer-queue":
			c.finalizerQueue()
		}
		if c.err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.ID, c.err)
		}
		rr.Note = c.note
		rr.More = c.count - len(c.found)
		for _, cand := range c.found {
			fnd := Finding{Rule: rule.ID, Severity: rule.Severity, Message: cand.message, Objects: cand.objects, Path: cand.path}
			if fnd.Objects == nil {
				fnd.Objects = []ObjectRef{} // [] in JSON, as findings are, not null
			}
			if fnd.Path == nil && cand.pathTo != heap.None {
				fnd.Path = c.steps(cand.pathTo)
			}
			rr.Findings = append(rr.Findings, fnd)
		}
		// The totals count every violation, listed or not: a summary
		// saying 10 errors for 40 leaked loaders undersells the leak.
		if rule.Severity == "error" {
			r.Errors += c.count
		} else {
			r.Warnings += c.count
		}
		r.Rules = append(r.Rules, rr)
	}
	return r, nil
}

// candidate is a violation before the biggest are picked.
type candidate struct {
	weight  uint64
	message string
	objects []ObjectRef
	pathTo  heap.ObjectIndex // the object whose root path the finding shows
	path    []Step           // or a path made by the rule itself
}

type checker struct {
	in   Inputs
	rule *Rule
	// found holds the maxFindings biggest violations offered so far,
	// biggest first (ties in the order offered); count counts them all.
	found []candidate
	count int
	// err is what kept the rule from reading the dump; note what the
	// rule could not decide (RuleResult.Note).
	err  error
	note string
}

// offer records a violation of the given weight. Only one among the
// biggest so far is built (by build): a rule may match millions of objects
// (a retained bound on a class with 2 M instances formatted 846 MB of
// messages, a path rule down a linked list built every object's path),
// and only maxFindings are listed.
func (c *checker) offer(weight uint64, build func() candidate) {
	c.count++
	if len(c.found) == maxFindings && weight <= c.found[len(c.found)-1].weight {
		return
	}
	cand := build()
	cand.weight = weight
	i, _ := slices.BinarySearchFunc(c.found, weight, func(a candidate, w uint64) int {
		if a.weight >= w {
			return -1 // after the as big or bigger offered before
		}
		return 1
	})
	c.found = slices.Insert(c.found, i, cand)
	if len(c.found) > maxFindings {
		c.found = c.found[:maxFindings]
	}
}

// classRetained returns every class's retained size.
func (c *checker) classRetained() []uint64 {
	if c.in.ClassRetained != nil {
		return c.in.ClassRetained()
	}
	return c.in.Tree.ClassRetained()
}

func (c *checker) ref(o heap.ObjectIndex) ObjectRef {
	g := c.in.Graph
	return ObjectRef{ID: fmt.Sprintf("0x%x", g.ID(o)), Class: g.ObjectLabel(o, true), Retained: c.in.Tree.Retained(o)}
}

func (c *checker) step(o heap.ObjectIndex, field string) Step {
	g := c.in.Graph
	return Step{Field: field, ID: fmt.Sprintf("0x%x", g.ID(o)), Class: g.ObjectLabel(o, true)}
}

// steps is the shortest strong path from a GC root to o.
func (c *checker) steps(o heap.ObjectIndex) []Step { return c.along(c.in.Search.Path(o), -1, "") }

// along is the steps of path, objects from a GC root on, with the middle
// of a long one left out, unlabelled, as suspects leave it out
// (leaks.Folded): a path rule's findings down a linked list printed
// 400,889 steps each, an 84 MB SARIF file. label, if set, names the
// reference into path[at] (a path rule's through field).
func (c *checker) along(path []heap.ObjectIndex, at int, label string) []Step {
	s := c.in.Search
	out := make([]Step, 0, min(len(path), 2*leaks.StepEnds+1))
	for i, x := range path {
		if left, count := leaks.Folded(i, len(path)); left {
			if count > 0 {
				out = append(out, Step{Elided: int64(count)})
			}
			continue
		}
		field := ""
		switch {
		case i == at && label != "":
			field = label
		case i > 0:
			field = s.Label(path[i-1], x)
		}
		st := c.step(x, field)
		if i == 0 {
			st.GCRoot = s.DescribeRoot(x)
		}
		out = append(out, st)
	}
	return out
}

// classMatch marks the classes whose name matches the pattern.
func (c *checker) classMatch(pattern string) []bool { return classMatch(c.in.Graph, pattern) }

// limit reads a size or a share in bytes. A share is of the reachable
// heap for every rule, accounting's max-excess included: the excess is
// heap an object holds beyond its claim, and a share of the claim would
// allow nothing to an object that claims 0 while holding megabytes.
func (c *checker) limit(s string) uint64 {
	b, pct, _ := ParseLimit(s)
	if pct >= 0 {
		return uint64(pct / 100 * float64(c.in.Tree.ReachableBytes))
	}
	return b
}

func size(b uint64) string { return fmt.Sprintf("%s (%d bytes)", humanBytes(b), b) }

// over says got (as size does) and that it exceeds the bound max: "1.2
// MiB (1234567 bytes), more than 1MB", or, where max is a share of the
// reachable heap, with got's share too ("3.1 MiB (3302272 bytes, 70.93%
// of the reachable heap), more than 10%"), which the message lacked.
func (c *checker) over(got uint64, max string) string {
	if _, pct, _ := ParseLimit(max); pct >= 0 && c.in.Tree.ReachableBytes > 0 {
		return fmt.Sprintf("%s (%d bytes, %.2f%% of the reachable heap), more than %s", humanBytes(got), got, float64(got)*100/float64(c.in.Tree.ReachableBytes), max)
	}
	return size(got) + ", more than " + max
}

func (c *checker) retained() {
	r := c.rule.Retained
	g, t := c.in.Graph, c.in.Tree
	match := retainedMatch(g, r)
	max := c.limit(r.Max)
	if r.Per == "class" {
		c.retainedPerClass(match, max)
		return
	}
	classes := g.ClassArray()
	inner := nestedIn(t, classes, match)
	for o, cl := range classes {
		x := heap.ObjectIndex(o)
		// One that a matching object dominates is part of that one's
		// finding (which retains more still): each node of a linked list
		// of matching objects was a finding, all for the same memory.
		if match[cl] && t.Retained(x) > max && !inner(x) {
			c.offer(t.Retained(x), func() candidate {
				return candidate{pathTo: x, objects: []ObjectRef{c.ref(x)},
					message: fmt.Sprintf("%s 0x%x retains %s", g.ObjectLabel(x, true), g.ID(x), c.over(t.Retained(x), r.Max))}
			})
		}
	}
}

// nestedIn returns a test of whether an object of a matching class (by
// classes, each object's class) dominates x, x itself aside. Each answer
// is kept for the objects met on the way up, which have the same one (none
// of them matches), so each object is walked past once in all: a linked
// list of a million matching nodes takes a million steps, not a million
// squared.
func nestedIn(t *dominator.Tree, classes []heap.ClassIndex, match []bool) func(heap.ObjectIndex) bool {
	known, below := bitset.New(len(classes)), bitset.New(len(classes))
	var chain []int32
	return func(x heap.ObjectIndex) bool {
		chain = append(chain[:0], int32(x))
		nested := false
		for p := t.Idom(x); p >= 0; p = t.Idom(heap.ObjectIndex(p)) {
			if match[classes[p]] {
				nested = true
				break
			}
			if known.Has(p) {
				nested = below.Has(p)
				break
			}
			chain = append(chain, p)
		}
		for _, v := range chain {
			known.Add(v)
			if nested {
				below.Add(v)
			}
		}
		return nested
	}
}

// retainedMatch marks the classes a retained rule names: its class
// pattern, or the classes of its package and subpackages.
func retainedMatch(g *heap.Graph, r *RetainedRule) []bool {
	if r.Package == "" {
		return classMatch(g, r.Class)
	}
	match := make([]bool, len(g.Classes))
	for i, cl := range g.Classes {
		name := strings.TrimLeft(heap.SourceName(cl.Name), "[")
		match[i] = strings.HasPrefix(name, r.Package+".")
	}
	return match
}

// retainedPerClass finds the class names whose objects together retain
// more than max, each name's classes in every loader counted as one.
func (c *checker) retainedPerClass(match []bool, max uint64) {
	g, t := c.in.Graph, c.in.Tree
	groupOf, groups := groupByName(g, match)
	retained := c.groupRetained(groupOf, groups)
	biggest := make([]heap.ObjectIndex, len(groups))
	for i := range biggest {
		biggest[i] = heap.None
	}
	for o, cl := range g.ClassArray() {
		x := heap.ObjectIndex(o)
		if k := groupOf[cl]; k >= 0 && retained[k] > max && (biggest[k] == heap.None || t.Retained(x) > t.Retained(biggest[k])) {
			biggest[k] = x
		}
	}
	for k, o := range biggest { // ties keep the order of the names' first classes
		if o == heap.None {
			continue
		}
		c.offer(retained[k], func() candidate {
			return candidate{pathTo: o, objects: []ObjectRef{c.ref(o)},
				message: fmt.Sprintf("the objects of %s%s retain %s", heap.SourceName(groups[k].name), groups[k].loaded(g), c.over(retained[k], c.rule.Retained.Max))}
		})
	}
}

// instances counts each matching class name's objects over all the
// classes of that name. Class objects count as instances of
// java.lang.Class, as in the histogram.
func (c *checker) instances() {
	r := c.rule.Instances
	g, t := c.in.Graph, c.in.Tree
	groupOf, groups := groupByName(g, c.classMatch(r.Class))
	count := make([]int64, len(groups))
	biggest := make([]heap.ObjectIndex, len(groups))
	for o, cl := range g.ClassArray() {
		k := groupOf[cl]
		if k < 0 {
			continue
		}
		x := heap.ObjectIndex(o)
		if t.Idom(x) == dominator.Unreachable {
			continue // garbage the next GC frees: MAT leaves it out too
		}
		if count[k] == 0 || t.Retained(x) > t.Retained(biggest[k]) {
			biggest[k] = x
		}
		count[k]++
	}
	for k, n := range count {
		if n > r.Max.N {
			c.offer(uint64(n), func() candidate {
				return candidate{pathTo: biggest[k], objects: []ObjectRef{c.ref(biggest[k])},
					message: fmt.Sprintf("%s has %s instances%s, more than %s (the biggest is shown)", heap.SourceName(groups[k].name), humanize.Comma(n), groups[k].loaded(g), humanize.Comma(int64(r.Max.N)))}
			})
		}
	}
}

// path: objects of Class reachable from a GC root through Through: an
// object of the through classes (or their subclasses), other than the
// match itself.
func (c *checker) path() {
	r := c.rule.Path
	g, t, s := c.in.Graph, c.in.Tree, c.in.Search
	named, field := splitThrough(g, r.Through)
	via := withSubclasses(g, named)
	target := c.classMatch(r.Class)
	// Start from what the Y objects (or their field f) refer to, among
	// objects the roots reach: not from a Y object itself, as a match is
	// not reachable through itself.
	classes := g.ClassArray()
	var ys []heap.ObjectIndex
	for o, cl := range classes {
		if y := heap.ObjectIndex(o); via[cl] && s.Reached(y) {
			ys = append(ys, y)
		}
	}
	// What each Y refers to: its references, or its field's value.
	type start struct{ y, x heap.ObjectIndex }
	var starts []start
	fromStatic := map[heap.ObjectIndex]bool{} // class objects whose static field starts a walk
	if field == "" {
		for _, y := range ys {
			s.Successors(y, func(x heap.ObjectIndex) {
				if !g.IsClassObject(x) { // as spread
					starts = append(starts, start{y, x})
				}
			})
		}
	} else {
		// A static field's values: from the class object of the class
		// declaring it, which the roots reach.
		for _, st := range staticFields(g, named, field) {
			y := g.Classes[st.class].Object
			if st.Type != hprof.TypeObject || st.Value == 0 || y == heap.None || !s.Reached(y) {
				continue
			}
			if x := g.Lookup(st.Value); x != heap.None {
				starts = append(starts, start{y, x})
				fromStatic[y] = true
			}
		}
		if !hasInstanceField(g, via, field) {
			ys = nil // a static alone: no record to read
		}
		// The field's values, the records read in one walk of the dump
		// (heap.Graph.EachRecord): there may be millions of Ys (through
		// java.lang.ref.Reference.referent).
		c.err = g.EachRecord(ys, func(y heap.ObjectIndex, rec hprof.SubRecord) error {
			fs, err := g.InstanceFieldsIn(y, rec)
			if err != nil {
				return nil
			}
			for _, f := range fs {
				if f.Name == field && f.Type == hprof.TypeObject && f.Value != 0 {
					if x := g.Lookup(f.Value); x != heap.None {
						starts = append(starts, start{y, x})
					}
				}
			}
			return nil
		})
	}
	isTarget := func(x heap.ObjectIndex) bool { return target[classes[x]] && !g.IsClassObject(x) }
	// Two slots an object, more where they do not decide (see
	// throughWalk.decided).
	var w *throughWalk
	for k := 2; ; k *= 2 {
		w = nil // (the last walk's slots go before the next's are made)
		w = newThroughWalk(g.NumObjects(), k)
		for _, st := range starts {
			w.take(st.x, int32(st.y), -1)
		}
		w.spread(g, s)
		undecided := w.undecided(g, s, isTarget)
		if undecided == 0 {
			break
		}
		if 2*k > min(w.maxSlots, maxWalkSlots) {
			// What the walk flags is so; the matches downstream of the
			// crossings it missed may be so too, and the result says how
			// many: a rule that failed here would fail a CI job on a
			// heap's shape (a list of through objects each holding its
			// owner, whose walks each stop at the next).
			c.note = fmt.Sprintf("%s downstream of objects where more than %d of its through objects' walks cross could not be told reachable through them or not; they are not counted",
				render.Nouns(undecided, "match", "matches"), k)
			break
		}
	}
	for o := range classes {
		x := heap.ObjectIndex(o)
		if !isTarget(x) || !w.reached(x) {
			continue
		}
		c.offer(t.Retained(x), func() candidate {
			tail, y := w.pathTo(x)
			path := s.Path(y)
			label := field
			if fromStatic[y] {
				label = "static " + field
			}
			return candidate{path: c.along(append(path, tail...), len(path), label), objects: []ObjectRef{c.ref(x)},
				message: fmt.Sprintf("%s 0x%x (retaining %s) is reachable through %s", g.ObjectLabel(x, true), g.ID(x), size(t.Retained(x)), r.Through)}
		})
	}
}

// throughWalk is a path rule's walk from what the through objects (Ys)
// refer to (or their field's value), all of them at once. Each object it
// meets is reached by up to k walks whose Ys differ, in slots. A walk
// does not enter its own Y: a match is not reachable through itself, and
// a walk from a Y's field back to the Y (a child's parent field, say)
// would otherwise go on through the Y's other references, which do not
// hold what they reach through the field.
//
// An object with its k slots full that yet another Y's walk comes to
// turns it away (it overflows); with one slot, the first walk to come to
// an object kept any other's from passing (T1 → X → T1 with T2 → X left T1
// unflagged when T1's walk came to X first). A walk turned away matters
// only where every walk kept there stops at its own Y further on (T.f = p,
// z.f = p, p → z, z.g = T and b.f → q1 → q2 → p: p kept T's and z's walks,
// z's stops at z, T's at T, and T, which b reaches, went unflagged with
// two slots). So the walk is taken as it is when no object downstream of
// an overflowing one is a match the walk missed (undecided), and made
// again with twice the slots otherwise, up to maxWalkSlots; past those,
// the rule notes how many matches it could not decide. A list of through
// objects each holding its owner by the field (an owner pointer), the
// owner the list's head, needs as many slots as the list has objects:
// each walk stops at its own object, the next on the list.
type throughWalk struct {
	k        int
	maxSlots int        // the most slots an object may have: k*n fits the slot numbers
	at       []walkSlot // object x's slots are at[x*k : x*k+k], filled from the first
	queue    []int32    // slots to walk on from
	overflow bitset.Set // the objects that turned a walk away
	overflew bool
}

// maxWalkSlots bounds the slots an object has in a throughWalk: 8 bytes
// each, 16 take 3.8 GB for the bench dump's 30 M objects.
const maxWalkSlots = 16

// walkSlot is one walk's arrival at an object: from is 0 for an empty
// slot, -1 for a start (what a Y refers to), else 1 + the slot it came
// from; origin is the walk's Y.
type walkSlot struct{ from, origin int32 }

func newThroughWalk(n, k int) *throughWalk {
	return &throughWalk{k: k, maxSlots: (math.MaxInt32 - 1) / max(n, 1), at: make([]walkSlot, n*k), overflow: bitset.New(n)}
}

// take reaches x from Y y, from slot p (-1 for a start), into a free slot
// if x has none from y yet.
func (w *throughWalk) take(x heap.ObjectIndex, y int32, p int32) {
	if int32(x) == y {
		return // not into its own Y
	}
	slots := w.at[int(x)*w.k : int(x)*w.k+w.k]
	for j := range slots {
		switch {
		case slots[j].from == 0:
			slots[j] = walkSlot{from: -1, origin: y}
			if p >= 0 {
				slots[j].from = 1 + p
			}
			w.queue = append(w.queue, int32(int(x)*w.k+j))
			return
		case slots[j].origin == y:
			return
		}
	}
	w.overflow.Add(int32(x))
	w.overflew = true
}

// spread walks on from the starts through strong references, not
// through class objects (as checker.spread).
func (w *throughWalk) spread(g *heap.Graph, s *paths.Search) {
	for head := 0; head < len(w.queue); head++ {
		p := w.queue[head]
		v := heap.ObjectIndex(int(p) / w.k)
		if g.IsClassObject(v) {
			continue
		}
		y := w.at[p].origin
		s.Successors(v, func(x heap.ObjectIndex) {
			if !g.IsClassObject(x) {
				w.take(x, y, p)
			}
		})
	}
}

// reached reports whether a walk reached x.
func (w *throughWalk) reached(x heap.ObjectIndex) bool { return w.at[int(x)*w.k].from != 0 }

// undecided counts the matches the walk may have missed: those it did
// not reach that lie downstream (through strong references, not class
// objects) of an object that overflowed. An object no overflowing one
// leads to has the walks of all its predecessors, and so its own are all
// the walks that reach it. (A match downstream that no walk could reach
// counts too: the walk cannot tell it from one a walk turned away would.)
func (w *throughWalk) undecided(g *heap.Graph, s *paths.Search, isTarget func(heap.ObjectIndex) bool) int {
	if !w.overflew {
		return 0
	}
	n := 0
	seen := w.overflow // (not needed after)
	var queue []heap.ObjectIndex
	for wd, bits := range seen {
		for ; bits != 0; bits &= bits - 1 {
			queue = append(queue, heap.ObjectIndex(wd<<6+mathbits.TrailingZeros64(bits)))
		}
	}
	for head := 0; head < len(queue); head++ {
		v := queue[head]
		if isTarget(v) && !w.reached(v) {
			n++
		}
		if g.IsClassObject(v) {
			continue
		}
		s.Successors(v, func(x heap.ObjectIndex) {
			if !g.IsClassObject(x) && !seen.Has(int32(x)) {
				seen.Add(int32(x))
				queue = append(queue, x)
			}
		})
	}
	return n
}

// pathTo returns the walk to x in its first slot, from what its Y refers
// to, and the Y.
func (w *throughWalk) pathTo(x heap.ObjectIndex) ([]heap.ObjectIndex, heap.ObjectIndex) {
	p := int32(int(x) * w.k)
	y := heap.ObjectIndex(w.at[p].origin)
	var tail []heap.ObjectIndex
	for {
		tail = append(tail, heap.ObjectIndex(int(p)/w.k))
		f := w.at[p].from
		if f == -1 {
			break
		}
		p = f - 1
	}
	slices.Reverse(tail)
	return tail, y
}

func (c *checker) accounting() {
	r := c.rule.Accounting
	g, t := c.in.Graph, c.in.Tree
	match := withSubclasses(g, classMatch(g, r.Class))
	allowed := c.limit(r.MaxExcess)
	offField, offName := r.offHeap()
	for o, cl := range g.ClassArray() {
		x := heap.ObjectIndex(o)
		if !match[cl] || g.IsClassObject(x) || g.Kind(x) != heap.KindInstance || t.Idom(x) == dominator.Unreachable {
			continue
		}
		f, ok := c.field(x, r.Field)
		if !ok {
			continue
		}
		var claimed int64
		switch f.Type {
		case hprof.TypeLong:
			claimed = int64(f.Value)
		case hprof.TypeInt:
			claimed = int64(int32(f.Value))
		case hprof.TypeShort:
			claimed = int64(int16(f.Value))
		default:
			continue
		}
		ret := t.Retained(x)
		claimed = max(claimed, 0)
		onHeap := uint64(claimed)
		offHeap := offField != "" && c.isConstant(x, offField, offName)
		if offHeap {
			onHeap = 0 // its claim is memory off the heap
		}
		if ret > onHeap+allowed {
			c.offer(ret-onHeap, func() candidate {
				claim := fmt.Sprintf("claims %s in %s", size(uint64(claimed)), r.Field)
				if offHeap {
					claim += fmt.Sprintf(" off the heap (%s), nothing on it,", r.OffHeapWhen)
				}
				return candidate{pathTo: x, objects: []ObjectRef{c.ref(x)},
					message: fmt.Sprintf("%s 0x%x %s but retains %s: %s unaccounted (allowed %s)", g.ObjectLabel(x, true), g.ID(x),
						claim, size(ret), size(ret-onHeap), r.MaxExcess)}
			})
		}
	}
}

// field returns instance x's first field called name (heap.Graph.ReadField),
// and notes in c.err a record that cannot be read: the rule would pass on
// what it could read.
func (c *checker) field(x heap.ObjectIndex, name string) (heap.FieldValue, bool) {
	f, ok, err := c.in.Graph.ReadField(x, name)
	if err != nil && c.err == nil {
		c.err = err
	}
	return f, ok
}

// isConstant reports whether x's reference field is the enum constant
// name, or a String of it.
func (c *checker) isConstant(x heap.ObjectIndex, field, name string) bool {
	g := c.in.Graph
	f, ok := c.field(x, field)
	if !ok || f.Type != hprof.TypeObject || f.Value == 0 {
		return false
	}
	s, ok := g.ConstantName(g.Lookup(f.Value))
	return ok && s == name
}

func (c *checker) duplicates() {
	r := c.rule.DuplicateClasses
	g := c.in.Graph
	match := c.classMatch(r.Class)
	loaders := g.LoadersByName(func(cl heap.ClassIndex) bool {
		k := &g.Classes[cl]
		if !match[cl] || k.Kind != heap.ClassInstance {
			return false
		}
		// A loader the next GC frees is left out, as classloaders does.
		l := g.Lookup(k.LoaderID)
		return k.LoaderID == 0 || l == heap.None || c.in.Tree.Idom(l) != dominator.Unreachable
	})
	for _, name := range slices.Sorted(maps.Keys(loaders)) { // ties keep name order
		ls := loaders[name]
		if int64(len(ls)) <= r.MaxLoaders.N {
			continue
		}
		c.offer(uint64(len(ls)), func() candidate {
			cand := candidate{pathTo: heap.None,
				message: fmt.Sprintf("%s is defined by %d class loaders, more than %d", heap.SourceName(name), len(ls), r.MaxLoaders.N)}
			for _, l := range ls {
				if o := g.Lookup(l); o != heap.None {
					cand.objects = append(cand.objects, c.ref(o))
					if cand.pathTo == heap.None && l != 0 {
						cand.pathTo = o
					}
				}
			}
			return cand
		})
	}
}

// direct sums the capacity of reachable direct byte buffers, each memory
// block once: slices and duplicates (a non-null att) share their parent's.
func (c *checker) direct() {
	r := c.rule.DirectMemory
	// The buffers `leakscan offheap` counts as direct memory (from
	// allocateDirect, or without a Cleaner in application hands, as
	// netty's), each block once however many views share it; not mapped
	// files nor the JDK's own mappings (its lib/modules image is 123 MiB
	// of the JobServer fixture), which MaxDirectMemorySize does not limit.
	rep := leaks.OffHeap(c.in.Graph, c.in.Tree, c.in.Search)
	var held []int32
	if r.Owner != "" {
		held = c.heldBy(c.classMatch(r.Owner))
	}
	// Only strongly reachable ones: a buffer waiting for its Cleaner (no
	// strong path to it; a dump taken without a GC holds such) is freed
	// by the next collection, which the JVM runs before it fails for
	// direct memory. offheap counts those apart too.
	var total, pending uint64
	var buffers []leaks.Buffer // biggest first, as OffHeap gives them
	for _, b := range rep.Buffers {
		if held != nil && held[b.Index] == 0 {
			continue
		}
		if !b.Strong {
			pending += b.Capacity
			continue
		}
		total += b.Capacity
		buffers = append(buffers, b)
	}
	max := c.limit(r.Max)
	if total <= max {
		return
	}
	c.offer(total, func() candidate {
		msg := fmt.Sprintf("%s off the heap %s", render.Nouns(len(buffers), "direct buffer holds", "direct buffers hold"), c.over(total, r.Max))
		if pending > 0 {
			msg += fmt.Sprintf(" (and %s in buffers waiting for their Cleaner, not counted)", size(pending))
		}
		cand := candidate{pathTo: buffers[0].Index, message: msg}
		for i, b := range buffers {
			if i >= maxFindings {
				break
			}
			cand.objects = append(cand.objects, c.ref(b.Index))
		}
		return cand
	})
}

// spread extends queue (objects marked in from as -1) with everything
// they reach through strong references, recording in from each object's
// predecessor plus one. It does not go through class objects: being held
// "through" an object means through its fields and elements, not through
// its class, its loader and every class that loader defined.
func (c *checker) spread(queue []heap.ObjectIndex, from []int32) []heap.ObjectIndex {
	g, s := c.in.Graph, c.in.Search
	for head := 0; head < len(queue); head++ {
		v := queue[head]
		if g.IsClassObject(v) {
			continue
		}
		s.Successors(v, func(w heap.ObjectIndex) {
			if from[w] == 0 && !g.IsClassObject(w) {
				from[w] = int32(v) + 1
				queue = append(queue, w)
			}
		})
	}
	return queue
}

// heldBy marks the objects reachable from objects of matching classes.
func (c *checker) heldBy(match []bool) []int32 {
	g := c.in.Graph
	from := make([]int32, g.NumObjects())
	var queue []heap.ObjectIndex
	for _, o := range g.ObjectsOf(match) {
		if c.in.Search.Reached(o) {
			from[o] = -1
			queue = append(queue, o)
		}
	}
	// A class holds through its static fields too (offheap names such an
	// owner "class X"); spread does not go through class objects, so the
	// statics' objects start the walk.
	for cl, m := range match {
		if !m || !c.in.Search.Reached(g.Classes[cl].Object) {
			continue
		}
		for _, st := range g.Classes[cl].Statics {
			if o := g.Lookup(st.Value); st.Type == hprof.TypeObject && st.Value != 0 && o != heap.None && from[o] == 0 && !g.IsClassObject(o) {
				from[o] = -1
				queue = append(queue, o)
			}
		}
	}
	c.spread(queue, from)
	return from
}

// finalizerQueue counts the objects waiting for finalize(), queued or
// pending (leaks.Finalizers), and what they retain: one finding when
// either is over its bound, listing the biggest of them, with the path to
// the biggest one's Finalizer, and where the finalizer thread is.
func (c *checker) finalizerQueue() {
	r := c.rule.FinalizerQueue
	rep := leaks.Finalizers(c.in.Graph, c.in.Tree)
	queued, qBytes := rep.Totals(leaks.FinalizeQueued)
	pending, pBytes := rep.Totals(leaks.FinalizePending)
	n, retained := queued+pending, qBytes+pBytes
	var over []string
	if r.Max != "" && retained > c.limit(r.Max) {
		over = append(over, "retaining "+c.over(retained, r.Max))
	}
	if r.MaxObjects.Given && n > r.MaxObjects.N {
		over = append(over, fmt.Sprintf("more than %d objects", r.MaxObjects.N))
	}
	if len(over) == 0 {
		return
	}
	c.offer(retained, func() candidate {
		verb := "wait"
		if n == 1 {
			verb = "waits"
		}
		msg := fmt.Sprintf("%s %s for finalize() (%d queued, %d pending): %s", render.Nouns(n, "object", "objects"), verb, queued, pending, strings.Join(over, "; "))
		if r.Max == "" || retained <= c.limit(r.Max) {
			msg += "; retaining " + size(retained)
		}
		if at := rep.Stuck(); at != "" {
			msg += "; the finalizer thread " + at
		}
		cand := candidate{pathTo: heap.None, message: msg}
		if len(rep.Due) > 0 {
			cand.pathTo = rep.Due[0].Finalizer
		}
		for _, w := range rep.Due[:min(len(rep.Due), maxFindings)] {
			cand.objects = append(cand.objects, c.ref(w.Object))
		}
		return cand
	})
}
