package testjvm

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFiles creates the files (path relative to dir -> contents).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSources(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Single.java":            "class Single {}",
		"Multi/b/Second.java":    "package b; public class Second {}",
		"Multi/a/Main.java":      "package a; public class Main {}",
		"Multi/a/notes.txt":      "not Java",
		"spark9/x/Y.java":        "package x; public class Y {}",
		"Both.java":              "class Both {}",
		"Both/p/Q.java":          "package p; public class Q {}",
		"Empty/readme.txt":       "no sources",
		"Multi/a/deep/Deep.java": "package a.deep; public class Deep {}",
	})
	rel := func(files []string) []string {
		var out []string
		for _, f := range files {
			r, err := filepath.Rel(dir, f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, filepath.ToSlash(r))
		}
		return out
	}

	tests := []struct {
		name      string
		o         Options
		files     []string
		mainClass string
		err       string
	}{
		{name: "single file", o: Options{Program: "Single"},
			files: []string{"Single.java"}, mainClass: "Single"},
		{name: "single file, explicit main", o: Options{Program: "Single", MainClass: "Single"},
			files: []string{"Single.java"}, mainClass: "Single"},
		{name: "directory", o: Options{Program: "Multi", MainClass: "a.Main"},
			files:     []string{"Multi/a/Main.java", "Multi/a/deep/Deep.java", "Multi/b/Second.java"},
			mainClass: "a.Main"},
		{name: "directory, default main", o: Options{Program: "Multi"},
			files:     []string{"Multi/a/Main.java", "Multi/a/deep/Deep.java", "Multi/b/Second.java"},
			mainClass: "Multi"},
		{name: "lower-case directory", o: Options{Program: "Spark9", MainClass: "x.Y"},
			files: []string{"spark9/x/Y.java"}, mainClass: "x.Y"},
		{name: "ambiguous", o: Options{Program: "Both"}, err: "ambiguous"},
		{name: "no sources", o: Options{Program: "Empty"}, err: "no .java files"},
		{name: "missing", o: Options{Program: "Missing"}, err: "neither"},
		{name: "bad program", o: Options{Program: "../x"}, err: "invalid program name"},
		{name: "bad main class", o: Options{Program: "Multi", MainClass: "a..Main"}, err: "invalid main class"},
		{name: "main class with slash", o: Options{Program: "Multi", MainClass: "a/Main"}, err: "invalid main class"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, mainClass, err := Sources(dir, tc.o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := rel(files); !reflect.DeepEqual(got, tc.files) {
				t.Errorf("files = %q, want %q", got, tc.files)
			}
			if mainClass != tc.mainClass {
				t.Errorf("main class = %q, want %q", mainClass, tc.mainClass)
			}
		})
	}
}

