package index

import (
	"math"
	"strings"
	"testing"
)

func TestCodecRoundTrip(t *testing.T) {
	// Modified UTF-8 as a dump writes it: U+0000 as C0 80 and a
	// supplementary character as two surrogates; neither is valid UTF-8.
	names := []string{"", "java.lang.String", "Emoji\xed\xa0\xbd\xed\xb8\x80", "nul\xc0\x80", strings.Repeat("x", 70000)}
	var e Enc
	for i, s := range names {
		e.Str(s)
		e.Uint(uint64(i))
		e.Str(s) // again: written as a number
		e.Int(-int64(i))
	}
	e.Uint(math.MaxUint64)
	e.Int(math.MinInt64)
	e.Bool(true)
	e.Bool(false)
	d := NewDec(e.Bytes(), "test")
	for i, s := range names {
		if got := d.Str(); got != s {
			t.Fatalf("string %d: got %q", i, got)
		}
		if got := d.Uint(); got != uint64(i) {
			t.Fatalf("uint %d: got %d", i, got)
		}
		if got := d.Str(); got != s {
			t.Fatalf("string %d again: got %q", i, got)
		}
		if got := d.Int(); got != -int64(i) {
			t.Fatalf("int %d: got %d", i, got)
		}
	}
	if d.Uint() != math.MaxUint64 || d.Int() != math.MinInt64 || !d.Bool() || d.Bool() {
		t.Fatal("extremes differ")
	}
	if err := d.Done(); err != nil {
		t.Fatal(err)
	}
	// A name repeated costs its number, not its bytes again.
	var once, twice Enc
	once.Str(names[4])
	twice.Str(names[4])
	twice.Str(names[4])
	if len(twice.Bytes()) != len(once.Bytes())+1 {
		t.Errorf("a repeated string took %d bytes more", len(twice.Bytes())-len(once.Bytes()))
	}
}

// TestDecoderDamage cuts and alters an encoding at every byte: each read
// then either succeeds or fails with an error naming the section, never
// panics, and Count never promises more items than the bytes left hold.
func TestDecoderDamage(t *testing.T) {
	var e Enc
	e.Uint(3)
	for _, s := range []string{"a", "bb", "a"} {
		e.Str(s)
		e.Int(-7)
	}
	e.Uint(1 << 40)
	e.Bool(true)
	full := e.Bytes()
	read := func(b []byte) error {
		d := NewDec(b, "damaged")
		n := d.Count(2)
		if n > len(b) {
			t.Fatalf("count %d from %d bytes", n, len(b))
		}
		for range n {
			d.Str()
			d.Int32()
		}
		d.Uint32()
		d.Bool()
		return d.Done()
	}
	if err := read(full); err == nil || !strings.Contains(err.Error(), "index section damaged") {
		t.Fatalf("1<<40 read as 32 bits: %v", err)
	}
	for cut := 0; cut < len(full); cut++ {
		if err := read(full[:cut]); err == nil {
			t.Errorf("cut at %d: no error", cut)
		}
		for _, v := range []byte{0, 0x7f, 0x80, 0xff} {
			b := append([]byte(nil), full...)
			b[cut] = v
			read(b) // an error or not, but no panic
		}
	}
	huge := NewDec([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3}, "huge")
	if n := huge.Count(1); n != 0 || huge.Err() == nil {
		t.Errorf("a count of 4 G items in 3 bytes gave %d, %v", n, huge.Err())
	}
}
