//go:build unix

package cli

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO given as the dump, with the index in use: identifying the dump
// for the index opened it, which blocks while no process writes to it.
func TestFIFODump(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "dump.hprof")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	type result struct {
		errOut string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		_, errOut, code := runIndexed(t, "info", fifo)
		done <- result{errOut, code}
	}()
	select {
	case r := <-done:
		if r.code != 2 || !strings.Contains(r.errOut, "is a pipe, not a regular file") {
			t.Errorf("exit %d, stderr %q", r.code, r.errOut)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("info on a FIFO hangs")
	}
}
