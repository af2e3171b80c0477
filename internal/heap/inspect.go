package heap

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/leakscan/leakscan/internal/hprof"
)

// FieldValue is one instance field of an object with its value's raw bits
// (an id for reference fields).
type FieldValue struct {
	Name  string
	Type  hprof.BasicType
	Value uint64
	// Declaring is the class that declares the field.
	Declaring ClassIndex
}

// Record reads object i's sub-record from the dump. Its Body is valid
// until the next read.
func (g *Graph) Record(i ObjectIndex) (hprof.SubRecord, error) {
	off := g.RecordOffset(i)
	if off < 0 {
		return hprof.SubRecord{}, fmt.Errorf("object %d: record not found", i)
	}
	f, err := g.file()
	if err != nil {
		return hprof.SubRecord{}, err
	}
	g.reading.RLock() // no ReleaseFile unmaps the dump meanwhile
	defer g.reading.RUnlock()
	return f.RecordAt(off)
}

// WithRecord calls fn with object i's sub-record, decoded in place where
// the dump is mapped: Body is valid only while fn runs, which holds off
// ReleaseFile (so fn must not read records itself).
func (g *Graph) WithRecord(i ObjectIndex, fn func(hprof.SubRecord) error) error {
	off := g.RecordOffset(i)
	if off < 0 {
		return fmt.Errorf("object %d: record not found", i)
	}
	f, err := g.file()
	if err != nil {
		return err
	}
	g.reading.RLock() // the record lies in the mapping until fn returns
	defer g.reading.RUnlock()
	return f.WithRecordAt(off, fn)
}

// InstanceFields reads the field values of instance i, own class first.
func (g *Graph) InstanceFields(i ObjectIndex) ([]FieldValue, error) {
	rec, err := g.Record(i)
	if err != nil {
		return nil, err
	}
	return g.InstanceFieldsIn(i, rec)
}

// InstanceFieldsIn is InstanceFields with instance i's record already
// read (by EachRecord, say).
func (g *Graph) InstanceFieldsIn(i ObjectIndex, rec hprof.SubRecord) ([]FieldValue, error) {
	if rec.Tag != hprof.SubInstanceDump {
		return nil, fmt.Errorf("object 0x%x is not an instance", g.ID(i))
	}
	idSize := g.Model.IDSize
	n := 0
	for c, steps := g.ClassOf(i), 0; c >= 0 && steps < len(g.Classes); c, steps = g.Classes[c].Super, steps+1 {
		n += len(g.Classes[c].Fields)
	}
	out := make([]FieldValue, 0, n)
	off := 0
	for c, steps := g.ClassOf(i), 0; c >= 0 && steps < len(g.Classes); c, steps = g.Classes[c].Super, steps+1 {
		for _, f := range g.Classes[c].Fields {
			n := f.Type.Size(idSize)
			if off+n > len(rec.Body) {
				return out, nil
			}
			out = append(out, FieldValue{Name: f.Name, Type: f.Type, Value: hprof.ReadValue(rec.Body[off:], f.Type, idSize), Declaring: c})
			off += n
		}
	}
	return out, nil
}

// Field returns the value of the first field called name of instance i.
func (g *Graph) Field(i ObjectIndex, name string) (FieldValue, bool) {
	f, ok, _ := g.ReadField(i, name)
	return f, ok
}

// ReadField is Field with the error that kept it from reading instance
// i's record (or that i is no instance).
func (g *Graph) ReadField(i ObjectIndex, name string) (FieldValue, bool, error) {
	fs, err := g.InstanceFields(i)
	if err != nil {
		return FieldValue{}, false, err
	}
	for _, f := range fs {
		if f.Name == name {
			return f, true, nil
		}
	}
	return FieldValue{}, false, nil
}

// ConstantName returns the text of a java.lang.String, or the name of an
// enum constant (the java.lang.Enum.name it holds): what a field naming a
// mode or a state says, whichever of the two it holds.
func (g *Graph) ConstantName(i ObjectIndex) (string, bool) {
	if s, ok := g.StringValue(i); ok || i == None {
		return s, ok
	}
	fs, err := g.InstanceFields(i)
	if err != nil {
		return "", false
	}
	for _, f := range fs {
		if f.Name == "name" && f.Type == hprof.TypeObject && f.Value != 0 && g.Classes[f.Declaring].Name == "java.lang.Enum" {
			return g.StringValue(g.Lookup(f.Value))
		}
	}
	return "", false
}

// maxStringChars bounds how much of a string is decoded.
const maxStringChars = 1 << 16

// StringValue decodes a java.lang.String (JDK 6–8 char[] with offset and
// count, JDK 9+ byte[] with a coder), or a char[] or byte[] directly: its
// first maxStringChars characters.
func (g *Graph) StringValue(i ObjectIndex) (string, bool) { return g.StringText(i, maxStringChars) }

// StringText is StringValue with the first limit characters, for a text
// that must be whole (a system property's class path).
func (g *Graph) StringText(i ObjectIndex, limit int) (string, bool) {
	if i == None {
		return "", false
	}
	switch g.Classes[g.ClassOf(i)].Name {
	case "[C":
		return g.charArray(i, 0, -1, 0, limit)
	case "java.lang.String":
	default:
		return "", false
	}
	fs, err := g.InstanceFields(i)
	if err != nil {
		return "", false
	}
	var value uint64
	offset, count, coder := 0, -1, 0
	for _, f := range fs {
		switch f.Name {
		case "value":
			value = f.Value
		case "offset":
			offset = int(int32(f.Value))
		case "count":
			count = int(int32(f.Value))
		case "coder":
			coder = int(f.Value)
		}
	}
	if value == 0 {
		return "", true
	}
	return g.charArray(g.Lookup(value), offset, count, coder, limit)
}

// charArray decodes count chars from offset of a char[] (big-endian in the
// dump) or a compact-strings byte[] (coder 0 Latin-1, 1 UTF-16 little-endian
// as HotSpot stores it on x86).
func (g *Graph) charArray(a ObjectIndex, offset, count, coder, limit int) (string, bool) {
	if a == None {
		return "", false
	}
	rec, err := g.Record(a)
	if err != nil || rec.Tag != hprof.SubPrimArrayDump {
		return "", false
	}
	b := rec.Body
	switch rec.ElemType {
	case hprof.TypeChar:
		n := len(b) / 2
		if count < 0 || offset+count > n || offset < 0 {
			offset, count = 0, n
		}
		count = min(count, limit)
		u := make([]uint16, count)
		for k := range u {
			u[k] = binary.BigEndian.Uint16(b[2*(offset+k):])
		}
		return string(utf16.Decode(u)), true
	case hprof.TypeByte:
		if coder == 1 {
			n := min(len(b)/2, limit)
			u := make([]uint16, n)
			for k := range u {
				u[k] = binary.LittleEndian.Uint16(b[2*k:])
			}
			return string(utf16.Decode(u)), true
		}
		n := min(len(b), limit)
		r := make([]rune, n)
		for k := range r {
			r[k] = rune(b[k])
		}
		return string(r), true
	}
	return "", false
}

// ThreadName reads the name of a java.lang.Thread object.
func (g *Graph) ThreadName(t ObjectIndex) (string, bool) {
	f, ok := g.Field(t, "name")
	if !ok || f.Type != hprof.TypeObject || f.Value == 0 {
		return "", false
	}
	return g.StringValue(g.Lookup(f.Value))
}
