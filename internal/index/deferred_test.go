package index

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/leakscan/leakscan/internal/par"
)

// TestBlockCRCs: the blocks' CRCs combine into the CRC of the whole, for
// lengths around the block size.
func TestBlockCRCs(t *testing.T) {
	data := make([]byte, 3*blockSize+5)
	for i := range data {
		data[i] = byte(i*131 + i>>9)
	}
	for _, n := range []int{0, 1, blockSize - 1, blockSize, blockSize + 1, 2 * blockSize, 3*blockSize + 5} {
		blocks, crc := blockCRCs(data[:n])
		if want := crc32.Checksum(data[:n], castagnoli); crc != want {
			t.Errorf("%d bytes: combined CRC %08x, want %08x", n, crc, want)
		}
		if want := (n + blockSize - 1) / blockSize; len(blocks) != want {
			t.Fatalf("%d bytes: %d blocks, want %d", n, len(blocks), want)
		}
		for k, c := range blocks {
			if want := crc32.Checksum(data[k*blockSize:min(n, (k+1)*blockSize)], castagnoli); c != want {
				t.Errorf("%d bytes: block %d CRC %08x, want %08x", n, k, c, want)
			}
		}
	}
}

// TestBlocksFunc: a section made by its fill as it is written gives the
// same part file, byte for byte, as the same bytes added whole; for
// lengths around the block size and over several pieces, beside other
// sections. Its blocks check as read.
func TestBlocksFunc(t *testing.T) {
	data := make([]byte, 2*writePieceSize+3*blockSize+12)
	for i := range data {
		data[i] = byte(i*131 + i>>9)
	}
	dir, id := fakeDump(t)
	for _, n := range []int{0, 4, blockSize, blockSize + 8, writePieceSize, len(data)} {
		var whole, filled Writer
		for _, w := range []*Writer{&whole, &filled} {
			w.Add("meta", []byte("x"))
			w.AddBlocks("before", data[:blockSize+4])
		}
		whole.AddBlocks("s", data[:n])
		filled.AddBlocksFunc("s", n, func(dst []byte, off int) {
			if off%blockSize != 0 || len(dst) > writePieceSize {
				t.Errorf("%d bytes: asked for %d at %d", n, len(dst), off)
			}
			copy(dst, data[off:off+len(dst)])
		})
		for _, w := range []*Writer{&whole, &filled} {
			w.Add("after", data[:12])
		}
		if err := whole.Commit(dir, "whole", id); err != nil {
			t.Fatal(err)
		}
		if err := filled.Commit(dir, "filled", id); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(filepath.Join(dir, "whole.idx"))
		b, _ := os.ReadFile(filepath.Join(dir, "filled.idx"))
		if !slices.Equal(a, b) {
			t.Fatalf("%d bytes: the part differs when the section is filled (%d against %d bytes)", n, len(b), len(a))
		}
		p, err := Open(dir, "filled", id)
		if err != nil {
			t.Fatal(err)
		}
		s, d, err := p.Deferred("s")
		if err != nil {
			t.Fatal(err)
		}
		d.Check()
		if !slices.Equal(s, data[:n]) {
			t.Fatalf("%d bytes: the section reads back otherwise", n)
		}
		p.Close()
	}
}

// TestDeferred writes a part with a section checked as it is read, then
// damages one of its blocks: the blocks before it still check, a range or
// a whole check that reaches it panics with a FaultError that names the
// section and the bytes, and so does every later call.
func TestDeferred(t *testing.T) { bothWays(t, testDeferred) }

