package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/testjvm"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func root(t *testing.T) string {
	t.Helper()
	r, err := testjvm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run executes leakscan in-process and returns stdout, stderr and status.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(root(t), "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./internal/cli -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof")
	cases := map[string][]string{
		"histogram.txt":       {"histogram", dump, "--top", "15"},
		"histogram.json":      {"histogram", dump, "--top", "5", "--format", "json"},
		"histogram.csv":       {"histogram", dump, "--top", "5", "--format", "csv", "--jvm-names"},
		"histogram-match.txt": {"histogram", dump, "--match", `^java\.util\.HashMap`},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, name, out)
		})
	}
}

func TestInfo(t *testing.T) {
	dump := filepath.Join(root(t), "testdata", "dumps", "Basic.hprof.gz")
	out, errOut, code := run(t, "info", dump)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"gzip (chunked)", "JAVA PROFILE 1.0.2, 8-byte identifiers", "21,756: 17,815 instances",
		"compressed oops on", "JDK 17 rules", "Java Local 19", "System Class 466", "0 dangling"} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
	out, _, code = run(t, "info", dump, "--format", "json")
	if code != 0 || !strings.Contains(out, `"objects": 21756`) || !strings.Contains(out, `"compressed_oops": true`) {
		t.Errorf("json info (exit %d):\n%s", code, out)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	notDump := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDump, []byte("hello, this is not a heap dump"), 0o644)
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.hprof")
	os.WriteFile(cut, data[:len(data)/2], 0o644)
	cases := []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"histogram", notDump}, 2, notDump + ": offset 0: not an HPROF heap dump"},
		{[]string{"histogram", cut}, 2, "try --allow-truncated"},
		{[]string{"histogram", filepath.Join(dir, "missing.hprof")}, 2, "no such file"},
		{[]string{"histogram"}, 2, "accepts 1 arg"},
		{[]string{"histogram", cut, "--format", "xml"}, 2, `--format "xml": expected one of table, json, csv`},
		{[]string{"histogram", cut, "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"info", cut, "--compressed-oops", "maybe"}, 2, "expected auto, on or off"},
	}
	for _, c := range cases {
		out, errOut, code := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.say) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and one line saying %q", c.args, code, errOut, out, c.code, c.say)
		}
	}
	out, errOut, code := run(t, "histogram", cut, "--allow-truncated", "--top", "3")
	if code != 0 || !strings.Contains(errOut, "truncated at offset") || !strings.Contains(out, "Instances") {
		t.Errorf("--allow-truncated: exit %d, stderr %q", code, errOut)
	}
}