// TestRunMultiPackage compiles and runs a program spread over two packages,
// with a main class in a package and a nested class named like scalac's
// anonymous classes.
func TestRunMultiPackage(t *testing.T) {
	if ok, reason := Available(); !ok {
		t.Skip(reason)
	}
	if testing.Short() {
		t.Skip("starts a JVM; skipped in -short mode")
	}
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"Multi/com/example/app/Main.java": `package com.example.app;

import com.example.model.Holder;

public class Main {
    static Holder[] HOLDERS;

    public static void main(String[] args) throws Exception {
        HOLDERS = new Holder[7];
        for (int i = 0; i < HOLDERS.length; i++) {
            HOLDERS[i] = new Holder(i);
        }
        System.out.println("READY");
        System.out.flush();
        while (true) {
            Thread.sleep(3600L * 1000L);
        }
    }
}
`,
		"Multi/com/example/model/Holder.java": `package com.example.model;

public class Holder {
    final Object it;

    public Holder(int i) {
        it = new $anon$1(this, i);
    }

    static final class $anon$1 {
        private final Holder $outer;
        private final int pos;

        $anon$1(Holder $outer, int pos) {
            this.$outer = $outer;
            this.pos = pos;
        }
    }
}
`,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	c, err := Run(ctx, Options{
		Program:   "Multi",
		MainClass: "com.example.app.Main",
		SourceDir: src,
		JVMFlags:  []string{"-Xmx64m", "-XX:+UseSerialGC", "-Xshare:off"},
		OutDir:    out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Dump != filepath.Join(out, "Multi.hprof") || c.GzDump != "" {
		t.Errorf("Dump = %q, GzDump = %q", c.Dump, c.GzDump)
	}
	for _, name := range []string{"Multi.hprof", "Multi.histo.txt", "Multi.histo.before.txt"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	byClass := histoByClass(c.Histogram)
	for class, want := range map[string]int64{
		"com.example.model.Holder":         7,
		"com.example.model.Holder$$anon$1": 7,
		"[Lcom.example.model.Holder;":      1,
	} {
		if got := byClass[class].Instances; got != want {
			t.Errorf("histogram: %s has %d instances, want %d", class, got, want)
		}
	}
}

// spark22713Counts are the instance counts the Spark22713 fixture
// (testdata/java/spark22713) guarantees; see the comment at the top of its
// main class, org.apache.spark.executor.Executor.
var spark22713Counts = map[string]int64{
	"org.apache.spark.memory.TaskMemoryManager":                                1,
	"org.apache.spark.util.collection.ExternalAppendOnlyMap":                   2,
	"org.apache.spark.util.collection.SizeTrackingAppendOnlyMap":               2,
	"org.apache.spark.util.collection.AppendOnlyMap$$anon$1":                   1,
	"org.apache.spark.util.collection.ExternalAppendOnlyMap$SpillableIterator": 1,
	"org.apache.spark.util.collection.ExternalAppendOnlyMap$DiskMapIterator":   1,
	"org.apache.spark.util.collection.SizeTracker$Sample":                      4,
	"scala.Tuple2": 1,
	"org.apache.spark.memory.UnifiedMemoryManager":            1,
	"org.apache.spark.memory.StorageMemoryPool":               1,
	"org.apache.spark.memory.ExecutionMemoryPool":             1,
	"org.apache.spark.storage.memory.MemoryStore":             1,
	"org.apache.spark.storage.memory.DeserializedMemoryEntry": 3,
	"org.apache.spark.storage.RDDBlockId":                     3,
	"org.apache.spark.storage.TempLocalBlockId":               1,
	"org.apache.spark.storage.BlockManager":                   1,
	"org.apache.spark.SparkEnv":                               1,
	"org.apache.spark.executor.Executor":                      1,
	"org.apache.spark.executor.Executor$TaskRunner":           1,
	"[Lorg.apache.spark.unsafe.memory.MemoryBlock;":           1,
	"org.apache.spark.unsafe.memory.MemoryBlock":              0,
	"org.apache.spark.util.collection.AppendOnlyMap":          0,
}

func checkSpark22713Histogram(t *testing.T, rows []HistoRow) {
	t.Helper()
	byClass := histoByClass(rows)
	for class, want := range spark22713Counts {
		if got := byClass[class].Instances; got != want {
			t.Errorf("histogram: %s has %d instances, want %d", class, got, want)
		}
	}
	// 20,000 + 5,000 map entries: a String key (with its byte[]) and a
	// byte[64] value each.
	if got := byClass["java.lang.String"].Instances; got < 25000 {
		t.Errorf("histogram: %d Strings, want at least 25,000", got)
	}
	if got := byClass["[B"].Instances; got < 50000 {
		t.Errorf("histogram: %d byte[], want at least 50,000", got)
	}
	for _, r := range rows {
		if strings.Contains(r.Class, "/0x") || strings.Contains(r.Class, "$$Lambda") {
			t.Errorf("hidden class in histogram: %+v", r)
		}
	}
}

// TestSpark22713Committed checks the committed histogram of the Spark22713
// dump, so that a regenerated dump that lost the SPARK-22713 shape is noticed
// without a JDK.
func TestSpark22713Committed(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "testdata", "dumps", "Spark22713.histo.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("%s not available: %v", path, err)
	}
	defer f.Close()
	rows, err := ParseHistogram(f)
	if err != nil {
		t.Fatal(err)
	}
	checkSpark22713Histogram(t, rows)
}

// TestRunSpark22713 builds and runs the multi-package Spark22713 fixture the
// way `capture -program Spark22713 -main org.apache.spark.executor.Executor`
// does (without the gzipped dump).
func TestRunSpark22713(t *testing.T) {
	if ok, reason := Available(); !ok {
		t.Skip(reason)
	}
	if testing.Short() {
		t.Skip("starts a JVM; skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	c, err := Run(ctx, Options{
		Program:   "Spark22713",
		MainClass: "org.apache.spark.executor.Executor",
		JVMFlags:  []string{"-Xmx128m", "-XX:+UseSerialGC", "-Xshare:off"},
		OutDir:    out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(c.Dump); err != nil {
		t.Fatal(err)
	} else if st.Size() > 8<<20 {
		t.Errorf("%s is %d bytes, want under 8 MiB", c.Dump, st.Size())
	}
	checkSpark22713Histogram(t, c.Histogram)
}
