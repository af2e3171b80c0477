package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/check"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
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
	// The fixture's executor has no netty pooled arenas: one line for the
	// set says which rule checks nothing.
	nettyNote := "leakscan: warning: builtin:spark: 1 of 3 rules checks nothing, no class in the dump matching it: spark-netty-direct-arenas (io.netty.buffer.PoolArena$DirectArena)\n"
	if code != 1 || errOut != nettyNote || !strings.Contains(out, "FAIL  spark-memory-accounting") || !strings.Contains(out, "1 error, 0 warnings") {
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

	// A dump without Spark passes: exit 0. Basic holds no Spark class: the
	// rules are skipped, and one warning says that the built-in set checks
	// nothing there.
	if out, errOut, code := run(t, "check", basic, "--rules", "builtin:spark"); code != 0 || !strings.Contains(out, "0 errors, 0 warnings, 3 skipped") ||
		errOut != "leakscan: warning: builtin:spark: no Spark class in the dump: its 3 rules check nothing\n" {
		t.Errorf("clean dump: exit %d, stderr %q\n%s", code, errOut, out)
	}
	// A dump with netty but no Spark: one line for the two Spark rules.
	netty := filepath.Join(root(t), "testdata", "dumps", "Netty.hprof")
	if _, errOut, code := run(t, "check", netty, "--rules", "builtin:spark"); code != 0 ||
		errOut != "leakscan: warning: builtin:spark: 2 of 3 rules check nothing, no class in the dump matching them: "+
			"spark-memory-accounting (org.apache.spark.memory.MemoryConsumer); spark-duplicate-classes (/^org\\.apache\\.(spark|hadoop\\.hive)\\./)\n" {
		t.Errorf("builtin:spark on Netty: exit %d, stderr %q", code, errOut)
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

	// GitHub Actions annotations go to stderr (GitHub reads workflow
	// commands from both streams), so that JSON on stdout stays JSON.
	t.Setenv("GITHUB_ACTIONS", "true")
	out, errOut, _ = run(t, "check", spark, "--rules", "builtin:spark", "--format", "json")
	if !strings.Contains(errOut, "::error title=leakscan spark-memory-accounting::org.apache.spark.util.collection.ExternalAppendOnlyMap 0xfab1e388 claims") ||
		!strings.Contains(errOut, "%0Apath: Thread") {
		t.Errorf("annotations:\n%s", errOut)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || strings.Contains(out, "::error") {
		t.Errorf("json with annotations: %v\n%s", err, out)
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
	// --init with a dump checks nothing: exit 2, not a passing CI job.
	other := filepath.Join(dir, "other.yaml")
	if _, errOut, code := run(t, "check", spark, "--init", "--rules", other); code != 2 || !strings.Contains(errOut, "checks no dump") {
		t.Errorf("--init with a dump: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("--init with a dump wrote the example")
	}
	// Nor with a report's flags: no report would be written.
	if _, errOut, code := run(t, "check", "--init", "--rules", other, "--junit", filepath.Join(dir, "j.xml")); code != 2 || !strings.Contains(errOut, "--junit is for a check") {
		t.Errorf("--init --junit: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("--init --junit wrote the example")
	}
	// Its com.example rules match nothing there: warnings, not errors.
	if _, errOut, code := run(t, "check", spark, "--rules", example); code != 1 || !strings.Contains(errOut, "warning: rule too-many-sessions: instances.class com.example.Session matches no class") {
		t.Errorf("the example rules on the fixture: exit %d %q", code, errOut)
	}
}

// TestCheckRulesStdin: --rules - reads the rules from standard input,
// as --init --rules - writes them to stdout; a mistake there names
// <stdin> and its line.
func TestCheckRulesStdin(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	check := func(rules string) (string, string, int) {
		var out, errb bytes.Buffer
		code := Main([]string{"check", spark, "--rules", "-", "--no-index"}, &IOStreams{In: strings.NewReader(rules), Out: &out, Err: &errb})
		return out.String(), errb.String(), code
	}
	out, errOut, code := check("rules:\n- {id: maps, severity: error, instances: {class: ExternalAppendOnlyMap, max: 1}}\n")
	if code != 1 || !strings.Contains(out, "FAIL  maps") {
		t.Errorf("exit %d, %q\n%s", code, errOut, out)
	}
	if _, errOut, code := check("rules:\n- {id: maps, instances: {class: ExternalAppendOnlyMap, maxx: 1}}\n"); code != 2 || !strings.HasPrefix(errOut, "leakscan: <stdin>:2: rule 1 (maps)") {
		t.Errorf("a mistake: exit %d, %q", code, errOut)
	}
	var example bytes.Buffer
	if code := Main([]string{"check", "--init", "--rules", "-"}, &IOStreams{In: strings.NewReader(""), Out: &example, Err: &bytes.Buffer{}}); code != 0 {
		t.Fatalf("--init --rules -: exit %d", code)
	}
	if _, errOut, code := check(example.String()); code == 2 {
		t.Errorf("the example through stdin: exit 2, %q", errOut)
	}
}

// TestCheckInputErrors: mistakes in the rules or the options exit 2 with
// one line that names what is wrong, found before the analysis where they
// can be; rules that merely match nothing in the dump warn on stderr.
func TestCheckInputErrors(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	missing := filepath.Join(dir, "missing.hprof") // errors found before the dump is opened
	report := filepath.Join(dir, "report.out")
	linked := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(dir, linked); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		say  []string
	}{
		{"empty rules file", []string{"check", missing, "--rules", write("empty.yaml", "")}, []string{"empty.yaml: the file is empty"}},
		{"two documents", []string{"check", missing, "--rules", write("two.yaml", "rules: [{id: a, instances: {class: A, max: 1}}]\n---\nrules: [{id: b, instances: {class: B, max: 1}}]\n")},
			[]string{"two.yaml:2: a second YAML document (the first from line 1)"}},
		{"bad max", []string{"check", missing, "--rules", write("max.yaml", "rules: [{id: a, instances: {class: A, max: 1.5}}]\n")}, []string{`max.yaml:1: rule 1 (a): instances.max "1.5": expected a whole number`}},
		{"share above 100%", []string{"check", missing, "--rules", write("share.yaml", "rules: [{id: big, retained: {class: ChainNode, max: 150%}}]\n")},
			[]string{"share.yaml:1: rule 1 (big): retained.max \"150%\": a share of the reachable heap is at most 100%"}},
		{"max-excess above 100%", []string{"check", missing, "--rules", write("excess.yaml", "rules: [{id: acc, accounting: {class: A, field: used, max-excess: 101%}}]\n")},
			[]string{"excess.yaml:1: rule 1 (acc): accounting.max-excess \"101%\": a share"}},
		{"bad through", []string{"check", missing, "--rules", write("through.yaml", "rules: [{id: p, path: {class: A, through: '/(/'}}]\n")},
			[]string{"rule 1 (p): path.through: class pattern /(/"}},
		{"malformed YAML", []string{"check", missing, "--rules", write("syntax.yaml", "rules:\n  - id: a\n    instances:\n      class: A\n     max: 3\n")},
			[]string{"syntax.yaml:5: did not find expected key"}},
		{"unknown key", []string{"check", missing, "--rules", write("key.yaml", "rules:\n  - id: a\n    instances: {class: A, maxx: 3}\n")},
			[]string{"key.yaml:3: rule 1 (a): unknown key instances.maxx (instances takes class, max)"}},
		{"two kinds", []string{"check", missing, "--rules", write("kinds.yaml", "rules:\n  - id: a\n    instances: {class: A, max: 3}\n    path: {class: A, through: B}\n")},
			[]string{"kinds.yaml:2: rule 1 (a): instances and path: a rule has one kind"}},
		{"no kind", []string{"check", missing, "--rules", write("nokind.yaml", "rules:\n  - id: a\n")}, []string{"nokind.yaml:2: rule 1 (a): no kind"}},
		{"an id twice", []string{"check", missing, "--rules", write("ids.yaml", "rules:\n- {id: a, instances: {class: A, max: 3}}\n- {id: a, instances: {class: B, max: 3}}\n")},
			[]string{"ids.yaml:3: rule 2 (a): id a is rule 1's too (line 2)"}},
		{"no folder for --sarif", []string{"check", missing, "--rules", "builtin:spark", "--sarif", filepath.Join(dir, "nonexist", "x.sarif")},
			[]string{"--sarif " + filepath.Join(dir, "nonexist", "x.sarif") + ": cannot write in"}},
		{"--junit and --sarif one file", []string{"check", missing, "--rules", "builtin:spark", "--junit", report, "--sarif", report},
			[]string{"--junit " + report + " and --sarif " + report + " name one file"}},
		{"one file, written otherwise", []string{"check", missing, "--rules", "builtin:spark", "--sarif", report, "--junit", dir + "/./report.out"},
			[]string{"--junit " + dir + "/./report.out and --sarif " + report + " name one file"}},
		{"one file through a linked folder", []string{"check", missing, "--rules", "builtin:spark", "--junit", report, "--sarif", filepath.Join(linked, "report.out")},
			[]string{"name one file"}},
		{"--junit a folder", []string{"check", missing, "--rules", "builtin:spark", "--junit", dir}, []string{"--junit " + dir + ": a folder"}},
		{"misspelt field", []string{"check", spark, "--rules", write("field.yaml", "rules: [{id: acc, accounting: {class: MemoryConsumer, field: usd, max-excess: 1MB}}]\n")},
			[]string{"field.yaml:1: rule 1 (acc): accounting.field: no matching class has a field usd"}},
	} {
		out, errOut, code := run(t, c.args...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || out != "" || len(lines) != 1 || strings.Contains(errOut, ".leakscan-") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q: want exit 2 and one line", c.name, code, out, errOut)
		}
		for _, say := range c.say {
			if !strings.Contains(errOut, say) {
				t.Errorf("%s: stderr %q does not say %q", c.name, errOut, say)
			}
		}
	}

	// --cpuprofile, the one other file check writes, may not be a
	// report's either (the profile is started before the check fails).
	_, errOut, code := run(t, "check", missing, "--rules", "builtin:spark", "--cpuprofile", report, "--junit", report)
	if code != 2 || errOut != "leakscan: --junit "+report+" and --cpuprofile "+report+" name one file: give each a file of its own\n" {
		t.Errorf("--cpuprofile and --junit one file: exit %d, stderr %q", code, errOut)
	}

	// A rule matching nothing is skipped, with a warning: no failure.
	rules := write("nothing.yaml", "rules: [{id: sessions, instances: {class: com.acme.Session, max: 1}}]\n")
	out, errOut, code := run(t, "check", spark, "--rules", rules)
	if code != 0 || !strings.Contains(out, "skip  sessions") ||
		!strings.Contains(errOut, "warning: rule sessions: instances.class com.acme.Session matches no class in the dump") {
		t.Errorf("a rule matching nothing: exit %d, stderr %q\n%s", code, errOut, out)
	}

	// --init does not write a file named after built-in rules.
	t.Chdir(dir)
	if _, errOut, code := run(t, "check", "--init", "--rules", "builtin:spark"); code != 2 || !strings.Contains(errOut, "built-in") {
		t.Errorf("--init --rules builtin:spark: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "builtin:spark")); err == nil {
		t.Error("--init wrote a file named builtin:spark")
	}
}

// TestCheckNotesOnce: a rules file's notes, one line per pattern that
// matches nothing, are given once even when a damaged index part met in
// the analysis makes the command run again (the threads rule reads the
// damaged immediate dominators after the notes are given).
func TestCheckNotesOnce(t *testing.T) {
	dump := sparkCopy(t)
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(rules, []byte(`rules:
- {id: sessions, instances: {class: com.acme.Session, max: 1}}
- {id: held, path: {class: com.acme.Cache, through: com.acme.Holder}}
- {id: threads, instances: {class: java.lang.Thread, max: 100}}
`), 0o644)
	want := "leakscan: warning: rule sessions: instances.class com.acme.Session matches no class in the dump: the rule checks nothing\n" +
		"leakscan: warning: rule held: path.class com.acme.Cache matches no class in the dump: the rule checks nothing\n" +
		"leakscan: warning: rule held: path.through com.acme.Holder matches no class in the dump: the rule checks nothing\n"
	first, errOut, code := runIndexed(t, "check", dump, "--rules", rules)
	if code != 0 || errOut != want {
		t.Fatalf("exit %d, stderr %q, want %q", code, errOut, want)
	}
	damageBlocks(t, dump+".leakscan/dominators.idx", "idom")
	out, errOut, code := runIndexed(t, "check", dump, "--rules", rules)
	if code != 0 || out != first || strings.Count(errOut, "; rebuilding it") != 1 || strings.Replace(errOut, want, "", 1) == errOut ||
		strings.Count(errOut, "com.acme.Session") != 1 {
		t.Errorf("a damaged part: exit %d, same output %v, stderr %q", code, out == first, errOut)
	}
}

// TestFirstSentence: a SARIF rule's short description is its description's
// first sentence, not what comes before its first dot.
func TestFirstSentence(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"A MemoryConsumer (ExternalAppendOnlyMap, ExternalSorter, ...) retains much more. Memory the manager misses.",
			"A MemoryConsumer (ExternalAppendOnlyMap, ExternalSorter, ...) retains much more."},
		{"org.apache.spark.MemoryConsumer leaks. Second.", "org.apache.spark.MemoryConsumer leaks."},
		{"Caches over 30% of the heap", "Caches over 30% of the heap"},
		{"First line\nsecond line.", "First line"},
		{"Ends with a dot.", "Ends with a dot."},
		{"", ""},
	} {
		if got := firstSentence(c.in); got != c.want {
			t.Errorf("firstSentence(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestCheckSkipped: a rule whose class pattern matches no class in the
// dump checks nothing, and every report says so instead of calling it
// passed: skip and the reason in the table, status "skipped" and the
// reason in JSON, a skipped test case in JUnit, a note among SARIF's
// tool execution notifications and no result. It fails no job, and the
// warning on stderr stays.
func TestCheckSkipped(t *testing.T) {
	sch := sarifSchema(t)
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte(`rules:
- {id: sessions, instances: {class: com.acme.Session, max: 1}}
- {id: threads, instances: {class: java.lang.Thread, max: 100}}
`), 0o644)
	junit, sarif := filepath.Join(dir, "report.xml"), filepath.Join(dir, "report.sarif")
	const reason = "no class matches com.acme.Session"

	out, errOut, code := run(t, "check", spark, "--rules", rules, "--junit", junit, "--sarif", sarif)
	if code != 0 || !strings.Contains(out, "skip  sessions (error, instances): "+reason+"\n") || !strings.Contains(out, "ok    threads (error, instances)\n") ||
		!strings.HasSuffix(out, "\n0 errors, 0 warnings, 1 skipped\n") ||
		errOut != "leakscan: warning: rule sessions: instances.class com.acme.Session matches no class in the dump: the rule checks nothing\n" {
		t.Errorf("table: exit %d, stderr %q\n%s", code, errOut, out)
	}

	out, _, code = run(t, "check", spark, "--rules", rules, "--format", "json")
	var res struct {
		Errors, Warnings, Skipped int
		Rules                     []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || len(res.Rules) != 2 || res.Skipped != 1 {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	if s := res.Rules[0]; s["status"] != "skipped" || s["reason"] != reason || fmt.Sprint(s["findings"]) != "[]" {
		t.Errorf("json, the skipped rule: %v", s)
	}
	if _, ok := res.Rules[1]["status"]; ok {
		t.Errorf("json, the rule evaluated has a status: %v", res.Rules[1])
	}

	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Tests   int `xml:"tests,attr"`
			Skipped int `xml:"skipped,attr"`
			Cases   []struct {
				Name    string `xml:"name,attr"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 2 {
		t.Fatalf("JUnit: %v\n%s", err, data)
	}
	suite := doc.Suites[0]
	if c := suite.Cases[0]; suite.Tests != 2 || suite.Skipped != 1 || c.Skipped == nil || c.Skipped.Message != reason || c.Failure != nil ||
		suite.Cases[1].Skipped != nil {
		t.Errorf("JUnit:\n%s", data)
	}

	validateSARIF(t, sch, sarif)
	data, err = os.ReadFile(sarif)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results     []struct{ RuleID string }
			Invocations []struct {
				ExecutionSuccessful        bool
				ToolExecutionNotifications []struct {
					Level          string
					Message        struct{ Text string }
					AssociatedRule struct {
						ID    string
						Index int
					}
				}
			}
		}
	}
	if err := json.Unmarshal(data, &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("SARIF: %v\n%s", err, data)
	}
	r := log.Runs[0]
	if len(r.Results) != 0 || len(r.Invocations) != 1 || !r.Invocations[0].ExecutionSuccessful || len(r.Invocations[0].ToolExecutionNotifications) != 1 {
		t.Fatalf("SARIF:\n%s", data)
	}
	if n := r.Invocations[0].ToolExecutionNotifications[0]; n.Level != "note" || n.AssociatedRule.ID != "sessions" || n.AssociatedRule.Index != 0 ||
		!strings.Contains(n.Message.Text, reason) {
		t.Errorf("SARIF notification: %+v", n)
	}

	// GitHub Actions: a notice, which fails no job.
	t.Setenv("GITHUB_ACTIONS", "true")
	_, errOut, code = run(t, "check", spark, "--rules", rules)
	if code != 0 || !strings.Contains(errOut, "\n::notice title=leakscan sessions::rule sessions skipped, as it checks nothing in the dump: "+reason+"\n") ||
		strings.Count(errOut, "::") != 2 {
		t.Errorf("annotations: exit %d, stderr %q", code, errOut)
	}
}

// TestCheckBuiltinFieldMissing: builtin:spark on a Spark whose
// MemoryConsumer has no field used (another version) skips the rule that
// reads it, naming the class and the field, rather than exit 2 blaming a
// rule its user cannot edit. The same rule in a user's rules file is still
// an input error.
func TestCheckBuiltinFieldMissing(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	consumer := w.Class("org/apache/spark/memory/MemoryConsumer", obj, 0, nil,
		[]hproftest.Field{{Name: "pageSize", Type: hprof.TypeLong}, {Name: "taskMemoryManager", Type: hprof.TypeObject}})
	sorter := w.Class("org/apache/spark/util/collection/ExternalSorter", consumer, 0, nil, nil)
	x := w.NewID()
	w.Instance(x, sorter, []hprof.BasicType{hprof.TypeLong, hprof.TypeObject}, []uint64{1 << 20, 0})
	w.Root(hprof.SubRootJNIGlobal, x, 0, 0)
	dump := writeDump(t, w, "spark-other.hprof")
	const reason = "org.apache.spark.memory.MemoryConsumer: no matching class has a field used (fields that are a long, int or short: pageSize)"

	out, errOut, code := run(t, "check", dump, "--rules", "builtin:spark")
	if code != 0 || !strings.Contains(out, "skip  spark-memory-accounting (error, accounting): "+reason+"\n") ||
		!strings.Contains(out, "ok    spark-duplicate-classes") || !strings.Contains(out, "0 errors, 0 warnings, 2 skipped") ||
		!strings.Contains(errOut, "builtin:spark: 2 of 3 rules check nothing: spark-memory-accounting") ||
		!strings.Contains(errOut, "builtin:spark: rule spark-memory-accounting checks nothing") || !strings.Contains(errOut, reason) {
		t.Errorf("builtin:spark: exit %d, stderr %q\n%s", code, errOut, out)
	}
	out, _, code = run(t, "check", dump, "--rules", "builtin:spark", "--format", "json")
	var res struct {
		Skipped int
		Rules   []struct{ ID, Status, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.Skipped != 2 || len(res.Rules) != 3 ||
		res.Rules[0].Status != "skipped" || res.Rules[0].Reason != reason {
		t.Errorf("builtin:spark, json: exit %d, %v\n%s", code, err, out)
	}

	rules := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(rules, []byte("rules: [{id: acc, accounting: {class: org.apache.spark.memory.MemoryConsumer, field: used, max-excess: 1MiB}}]\n"), 0o644)
	if out, errOut, code := run(t, "check", dump, "--rules", rules); code != 2 || out != "" ||
		!strings.Contains(errOut, "rule 1 (acc): accounting.field: no matching class has a field used") {
		t.Errorf("a rules file: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// An output flag naming one of the command's inputs (the dump, the rules
// file) is refused before anything is written: the report would replace
// the input. report -o likewise.
func TestOutputNotAnInput(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(dir, "copy.hprof")
	rules := filepath.Join(dir, "rules.yaml")
	ruleText := []byte("rules: [{id: a, instances: {class: java.lang.String, max: 1000000}}]\n")
	if err := os.WriteFile(dump, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rules, ruleText, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		say  string
	}{
		{[]string{"check", dump, "--rules", rules, "--junit", dump}, "--junit " + dump + " names an input of the command"},
		{[]string{"check", dump, "--rules", rules, "--sarif", rules}, "--sarif " + rules + " names an input of the command"},
		{[]string{"report", dump, "-o", dump}, "-o " + dump + " names an input of the command"},
		// The profile is created before the command runs: it is refused
		// before that.
		{[]string{"check", dump, "--rules", rules, "--cpuprofile", dump}, "--cpuprofile " + dump + " names an input of the command"},
		{[]string{"check", dump, "--rules", rules, "--cpuprofile", rules}, "--cpuprofile " + rules + " names an input of the command"},
		{[]string{"dominators", dump, "--cpuprofile", dump}, "--cpuprofile " + dump + " names an input of the command"},
	} {
		_, errOut, code := run(t, append(c.args, "--no-index")...)
		if code != 2 || !strings.Contains(errOut, c.say) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want exit 2 and one line saying %q", c.args, code, errOut, c.say)
		}
	}
	if b, _ := os.ReadFile(dump); !bytes.Equal(b, src) {
		t.Error("the dump was written over")
	}
	if b, _ := os.ReadFile(rules); !bytes.Equal(b, ruleText) {
		t.Error("the rules file was written over")
	}
	// A report beside them is still written.
	if _, errOut, code := run(t, "check", dump, "--rules", rules, "--junit", filepath.Join(dir, "junit.xml"), "--no-index"); code != 0 {
		t.Errorf("check --junit junit.xml: exit %d %s", code, errOut)
	}
}

// pathText writes a folded path's middle as a count of the steps left out.
func TestPathTextFolded(t *testing.T) {
	got := pathText([]check.Step{{GCRoot: "<JNI Global>", Class: "com.acme.Holder"}, {Field: "next", Class: "com.acme.Node"}, {Elided: 82}, {Field: "next", Class: "com.acme.Target"}})
	if want := "<JNI Global> com.acme.Holder → next com.acme.Node → … 82 more steps → next com.acme.Target"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestAnnotationsMore: the GitHub Actions annotations say what they leave
// out, as the text, JUnit and SARIF do: 25 findings gave 10 annotations and
// no word of the other 15 (found by a CI-user test).
func TestAnnotationsMore(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "true")
	dump := filepath.Join(root(t), "testdata", "dumps", "JobServer.hprof")
	_, errOut, _ := run(t, "check", dump, "--rules", "builtin:spark")
	if !strings.Contains(errOut, "::error title=leakscan spark-duplicate-classes::… and 15 more findings of rule spark-duplicate-classes, not listed: 25 in all\n") ||
		strings.Count(errOut, "::error title=leakscan spark-duplicate-classes::") != 11 {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// TestCheckInitStdout: --init --rules - writes the example to stdout, as
// report -o - does; it wrote a file named "-" (found by a CI-user test).
// And the JSON's skipped count is there when 0, as its findings' are.
func TestCheckInitStdout(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	t.Chdir(t.TempDir())
	out, errOut, code := run(t, "check", "--init", "--rules", "-")
	if _, err := os.Stat("-"); code != 0 || !strings.HasPrefix(out, "# leakscan check rules.") || err == nil {
		t.Errorf("exit %d (%s), a file named - made: %v; stdout %.80q", code, errOut, err == nil, out)
	}
	if out, _, _ := run(t, "check", spark, "--rules", "builtin:spark", "--format", "json"); !strings.Contains(out, `"skipped": `) {
		t.Errorf("no skipped count in:\n%.400s", out)
	}
}
