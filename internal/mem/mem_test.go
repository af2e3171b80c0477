package mem

import (
	"runtime"
	"testing"
	"unsafe"
)

func TestRecast(t *testing.T) {
	s := Make[uint32](10)
	for i := range s {
		s[i] = uint32(i)
	}
	u := Recast[uint64](s, 5)
	if len(u) != 5 || unsafe.Pointer(&u[0]) != unsafe.Pointer(&s[0]) {
		t.Fatalf("Recast: %d values at %p, want 5 at %p", len(u), &u[0], &s[0])
	}
	u[4] = 0
	if s[8] != 0 || s[9] != 0 || s[7] != 7 {
		t.Errorf("after u[4] = 0: s[7:] = %v, want [7 0 0]", s[7:])
	}
	if Recast[uint64](s, 0) != nil {
		t.Error("Recast of 0 values: want nil")
	}
	defer func() {
		if recover() == nil {
			t.Error("Recast of 6 uint64 from 10 uint32: no panic")
		}
	}()
	Recast[uint64](s, 6)
}

// TestDiscard: the whole pages inside the slice read as zeros after it
// (on Linux), and the bytes outside them, on partial pages at either end,
// keep their values.
func TestDiscard(t *testing.T) {
	const page = 4096
	buf := make([]byte, 6*page)
	base := uintptr(unsafe.Pointer(&buf[0]))
	off := int((base+page-1)&^(page-1)-base) + page/2 // half a page into an aligned page
	s := buf[off : off+3*page]
	for i := range buf {
		buf[i] = 1
	}
	Discard(s)
	if runtime.GOOS != "linux" {
		return
	}
	for i, b := range buf {
		// Inside s, the two whole pages from page/2 to 2.5 pages in.
		inside := i >= off+page/2 && i < off+page/2+2*page
		if inside && b != 0 {
			t.Fatalf("byte %d (in a whole page of s) = %d after Discard, want 0", i-off, b)
		}
		if !inside && b != 1 {
			t.Fatalf("byte %d of the buffer (not in a whole page of s) = %d after Discard, want 1", i, b)
		}
	}
}
