//go:build unix

package hprof

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/leakscan/leakscan/internal/par"
)

// TestDumpTruncatedWhileMapped: a dump cut short under its mapping (jmap
// overwriting the dump being analysed) faults on the pages it lost; the
// mapping is registered, so the fault, handed to the goroutine waiting
// for the readers, names the dump.
func TestDumpTruncatedWhileMapped(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "Basic.hprof")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Truncate(path, 64<<10); err != nil {
		t.Fatal(err)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if e, ok := par.AsFault(recover()); !ok || e.Path != path {
			t.Errorf("fault %v, want one naming %s", e, path)
		}
	}()
	par.Run(2, func(k int) {
		var b [8]byte
		f.ReadAt(b[:], int64(len(data)/2+k*8192))
	})
	t.Error("no fault")
}
