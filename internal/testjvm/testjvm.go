// Package testjvm builds the Java fixture programs under testdata/java, runs
// them, and captures HPROF heap dumps of them with jcmd, together with the
// JVM's own class histogram as ground truth.
//
// It is a helper for tests and for the fixtures/benchmark generator
// (./internal/testjvm/capture); it uses only the Go standard library and the
// javac, java and jcmd commands of an installed JDK.
package testjvm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultReadyTimeout bounds the wait for the program's READY line when the
// context passed to Run has no deadline.
const DefaultReadyTimeout = 5 * time.Minute

// Available reports whether javac, java and jcmd are all on PATH. When they
// are not, reason says which ones are missing (suitable for t.Skip).
func Available() (ok bool, reason string) {
	var missing []string
	for _, tool := range []string{"javac", "java", "jcmd"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return false, fmt.Sprintf("JDK tools not on PATH: %s", strings.Join(missing, ", "))
	}
	return true, ""
}

// Options describes one fixture run.
type Options struct {
	// Program is the fixture name, e.g. "Basic". It names either the single
	// file <SourceDir>/Basic.java (main class Basic, no package), or, when
	// <SourceDir>/<Program> is a directory (e.g. testdata/java/Spark22713),
	// a multi-file, multi-package program: every .java file under that
	// directory, recursively, is compiled together. The output files are
	// named after Program either way.
	Program string
	// MainClass is the fully qualified name of the class to run, e.g.
	// "org.apache.spark.executor.Executor". It defaults to Program.
	MainClass string
	// SourceDir is the folder holding the .java files. When empty it defaults
	// to <repo root>/testdata/java (the repo root is found by walking up
	// from the working directory to go.mod).
	SourceDir string
	// Args are the program arguments.
	Args []string
	// JVMFlags are passed to java before -cp, e.g. -Xmx512m, -XX:-UseCompressedOops.
	JVMFlags []string
	// OutDir receives <Program>.hprof, <Program>.hprof.gz (with Gzip),
	// <Program>.histo.txt (histogram after the dumps) and
	// <Program>.histo.before.txt (histogram before the dumps). It is created
	// if needed.
	OutDir string
	// Gzip also writes a dump with jcmd GC.heap_dump -gz=1.
	Gzip bool
}

// Capture is the result of Run.
type Capture struct {
	// Dump is the path of the uncompressed HPROF dump.
	Dump string
	// GzDump is the path of the gzip-compressed dump, "" unless Options.Gzip.
	GzDump string
	// Histogram is GC.class_histogram taken right after the dump(s).
	Histogram []HistoRow
	// HistogramBefore is GC.class_histogram taken right before the dump(s).
	HistogramBefore []HistoRow
}

// HistoRow is one row of a JVM class histogram.
type HistoRow struct {
	// Class is the class name exactly as the JVM prints it ("[B",
	// "[Ljava.lang.Object;", "<methodKlass>", "java.lang.String"), without
	// the JDK 9+ " (module@version)" suffix.
	Class     string
	Instances int64
	Bytes     int64
}

var (
	programRe   = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
	mainClassRe = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)
)

