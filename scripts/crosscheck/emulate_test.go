package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// TestEmulatorAgrees: with leakscan's semantics, the emulator (its own
// edges for class objects, Cooper-Harvey-Kennedy on its own graph) gives
// every object of every real dump at hand the immediate dominator and
// retained size that leakscan's Semi-NCA tree does. The shared reference
// dumps are used when ../shared/dumps is there.
func TestEmulatorAgrees(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	for _, pat := range []string{"*/*.hprof", "*/*.hprof.gz", "*/*.bin"} {
		shared, _ := filepath.Glob(filepath.Join("../../../shared/dumps", pat))
		dumps = append(dumps, shared...)
	}
	if len(dumps) == 0 {
		t.Skip("no dumps in testdata/dumps")
	}
	if _, err := os.Stat("../../../shared/dumps"); err != nil {
		t.Logf("reference dumps not present (../shared/dumps): the fixtures only")
	}
	for _, path := range dumps {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if fi, err := os.Stat(path); err == nil && fi.Size() > 64<<20 {
				t.Skipf("%s: %d MB, more than this test's budget", path, fi.Size()>>20)
			}
			g, err := heap.Open(path, hprof.Options{TempDir: t.TempDir()}, heap.Options{Dump: -1})
			if err != nil {
				t.Skipf("%s: %v", path, err) // the reader's own tests cover bad input
			}
			defer g.Close()
			tree := dominator.Compute(g, dominator.Options{})
			ret, dom := emulate(g, leakscanSemantics, nil)
			bad := 0
			for o := range g.NumObjects() {
				x := heap.ObjectIndex(o)
				want, d := int64(tree.Retained(x)), tree.Idom(x)
				switch d {
				case dominator.Unreachable:
					want, d = -1, -2
				case dominator.TopLevel:
					d = -1
				}
				if ret[o] != want || dom[o] != d {
					if bad++; bad <= 5 {
						t.Errorf("0x%x %s: emulator idom %d retained %d, leakscan %d %d", g.ID(x), g.ObjectLabel(x, true), dom[o], ret[o], d, want)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d objects differ", bad, g.NumObjects())
			}
		})
	}
}
