package hprof

import "encoding/binary"

// cursor decodes big-endian fields from a byte slice. Reading past the end
// sets the sticky short flag and yields zeros, so a record's decoder checks
// once at the end.
type cursor struct {
	b      []byte
	pos    int
	idSize int
	short  bool
}

func (c *cursor) need(n int) bool {
	if c.short || n > len(c.b)-c.pos {
		c.short = true
		return false
	}
	return true
}

func (c *cursor) u1() uint8 {
	if !c.need(1) {
		return 0
	}
	v := c.b[c.pos]
	c.pos++
	return v
}

func (c *cursor) u2() uint16 {
	if !c.need(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(c.b[c.pos:])
	c.pos += 2
	return v
}

func (c *cursor) u4() uint32 {
	if !c.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(c.b[c.pos:])
	c.pos += 4
	return v
}

func (c *cursor) u8() uint64 {
	if !c.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(c.b[c.pos:])
	c.pos += 8
	return v
}

func (c *cursor) id() uint64 {
	if c.idSize == 4 {
		return uint64(c.u4())
	}
	return c.u8()
}

func (c *cursor) skip(n int) {
	if c.need(n) {
		c.pos += n
	}
}

// value reads a value of basic type t as raw bits (ids and primitives alike).
func (c *cursor) value(t BasicType) uint64 {
	switch t.Size(c.idSize) {
	case 1:
		return uint64(c.u1())
	case 2:
		return uint64(c.u2())
	case 4:
		return uint64(c.u4())
	case 8:
		return c.u8()
	}
	c.short = true
	return 0
}

// ReadID decodes an identifier of idSize bytes at the start of b.
func ReadID(b []byte, idSize int) uint64 {
	if idSize == 4 {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

// ReadValue decodes a value of type t at the start of b as raw bits.
func ReadValue(b []byte, t BasicType, idSize int) uint64 {
	switch t.Size(idSize) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(b))
	case 4:
		return uint64(binary.BigEndian.Uint32(b))
	case 8:
		return binary.BigEndian.Uint64(b)
	}
	return 0
}
