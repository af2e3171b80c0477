package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDominatorsOf: dominators --of in its three formats gives the same
// rows (CSV marking the statics rows); the dominated objects and the unreachable ones are all the
// matching objects; --skip ” passes over nothing; flags that shape the
// tree are refused with it.
func TestDominatorsOf(t *testing.T) {
	spark := filepath.Join(root(t), "testdata", "dumps", "Spark22713.hprof")
	type result struct {
		Skip        []string `json:"skip"`
		Matching    int64    `json:"matching_objects"`
		Unreachable int64    `json:"unreachable_matching_objects"`
		Classes     []struct {
			Class      string `json:"class"`
			Dominated  int64  `json:"dominated"`
			Retained   uint64 `json:"dominated_retained_bytes"`
			Dominators int64  `json:"dominators"`
			Biggest    *struct {
				ID string `json:"id"`
			} `json:"biggest"`
		} `json:"classes"`
		More int `json:"more_classes"`
	}
	of := func(args ...string) result {
		t.Helper()
		out, errOut, code := run(t, append([]string{"dominators", spark, "--of", "byte[]", "--format", "json", "--top", "0"}, args...)...)
		var r result
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
			t.Fatalf("exit %d, %v: %s\n%s", code, err, errOut, out)
		}
		return r
	}
	for _, r := range []result{of(), of("--skip", "")} {
		sum := r.Unreachable
		for _, c := range r.Classes {
			sum += c.Dominated
			if (c.Class == "<ROOT>") != (c.Biggest == nil) || (c.Class == "<ROOT>") != (c.Dominators == 0) {
				t.Errorf("skip %q: row %+v", r.Skip, c)
			}
		}
		if sum != r.Matching || r.More != 0 || r.Matching == 0 {
			t.Errorf("skip %q: %d dominated and unreachable, %d matching, %d more", r.Skip, sum, r.Matching, r.More)
		}
	}
	jdk, none := of(), of("--skip", "")
	if len(none.Skip) != 0 || len(jdk.Skip) != 1 || none.Classes[0].Class != "java.lang.Object[]" || jdk.Classes[0].Class != "org.apache.spark.util.collection.SizeTrackingAppendOnlyMap" {
		t.Errorf("first rows %q (skip %q) and %q (skip %q)", jdk.Classes[0].Class, jdk.Skip, none.Classes[0].Class, none.Skip)
	}

	out, _, code := run(t, "dominators", spark, "--of", "byte[]", "--format", "csv", "--top", "0")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != len(jdk.Classes)+1 || rows[0][0] != "class" || rows[0][5] != "dominated_retained_bytes" || rows[0][10] != "statics" {
		t.Fatalf("csv: exit %d, %v:\n%s", code, err, out)
	}
	for i, c := range jdk.Classes {
		if rows[i+1][0] != c.Class || rows[i+1][3] != strconv.FormatInt(c.Dominated, 10) || rows[i+1][5] != strconv.FormatUint(c.Retained, 10) ||
			rows[i+1][10] != strconv.FormatBool(strings.HasPrefix(c.Class, "class ")) {
			t.Errorf("csv row %d %q, json %+v", i+1, rows[i+1], c)
		}
	}

	for _, args := range [][]string{
		{"--of", "byte[]", "--depth", "1"}, {"--of", "byte[]", "--object", "0xfab15020"}, {"--of", "byte[]", "--group-by", "class"},
		{"--of", "byte[]", "--children", "2"}, {"--of", "byte[]", "--min-retained", "1%"}, {"--skip", "java.*"}, {"--of", "NoSuchClass"},
		{"--of", ""},
	} {
		if out, errOut, code := run(t, append([]string{"dominators", spark}, args...)...); code != 2 || out != "" || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// TestDominatorsOfNoClassNoTree: --of a class the dump lacks is refused
// before the tree is made: the index gets no dominators part (it got one,
// the error coming after the tree; found by a review).
func TestDominatorsOfNoClassNoTree(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "Basic.hprof")
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dump, data, 0o644); err != nil {
		t.Fatal(err)
	}
	idx := filepath.Join(dir, "idx")
	if out, errOut, code := runIndexed(t, "dominators", dump, "--of", "NoSuchClass", "--index-dir", idx); code != 2 || out != "" || !strings.Contains(errOut, `--of "NoSuchClass": no class of that name`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(idx, "dominators.idx")); !os.IsNotExist(err) {
		t.Errorf("the dominators part was written: %v", err)
	}
}
