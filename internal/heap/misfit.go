package heap

import "fmt"

// misfits counts the instances that do not fit their class: a class id no
// CLASS DUMP has, or field bytes other than their class's fields (its own
// and its superclasses') take. A damaged dump has them (a field's type
// changed, a superclass lost), and their references are then misread: a
// reference taken from the wrong bytes names no object, or another one.
// Each kind keeps its first instance, the one with the lowest offset.
type misfits struct {
	unknown, odd     int64
	unknownAt, oddAt int64 // the first's INSTANCE DUMP offset
	unknownClass     uint64
	oddClass         ClassIndex
	oddLength        uint32
}

// instance counts n instances of class id (index c, ok when the dump has
// its CLASS DUMP) with length field bytes, the first at offset at.
func (m *misfits) instance(g *Graph, id uint64, c ClassIndex, ok bool, length uint32, n, at int64) {
	switch {
	case !ok:
		if m.unknown == 0 || at < m.unknownAt {
			m.unknownAt, m.unknownClass = at, id
		}
		m.unknown += n
	case int(length) != g.Classes[c].recordSize:
		if m.odd == 0 || at < m.oddAt {
			m.oddAt, m.oddClass, m.oddLength = at, c, length
		}
		m.odd += n
	}
}

// merge adds o's counts to m's.
func (m *misfits) merge(g *Graph, o misfits) {
	if o.unknown > 0 {
		m.instance(g, o.unknownClass, 0, false, 0, o.unknown, o.unknownAt)
	}
	if o.odd > 0 {
		m.instance(g, 0, o.oddClass, true, o.oddLength, o.odd, o.oddAt)
	}
}

// warn adds g's warnings for them.
func (m *misfits) warn(g *Graph) {
	if m.unknown > 0 {
		g.Warnings = append(g.Warnings, fmt.Sprintf("%s a class that the dump has no CLASS DUMP of (the first: the INSTANCE DUMP at offset %d, class id 0x%x): counted as <unknown class>, references unread",
			instancesDo(m.unknown, "names", "name"), m.unknownAt, m.unknownClass))
	}
	if m.odd > 0 {
		c := &g.Classes[m.oddClass]
		g.Warnings = append(g.Warnings, fmt.Sprintf("%s other than the bytes its class's fields take (the first: the INSTANCE DUMP at offset %d, a %s of %d bytes where its fields and its superclasses' take %d; a damaged dump): references may be misread",
			instancesDo(m.odd, "holds", "hold"), m.oddAt, c.Name, m.oddLength, c.recordSize))
	}
}

// instancesDo says n instances do something: "1 instance holds", "2
// instances hold".
func instancesDo(n int64, one, many string) string {
	if n == 1 {
		return "1 instance " + one
	}
	return fmt.Sprintf("%d instances %s", n, many)
}
