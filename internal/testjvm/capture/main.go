// Command capture runs one Java fixture program from testdata/java and writes
// its HPROF heap dump(s) and class histograms. It is used by `make fixtures`
// and to generate the benchmark dump:
//
//	go run ./internal/testjvm/capture -program Basic -out testdata/dumps -gz -flags "-Xmx64m -XX:+UseSerialGC"
//	go run ./internal/testjvm/capture -program PageRank -out ~/.cache/leakscan-bench -flags "-Xmx6g" -- <N>
//	go run ./internal/testjvm/capture -program Spark22713 -main org.apache.spark.executor.Executor -out testdata/dumps -gz -flags "-Xmx128m -XX:+UseSerialGC -Xshare:off"
//
// A program is either the single file <src>/<program>.java or, when
// <src>/<program> is a directory, every .java file under it (then -main
// names the main class, e.g. org.apache.spark.executor.Executor).
//
// Arguments after "--" are passed to the Java program.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leakscan/leakscan/internal/testjvm"
)

func main() {
	program := flag.String("program", "", "fixture program name, e.g. Basic (file <src>/Basic.java, or all .java files under the directory <src>/Basic)")
	mainClass := flag.String("main", "", "fully qualified main class (default: the program name)")
	out := flag.String("out", "", "output directory for <program>.hprof and <program>.histo.txt")
	src := flag.String("src", "", "directory holding the .java files (default <repo root>/testdata/java)")
	gz := flag.Bool("gz", false, "also write <program>.hprof.gz (jcmd GC.heap_dump -gz=1)")
	jvmFlags := flag.String("flags", "", "JVM flags, space separated, e.g. \"-Xmx256m -XX:+UseSerialGC\"")
	timeout := flag.Duration("timeout", 30*time.Minute, "overall time limit")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(),
			"usage: capture -program NAME -out DIR [-main CLASS] [-gz] [-flags \"JVM FLAGS\"] [-src DIR] [-- program args]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *program == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	dir := *out
	if strings.HasPrefix(dir, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, dir[2:])
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	c, err := testjvm.Run(ctx, testjvm.Options{
		Program:   *program,
		MainClass: *mainClass,
		SourceDir: *src,
		Args:      flag.Args(),
		JVMFlags:  strings.Fields(*jvmFlags),
		OutDir:    dir,
		Gzip:      *gz,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
	elapsed := time.Since(start)
	report := func(path string) {
		if path == "" {
			return
		}
		if st, err := os.Stat(path); err == nil {
			fmt.Printf("%s\t%d bytes (%.1f MiB)\n", path, st.Size(), float64(st.Size())/(1<<20))
		}
	}
	report(c.Dump)
	report(c.GzDump)
	inst, size := testjvm.Totals(c.Histogram)
	fmt.Printf("histogram: %d classes, %d objects, %d bytes (before dump: ", len(c.Histogram), inst, size)
	inst, size = testjvm.Totals(c.HistogramBefore)
	fmt.Printf("%d objects, %d bytes)\n", inst, size)
	fmt.Printf("elapsed: %s\n", elapsed.Round(time.Millisecond))
}
