package heap

import "testing"

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
		if re.MatchString(name) != want {
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
		if got := MatchesClass(re, c.name); got != c.want {
			t.Errorf("%q matches %s: %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
	if _, err := ClassPattern("/(/"); err == nil {
		t.Error("a bad /regex/ compiled")
	}
}
