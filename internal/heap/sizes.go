package heap

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/hprof"
)

// A heap dump lists the fields a class declares but not how the JVM lays
// them out, nor the fields the VM injects (which HPROF never lists). The
// rules below model HotSpot's layout per JDK release; see the README's
// "Shallow sizes" section for sources and for what cannot be modelled.

// injectedField is a field the VM adds to a class. Kind: 'J' intptr
// (8 bytes on 64-bit, 4 on 32-bit), 'X' long, 'I' int, 'S' short, 'B' byte,
// 'Z' boolean, 'L' reference.
type injectedField struct {
	class    string
	from, to int // JDK releases, inclusive
	kinds    string
}

// javaClasses.hpp *_INJECTED_FIELDS, per release.
var injectedFields = []injectedField{
	{"java.lang.Class", 7, 7, "LLLII"},
	{"java.lang.Class", 8, 8, "JJIILLL"},
	{"java.lang.Class", 9, 99, "JJIILLL"},
	{"java.lang.ClassLoader", 8, 99, "J"},
	{"java.lang.invoke.MemberName", 7, 7, "JL"},
	{"java.lang.invoke.MemberName", 8, 8, "LJJ"},
	{"java.lang.invoke.MemberName", 9, 99, "J"},
	{"java.lang.invoke.ResolvedMethodName", 9, 99, "LJ"},
	{"java.lang.invoke.MethodHandleNatives$CallSiteContext", 9, 16, "J"},
	{"java.lang.invoke.MethodHandleNatives$CallSiteContext", 17, 99, "JX"},
	{"java.lang.StackFrameInfo", 9, 99, "S"},
	{"java.lang.Module", 9, 99, "J"},
	{"java.lang.String", 17, 99, "B"},
	{"java.lang.InternalError", 15, 99, "Z"},
}

// contendedRule marks JDK classes whose fields (or whole class) carry
// @Contended; only classes of the boot loader are affected.
type contendedRule struct {
	class    string
	from, to int
	group    string   // "" = the whole class
	fields   []string // fields of the group
}

var contendedRules = []contendedRule{
	{"java.lang.Thread", 8, 99, "tlr", []string{"threadLocalRandomSeed", "threadLocalRandomProbe", "threadLocalRandomSecondarySeed"}},
	{"java.util.concurrent.atomic.Striped64$Cell", 8, 99, "", nil},
	{"java.util.concurrent.ConcurrentHashMap$CounterCell", 8, 99, "", nil},
	{"java.util.concurrent.Exchanger$Node", 8, 99, "", nil},
	{"java.util.concurrent.ForkJoinPool", 8, 8, "", nil},
	{"java.util.concurrent.ForkJoinPool$WorkQueue", 8, 14, "", nil},
	{"java.util.concurrent.ForkJoinPool", 9, 99, "fjpctl", []string{"ctl"}},
	{"java.util.concurrent.ForkJoinPool$WorkQueue", 15, 99, "w", []string{"top", "source", "nsteals"}},
	{"java.util.concurrent.SubmissionPublisher$BufferedSubscription", 9, 99, "c", []string{"demand", "waiting"}},
}

// oopsFirst lists classes whose offsets HotSpot 6 and 7 hard-coded, laid out
// with references first and no field compaction.
var oopsFirst = map[string]bool{
	"java.lang.AssertionStatusDirectives": true, "java.lang.Class": true, "java.lang.ClassLoader": true,
	"java.lang.ref.Reference": true, "java.lang.ref.SoftReference": true, "java.lang.StackTraceElement": true,
	"java.lang.String": true, "java.lang.Throwable": true, "java.lang.Boolean": true, "java.lang.Character": true,
	"java.lang.Float": true, "java.lang.Double": true, "java.lang.Byte": true, "java.lang.Short": true,
	"java.lang.Integer": true, "java.lang.Long": true,
}

