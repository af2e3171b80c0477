package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/leakscan/leakscan/internal/check"
	"github.com/leakscan/leakscan/internal/check/checktest"
)

// sarifSchemaPath is the OASIS SARIF 2.1.0 JSON schema, vendored as test
// data (see testdata/sarif/README.md).
const sarifSchemaPath = "testdata/sarif/sarif-schema-2.1.0.json"

// offlineLoader refuses every load: the SARIF schema is added to the
// compiler as a resource and its draft-07 meta-schema is built into the
// library, so nothing should ever be fetched.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("refusing to load %s: the SARIF test runs offline", url)
}

// sarifSchema compiles the vendored SARIF schema without any network or
// file loading beyond reading the schema itself.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join(root(t), filepath.FromSlash(sarifSchemaPath)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", sarifSchemaPath, err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		t.Fatalf("%s: not a JSON object", sarifSchemaPath)
	}
	id, _ := obj["$id"].(string)
	if id == "" {
		t.Fatalf("%s: no $id", sarifSchemaPath)
	}
	if s, _ := obj["$schema"].(string); s != "http://json-schema.org/draft-07/schema#" {
		t.Fatalf("%s: $schema is %q, want draft-07", sarifSchemaPath, s)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat() // artifact URIs are uri-references
	c.UseLoader(offlineLoader{})
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compiling %s: %v", sarifSchemaPath, err)
	}
	return sch
}

// validateSARIF checks a SARIF file against the schema, failing the test
// with the validation errors and the file's content when it does not
// validate.
func validateSARIF(t *testing.T, sch *jsonschema.Schema, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s does not validate against the SARIF 2.1.0 schema:\n%#v\n--- SARIF ---\n%s", filepath.Base(path), err, data)
	}
}

// sarifLog is the part of a SARIF log the test looks at.
type sarifLog struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID string `json:"id"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID string `json:"ruleId"`
			Level  string `json:"level"`
		} `json:"results"`
	} `json:"runs"`
}

func TestSARIFValidates(t *testing.T) {
	sch := sarifSchema(t)
	dir := t.TempDir()
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")

	// builtin:spark finds the SPARK-22713 leak: exit 1, results present.
	found := filepath.Join(dir, "spark.sarif")
	stdout, stderr, code := run(t, "check", spark, "--rules", "builtin:spark", "--sarif", found)
	if code != 1 {
		t.Fatalf("check --rules builtin:spark: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	validateSARIF(t, sch, found)

	data, err := os.ReadFile(found)
	if err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" {
		t.Errorf("version %q, want 2.1.0", log.Version)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	r := log.Runs[0]
	if r.Tool.Driver.Name != "leakscan" {
		t.Errorf("driver name %q, want leakscan", r.Tool.Driver.Name)
	}
	if len(r.Tool.Driver.Rules) != 3 {
		t.Errorf("%d driver rules, want 3 (the builtin:spark rules)", len(r.Tool.Driver.Rules))
	}
	accounting := false
	for _, res := range r.Results {
		if res.RuleID == "spark-memory-accounting" && res.Level == "error" {
			accounting = true
		}
	}
	if !accounting {
		t.Errorf("no error-level result for spark-memory-accounting among %d results", len(r.Results))
	}

	// A rule that holds: exit 0, no results, still valid SARIF.
	rules := filepath.Join(dir, "quiet.yaml")
	yaml := "rules: [{id: quiet, description: d, severity: error, instances: {class: java.lang.Thread, max: 1000}}]\n"
	if err := os.WriteFile(rules, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	quiet := filepath.Join(dir, "quiet.sarif")
	stdout, stderr, code = run(t, "check", spark, "--rules", rules, "--sarif", quiet)
	if code != 0 {
		t.Fatalf("check --rules quiet.yaml: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	validateSARIF(t, sch, quiet)

	// A rule with more findings than are listed says how many more, in a
	// notification and in its last result: its 10 results looked like all.
	rules = filepath.Join(dir, "many.yaml")
	yaml = "rules: [{id: many, severity: warning, retained: {class: \"byte[]\", per: object, max: 1}}]\n"
	if err := os.WriteFile(rules, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	many := filepath.Join(dir, "many.sarif")
	if stdout, stderr, code = run(t, "check", spark, "--rules", rules, "--sarif", many, "--format", "json"); code != 0 {
		t.Fatalf("check --rules many.yaml: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var res struct {
		Rules []struct {
			More int `json:"more"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res.Rules) != 1 || res.Rules[0].More == 0 {
		t.Fatalf("JSON %v: %.300s", err, stdout)
	}
	validateSARIF(t, sch, many)
	data, err = os.ReadFile(many)
	if err != nil {
		t.Fatal(err)
	}
	var manyLog struct {
		Runs []struct {
			Results []struct {
				Message struct{ Text string } `json:"message"`
			} `json:"results"`
			Invocations []struct {
				Notifications []struct {
					Message struct{ Text string } `json:"message"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &manyLog); err != nil || len(manyLog.Runs) != 1 {
		t.Fatal(err)
	}
	want := fmt.Sprintf("… and %d more findings of rule many, not listed: %d in all, the 10 biggest listed", res.Rules[0].More, res.Rules[0].More+10)
	mr := manyLog.Runs[0]
	if len(mr.Results) != 10 || !strings.HasSuffix(mr.Results[9].Message.Text, "\n"+want) ||
		len(mr.Invocations) != 1 || len(mr.Invocations[0].Notifications) != 1 || mr.Invocations[0].Notifications[0].Message.Text != want {
		t.Errorf("want %q in the last result and a notification:\n%s", want, data)
	}
}

// TestSARIFSchemaRejects makes sure the compiled schema is not vacuous: a
// log with an unknown result level must fail validation.
func TestSARIFSchemaRejects(t *testing.T) {
	sch := sarifSchema(t)
	bad := `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "leakscan"}},
		"results": [{"ruleId": "x", "level": "fatal", "message": {"text": "m"}}]}]}`
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(bad)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err == nil {
		t.Error("a result with level \"fatal\" validated; the schema is not being enforced")
	}
}

// TestSARIFArtifactURI: the dump's path is written as a URI that means the
// dump (SARIF1002, SARIF1004): an absolute path as a file:/// URI, a
// relative one as a relative reference, both percent-encoded, so that a
// space, a '#' (a fragment otherwise) or a '%' in a name stays in the path.
func TestSARIFArtifactURI(t *testing.T) {
	sch := sarifSchema(t)
	dir := t.TempDir()
	abs := filepath.Join(dir, "my dumps", "heap #1 100%.hprof")
	for _, dump := range []string{
		abs,
		"heap #1 100%.hprof",
		filepath.Join("dumps", "a b.hprof"),
		filepath.Join("..", "x.hprof"),
		"a:b.hprof", // not a scheme
	} {
		res := &check.Result{Dump: dump, Rules: []check.RuleResult{{ID: "r", Kind: "instances", Severity: "error",
			Findings: []check.Finding{{Rule: "r", Severity: "error", Message: "m"}}}}}
		file := filepath.Join(dir, "out.sarif")
		if err := writeFile(file, func(w io.Writer) error { return writeSARIF(w, res, nil) }); err != nil {
			t.Fatal(err)
		}
		validateSARIF(t, sch, file)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var log struct {
			Runs []struct {
				Artifacts []struct {
					Location struct{ URI string } `json:"location"`
				} `json:"artifacts"`
				Results []struct {
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						} `json:"physicalLocation"`
					} `json:"locations"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(data, &log); err != nil {
			t.Fatal(err)
		}
		run := log.Runs[0]
		for _, uri := range []string{run.Artifacts[0].Location.URI, run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI} {
			u, err := url.Parse(uri)
			switch {
			case err != nil:
				t.Errorf("%s: %q: %v", dump, uri, err)
			case strings.ContainsAny(uri, " \\"):
				t.Errorf("%s: %q is not encoded", dump, uri)
			case filepath.IsAbs(dump) && (!strings.HasPrefix(uri, "file:///") || u.Path != filepath.ToSlash(dump)):
				t.Errorf("%s: %q is not its file:/// URI", dump, uri)
			case !filepath.IsAbs(dump) && (u.Scheme != "" || u.Fragment != "" || path.Clean(u.Path) != filepath.ToSlash(dump)):
				t.Errorf("%s: %q is not its relative reference (%+v)", dump, uri, u)
			}
		}
	}
}

