package heap

import (
	"strings"

	"github.com/leakscan/leakscan/internal/hprof"
)

// ClassKind distinguishes instance classes from array classes.
type ClassKind uint8

// Class kinds.
const (
	ClassInstance ClassKind = iota
	ClassObjectArray
	ClassPrimitiveArray
)

// Field is a declared instance field.
type Field struct {
	Name string
	Type hprof.BasicType
}

// Static is a static field with the raw bits of its value (an id for
// object fields). Names in angle brackets (<resolved_references>) are
// pseudo-fields the dumper adds.
type Static struct {
	Name  string
	Type  hprof.BasicType
	Value uint64
}

// Class is a loaded class, or a stand-in for one the dump does not
// describe (ID 0).
type Class struct {
	// Name is the JVM's name with dots: "java.lang.String", "[I",
	// "[Ljava.lang.Object;". See SourceName for "int[]".
	Name     string
	ID       uint64      // class object id; 0 for a stand-in
	Object   ObjectIndex // the class object, or None
	Super    ClassIndex  // -1 for none
	LoaderID uint64      // 0 for the bootstrap loader
	// SignersID and ProtectionDomainID are what the CLASS DUMP names.
	SignersID, ProtectionDomainID uint64
	Kind                          ClassKind
	ElemType                      hprof.BasicType // primitive array classes
	Fields                        []Field         // own instance fields, in record order
	Statics                       []Static
	// InstanceSize is the JVM's size of an instance; 0 for array classes.
	InstanceSize uint32
	// MirrorSize is the size of the class object itself.
	MirrorSize uint32

	recordSize     int      // bytes of an INSTANCE DUMP body: own and inherited fields
	refOffsets     []uint32 // reference fields' offsets in that body, record order
	referentOffset int32    // java.lang.ref.Reference.referent's offset, or -1
}

// SourceName returns the name as Java source writes it: "int[]",
// "java.lang.Object[][]", "java.util.HashMap$Node".
func SourceName(jvm string) string {
	dims := 0
	for dims < len(jvm) && jvm[dims] == '[' {
		dims++
	}
	if dims == 0 {
		return jvm
	}
	elem := jvm[dims:]
	switch elem {
	case "Z":
		elem = "boolean"
	case "C":
		elem = "char"
	case "F":
		elem = "float"
	case "D":
		elem = "double"
	case "B":
		elem = "byte"
	case "S":
		elem = "short"
	case "I":
		elem = "int"
	case "J":
		elem = "long"
	default:
		if strings.HasPrefix(elem, "L") && strings.HasSuffix(elem, ";") {
			elem = elem[1 : len(elem)-1]
		}
	}
	return elem + strings.Repeat("[]", dims)
}

// IsSubclassOf reports whether class c is ancestor or a subclass of it.
func (g *Graph) IsSubclassOf(c, ancestor ClassIndex) bool {
	for steps := 0; c >= 0 && steps < len(g.Classes); steps++ {
		if c == ancestor {
			return true
		}
		c = g.Classes[c].Super
	}
	return false
}

// ClassByName returns the classes with the given JVM name (several class
// loaders may define one name).
func (g *Graph) ClassByName(name string) []ClassIndex {
	var out []ClassIndex
	for i := range g.Classes {
		if g.Classes[i].Name == name {
			out = append(out, ClassIndex(i))
		}
	}
	return out
}

// AllFields returns the instance fields of class c and its supers in
// INSTANCE DUMP order (own first), with each field's offset in the record.
func (g *Graph) AllFields(c ClassIndex) (fields []Field, offsets []int) {
	off := 0
	for steps := 0; c >= 0 && steps < len(g.Classes); steps++ {
		for _, f := range g.Classes[c].Fields {
			fields = append(fields, f)
			offsets = append(offsets, off)
			off += f.Type.Size(g.Model.IDSize)
		}
		c = g.Classes[c].Super
	}
	return fields, offsets
}

// jvmName turns a LOAD CLASS name into the JVM's dotted form: HotSpot
// writes "java/lang/String" and "[Ljava/lang/Object;", the old hprof agent
// "java.lang.Object[]" and "int[]".
func jvmName(s string) string {
	s = strings.ReplaceAll(s, "/", ".")
	// Hidden classes (lambdas, JDK 15+) are "Outer$$Lambda$60+0x0000000100..."
	// inside HotSpot; Class.getName() and the JVM's histograms say
	// "Outer$$Lambda$60/0x0000000100...".
	if i := strings.LastIndex(s, "+0x"); i > 0 {
		s = s[:i] + "/" + s[i+1:]
	}
	dims := 0
	for strings.HasSuffix(s, "[]") {
		s = s[:len(s)-2]
		dims++
	}
	if dims == 0 {
		return s
	}
	elem := "L" + s + ";"
	switch s {
	case "boolean":
		elem = "Z"
	case "char":
		elem = "C"
	case "float":
		elem = "F"
	case "double":
		elem = "D"
	case "byte":
		elem = "B"
	case "short":
		elem = "S"
	case "int":
		elem = "I"
	case "long":
		elem = "J"
	}
	return strings.Repeat("[", dims) + elem
}

// LoadersByName returns, per class name, the class loaders (by id, each
// once, in class order) that define a class of that name, among the
// classes with a class object that keep accepts. The loaders are found in
// a set, not by a search of each name's list: 5,000 loaders that each
// define the same 200 classes took 40 s so.
func (g *Graph) LoadersByName(keep func(ClassIndex) bool) map[string][]uint64 {
	type defined struct {
		name   string
		loader uint64
	}
	seen := map[defined]bool{}
	out := map[string][]uint64{}
	for i := range g.Classes {
		c := &g.Classes[i]
		if k := (defined{c.Name, c.LoaderID}); c.ID != 0 && keep(ClassIndex(i)) && !seen[k] {
			seen[k] = true
			out[c.Name] = append(out[c.Name], c.LoaderID)
		}
	}
	return out
}
