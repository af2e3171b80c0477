package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	basic := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	dir := t.TempDir()
	junit := filepath.Join(dir, "report.xml")

	// A path relative to the test's folder keeps the golden file the same
	// in every clone.
	rel := filepath.Join("..", "..", "testdata", "dumps", "Spark22713.hprof")
	out, errOut, code := run(t, "check", rel, "--rules", "builtin:spark", "--junit", junit)
	if code != 1 || errOut != "" || !strings.Contains(out, "FAIL  spark-memory-accounting") || !strings.Contains(out, "1 error(s), 0 warning(s)") {
		t.Errorf("builtin:spark on the SPARK-22713 dump: exit %d, stderr %q\n%s", code, errOut, out)
	}
	golden(t, "check-spark.txt", out)

	// JUnit XML: well-formed, a test case per rule, the failing one failed.
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("JUnit XML does not parse: %v\n%s", err, data)
	}
	if doc.Tests != 3 || doc.Failures != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 3 {
		t.Fatalf("JUnit: %+v", doc)
	}
	for _, c := range doc.Suites[0].Cases {
		failed := c.Failure != nil
		if failed != (c.Name == "spark-memory-accounting") {
			t.Errorf("test case %s failed=%v", c.Name, failed)
		}
		if failed && (!strings.Contains(c.Failure.Text, "path: Thread") || !strings.Contains(c.Failure.Message, "claims 0 B")) {
			t.Errorf("failure text: %+v", c.Failure)
		}
	}

	// A clean dump passes: exit 0.
	if out, _, code := run(t, "check", basic, "--rules", "builtin:spark"); code != 0 || !strings.Contains(out, "0 error(s), 0 warning(s)") {
		t.Errorf("clean dump: exit %d\n%s", code, out)
	}
	// Warnings alone do not fail.
	rules := filepath.Join(dir, "warn.yaml")
	os.WriteFile(rules, []byte("rules:\n- {id: w, description: many arrays, severity: warning, instances: {class: \"byte[]\", max: 10}}\n"), 0o644)
	if out, _, code := run(t, "check", spark, "--rules", rules); code != 0 || !strings.Contains(out, "WARN  w") {
		t.Errorf("warning only: exit %d\n%s", code, out)
	}

	// JSON.
	out, _, code = run(t, "check", spark, "--rules", "builtin:spark", "--format", "json")
	var res struct {
		Errors int
		Rules  []struct {
			ID       string
			Findings []struct {
				Objects []struct{ ID string }
				Path    []struct{ Field, Class string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || res.Errors != 1 || res.Rules[0].Findings[0].Objects[0].ID != "0xfab1e388" {
		t.Errorf("json: exit %d, %v\n%s", code, err, out)
	}

	// GitHub Actions annotations.
	t.Setenv("GITHUB_ACTIONS", "true")
	out, _, _ = run(t, "check", spark, "--rules", "builtin:spark")
	if !strings.Contains(out, "::error title=leakscan spark-memory-accounting::org.apache.spark.util.collection.ExternalAppendOnlyMap 0xfab1e388 claims") ||
		!strings.Contains(out, "%0Apath: Thread") {
		t.Errorf("annotations:\n%s", out)
	}
	t.Setenv("GITHUB_ACTIONS", "")

	// Usage and input errors exit 2.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("rules: [{id: x, retained: {class: A, max: lots}}]"), 0o644)
	for _, args := range [][]string{
		{"check", spark},
		{"check", spark, "--rules", bad},
		{"check", spark, "--rules", filepath.Join(dir, "missing.yaml")},
		{"check", spark, "--rules", "builtin:nope"},
	} {
		if _, errOut, code := run(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}

	// --init writes the example once.
	example := filepath.Join(dir, "rules.yaml")
	if out, _, code := run(t, "check", "--init", "--rules", example); code != 0 || !strings.Contains(out, "wrote") {
		t.Errorf("--init: exit %d %q", code, out)
	}
	if _, errOut, code := run(t, "check", "--init", "--rules", example); code != 2 || !strings.Contains(errOut, "exists") {
		t.Errorf("--init again: exit %d %q", code, errOut)
	}
	if _, errOut, code := run(t, "check", spark, "--rules", example); code != 1 || errOut != "" {
		t.Errorf("the example rules on the fixture: exit %d %q", code, errOut)
	}
}
