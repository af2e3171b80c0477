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

// TestPropertiesCommand: leakscan properties in its three formats, with
// --match, and info's JVM and Command lines from the same properties.
func TestPropertiesCommand(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	out, _, code := run(t, "properties", spark, "--match", `^java\.vm\.name$|command`)
	if code != 0 || !strings.Contains(out, "java.vm.name      OpenJDK 64-Bit Server VM\n") || !strings.Contains(out, "sun.java.command  org.apache.spark.executor.Executor\n") ||
		!strings.HasSuffix(out, "\n2 of 45 properties shown\n") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	out, _, code = run(t, "properties", spark, "--format", "json")
	var r struct {
		Properties []struct{ Key, Value string } `json:"properties"`
		Unreadable *int                          `json:"unreadable"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 || len(r.Properties) != 45 || r.Unreadable == nil || *r.Unreadable != 0 {
		t.Errorf("json: exit %d, %v\n%.300s", code, err, out)
	}
	out, _, code = run(t, "properties", spark, "--format", "csv", "--match", "^user\\.")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || code != 0 || len(rows) < 3 || strings.Join(rows[0], ",") != "key,value" || !strings.HasPrefix(rows[1][0], "user.") {
		t.Errorf("csv: exit %d, %v\n%s", code, err, out)
	}
	if out, errOut, code := run(t, "properties", spark, "--match", "("); code != 2 || out != "" || !strings.HasPrefix(errOut, "leakscan: --match: ") {
		t.Errorf("a bad --match: exit %d, %q, %q", code, out, errOut)
	}
	noProps := filepath.Join(t.TempDir(), "finalizers.hprof")
	heap, _ := leakstest.FinalizerHeap(leakstest.PendingOffHeap) // no java.lang.System
	if err := os.WriteFile(noProps, heap, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, code := run(t, "properties", noProps); code != 0 || out != "No system properties in the dump: no java.lang.System with props.\n" {
		t.Errorf("a dump without them: exit %d, %q", code, out)
	}
	var found struct {
		Found bool
		Total int
	}
	if out, _, code := run(t, "properties", noProps, "--format", "json"); code != 0 || json.Unmarshal([]byte(out), &found) != nil || found.Found || found.Total != 0 {
		t.Errorf("a dump without them, json: exit %d, %s", code, out)
	}
	if out, _, code := run(t, "properties", spark, "--format", "json", "--match", "nothing-matches-this"); code != 0 || json.Unmarshal([]byte(out), &found) != nil || !found.Found || found.Total != 45 {
		t.Errorf("none matched, json: exit %d, %s", code, out)
	}
	out, _, code = run(t, "info", spark)
	if code != 0 || !strings.Contains(out, "\nJVM:           OpenJDK 64-Bit Server VM 17.0.15+6-Debian-1deb12u1 (Debian)\nCommand:       org.apache.spark.executor.Executor\n") {
		t.Errorf("info: exit %d\n%s", code, out)
	}
	out, _, _ = run(t, "info", spark, "--format", "json")
	var info struct{ JVM, Command string }
	if err := json.Unmarshal([]byte(out), &info); err != nil || !strings.HasPrefix(info.JVM, "OpenJDK 64-Bit Server VM 17.") || info.Command != "org.apache.spark.executor.Executor" {
		t.Errorf("info json: %v %+v", err, info)
	}
}

// TestInfoJVMFromIndex: info on a gzip dump from its index names the JVM
// and the command without inflating the dump again (the index keeps them;
// they came from the records, which a .gz has only once inflated).
func TestInfoJVMFromIndex(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "Basic.hprof.gz")
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Basic.hprof.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dump, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runIndexed(t, "index", dump); code != 0 {
		t.Fatalf("index: exit %d: %s", code, errOut)
	}
	// A --tmp-dir that is a file: inflating the dump would fail, and the
	// records be unreadable.
	tmp := filepath.Join(dir, "not-a-folder")
	if err := os.WriteFile(tmp, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runIndexed(t, "info", dump, "--tmp-dir", tmp)
	if code != 0 || !strings.Contains(out, "\nJVM:           OpenJDK 64-Bit Server VM 17.") || !strings.Contains(out, "\nCommand:       Basic\n") || !strings.Contains(out, "Index:         used") {
		t.Errorf("exit %d, stderr %q\n%s", code, errOut, out)
	}
}
