package hprof_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// biggerDump is a dump of about 100 KB whose field values do not compress
// to nothing, so that a cut in its gzip form lands inside its heap dump.
func biggerDump() []byte {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	node := w.Class("Node", obj, 0, nil, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}, {Name: "v", Type: hprof.TypeLong}})
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]uint64, 3000)
	for i := range ids {
		ids[i] = w.NewID()
	}
	for i, id := range ids {
		w.Instance(id, node, []hprof.BasicType{hprof.TypeObject, hprof.TypeLong}, []uint64{ids[(i+1)%len(ids)], r.Uint64()})
	}
	w.Root(hprof.SubRootJNIGlobal, ids[0], 0, 0)
	return w.Bytes()
}

// gzipMembers writes data as a chain of gzip members of block bytes each
// (the last may be shorter), the first with jcmd's comment declaring
// blockSize when it is > 0.
func gzipMembers(t testing.TB, data []byte, block, blockSize int) []byte {
	t.Helper()
	var out bytes.Buffer
	for i := 0; i == 0 || i < len(data); i += block {
		zw, err := gzip.NewWriterLevel(&out, gzip.BestSpeed)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && blockSize > 0 {
			zw.Comment = "HPROF BLOCKSIZE=" + strconv.Itoa(blockSize)
		}
		zw.Write(data[i:min(i+block, len(data))])
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

// inflated opens gz with opts and checks that it inflates to a prefix of
// want (all of it unless cut), returning the file.
func inflated(t *testing.T, gz, want []byte, opts hprof.Options) *hprof.File {
	t.Helper()
	opts.TempDir = t.TempDir()
	f, err := hprof.OpenBytes("test.hprof", gz, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, f.Size())
	if n, _ := f.ReadAt(got, 0); n != len(got) || !bytes.Equal(got, want[:min(len(got), len(want))]) || len(got) > len(want) {
		f.Close()
		t.Fatalf("the %d bytes inflated are not the dump's first", len(got))
	}
	return f
}

func TestGzip(t *testing.T) {
	data := biggerDump()
	cases := []struct {
		name, kind string
		gz         []byte
	}{
		{"gzip command", "gzip", gzipMembers(t, data, len(data), 0)},
		{"members without a comment", "gzip", gzipMembers(t, data, 7000, 0)},
		{"jcmd small blocks", "gzip (chunked)", gzipMembers(t, data, 1000, 1000)},
		{"jcmd last block short", "gzip (chunked)", gzipMembers(t, data, 4096, 4096)},
		{"jcmd blocks shorter than declared", "gzip (chunked)", gzipMembers(t, data, 3000, 1<<20)},
		{"jcmd one block", "gzip (chunked)", gzipMembers(t, data, len(data), 1<<30)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := inflated(t, c.gz, data, hprof.Options{})
			defer f.Close()
			if f.Size() != int64(len(data)) || f.Compressed != c.kind || f.CompressedSize != int64(len(c.gz)) {
				t.Errorf("size %d compressed %q %d, want %d %q %d", f.Size(), f.Compressed, f.CompressedSize, len(data), c.kind, len(c.gz))
			}
			if _, err := f.ReadCatalog(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("member over the block size", func(t *testing.T) {
		gz := gzipMembers(t, data, 2000, 1000)
		_, err := hprof.OpenBytes("test.hprof", gz, hprof.Options{TempDir: t.TempDir()})
		wantFormatError(t, err, -1, "the member that starts at offset 0 inflates to more than the block size 1000")
	})
}

// TestChunkedGzipMemory checks that what a chunked file's comment claims
// does not set the memory used: members far bigger than the budget, under
// a block size of 1 GiB, are streamed instead of held.
func TestChunkedGzipMemory(t *testing.T) {
	const budget, member = 256 << 10, 16 << 20
	defer hprof.SetInflateBudget(budget)()
	data := make([]byte, 3*member)
	copy(data, biggerDump())
	gz := gzipMembers(t, data, member, 1<<30)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f, err := hprof.OpenBytes("test.hprof", gz, hprof.Options{TempDir: t.TempDir()})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The buffers: 4 MiB to write, 1 MiB to stream, 1 MiB for a member
	// inflated in order, 256 KiB of compressed input per candidate, the
	// budget per core. Holding whole members allocated over 200 MB.
	limit := uint64(16<<20 + runtime.GOMAXPROCS(0)*(budget+512<<10))
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > limit {
		t.Errorf("inflating 3 members of %d bytes allocated %d bytes, want at most %d", member, alloc, limit)
	}
	got := make([]byte, 1<<20)
	for off := int64(0); off < int64(len(data)); off += int64(len(got)) {
		n, _ := f.ReadAt(got, off)
		if !bytes.Equal(got[:n], data[off:off+int64(n)]) {
			t.Fatalf("inflated bytes differ at %d", off)
		}
	}
	if f.Size() != int64(len(data)) {
		t.Errorf("inflated %d bytes, want %d", f.Size(), len(data))
	}
	// Cut in its last member, which is streamed past its first part.
	cut := inflated(t, gz[:len(gz)-100], data, hprof.Options{AllowTruncated: true})
	if cut.Size() <= 2*member {
		t.Errorf("cut in the last member: inflated %d bytes, want more than %d", cut.Size(), 2*member)
	}
	cut.Close()
}

// gzipShapes compresses data as the gzip command does (one member) and as
// jcmd does (4 KiB blocks, a member each).
func gzipShapes(t *testing.T, data []byte) []struct {
	name string
	gz   []byte
} {
	return []struct {
		name string
		gz   []byte
	}{
		{"gzip command", gzipMembers(t, data, len(data), 0)},
		{"jcmd", gzipMembers(t, data, 4096, 4096)},
	}
}

func TestGzipTruncated(t *testing.T) {
	data := biggerDump()
	for _, c := range gzipShapes(t, data) {
		t.Run(c.name, func(t *testing.T) {
			for _, cut := range []int{len(c.gz) / 3, len(c.gz) / 2, len(c.gz) - 4} {
				gz := c.gz[:cut]
				_, err := hprof.OpenBytes("test.hprof", gz, hprof.Options{TempDir: t.TempDir()})
				if !hprof.IsTruncated(err) {
					t.Errorf("cut at %d: %v, want a truncation error", cut, err)
				}
				wantFormatError(t, err, int64(cut), "the compressed file ends early (truncated)")
				wantFormatError(t, err, int64(cut), "try --allow-truncated")

				f := inflated(t, gz, data, hprof.Options{AllowTruncated: true})
				cat, err := f.ReadCatalog()
				if err != nil {
					t.Errorf("cut at %d, allowed: %v", cut, err)
				} else if cut < len(c.gz)-8 && (f.Truncated < 0 || !strings.Contains(strings.Join(cat.Warnings, "\n"), "truncated")) {
					t.Errorf("cut at %d, allowed: truncated %d, warnings %q", cut, f.Truncated, cat.Warnings)
				}
				f.Close()
			}
			// Cut in the first header: nothing to analyse, flag or not.
			for _, opts := range []hprof.Options{{}, {AllowTruncated: true}} {
				_, err := hprof.OpenBytes("test.hprof", c.gz[:5], opts)
				if !hprof.IsTruncated(err) {
					t.Errorf("cut in the header, %+v: %v, want a truncation error", opts, err)
				}
				wantFormatError(t, err, 5, "the compressed file ends early (truncated)")
			}
		})
	}
}

func TestGzipTrailingBytes(t *testing.T) {
	data := biggerDump()
	for _, c := range gzipShapes(t, data) {
		t.Run(c.name, func(t *testing.T) {
			// gzip -t accepts zero padding after the last member.
			padded := append(append([]byte(nil), c.gz...), make([]byte, 1000)...)
			f := inflated(t, padded, data, hprof.Options{})
			if f.Size() != int64(len(data)) {
				t.Errorf("padded: inflated %d bytes, want %d", f.Size(), len(data))
			}
			f.Close()

			var fe *hprof.FormatError
			junk := append(append([]byte(nil), padded...), 'x')
			_, err := hprof.OpenBytes("test.hprof", junk, hprof.Options{TempDir: t.TempDir(), AllowTruncated: true})
			wantFormatError(t, err, int64(len(padded)), "expected only zero bytes (padding)")
			if !errors.As(err, &fe) || hprof.IsTruncated(err) {
				t.Errorf("junk after padding: %v (%T)", err, err)
			}
			junk = append(append([]byte(nil), c.gz...), "GARBAGE"...)
			_, err = hprof.OpenBytes("test.hprof", junk, hprof.Options{TempDir: t.TempDir()})
			wantFormatError(t, err, int64(len(c.gz)), "expected another gzip member (1f 8b 08) or the end of the file, found 47 41 52")
		})
	}
}

// A chunked .gz followed by nothing but gzip header bytes: its member
// headers were all listed before any was inflated, 8 bytes of list for
// every 4 of file (a 200 MB file reached 1.5 GB). They are looked for a
// stretch at a time now, and the first that fails ends it.
func TestChunkedGzipHeadersOnly(t *testing.T) {
	defer hprof.SetInflateBudget(256 << 10)()
	gz := gzipMembers(t, biggerDump(), 4096, 4096)
	gz = append(gz, bytes.Repeat([]byte{0x1f, 0x8b, 0x08, 0x00}, 8<<20)...) // 32 MiB
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := hprof.OpenBytes("test.hprof", gz, hprof.Options{TempDir: t.TempDir()})
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("32 MiB of gzip headers after the dump read as a dump")
	}
	// Old: 398 MiB. Now the search's stretch, the output's buffers, and the
	// budget.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("allocated %d MiB for a %d MiB file", alloc>>20, len(gz)>>20)
	}
}

// TestGzipErrorOffsetsInflated: the offset of an error in what a gzip
// file inflates to says so; it named the .gz file and "the file", at an
// offset beyond that file's end.
func TestGzipErrorOffsetsInflated(t *testing.T) {
	data := biggerDump()
	cut := data[:len(data)/2] // a whole gzip stream of a dump cut short
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(cut)
	zw.Close()
	f, err := hprof.OpenBytes("cut.hprof.gz", gz.Bytes(), hprof.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.ReadCatalog()
	if err == nil || !strings.Contains(err.Error(), "cut.hprof.gz: offset ") ||
		!strings.Contains(err.Error(), " of the inflated dump: ") || !strings.Contains(err.Error(), "remain in the inflated dump") {
		t.Errorf("%v", err)
	}
}