// Sources returns the .java files that make up program o.Program and the
// fully qualified main class to run. srcDir is the folder holding the
// fixtures (Options.SourceDir, already defaulted).
//
// When <srcDir>/<Program> is a directory, the files are all .java files
// under it, recursively, in lexical order; otherwise the single file
// <srcDir>/<Program>.java. The directory may also be spelt in lower case,
// like a Java package folder: program Spark22713 is the directory
// <srcDir>/spark22713 when there is no <srcDir>/Spark22713. The main class
// is o.MainClass, or o.Program when that is empty. Having both
// <Program>.java and a program directory is an error, as is a directory
// without .java files.
func Sources(srcDir string, o Options) (files []string, mainClass string, err error) {
	if !programRe.MatchString(o.Program) {
		return nil, "", fmt.Errorf("testjvm: invalid program name %q", o.Program)
	}
	mainClass = o.MainClass
	if mainClass == "" {
		mainClass = o.Program
	}
	if !mainClassRe.MatchString(mainClass) {
		return nil, "", fmt.Errorf("testjvm: invalid main class %q", mainClass)
	}
	file := filepath.Join(srcDir, o.Program+".java")
	dir := ""
	for _, name := range []string{o.Program, strings.ToLower(o.Program)} {
		if st, err := os.Stat(filepath.Join(srcDir, name)); err == nil && st.IsDir() {
			dir = filepath.Join(srcDir, name)
			break
		}
	}
	if dir == "" {
		if _, err := os.Stat(file); err != nil {
			return nil, "", fmt.Errorf("testjvm: program %s: neither %s nor a directory %s: %w",
				o.Program, file, filepath.Join(srcDir, o.Program), err)
		}
		return []string{file}, mainClass, nil
	}
	if _, err := os.Stat(file); err == nil {
		return nil, "", fmt.Errorf("testjvm: program %s is ambiguous: both %s and the directory %s exist",
			o.Program, file, dir)
	}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".java") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("testjvm: %w", err)
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("testjvm: program %s: no .java files under %s", o.Program, dir)
	}
	return files, mainClass, nil
}

// RepoRoot returns the directory holding go.mod, searching upwards from the
// working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testjvm: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Run compiles the program's sources (<SourceDir>/<Program>.java, or every
// .java file under the directory <SourceDir>/<Program>; see Sources) into a
// temporary directory, starts its main class with java, waits for it to
// print a line READY on stdout, and then takes,
// with jcmd: a class histogram, a heap dump, optionally a gzipped heap dump,
// and a second class histogram. The JVM is killed before Run returns.
//
// ctx bounds the whole run; when it has no deadline, the wait for READY is
// bounded by DefaultReadyTimeout.
func Run(ctx context.Context, o Options) (*Capture, error) {
	if ok, reason := Available(); !ok {
		return nil, errors.New("testjvm: " + reason)
	}
	if !programRe.MatchString(o.Program) {
		return nil, fmt.Errorf("testjvm: invalid program name %q", o.Program)
	}
	if o.OutDir == "" {
		return nil, errors.New("testjvm: Options.OutDir is empty")
	}
	srcDir := o.SourceDir
	if srcDir == "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		srcDir = filepath.Join(root, "testdata", "java")
	}
	srcs, mainClass, err := Sources(srcDir, o)
	if err != nil {
		return nil, err
	}
	outDir, err := filepath.Abs(o.OutDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}

	classDir, err := os.MkdirTemp("", "testjvm-"+o.Program+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(classDir)

	// Compile. -XDstringConcat=inline: string concatenation becomes plain
	// StringBuilder code instead of invokedynamic, so no hidden classes.
	javacArgs := []string{"-XDstringConcat=inline", "-encoding", "UTF-8", "-nowarn", "-d", classDir}
	javac := exec.CommandContext(ctx, "javac", append(javacArgs, srcs...)...)
	if out, err := javac.CombinedOutput(); err != nil {
		what := srcs[0]
		if len(srcs) > 1 {
			what = fmt.Sprintf("%s (%d files)", filepath.Join(srcDir, o.Program), len(srcs))
		}
		return nil, fmt.Errorf("testjvm: javac %s: %v\n%s", what, err, out)
	}

	// Start the program.
	args := forJVM(o.JVMFlags, javaMajor(ctx))
	args = append(args, "-cp", classDir, mainClass)
	args = append(args, o.Args...)
	java := exec.Command("java", args...)
	stdout, err := java.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr := &tailBuffer{max: 64 << 10}
	java.Stderr = stderr
	if err := java.Start(); err != nil {
		return nil, fmt.Errorf("testjvm: starting java: %w", err)
	}
	pid := strconv.Itoa(java.Process.Pid)

	// Scan stdout for READY; keep the rest (bounded) for error messages.
	stdoutTail := &tailBuffer{max: 64 << 10}
	ready := make(chan struct{})
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(stdoutTail, line)
			if !seen && strings.TrimSpace(line) == "READY" {
				seen = true
				close(ready)
			}
		}
		// Drain whatever is left so the JVM never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	exited := make(chan error, 1)
	go func() {
		<-scanDone // Wait must not run before all reads from the pipe are done.
		exited <- java.Wait()
	}()
	killed := false
	stop := func() {
		if killed {
			return
		}
		killed = true
		// Ask politely first so the JVM removes its attach socket and
		// hsperfdata file; kill it if it does not go away quickly.
		if java.Process.Signal(syscall.SIGTERM) == nil {
			select {
			case <-exited:
				return
			case <-time.After(5 * time.Second):
			}
		}
		_ = java.Process.Kill()
		<-exited
	}
	defer stop()

	readyCtx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		readyCtx, cancel = context.WithTimeout(ctx, DefaultReadyTimeout)
		defer cancel()
	}
	select {
	case <-ready:
	case err := <-exited:
		killed = true
		return nil, fmt.Errorf("testjvm: %s exited before READY: %v\nstdout:\n%s\nstderr:\n%s",
			o.Program, err, stdoutTail, stderr)
	case <-readyCtx.Done():
		return nil, fmt.Errorf("testjvm: waiting for %s to print READY: %w\nstdout:\n%s\nstderr:\n%s",
			o.Program, readyCtx.Err(), stdoutTail, stderr)
	}

	capture := &Capture{Dump: filepath.Join(outDir, o.Program+".hprof")}
	beforeText, before, err := histogram(ctx, pid)
	if err != nil {
		return nil, err
	}
	capture.HistogramBefore = before
	if err := heapDump(ctx, pid, capture.Dump, false); err != nil {
		return nil, err
	}
	if o.Gzip {
		capture.GzDump = capture.Dump + ".gz"
		if err := heapDump(ctx, pid, capture.GzDump, true); err != nil {
			return nil, err
		}
	}
	afterText, after, err := histogram(ctx, pid)
	if err != nil {
		return nil, err
	}
	capture.Histogram = after
	stop()

	if err := os.WriteFile(filepath.Join(outDir, o.Program+".histo.txt"), afterText, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(outDir, o.Program+".histo.before.txt"), beforeText, 0o644); err != nil {
		return nil, err
	}
	return capture, nil
}

