package index

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Enc writes the records of a section whose items vary in size (classes,
// roots, frames): varints, and strings kept once each. A string is written
// the first time as 0, its length and its bytes, and after that as one
// more than its number among the strings written so far, so that a field
// name every class repeats, or a class name the census and the graph both
// keep, costs a few bytes. Strings are bytes, not text: a dump's names are
// modified UTF-8, which a text encoding (JSON) would alter.
type Enc struct {
	buf  []byte
	strs map[string]uint32
}

// Bytes returns what was written.
func (e *Enc) Bytes() []byte { return e.buf }

// Uint writes an unsigned integer.
func (e *Enc) Uint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

// Int writes a signed integer.
func (e *Enc) Int(v int64) { e.buf = binary.AppendVarint(e.buf, v) }

// Bool writes a flag.
func (e *Enc) Bool(v bool) {
	if v {
		e.Uint(1)
	} else {
		e.Uint(0)
	}
}

// Str writes a string (see Enc).
func (e *Enc) Str(s string) {
	if k, ok := e.strs[s]; ok {
		e.Uint(uint64(k) + 1)
		return
	}
	if e.strs == nil {
		e.strs = map[string]uint32{}
	}
	e.strs[s] = uint32(len(e.strs))
	e.Uint(0)
	e.Uint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// Dec reads what an Enc wrote. The first error sticks: every read after
// it returns zero, so a caller reads a whole record and checks Err once.
// Nothing it returns is sized by more than the bytes left (see Count).
type Dec struct {
	b    []byte
	off  int
	err  error
	strs []string
	what string
}

// NewDec reads b; what names the section in errors.
func NewDec(b []byte, what string) *Dec { return &Dec{b: b, what: what} }

// Err returns the first error, if any.
func (d *Dec) Err() error { return d.err }

// Done returns the first error, or an error if bytes are left over.
func (d *Dec) Done() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d bytes left over", len(d.b)-d.off)
	}
	return d.err
}

func (d *Dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("index section %s, byte %d: %s", d.what, d.off, fmt.Sprintf(format, args...))
	}
	d.off = len(d.b)
}

// Uint reads an unsigned integer.
func (d *Dec) Uint() uint64 { return varint(d, binary.Uvarint, "an unsigned varint") }

// Int reads a signed integer.
func (d *Dec) Int() int64 { return varint(d, binary.Varint, "a varint") }

func varint[T int64 | uint64](d *Dec, read func([]byte) (T, int), what string) T {
	if d.err != nil {
		return 0
	}
	v, n := read(d.b[d.off:])
	if n <= 0 {
		d.fail("expected %s", what)
		return 0
	}
	d.off += n
	return v
}

// Int32 reads a signed integer that must fit 32 bits.
func (d *Dec) Int32() int32 {
	v := d.Int()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("%d does not fit 32 bits", v)
		return 0
	}
	return int32(v)
}

// Uint32 reads an unsigned integer that must fit 32 bits.
func (d *Dec) Uint32() uint32 { return uint32(d.uintUpTo(math.MaxUint32)) }

// Uint8 reads an unsigned integer that must fit 8 bits.
func (d *Dec) Uint8() uint8 { return uint8(d.uintUpTo(math.MaxUint8)) }

func (d *Dec) uintUpTo(most uint64) uint64 {
	v := d.Uint()
	if v > most {
		d.fail("%d is more than %d", v, most)
		return 0
	}
	return v
}

// Bool reads a flag.
func (d *Dec) Bool() bool {
	switch d.Uint() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("expected a flag, 0 or 1")
	return false
}

// Str reads a string (see Enc).
func (d *Dec) Str() string {
	k := d.Uint()
	if d.err != nil {
		return ""
	}
	if k > 0 {
		if k > uint64(len(d.strs)) {
			d.fail("string %d of %d seen so far", k-1, len(d.strs))
			return ""
		}
		return d.strs[k-1]
	}
	n := d.Uint()
	if d.err == nil && n > uint64(len(d.b)-d.off) {
		d.fail("a string of %d bytes, %d left", n, len(d.b)-d.off)
	}
	if d.err != nil {
		return ""
	}
	s := string(d.b[d.off : d.off+int(n)])
	d.off += int(n)
	d.strs = append(d.strs, s)
	return s
}

// Count reads how many items follow, each at least min bytes (min >= 1):
// more than the bytes left could hold is an error, so that a damaged count
// allocates nothing big.
func (d *Dec) Count(min int) int {
	n := d.Uint()
	if d.err == nil && n > uint64((len(d.b)-d.off)/min) {
		d.fail("%d items of at least %d bytes, %d bytes left", n, min, len(d.b)-d.off)
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

// EncodeList writes the length of xs and then each item with put.
func EncodeList[T any](e *Enc, xs []T, put func(T)) {
	e.Uint(uint64(len(xs)))
	for _, x := range xs {
		put(x)
	}
}

// DecodeList reads what EncodeList wrote, each item with get; min is the
// fewest bytes an item takes (see Count). No items is a nil slice.
func DecodeList[T any](d *Dec, min int, get func() T) []T {
	n := d.Count(min)
	if n == 0 {
		return nil
	}
	xs := make([]T, n)
	for i := range xs {
		if xs[i] = get(); d.Err() != nil {
			return nil
		}
	}
	return xs
}
