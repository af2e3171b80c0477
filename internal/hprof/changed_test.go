package hprof_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// A dump is mapped again through the descriptor it was opened with: one
// replaced under its name (jmap writing a new dump) is still read as it
// was, and one truncated in place is said to have changed, not met as a
// puzzling format error in the next pass.
func TestMappedAgainThroughDescriptor(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.hprof")
	os.WriteFile(path, data, 0o644)

	f, err := hprof.Open(path, hprof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	other := filepath.Join(dir, "other.hprof")
	os.WriteFile(other, bytes.Repeat([]byte{7}, len(data)), 0o644)
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	m, err := f.Map()
	if err != nil {
		t.Fatalf("replaced by rename: %v", err)
	}
	m.Close()
	head := make([]byte, 64)
	if _, err := f.ReadAt(head, 0); err != nil || !bytes.Equal(head, data[:64]) {
		t.Errorf("replaced by rename: read %q, %v; want the dump opened", head[:20], err)
	}
	f.Close()

	os.WriteFile(path, data, 0o644)
	f, err = hprof.Open(path, hprof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Release()
	os.Truncate(path, int64(len(data)/2))
	if _, err := f.Map(); err == nil || !strings.Contains(err.Error(), "the file changed") {
		t.Errorf("truncated in place: %v", err)
	}
}

// A .gz cut right after a whole heap dump inflates to a dump whose records
// all check out; it is truncated all the same (here the second of two
// heap dumps is lost, and the first would be analysed as the last).
func TestGzipCutOnRecordBoundary(t *testing.T) {
	w := hproftest.New(8, "")
	w.Class("A", 0, 0, nil, nil)
	w.Flush()
	w.Record(hprof.TagHeapDumpEnd, nil)
	first := len(w.Bytes())
	w.Class("B", 0, 0, nil, nil)
	data := w.Bytes()
	gz := append(gzipMembers(t, data[:first], first, 0), gzipMembers(t, data[first:], len(data), 0)...)
	cut := len(gzipMembers(t, data[:first], first, 0)) + 5 // into the second member's header
	f, err := hprof.OpenBytes("test.hprof.gz", gz[:cut], hprof.Options{AllowTruncated: true, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Truncated < 0 {
		t.Errorf("inflated %d of %d bytes, and not truncated", f.Size(), len(data))
	}
}