// pidLineRe matches the "<pid>:" line jcmd prints first.
var pidLineRe = regexp.MustCompile(`^\d+:\s*$`)

// jcmd runs jcmd <pid> <args...> and returns its output with the leading
// "<pid>:" line removed.
func jcmd(ctx context.Context, pid string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "jcmd", append([]string{pid}, args...)...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	out := buf.Bytes()
	if i := bytes.IndexByte(out, '\n'); i >= 0 && pidLineRe.Match(out[:i]) {
		out = out[i+1:]
	}
	if err != nil {
		return out, fmt.Errorf("testjvm: jcmd %s %s: %v\n%s", pid, strings.Join(args, " "), err, out)
	}
	return out, nil
}

// totalLineRe matches the last line of a JDK 9+ class histogram.
var totalLineRe = regexp.MustCompile(`(?m)^Total\s+\d+\s+\d+\s*$`)

func histogram(ctx context.Context, pid string) ([]byte, []HistoRow, error) {
	out, err := jcmd(ctx, pid, "GC.class_histogram")
	if err != nil {
		return nil, nil, err
	}
	rows, err := ParseHistogram(bytes.NewReader(out))
	if err == nil && len(rows) == 0 {
		err = errors.New("no rows")
	}
	if err == nil && !totalLineRe.Match(out) {
		err = errors.New("no Total line")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("testjvm: jcmd %s GC.class_histogram: %v\n%s", pid, err, out)
	}
	return out, rows, nil
}

