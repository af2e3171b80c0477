package cli

import (
	"path/filepath"
	"runtime/debug"
	"testing"
)

// TestTighterGCRestored: a command that lowers the GC's target restores
// it when it returns, and leaves it alone where the user set GOGC.
func TestTighterGCRestored(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	var during int
	restore := tighterGC()
	during = debug.SetGCPercent(during)
	debug.SetGCPercent(during)
	restore()
	if during != 25 {
		t.Errorf("tighterGC set %d%%, want 25%%", during)
	}
	if _, _, code := run(t, "strings", spark); code != 0 {
		t.Fatalf("strings: exit %d", code)
	}
	if got := debug.SetGCPercent(77); got != 77 {
		t.Errorf("after strings: %d%%, want 77%% back", got)
	}
	t.Setenv("GOGC", "200")
	restore = tighterGC()
	if got := debug.SetGCPercent(77); got != 77 {
		t.Errorf("with GOGC set: %d%%, want 77%% untouched", got)
	}
	restore()
}
