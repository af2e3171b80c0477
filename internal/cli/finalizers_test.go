package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/leaks/leakstest"
)

// TestFinalizersCommand: leakscan finalizers on leakstest.FinalizerHeap in
// the three formats, and on a dump with no Finalizer.
func TestFinalizersCommand(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "finalizers.hprof")
	heap, _ := leakstest.FinalizerHeap(leakstest.PendingOffHeap)
	if err := os.WriteFile(dump, heap, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "finalizers", dump)
	for _, want := range []string{
		"8 objects registered for finalization; 1 Finalizer finalized, and not yet collected.\n",
		"  Running finalize() now: 2 objects retaining ", "  Waiting in the finalizer's queue: 2 objects retaining ",
		"  Pending, on their way to the queue: 2 objects retaining ", "  Active, not due: 2 objects retaining ",
		"\nqueued   com.acme.Res  <bootstrap>        2", "\nThread \"\" 0x",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d, want %q in\n%s%s", code, want, out, errOut)
		}
	}
	out, _, code = run(t, "finalizers", dump, "--format", "json")
	var r struct {
		Classes []struct {
			State   string `json:"state"`
			Objects int64  `json:"objects"`
		} `json:"classes"`
		Running    []struct{ ID string } `json:"running"`
		Threads    []json.RawMessage     `json:"threads"`
		Finalizers int64                 `json:"finalizers"`
		Cleared    int64                 `json:"cleared"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 || len(r.Classes) != 4 || r.Classes[1].State != "queued" ||
		len(r.Running) != 2 || len(r.Threads) != 1 || r.Finalizers != 9 || r.Cleared != 1 {
		t.Errorf("json: exit %d, %v\n%s", code, err, out)
	}
	out, _, code = run(t, "finalizers", dump, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || code != 0 || len(rows) != 5 || strings.Join(rows[0], ",") != "state,class,loader,objects,shallow_bytes,retained_bytes,loader_class" || rows[4][0] != "active" {
		t.Errorf("csv: exit %d, %v\n%s", code, err, out)
	}
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	if out, _, code := run(t, "finalizers", spark); code != 0 || out != "No object registered for finalization: no java.lang.ref.Finalizer that a GC root reaches.\n" {
		t.Errorf("Spark22713: exit %d\n%s", code, out)
	}
}

// TestFinalizerQueueWeakIgnore: a finalizer-queue rule bounding what the
// waiting objects retain is refused with --weak ignore, under which they
// retain nothing (the rule passed, whatever the queue held: found by a
// review); max-objects alone is taken.
func TestFinalizerQueueWeakIgnore(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "finalizers.hprof")
	heap, _ := leakstest.FinalizerHeap(leakstest.PendingOffHeap)
	if err := os.WriteFile(dump, heap, 0o644); err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte("rules: [{id: fq, finalizer-queue: {max: 1KB}}]\n"), 0o644)
	if out, errOut, code := run(t, "check", dump, "--rules", rules, "--weak", "ignore"); code != 2 || out != "" ||
		!strings.HasPrefix(errOut, "leakscan: rule fq: finalizer-queue.max bounds what the objects waiting for finalize() retain, which --weak ignore leaves at nothing") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, _, code := run(t, "check", dump, "--rules", rules); code != 1 {
		t.Errorf("--weak follow: exit %d, want 1", code)
	}
	os.WriteFile(rules, []byte("rules: [{id: fq, finalizer-queue: {max-objects: 3}}]\n"), 0o644)
	if out, _, code := run(t, "check", dump, "--rules", rules, "--weak", "ignore"); code != 1 || !strings.Contains(out, "4 objects wait for finalize() (2 queued, 2 pending): more than 3 objects") {
		t.Errorf("max-objects with --weak ignore: exit %d\n%s", code, out)
	}
}
