package heap

import (
	"sort"
)

// Model describes how the JVM that wrote a dump lays objects out, which is
// what turns HPROF's field bytes into the shallow sizes the JVM itself
// reports (jmap -histo, jcmd GC.class_histogram).
type Model struct {
	IDSize int // bytes per identifier in the dump: 4 (32-bit JVM) or 8
	// RefSize is the size of a reference field (HotSpot's heapOopSize):
	// 4 with compressed oops or on 32-bit JVMs, 8 otherwise.
	RefSize int
	// HeaderSize is the instance header: mark word plus class pointer
	// (8 on 32-bit JVMs, 12 with compressed class pointers, 16 without).
	HeaderSize int
	WordSize   int // 4 or 8
	Alignment  int // ObjectAlignmentInBytes, 8 by default
	// JDK is the Java feature release the layout rules are taken from
	// (6, 7, 8, 9, 11, 15, 17, ...); what the dump tells, see detectJDK.
	JDK int
}

// CompressedOops reports whether references are 4 bytes on a 64-bit JVM.
func (m Model) CompressedOops() bool { return m.WordSize == 8 && m.RefSize == 4 }

// CompressedClassPointers reports whether the class pointer is 4 bytes on
// a 64-bit JVM.
func (m Model) CompressedClassPointers() bool { return m.WordSize == 8 && m.HeaderSize == 12 }

// newFieldLayout reports whether instance fields follow JDK 15's
// FieldLayoutBuilder (JDK-8237767) rather than the older classFileParser
// rules.
func (m Model) newFieldLayout() bool { return m.JDK >= 15 }

// alignUp rounds n up to a multiple of a, a power of two (every size and
// alignment a layout uses is one): a mask, not a division, as pass B sizes
// millions of arrays with it.
func alignUp(n, a int) int { return (n + a - 1) &^ (a - 1) }

// arrayBase is the offset of the first element of an array whose elements
// take elemSize bytes.
func (m Model) arrayBase(elemSize int) int {
	header := alignUp(m.HeaderSize+4, m.WordSize) // the length follows the header
	if elemSize == 8 {
		header = alignUp(header, 8)
	}
	return header
}

// ArraySize is the shallow size of an array of n elements of elemSize bytes.
func (m Model) ArraySize(elemSize int, n uint32) uint64 {
	a := uint64(max(m.Alignment, m.WordSize))
	s := uint64(m.arrayBase(elemSize)) + uint64(n)*uint64(elemSize)
	return (s + a - 1) &^ (a - 1)
}

func (m Model) objectSize(end int) int {
	return alignUp(alignUp(end, m.WordSize), max(m.Alignment, m.WordSize))
}

// fieldSpec is a field as the layout sees it.
type fieldSpec struct {
	size  int
	oop   bool
	group string // @Contended group ("" = none)
}

// classLayout is the result of laying out one class's instance fields.
type classLayout struct {
	// placed lists every instance field of the class and its supers as
	// [offset, offset+size) extents, for subclasses to build on (JDK 15+).
	placed []extent
	// end is the end of the last field or padding, before rounding.
	end int
	// legacyFieldEnd is the end of the fields rounded up to RefSize: where
	// a subclass's fields start under the pre-JDK-15 rules.
	legacyFieldEnd int
	hasFields      bool
	// contended is HotSpot's has_contended_annotations: the class or a
	// super has @Contended fields or is @Contended itself.
	contended bool
	size      int // instance size in bytes
}

type extent struct{ off, size int }

// contendedPadding is HotSpot's ContendedPaddingWidth default.
const contendedPadding = 128

func (m Model) layout(super *classLayout, fields []fieldSpec, classContended bool) classLayout {
	if m.newFieldLayout() {
		return m.layoutNew(super, fields, classContended)
	}
	return m.layoutLegacy(super, fields, classContended)
}

// ---- JDK 15+ (FieldLayoutBuilder) ----

type blockKind uint8

const (
	blockReserved blockKind = iota
	blockUsed
	blockEmpty
	blockPadding
)

type block struct {
	off, size  int
	kind       blockKind
	prev, next *block
}

const infinite = 1 << 40

type blockList struct {
	first, last *block
}

// insert places a block of size n and kind k at the front of the empty
// block slot, which shrinks (and goes when it reaches size 0).
func (l *blockList) insert(slot *block, n int, k blockKind) *block {
	b := &block{off: slot.off, size: n, kind: k, prev: slot.prev, next: slot}
	slot.off += n
	slot.size -= n
	if slot.prev != nil {
		slot.prev.next = b
	} else {
		l.first = b
	}
	slot.prev = b
	if slot.size == 0 && slot != l.last {
		b.next = slot.next
		slot.next.prev = b
	}
	return b
}

func fits(b *block, size, align int) bool {
	adj := 0
	if b.off%align != 0 {
		adj = align - b.off%align
	}
	return b.size >= size+adj
}

// add places fields one by one (HotSpot's FieldLayout::add): best-fit into
// an empty block above start, else appended at the end.
func (l *blockList) add(sizes []int, start *block) {
	lastSize, lastFailed := -1, false
	for _, size := range sizes {
		var cand *block
		switch {
		case start == l.last:
			cand = l.last
		case size == lastSize && lastFailed:
			cand = l.last
		default:
			lastSize, lastFailed = size, false
			for c := l.last.prev; c != nil && c != start; c = c.prev {
				if c.kind == blockEmpty && fits(c, size, size) && (cand == nil || c.size < cand.size) {
					cand = c
				}
			}
			if cand == nil {
				cand, lastFailed = l.last, true
			}
		}
		if cand.off%size != 0 {
			l.insert(cand, size-cand.off%size, blockEmpty)
		}
		l.insert(cand, size, blockUsed)
	}
}

