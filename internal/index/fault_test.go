//go:build unix

package index

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/par"
)

// TestPartTruncatedWhileMapped: a part file cut short under its mapping
// (another process rewriting the index) faults on the pages it lost. A
// section not yet checked fails its check with an error; one in use
// panics with a par.FaultError naming the part, on the goroutine that
// waits for the readers, for the command to report.
func TestPartTruncatedWhileMapped(t *testing.T) {
	dir, id := fakeDump(t)
	big := make([]uint64, 4<<20/8)
	for i := range big {
		big[i] = uint64(i)
	}
	var w Writer
	w.Add("a", AsBytes(big))
	w.Add("b", AsBytes(big))
	if err := w.Commit(dir, "p", id); err != nil {
		t.Fatal(err)
	}
	p, err := Open(dir, "p", id)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a, err := p.Bytes("a")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "p.idx")
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Bytes("b"); err == nil || !strings.Contains(err.Error(), "the file changed (was truncated or replaced) while being read") {
		t.Errorf("section b after the cut: %v", err)
	}
	words := As[uint64](a)
	sums := make([]uint64, 2)
	func() {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			e, ok := par.AsFault(recover())
			if !ok || e.Path != path {
				t.Errorf("fault %v, want one naming %s", e, path)
			}
		}()
		par.InShares(len(words), 2, func(k, lo, hi int) {
			for _, x := range words[lo:hi] {
				sums[k] += x
			}
		})
		t.Error("no fault")
	}()
}