// detectJDK tells the Java release from what the dump's classes declare.
func detectJDK(g *Graph) (int, string) {
	has := func(class, field string) bool {
		for _, c := range g.ClassByName(class) {
			for _, f := range g.Classes[c].Fields {
				if f.Name == field {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has("java.lang.Class", "classData"):
		if has("java.lang.String", "hashIsZero") && len(g.ClassByName("java.lang.Record")) > 0 {
			return 17, "java.lang.Class declares classData and java.lang.Record is loaded: JDK 16 or later, laid out as JDK 17"
		}
		return 15, "java.lang.Class declares classData: JDK 15 or later"
	case len(g.ClassByName("java.lang.Module")) > 0:
		return 11, "java.lang.Module is loaded: JDK 9 to 14, laid out as JDK 11"
	case has("java.lang.Class", "classLoader"):
		return 8, "java.lang.Class declares classLoader but there is no java.lang.Module: JDK 8"
	case has("java.lang.Class", "classValueMap"):
		return 7, "java.lang.Class declares classValueMap: JDK 7"
	}
	return 6, "java.lang.Class declares neither classValueMap nor classLoader: JDK 6 or earlier"
}

// fieldSpecs lists the fields the layout places for class c: declared
// fields, then injected ones.
func (g *Graph) fieldSpecs(c ClassIndex, m Model) (specs []fieldSpec, classContended bool) {
	cl := &g.Classes[c]
	boot := cl.LoaderID == 0
	groups := map[string]string{}
	if boot {
		for _, r := range contendedRules {
			if r.class != cl.Name || m.JDK < r.from || m.JDK > r.to {
				continue
			}
			if r.group == "" {
				classContended = true
			}
			for _, f := range r.fields {
				groups[f] = r.group
			}
		}
	}
	for _, f := range cl.Fields {
		s := fieldSpec{size: f.Type.Size(m.RefSize), oop: f.Type == hprof.TypeObject, group: groups[f.Name]}
		specs = append(specs, s)
	}
	if boot && cl.Name == "java.lang.Throwable" && !slices.ContainsFunc(cl.Fields, func(f Field) bool { return f.Name == "backtrace" }) {
		// The old hprof agent sees fields through JVMTI, which hides
		// Throwable.backtrace; the VM's layout has it all the same.
		specs = append(specs, fieldSpec{size: m.RefSize, oop: true})
	}
	if boot {
		for _, inj := range injectedFields {
			if inj.class != cl.Name || m.JDK < inj.from || m.JDK > inj.to {
				continue
			}
			for _, k := range inj.kinds {
				s := fieldSpec{}
				switch k {
				case 'J':
					s.size = m.WordSize
				case 'X':
					s.size = 8
				case 'I':
					s.size = 4
				case 'S':
					s.size = 2
				case 'B', 'Z':
					s.size = 1
				case 'L':
					s.size, s.oop = m.RefSize, true
				}
				specs = append(specs, s)
			}
		}
	}
	return specs, classContended
}

// sizer computes instance and mirror sizes under one model.
type sizer struct {
	g       *Graph
	m       Model
	layouts []classLayout
	done    []uint8 // 0 new, 1 in progress, 2 done
}

func newSizer(g *Graph, m Model) *sizer {
	return &sizer{g: g, m: m, layouts: make([]classLayout, len(g.Classes)), done: make([]uint8, len(g.Classes))}
}

// layout lays out class c after its supers; a cycle in the super chain
// (a corrupt dump) is cut.
func (s *sizer) layout(c ClassIndex) *classLayout {
	var chain []ClassIndex
	for x := c; x >= 0 && s.done[x] == 0; x = s.g.Classes[x].Super {
		s.done[x] = 1
		chain = append(chain, x)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		x := chain[i]
		var super *classLayout
		if sp := s.g.Classes[x].Super; sp >= 0 && s.done[sp] == 2 {
			super = &s.layouts[sp]
		}
		specs, contended := s.g.fieldSpecs(x, s.m)
		if s.m.JDK <= 7 && oopsFirst[s.g.Classes[x].Name] && s.g.Classes[x].LoaderID == 0 {
			s.layouts[x] = s.m.layoutOopsFirst(super, specs, s.g.Classes[x].Name == "java.lang.Class" && s.m.JDK <= 6)
		} else {
			s.layouts[x] = s.m.layout(super, specs, contended)
		}
		s.done[x] = 2
	}
	if s.done[c] != 2 {
		s.done[c] = 2
		specs, contended := s.g.fieldSpecs(c, s.m)
		s.layouts[c] = s.m.layout(nil, specs, contended)
	}
	return &s.layouts[c]
}

func (s *sizer) instanceSize(c ClassIndex) uint32 {
	cl := &s.g.Classes[c]
	if cl.Kind != ClassInstance {
		return 0
	}
	return uint32(s.layout(c).size)
}

// mirrorSize is the size of the java.lang.Class object of class c: the
// Class instance plus, from JDK 7 on, the class's static fields.
func (s *sizer) mirrorSize(c ClassIndex) uint32 {
	base := 0
	if cc := s.g.ClassClass; cc >= 0 {
		base = s.layout(cc).size
	} else {
		base = s.m.objectSize(s.m.HeaderSize)
	}
	if s.m.JDK <= 6 {
		return uint32(base)
	}
	var oops int
	var prims []int
	for _, st := range s.g.Classes[c].Statics {
		if strings.HasPrefix(st.Name, "<") {
			continue // dumper pseudo-fields such as <resolved_references>
		}
		if st.Type == hprof.TypeObject {
			oops++
		} else {
			prims = append(prims, st.Type.Size(s.m.IDSize))
		}
	}
	if s.m.newFieldLayout() {
		var l blockList
		l.first = &block{off: 0, size: base, kind: blockReserved}
		l.last = &block{off: base, size: infinite, kind: blockEmpty, prev: l.first}
		l.first.next = l.last
		for range oops {
			if l.last.off%s.m.RefSize != 0 {
				l.insert(l.last, s.m.RefSize-l.last.off%s.m.RefSize, blockEmpty)
			}
			l.insert(l.last, s.m.RefSize, blockUsed)
		}
		// HotSpot's static layout starts at its last block, so statics are
		// appended in order of size and never fill alignment holes.
		sortDesc(prims)
		l.add(prims, l.last)
		return uint32(s.m.objectSize(l.last.off))
	}
	end := base + oops*s.m.RefSize
	var longs, ints, shorts, bytes int
	for _, p := range prims {
		switch p {
		case 8:
			longs++
		case 4:
			ints++
		case 2:
			shorts++
		default:
			bytes++
		}
	}
	if longs > 0 {
		end = alignUp(end, 8)
	}
	end += longs*8 + ints*4 + shorts*2 + bytes
	return uint32(s.m.objectSize(end))
}

func sortDesc(s []int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] > s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// layoutOopsFirst is FieldsAllocationStyle 0 without compaction, which
// HotSpot 6 and 7 used for classes with hard-coded field offsets. On JDK 6,
// java.lang.Class also has three hidden references before its own.
func (m Model) layoutOopsFirst(super *classLayout, fields []fieldSpec, fakeClassOops bool) classLayout {
	first := m.HeaderSize
	if super != nil {
		first = max(first, super.legacyFieldEnd)
	}
	var longs, ints, shorts, bytes, oops int
	for _, f := range fields {
		switch {
		case f.oop:
			oops++
		case f.size == 8:
			longs++
		case f.size == 4:
			ints++
		case f.size == 2:
			shorts++
		default:
			bytes++
		}
	}
	if fakeClassOops {
		oops += 3
	}
	next := alignUp(first, m.RefSize) + oops*m.RefSize
	if longs > 0 {
		next = alignUp(next, 8)
	}
	next += longs*8 + ints*4 + shorts*2 + bytes
	out := classLayout{end: next, hasFields: next > first}
	out.legacyFieldEnd = alignUp(next, m.RefSize)
	out.size = m.objectSize(out.legacyFieldEnd)
	return out
}

// unsafeArrayLayout reads the JVM's own statement of its array layout:
// the static ints sun.misc.Unsafe (JDK 5-8) and jdk.internal.misc.Unsafe
// (JDK 9+) initialise from arrayIndexScale and arrayBaseOffset.
func (g *Graph) unsafeArrayLayout() (scale, base int, where string, ok bool) {
	for _, name := range []string{"jdk.internal.misc.Unsafe", "sun.misc.Unsafe"} {
		for _, c := range g.ClassByName(name) {
			scale, base = -1, -1
			for _, st := range g.Classes[c].Statics {
				switch st.Name {
				case "ARRAY_OBJECT_INDEX_SCALE":
					scale = int(int32(st.Value))
				case "ARRAY_OBJECT_BASE_OFFSET":
					base = int(int32(st.Value))
				}
			}
			if (scale == 4 || scale == 8) && base > 0 {
				return scale, base, name, true
			}
		}
	}
	return 0, 0, "", false
}

// objectShape is what the size of one object depends on; a sample of
// address-adjacent objects decides the model.
type objectShape struct {
	id       uint64
	tag      hprof.SubTag
	classID  uint64
	length   uint32
	elemType hprof.BasicType
}

const modelSamples = 1 << 18

// CompressedOopsMode is the user's choice for --compressed-oops.
type CompressedOopsMode int

// Choices for Options.CompressedOops.
const (
	OopsAuto CompressedOopsMode = iota
	OopsOn
	OopsOff
)

const guessPrefix = "object sizes rest on a guess: "

// IsGuessWarning reports whether w, one of Graph.Warnings or
// Census.Warnings, says the object layout was guessed. The census's parse
// and the graph's guess on other evidence, and so say it in other words.
func IsGuessWarning(w string) bool { return strings.HasPrefix(w, guessPrefix) }

// decideModel sets g's layout (chooseModel) and why, after detectJDK; a
// layout the dump gives no evidence for is also a warning: the reason is
// otherwise shown by info alone, and every size would be off by up to 2x
// without a word (the old hprof agent's dumps of 64-bit JVMs).
func (g *Graph) decideModel(samples []objectShape, shift uint, mode CompressedOopsMode) {
	jdk, jdkReason := detectJDK(g)
	var guessed bool
	g.Model, g.ModelReason, guessed = g.chooseModel(samples, shift, jdk, mode)
	if guessed {
		g.Warnings = append(g.Warnings, guessPrefix+g.ModelReason)
	}
	g.ModelReason = jdkReason + "; " + g.ModelReason
}

// chooseModel decides pointer sizes. HotSpot ids are addresses, and
// objects allocated one after another sit next to each other, so the gap
// between the ids of consecutive objects is the first one's size: the
// model under which most gaps equal the computed size wins. guessed says
// that nothing in the dump decided it.
func (g *Graph) chooseModel(samples []objectShape, shift uint, jdk int, mode CompressedOopsMode) (m Model, why string, guessed bool) {
	idSize := g.Source.Header.IDSize
	alignment := 8
	addresses := shift >= 3
	if addresses && shift > 3 && shift <= 8 {
		alignment = 1 << shift
	}
	m32 := Model{IDSize: idSize, RefSize: 4, HeaderSize: 8, WordSize: 4, Alignment: alignment, JDK: jdk}
	compressed := Model{IDSize: idSize, RefSize: 4, HeaderSize: 12, WordSize: 8, Alignment: alignment, JDK: jdk}
	wide := Model{IDSize: idSize, RefSize: 8, HeaderSize: 16, WordSize: 8, Alignment: alignment, JDK: jdk}
	wideCCP := Model{IDSize: idSize, RefSize: 8, HeaderSize: 12, WordSize: 8, Alignment: alignment, JDK: jdk}
	var candidates []Model
	switch {
	case idSize == 4 && addresses && mode != OopsAuto:
		// A 64-bit JVM writes 8-byte ids, compressed oops or not.
		g.Warnings = append(g.Warnings, fmt.Sprintf("--compressed-oops=%s left aside: the dump has 4-byte identifiers, a 32-bit JVM's, whose references are 4 bytes and object headers 8", map[CompressedOopsMode]string{OopsOn: "on", OopsOff: "off"}[mode]))
		return m32, "32-bit JVM: 4-byte identifiers (--compressed-oops left aside)", false
	case mode == OopsOn:
		return compressed, "compressed oops: set with --compressed-oops=on", false
	case mode == OopsOff && jdk >= 15:
		return wideCCP, "no compressed oops (compressed class pointers kept, as JDK 15+ does): set with --compressed-oops=off", false
	case mode == OopsOff:
		return wide, "no compressed oops: set with --compressed-oops=off", false
	case idSize == 4 && addresses:
		return m32, "32-bit JVM: 4-byte identifiers", false
	case !addresses:
		candidates = nil // only the Unsafe statics can tell
	case jdk >= 15:
		candidates = []Model{compressed, wideCCP, wide}
	default:
		candidates = []Model{compressed, wide}
	}
	if scale, base, where, ok := g.unsafeArrayLayout(); ok {
		why := fmt.Sprintf("%s.ARRAY_OBJECT_INDEX_SCALE = %d and ARRAY_OBJECT_BASE_OFFSET = %d", where, scale, base)
		switch {
		case scale == 4 && base == 12:
			return m32, why + ": a 32-bit JVM", false
		case scale == 4:
			return compressed, why + ": compressed oops", false
		case scale == 8 && base == 16:
			return wideCCP, why + ": no compressed oops, compressed class pointers", false
		case scale == 8:
			return wide, why + ": no compressed oops", false
		}
	}
	names := map[Model]string{compressed: "compressed oops", wide: "no compressed oops", wideCCP: "no compressed oops with compressed class pointers"}
	best, bestExact, bestOver, pairs := 0, -1, 0, 0
	var scores []string
	for ci, m := range candidates {
		sz := newSizer(g, m)
		exact, over := 0, 0
		pairs = 0
		for k := 0; k+1 < len(samples); k++ {
			a, b := samples[k], samples[k+1]
			if b.id <= a.id {
				continue
			}
			gap := b.id - a.id
			var size uint64
			switch a.tag {
			case hprof.SubInstanceDump:
				c, ok := g.classIndexByID(a.classID)
				if !ok {
					continue
				}
				size = uint64(sz.instanceSize(c))
			case hprof.SubObjArrayDump:
				size = m.ArraySize(m.RefSize, a.length)
			default:
				size = m.ArraySize(a.elemType.Size(idSize), a.length)
			}
			pairs++
			if size == gap {
				exact++
			} else if size > gap {
				over++
			}
		}
		scores = append(scores, fmt.Sprintf("%s %d exact/%d too big", names[m], exact, over))
		if exact > bestExact || (exact == bestExact && over < bestOver) {
			best, bestExact, bestOver = ci, exact, over
		}
	}
	if len(candidates) == 0 {
		if idSize == 4 {
			return agentModel(findVMHint(g.File, g.File.Size(), jdk <= 6), m32, compressed, wide)
		}
		return compressed, "identifiers are not addresses and there are no Unsafe array statics: assumed compressed oops (HotSpot's default below 32 GB of heap); use --compressed-oops=off to override", true
	}
	if bestExact <= 0 {
		return compressed, fmt.Sprintf("no adjacent objects to measure (%d pairs): assumed compressed oops; use --compressed-oops=off to override", pairs), true
	}
	return candidates[best], fmt.Sprintf("%s: of %d address-adjacent object pairs, %s", names[candidates[best]], pairs, strings.Join(scores, ", ")), false
}

// agentModel chooses the layout of an old hprof agent's dump (4-byte ids
// that are not addresses, no Unsafe statics) by what its system
// properties say of the JVM (findVMHint). A 32-bit JVM's name decides;
// a 64-bit one's leaves compressed oops to be guessed, from HotSpot's
// default for the release: on from JDK 6 update 23 below 32 GB of heap.
// (The shared dumps of the agent on 6u31 with and without compressed oops
// say "Java HotSpot(TM) 64-Bit Server VM" alike.)
func agentModel(h vmHint, m32, compressed, wide Model) (Model, string, bool) {
	const base = "4-byte identifiers that are not addresses (the old hprof agent) and no Unsafe array statics"
	switch {
	case h.bits == 32:
		return m32, fmt.Sprintf("%s; java.vm.name %q: a 32-bit JVM", base, h.name), false
	case h.bits == 64 && (strings.HasPrefix(h.version, "1.5.") || strings.HasPrefix(h.version, "1.6.") && h.update >= 0 && h.update < 23):
		return wide, fmt.Sprintf("%s; java.vm.name %q, release %s: a 64-bit JVM from before compressed oops were HotSpot's default (6u23): assumed without them; use --compressed-oops=on if it ran with them", base, h.name, h.version), true
	case h.bits == 64:
		return compressed, fmt.Sprintf("%s; java.vm.name %q: a 64-bit JVM, assumed with compressed oops (HotSpot's default from 6u23 below 32 GB of heap); use --compressed-oops=off if it ran without", base, h.name), true
	}
	return m32, base + ", and no java.vm.name found: assumed a 32-bit JVM; use --compressed-oops=on|off for a 64-bit one", true
}
