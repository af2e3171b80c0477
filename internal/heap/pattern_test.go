package heap

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestNestedSimpleName: a nested class's simple name matches it, as a
// top-level class's does, and only after a '.' or a '$'.
func TestNestedSimpleName(t *testing.T) {
	re, err := ClassPattern("SpillableIterator")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"org.apache.spark.util.collection.ExternalAppendOnlyMap$SpillableIterator": true,
		"SpillableIterator":                          true,
		"org.acme.SpillableIterator":                 true,
		"org.acme.MySpillableIterator":               false,
		"org.acme.Outer$MySpillableIterator":         false,
		"org.acme.SpillableIterator$Inner":           false,
		"org.apache.spark.util.collection.Spillable": false,
	} {
		if re.Match(name) != want {
			t.Errorf("SpillableIterator matches %s: %v, want %v", name, !want, want)
		}
	}
}

// TestClassPattern: the forms every class option takes, matched against
// the JVM's names and the source's.
func TestClassPattern(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"ExternalAppendOnlyMap", "org.apache.spark.util.collection.ExternalAppendOnlyMap", true},
		{"collection.ExternalAppendOnlyMap", "org.apache.spark.util.collection.ExternalAppendOnlyMap", true},
		{"AppendOnlyMap$$anon$1", "org.apache.spark.util.collection.AppendOnlyMap$$anon$1", true},
		{"AppendOnlyMap", "org.apache.spark.util.collection.AppendOnlyMap$$anon$1", false},
		{"byte[]", "[B", true},
		{"[B", "[B", true},
		{"String[]", "[Ljava.lang.String;", true},
		{"String", "[Ljava.lang.String;", false},
		{"org.apache.spark.*", "org.apache.spark.memory.TaskMemoryManager", true},
		{"org.apache.spark.*", "org.apache.hive.Foo", false},
		{"*Map", "java.util.HashMap", true},
		{"*Map", "java.util.HashMap$Node", false},
		{"/^java\\.util\\.(Hash|Tree)Map$/", "java.util.TreeMap", true},
		{"/^java\\.util\\.(Hash|Tree)Map$/", "java.util.TreeMap$Entry", false},
		{"", "anything", true},
	} {
		re, err := ClassPattern(c.pattern)
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		if got := re.Match(c.name); got != c.want {
			t.Errorf("%q matches %s: %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
	if _, err := ClassPattern("/(/"); err == nil {
		t.Error("a bad /regex/ compiled")
	}
}

// TestPlainNameAsRegexp: a plain name is compared, not matched by a
// regular expression; on random names both say the same.
func TestPlainNameAsRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab.$["[r.IntN(5)]
		}
		return string(b)
	}
	for range 20000 {
		p, name := word(1+r.IntN(4)), word(r.IntN(9))
		if strings.Contains(p, "*") || (len(p) > 1 && p[0] == '/') {
			continue
		}
		m, err := ClassPattern(p)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`(^|[.$])` + regexp.QuoteMeta(p) + "$")
		if want := re.MatchString(name) || re.MatchString(SourceName(name)); m.Match(name) != want {
			t.Fatalf("%q matches %q: %v, want %v", p, name, !want, want)
		}
	}
}