func heapDump(ctx context.Context, pid, path string, gz bool) error {
	// jcmd refuses to overwrite (and still exits 0), so remove the target first.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	args := []string{"GC.heap_dump"}
	if gz {
		args = append(args, "-gz=1")
	}
	args = append(args, path)
	out, err := jcmd(ctx, pid, args...)
	if err != nil {
		return err
	}
	if !bytes.Contains(out, []byte("Heap dump file created")) {
		return fmt.Errorf("testjvm: jcmd %s %s: no dump created:\n%s", pid, strings.Join(args, " "), out)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("testjvm: jcmd %s %s reported success but: %v\n%s", pid, strings.Join(args, " "), err, out)
	}
	// The JVM creates dumps with mode 0600; make them readable like the
	// other fixture files.
	return os.Chmod(path, 0o644)
}

// histoRowRe matches a histogram row in any of the known formats:
//
//	jcmd/jmap -histo, JDK 9+:  "   1:         12345        6789012  java.lang.String (java.base@17.0.15)"
//	jmap -histo, JDK 6:        "   1:          4752         651328  <methodKlass>"
//	older jmap, no rank:       "   4678         574968  <constMethodKlass>"
//
// The class name is a single token or a "<...>" pseudo-class (which may
// contain spaces, e.g. "<no name>"), optionally followed by a module
// "(name@version)" suffix.
var histoRowRe = regexp.MustCompile(`^\s*(?:\d+:\s+)?(\d+)\s+(\d+)\s+(<[^<>]*>|[^\s<>()]+)(?:\s+\(([^()\s]+)\))?\s*$`)

// ParseHistogram parses a JVM class histogram as printed by jcmd
// GC.class_histogram (JDK 9+ with module suffixes, which are stripped) or by
// the older jmap -histo (with or without a rank column). Lines that do not
// look like histogram rows (jcmd's "<pid>:" line, headers, separators, the
// Total line, surrounding prose) are ignored. Rows are returned in input
// order; class names are kept exactly as printed, and a class name may occur
// more than once (same name, different class loaders).
func ParseHistogram(r io.Reader) ([]HistoRow, error) {
	var rows []HistoRow
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		m := histoRowRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		inst, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return rows, fmt.Errorf("histogram line %d: %w", lineNo, err)
		}
		size, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			return rows, fmt.Errorf("histogram line %d: %w", lineNo, err)
		}
		rows = append(rows, HistoRow{Class: m[3], Instances: inst, Bytes: size})
	}
	if err := sc.Err(); err != nil {
		return rows, fmt.Errorf("histogram line %d: %w", lineNo+1, err)
	}
	return rows, nil
}

// tailBuffer is a concurrency-safe writer keeping at most max bytes (the
// most recent ones).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Totals sums the instance counts and byte sizes of rows (which equals the
// histogram's Total line).
func Totals(rows []HistoRow) (instances, bytes int64) {
	for _, r := range rows {
		instances += r.Instances
		bytes += r.Bytes
	}
	return instances, bytes
}

// javaMajor returns the major version of the java on PATH (8 for
// "1.8.0_392", 17 for "17.0.15"), 0 when java -version does not say.
func javaMajor(ctx context.Context) int {
	out, err := exec.CommandContext(ctx, "java", "-version").CombinedOutput()
	if err != nil {
		return 0
	}
	return parseJavaMajor(string(out))
}

// javaVersionRe finds the version in java -version's line that gives it
// (after any "Picked up JAVA_TOOL_OPTIONS: …" line): openjdk version
// "17.0.15" 2025-04-15, java version "1.8.0_392".
var javaVersionRe = regexp.MustCompile(`(?m)^\S+ version "(1\.)?(\d+)`)

func parseJavaMajor(out string) int {
	m := javaVersionRe.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[2])
	return n
}

// forJVM returns flags for a JVM of the given major version: before 9,
// which has no modules, without --add-opens (its reflection needs none,
// and the flag makes it exit), in both its forms, "--add-opens X" and
// "--add-opens=X".
func forJVM(flags []string, major int) []string {
	out := make([]string, 0, len(flags))
	for i := 0; i < len(flags); i++ {
		switch {
		case major == 0 || major >= 9:
		case flags[i] == "--add-opens":
			i++ // and its argument
			continue
		case strings.HasPrefix(flags[i], "--add-opens="):
			continue
		}
		out = append(out, flags[i])
	}
	return out
}
