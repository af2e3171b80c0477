package hprof_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
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