func testDeferred(t *testing.T) {
	dir, id := fakeDump(t)
	vals := make([]uint32, (4*blockSize+100)/4) // 4 blocks and a part
	for i := range vals {
		vals[i] = uint32(i) * 2654435761
	}
	many := make([]byte, 80*blockSize)
	var w Writer
	w.Add("meta", []byte("m"))
	w.AddBlocks("vals", AsBytes(vals))
	w.AddBlocks("none", nil)
	w.AddBlocks("many", many)
	if err := w.Commit(dir, "p", id); err != nil {
		t.Fatal(err)
	}

	// Undamaged: checked a range at a time, whole, and through Bytes.
	p, err := Open(dir, "p", id)
	if err != nil {
		t.Fatal(err)
	}
	b, d, err := p.Deferred("vals")
	if err != nil || !slices.Equal(As[uint32](b), vals) {
		t.Fatalf("vals: %v", err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < len(vals); i += 997 {
				d.CheckRange(uint64(i)*4, uint64(i)*4+4)
			}
		})
	}
	wg.Wait()
	d.CheckRange(uint64(len(b))-4, uint64(len(b))+1000) // clamped at the end
	d.Check()
	if _, err := p.Bytes("vals"); err != nil {
		t.Errorf("Bytes after the blocks: %v", err)
	}
	if _, _, err := p.Deferred("meta"); err == nil {
		t.Error("a section without block CRCs handed out deferred")
	}
	if e, d, err := p.Deferred("none"); err != nil || len(e) != 0 {
		t.Errorf("empty deferred section: %v %v", e, err)
	} else {
		d.Check()
	}
	var nilD *Deferred
	nilD.Check()
	nilD.CheckRange(0, 10)
	// Lookups in 11 of 80 blocks (an eighth, and one) make a scan: the
	// rest is checked at once.
	_, d, err = p.Deferred("many")
	if err != nil {
		t.Fatal(err)
	}
	for k := range 11 {
		if d.all.Load() {
			t.Fatalf("all checked after lookups in %d blocks", k)
		}
		at := uint64(k) * blockSize
		d.CheckRange(at+8, at+12)
		d.CheckRange(at+16, at+20)
	}
	if !d.all.Load() || d.checked.Load() != 80 {
		t.Errorf("after lookups in 11 of 80 blocks: all %v, %d checked; want the whole section", d.all.Load(), d.checked.Load())
	}
	p.Close()

	// Damage block 2 (and nothing the header checks).
	path := filepath.Join(dir, "p.idx")
	data, _ := os.ReadFile(path)
	s := p.sections["vals"]
	at := s.off + 2*blockSize + 17
	data[at] ^= 0x10
	os.WriteFile(path, data, 0o644)
	for _, whole := range []bool{false, true} {
		p, err := Open(dir, "p", id)
		if err != nil {
			t.Fatal(err)
		}
		_, d, err := p.Deferred("vals")
		if err != nil {
			t.Fatalf("the damage is in the data, not the table: %v", err)
		}
		d.CheckRange(0, 2*blockSize) // blocks 0 and 1
		d.CheckRange(blockSize+100, blockSize+104)
		want := fmt.Sprintf("section vals fails its checksum at bytes %d to %d", s.off+2*blockSize, s.off+3*blockSize)
		for try := range 2 {
			msg := catchDamage(func() {
				switch {
				case whole:
					d.Check()
				case try == 0:
					d.CheckRange(2*blockSize+40, 2*blockSize+44)
				default:
					d.CheckRange(2*blockSize+40, 2*blockSize+41)
				}
			})
			if !strings.Contains(msg, want) || !strings.Contains(msg, path) {
				t.Errorf("whole %v, call %d: %q; want the part's path and %q", whole, try, msg, want)
			}
		}
		if _, err := p.Bytes("vals"); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("Bytes of the damaged section: %v", err)
		}
		p.Close()
	}

	// A damaged table fails at once.
	data[at] ^= 0x10
	tab := p.sections["vals"+blockTable]
	data[tab.off+3] ^= 1
	os.WriteFile(path, data, 0o644)
	p, err = Open(dir, "p", id)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, _, err := p.Deferred("vals"); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("damaged block table: %v", err)
	}
}

// catchDamage runs fn and returns the message of the damage it panicked
// with, or "" if it did not.
func catchDamage(fn func()) (msg string) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		var f *par.FaultError
		if e, ok := r.(error); !ok || !errors.As(e, &f) || f.Damaged == nil {
			panic(r)
		}
		msg = f.Error()
	}()
	fn()
	return ""
}
