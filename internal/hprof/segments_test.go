package hprof_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// A dump cut exactly between two heap dump segments passes every record's
// length check; only the missing HEAP DUMP END tells. HotSpot writes the GC
// roots in the later segments, so such a dump read as whole had no roots,
// and a CI check on it passed.
func TestCutBetweenSegments(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	cat, _, err := readAll(t, data, hprof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	segs := cat.Dumps[len(cat.Dumps)-1].Segments
	if len(segs) < 2 {
		t.Fatalf("the fixture has %d segments; the test needs two", len(segs))
	}
	cut := data[:segs[len(segs)-1].Offset]
	_, _, err = readAll(t, cut, hprof.Options{})
	if !hprof.IsTruncated(err) || !strings.Contains(err.Error(), "without a HEAP DUMP END record") {
		t.Fatalf("cut at offset %d: err = %v, want a truncation error", len(cut), err)
	}
	cat, counts, err := readAll(t, cut, hprof.Options{AllowTruncated: true})
	if err != nil || counts[hprof.SubInstanceDump] == 0 || !strings.Contains(strings.Join(cat.Warnings, " "), "without a HEAP DUMP END") {
		t.Errorf("--allow-truncated: err %v, counts %v, warnings %v", err, counts, cat.Warnings)
	}
	// The whole file, ending with HEAP DUMP END, is no truncated dump.
	if cat, _, err := readAll(t, data, hprof.Options{AllowTruncated: true}); err != nil || len(cat.Warnings) != 0 {
		t.Errorf("whole dump: err %v, warnings %v", err, cat.Warnings)
	}
}

// A range that ends where a heap dump segment's first sub-record starts
// holds none of that segment: pass B's chunks end there, and the next
// chunk starts there. The reader used to step over the segment's header
// and decode that first sub-record as well, so two chunks both had it.
func TestRangeEndsAtSegmentStart(t *testing.T) {
	w := hproftest.New(8, "")
	arr := w.ObjectArrayClass()
	first, second := w.NewID(), w.NewID()
	w.ObjArray(first, arr, nil)
	w.Flush()
	w.ObjArray(second, arr, []uint64{first})
	data := w.Bytes()
	f, err := hprof.OpenBytes("t.hprof", data, hprof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := f.ReadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	segs := cat.Dumps[0].Segments
	if len(segs) != 2 {
		t.Fatalf("%d segments, want 2", len(segs))
	}
	start := segs[1].Offset + 9 // past the segment's tag, time and length
	ids := func(pos, segEnd, end int64) []uint64 {
		var out []uint64
		r := f.HeapRecordsAt(pos, segEnd, end)
		for r.Next() {
			if r.Rec.Tag == hprof.SubObjArrayDump {
				out = append(out, r.Rec.ID)
			}
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		return out
	}
	if got := ids(segs[0].Offset, segs[0].Offset, start); !slices.Equal(got, []uint64{first}) {
		t.Errorf("up to the second segment's first sub-record: arrays %x, want [%x]", got, first)
	}
	if got := ids(start, segs[1].End, cat.Dumps[0].End); !slices.Equal(got, []uint64{second}) {
		t.Errorf("from it: arrays %x, want [%x]", got, second)
	}
}

// TestTruncatedWarning: however a dump is cut (within a record header,
// within a record's body, between segments), read as far as it goes its
// catalog has one warning saying where, which IsTruncatedWarning tells
// from the others; a whole dump has none.
func TestTruncatedWarning(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	cat, _, err := readAll(t, data, hprof.Options{AllowTruncated: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cat.Warnings {
		if hprof.IsTruncatedWarning(w) {
			t.Errorf("whole dump: %q", w)
		}
	}
	last := cat.Dumps[len(cat.Dumps)-1].Segments
	at := last[len(last)-1].Offset
	for _, cut := range []int64{at + 4, at + 100, at} {
		cat, _, err := readAll(t, data[:cut], hprof.Options{AllowTruncated: true})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		n := 0
		for _, w := range cat.Warnings {
			if hprof.IsTruncatedWarning(w) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("cut at %d: %d truncation warnings among %q, want 1", cut, n, cat.Warnings)
		}
	}
}