// TestCheckNoteEverywhere: a path rule's note of the matches it could not
// decide reaches every output CI reads, not only the table and JSON. The
// heap is check's TestPathRuleTooManyWalks one (checktest.CrossingWalks):
// 15 Sessions flagged, 2 matches noted.
func TestCheckNoteEverywhere(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "walks.hprof")
	if err := os.WriteFile(dump, checktest.CrossingWalks(16), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(dump)
	rules := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rules, []byte("rules: [{id: p, severity: warning, path: {class: com.acme.Session, through: com.acme.Session.a}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	junit, sarif := filepath.Join(dir, "out.xml"), filepath.Join(dir, "out.sarif")
	t.Setenv("GITHUB_ACTIONS", "true")
	out, errOut, code := run(t, "check", dump, "--rules", rules, "--junit", junit, "--sarif", sarif, "--no-index")
	const note = "2 matches downstream of objects where more than 16 of its through objects' walks cross could not be told"
	if code != 0 || !strings.Contains(out, "      note: "+note) || !strings.Contains(errOut, "::notice title=leakscan p::rule p: "+note) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Cases []struct {
				Name      string `xml:"name,attr"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil || len(suites.Suites) != 1 || len(suites.Suites[0].Cases) != 1 ||
		!strings.HasPrefix(suites.Suites[0].Cases[0].SystemOut, "warning: ") || !strings.Contains(suites.Suites[0].Cases[0].SystemOut, "\nnote: "+note) {
		t.Errorf("JUnit (%v):\n%s", err, data)
	}

	validateSARIF(t, sarifSchema(t), sarif)
	if data, err = os.ReadFile(sarif); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results     []json.RawMessage `json:"results"`
			Invocations []struct {
				Notifications []struct {
					Level   string                `json:"level"`
					Message struct{ Text string } `json:"message"`
					Rule    struct{ ID string }   `json:"associatedRule"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) != 10 || len(log.Runs[0].Invocations) != 1 {
		t.Fatalf("SARIF (%v):\n%s", err, data)
	}
	found := false
	for _, n := range log.Runs[0].Invocations[0].Notifications {
		if n.Level == "warning" && n.Rule.ID == "p" && strings.HasPrefix(n.Message.Text, "rule p: "+note) {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning notification of the note:\n%s", data)
	}
}