func (m Model) layoutNew(super *classLayout, fields []fieldSpec, classContended bool) classLayout {
	var l blockList
	var start *block
	if super == nil {
		hdr := &block{off: 0, size: m.HeaderSize, kind: blockReserved}
		l.last = &block{off: m.HeaderSize, size: infinite, kind: blockEmpty, prev: hdr}
		hdr.next = l.last
		l.first = hdr
		start = hdr
	} else {
		// Rebuild the super's layout: header, inherited fields, holes.
		fill := blockEmpty
		if super.contended {
			fill = blockPadding
		}
		l.first = &block{off: 0, size: m.HeaderSize, kind: blockReserved}
		tail := l.first
		appendBlock := func(b *block) {
			b.prev = tail
			tail.next = b
			tail = b
		}
		for _, e := range super.placed {
			if gap := e.off - (tail.off + tail.size); gap > 0 {
				appendBlock(&block{off: tail.off + tail.size, size: gap, kind: fill})
			}
			appendBlock(&block{off: e.off, size: e.size, kind: blockUsed})
		}
		if super.contended {
			appendBlock(&block{off: tail.off + tail.size, size: contendedPadding, kind: blockPadding})
		}
		l.last = &block{off: tail.off + tail.size, size: infinite, kind: blockEmpty}
		appendBlock(l.last)
		if !super.contended || !super.hasFields {
			start = l.first
		} else {
			start = l.last
		}
	}
	var rootPrims, rootOops []int
	type group struct{ prims, oops []int }
	var groups []*group
	byName := map[string]*group{}
	for i, f := range fields {
		list := &rootPrims
		if f.oop {
			list = &rootOops
		}
		if f.group != "" {
			key := f.group
			if key == "\x00" {
				key = string(rune(i)) + "\x00" // an untagged @Contended field is a group of its own
			}
			g := byName[key]
			if g == nil {
				g = &group{}
				byName[key] = g
				groups = append(groups, g)
			}
			list = &g.prims
			if f.oop {
				list = &g.oops
			}
		}
		*list = append(*list, f.size)
	}
	desc := func(s []int) { sort.SliceStable(s, func(i, j int) bool { return s[i] > s[j] }) }
	desc(rootPrims)
	tailPadding := false
	if classContended {
		start = l.last
		l.insert(l.last, contendedPadding, blockPadding)
		tailPadding = true
	}
	l.add(rootPrims, start)
	l.add(rootOops, start)
	for _, g := range groups {
		desc(g.prims)
		s := l.last
		l.insert(l.last, contendedPadding, blockPadding)
		l.add(g.prims, s)
		l.add(g.oops, s)
		tailPadding = true
	}
	if tailPadding {
		l.insert(l.last, contendedPadding, blockPadding)
	}
	out := classLayout{end: l.last.off, contended: classContended || len(groups) > 0 || (super != nil && super.contended)}
	for b := l.first; b != nil; b = b.next {
		if b.kind == blockUsed {
			out.placed = append(out.placed, extent{b.off, b.size})
		}
	}
	out.hasFields = len(out.placed) > 0
	out.size = m.objectSize(out.end)
	out.legacyFieldEnd = alignUp(out.end, m.RefSize)
	return out
}

// ---- JDK 6–14 (classFileParser::layout_fields, FieldsAllocationStyle=1,
// CompactFields) ----

func (m Model) layoutLegacy(super *classLayout, fields []fieldSpec, classContended bool) classLayout {
	first := m.HeaderSize
	if super != nil {
		first = max(first, super.legacyFieldEnd)
	}
	var longs, ints, shorts, bytes, oops int
	var contended []fieldSpec
	for _, f := range fields {
		if f.group != "" {
			contended = append(contended, f)
			continue
		}
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
	next := first
	if classContended {
		next += contendedPadding
	}
	if longs > 0 && next%8 != 0 {
		// CompactFields: fill the gap before the first long.
		gap := alignUp(next, 8) - next
		if ints > 0 && gap >= 4 {
			ints--
			gap -= 4
		}
		for gap >= 2 && shorts > 0 {
			shorts--
			gap -= 2
		}
		for gap > 0 && bytes > 0 {
			bytes--
			gap--
		}
		if gap >= m.RefSize && oops > 0 {
			oops--
		}
		next = alignUp(next, 8)
	}
	next += longs*8 + ints*4 + shorts*2 + bytes
	if oops > 0 {
		next = alignUp(next, m.RefSize) + oops*m.RefSize
	}
	if len(contended) > 0 {
		// JDK 8: every contended group is padded in front; the whole lot once
		// more at the back.
		groups := map[string]bool{}
		sort.SliceStable(contended, func(i, j int) bool { return contended[i].size > contended[j].size })
		for _, f := range contended {
			if f.group == "\x00" || !groups[f.group] {
				groups[f.group] = true
				next += contendedPadding
			}
			next = alignUp(next, f.size) + f.size
		}
		next += contendedPadding
	}
	if classContended {
		next += contendedPadding
	}
	out := classLayout{end: next, hasFields: next > first || (super != nil && super.hasFields)}
	out.contended = classContended || len(contended) > 0 || (super != nil && super.contended)
	out.legacyFieldEnd = alignUp(next, m.RefSize)
	out.size = m.objectSize(out.legacyFieldEnd)
	return out
}
