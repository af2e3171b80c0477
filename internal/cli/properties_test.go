package cli

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
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
