// Package cli holds leakscan's commands. Each command has an options
// struct and a constructor that takes the I/O streams; nothing is global,
// so tests run commands in-process.
package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/leakscan/leakscan/internal/check"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
	"github.com/leakscan/leakscan/internal/progress"
	"github.com/leakscan/leakscan/internal/render"
)

// IOStreams are a command's standard streams.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Progress enables the progress bar (stderr is a terminal).
	Progress bool
	// warned holds the warnings given (warnOnce); NewRoot makes it, and
	// runMain hands it to the runs again that a damaged index part makes.
	warned *warnedSet
	// stopProfile, set by NewRoot when --cpuprofile starts a profile,
	// stops and writes it: runMain calls it however the command ends (an
	// error or a fault too, where cobra runs no PostRun).
	stopProfile func()
}

type warnedSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

// warnOnce writes a warning on stderr unless it was written already in
// this command, or in a run of it before a damaged index part was met.
func (s *IOStreams) warnOnce(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w := s.warned
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[msg] {
		return
	}
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.seen[msg] = true
	fmt.Fprintln(s.Err, "leakscan: warning: "+msg)
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Progress: progress.IsTerminal(os.Stderr)}
}

// ExitError carries an exit status other than the default 2 for errors.
type ExitError struct {
	Code int
	Err  error // nil: nothing more to print
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Exit statuses.
const (
	ExitOK       = 0
	ExitFindings = 1 // a check found an error-severity problem
	ExitError2   = 2 // usage or input error
)

// Main runs leakscan with args and returns the exit status.
func Main(args []string, s *IOStreams) (code int) {
	return runMain(args, s, maxRebuilds)
}

// maxRebuilds bounds how many times a command runs again for a damaged
// index part met on the way: each run removes the part it met, so as many
// as there are kinds of part (graph, dominators, census, paths, classes)
// rebuild them all. A bound, not a loop until no damage: a part that
// cannot be removed would be met again and again.
const maxRebuilds = 5

// runMain is Main; retries says how many more times a damaged index part
// met on the way may be rebuilt by running the command again.
func runMain(args []string, s *IOStreams, retries int) (code int) {
	// A mapped file (the dump, an index part) cut short or replaced by
	// another process while it is read faults: one error line, not the
	// runtime's fatal error. The goroutines the analyses start hand their
	// faults here (par).
	//
	// An index section checked as it is read (index.Deferred) that fails
	// its check comes here the same way. Nothing of it has been used, so
	// the part is removed and the command run again, which rebuilds it,
	// as a part found damaged when opened is: unless the command had
	// printed something already, which a second run would print twice.
	// What is written escapes the control characters a dump's names and
	// strings may hold (render.Safe): printed on a terminal, an escape
	// sequence in a thread's name would act. (Not stderr, whose progress
	// bar draws with them.)
	out := &countingWriter{w: render.Safe(s.Out)}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			f, ok := par.AsFault(r)
			if !ok {
				panic(r)
			}
			if f.Damaged != nil {
				if err := os.Remove(f.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
					// A run again would meet it again.
					fmt.Fprintf(s.Err, "leakscan: an index part is damaged (%v), and could not be removed (%v): remove it, or run with --no-index\n", f, err)
					code = ExitError2
					return
				}
				if retries > 0 && out.n == 0 {
					fmt.Fprintf(s.Err, "leakscan: warning: an index part is damaged (%v); rebuilding it\n", f)
					code = runMain(args, s, retries-1)
					return
				}
				fmt.Fprintf(s.Err, "leakscan: an index part is damaged (%v); it is removed, and the next run rebuilds it\n", f)
				code = ExitError2
				return
			}
			fmt.Fprintln(s.Err, "leakscan:", f)
			code = ExitError2
		}
	}()
	s = &IOStreams{In: s.In, Out: out, Err: s.Err, Progress: s.Progress, warned: s.warned}
	defer func() {
		if s.stopProfile != nil {
			s.stopProfile() // before a run again starts its own
		}
	}()
	root := NewRoot(s)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(s.Err, "leakscan:", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintln(s.Err, "leakscan:", err)
	return ExitError2
}

// globalOptions are the flags every command that reads a dump shares.
type globalOptions struct {
	quiet          bool
	compressedOops string
	allowTruncated bool
	dump           int
	tempDir        string
	cpuProfile     string
	timings        bool
	noIndex        bool
	indexDir       string
}

// inputFiles are the files a command reads that exist: its arguments
// (the dumps; the others, an object's id or a class name, name no file)
// and check's rules file.
func inputFiles(cmd *cobra.Command, args []string) []string {
	names := slices.Clone(args)
	if f := cmd.Flags().Lookup("rules"); f != nil && f.Value.String() != "" && !check.IsBuiltin(f.Value.String()) {
		names = append(names, f.Value.String())
	}
	var files []string
	for _, name := range names {
		if _, err := os.Stat(name); err == nil {
			files = append(files, name)
		}
	}
	return files
}

// bar returns the progress reporter for a command.
func (g *globalOptions) bar(s *IOStreams) *progress.Bar {
	if g.timings {
		return progress.NewTimings(s.Err)
	}
	return progress.New(s.Err, s.Progress && !g.quiet)
}

// NewRoot builds the command tree.
func NewRoot(s *IOStreams) *cobra.Command {
	if s.warned == nil {
		s.warned = &warnedSet{}
	}
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "leakscan",
		Short: "Find what holds the memory in JVM heap dumps (HPROF)",
		Long: `leakscan analyses JVM heap dumps (HPROF files written by jcmd GC.heap_dump,
jmap, -XX:+HeapDumpOnOutOfMemoryError, the old hprof agent and Android), plain
or gzip-compressed.

Exit status: 0 success, 1 a check found an error-severity problem (or diff
--fail-on-growth saw more growth), 2 a usage or input error (one line on
stderr names the file, byte offset and what was expected).`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	pf := root.PersistentFlags()
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "no progress bar")
	pf.StringVar(&g.compressedOops, "compressed-oops", "auto", "pointer layout of the 64-bit JVM that wrote the dump: auto, on or off (left aside, with a warning, on a dump whose ids are 4-byte addresses: a 32-bit JVM's)")
	pf.BoolVar(&g.allowTruncated, "allow-truncated", false, "analyse a dump that ends early (a JVM killed mid-dump) as far as it goes")
	pf.IntVar(&g.dump, "dump", -1, "which heap dump of a file holding several (0-based; default the last)")
	pf.StringVar(&g.tempDir, "tmp-dir", "", "where to inflate compressed dumps (default the system temp folder)")
	pf.BoolVar(&g.noIndex, "no-index", false, "neither read nor write the dump's index")
	pf.StringVar(&g.indexDir, "index-dir", "", "keep the dump's index here (default DUMP.leakscan beside the dump, or the user cache folder)")
	pf.StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	pf.MarkHidden("cpuprofile")
	pf.BoolVar(&g.timings, "timings", false, "print each phase's wall and CPU time, faults and peak memory on stderr (no progress bar)")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFlags(cmd, g); err != nil {
			return err
		}
		if g.timings {
			_, why := mem.HugePages()
			fmt.Fprintf(s.Err, "timing: huge pages %s\n", why)
		}
		if g.cpuProfile == "" {
			return nil
		}
		// The profile is created before the command runs, and so before
		// it could refuse a dump or rules file named as the profile.
		if err := notAnInput([]outputFile{{"--cpuprofile", g.cpuProfile}}, inputFiles(cmd, args)...); err != nil {
			return err
		}
		profile, err := os.Create(g.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(profile); err != nil {
			profile.Close()
			return err
		}
		s.stopProfile = func() {
			pprof.StopCPUProfile()
			profile.Close()
		}
		return nil
	}
	root.AddCommand(newInfoCmd(s, g), newHistogramCmd(s, g), newDominatorsCmd(s, g), newPathsCmd(s, g), newInspectCmd(s, g), newIndexCmd(s, g), newCheckCmd(s, g), newDiffCmd(s, g),
		newClassLoadersCmd(s, g), newOffHeapCmd(s, g), newThreadsCmd(s, g), newSparkCmd(s, g), newSuspectsCmd(s, g), newReportCmd(s, g), newStringsCmd(s, g), newCollectionsCmd(s, g), newFinalizersCmd(s, g), newPropertiesCmd(s, g))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// pflag's words for a value that is no number: 'invalid argument
		// "abc" for "--top" flag: strconv.ParseInt: parsing "abc":
		// invalid syntax'.
		if m := badNumber.FindStringSubmatch(err.Error()); m != nil {
			err = fmt.Errorf("%s %q: expected a whole number", m[2], m[1])
		}
		return &ExitError{Code: ExitError2, Err: fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	root.Version = version()
	root.SetVersionTemplate("leakscan {{.Version}}\n")
	return root
}

var badNumber = regexp.MustCompile(`^invalid argument "(.*)" for "(?:-[a-z], )?(--[a-z-]+)" flag: strconv\.Parse(?:Int|Uint|Float)`)

// buildVersion, set by make build (-ldflags -X, from git describe), names
// the commit where the toolchain does not record it (-buildvcs=false).
var buildVersion string

// version is the module's version (or buildVersion) and the commit it was
// built from, as the Go toolchain records them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if buildVersion != "" {
		v = buildVersion
	}
	var rev, modified string
	for _, st := range info.Settings {
		switch st.Key {
		case "vcs.revision":
			rev = st.Value
		case "vcs.modified":
			if st.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (commit %.12s%s)", rev, modified)
	}
	return v + ", " + info.GoVersion
}

// checkFlags rejects flag values no command can use, before any work:
// counts (--top, --depth, --limit, …) below 0, --dump below -1 (the last),
// and --index-dir with --no-index.
func checkFlags(cmd *cobra.Command, g *globalOptions) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if err != nil || f.Value.Type() != "int" {
			return
		}
		n, _ := strconv.Atoi(f.Value.String())
		switch {
		case f.Name == "dump" && n < -1:
			err = fmt.Errorf("--dump %d: expected 0 or more (or -1, the last)", n)
		case f.Name != "dump" && n < 0:
			err = fmt.Errorf("--%s %d: expected 0 or more", f.Name, n)
		}
	})
	// A path given empty, as an unset variable in a script gives it, would
	// mean the default: the index beside the dump, a report in the
	// current folder, no JUnit file.
	for _, name := range []string{"index-dir", "tmp-dir", "output", "junit", "sarif", "rules", "cpuprofile"} {
		if f := cmd.Flags().Lookup(name); err == nil && f != nil && f.Changed && strings.TrimSpace(f.Value.String()) == "" {
			err = fmt.Errorf("--%s %q: expected a path (is a variable unset?)", name, f.Value.String())
		}
	}
	if err == nil && g.noIndex && g.indexDir != "" {
		err = fmt.Errorf("--index-dir and --no-index: give one (--no-index neither reads nor writes an index)")
	}
	if err != nil {
		return &ExitError{Code: ExitError2, Err: err}
	}
	return nil
}

// options turns the shared flags into reader and graph options.
func (g *globalOptions) options(bar *progress.Bar) (hprof.Options, heap.Options, error) {
	var oops heap.CompressedOopsMode
	switch g.compressedOops {
	case "auto":
	case "on":
		oops = heap.OopsOn
	case "off":
		oops = heap.OopsOff
	default:
		return hprof.Options{}, heap.Options{}, fmt.Errorf("--compressed-oops %q: expected auto, on or off", g.compressedOops)
	}
	fopts := hprof.Options{AllowTruncated: g.allowTruncated, TempDir: g.tempDir,
		Progress: func(done, total int64) { bar.Update("inflating", done, total) }}
	return fopts, heap.Options{Dump: g.dump, CompressedOops: oops, Progress: bar.Update}, nil
}

// census computes the class histogram in one pass, without the graph.
func (g *globalOptions) census(s *IOStreams, path string) (*heap.Census, error) {
	bar := g.bar(s)
	defer bar.Done()
	fopts, hopts, err := g.options(bar)
	if err != nil {
		return nil, err
	}
	f, err := hprof.Open(path, fopts)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cat, err := f.ReadCatalog()
	if err != nil {
		return nil, err
	}
	c, err := heap.ScanCensus(f, cat, hopts)
	if err != nil {
		return nil, err
	}
	remember(path)
	bar.Done()
	g.warnTruncated(s, f.Path, f.Truncated)
	return c, nil
}

func (g *globalOptions) warnTruncated(s *IOStreams, path string, truncated int64) {
	if truncated >= 0 {
		// The offset is where the cut record starts (or the file's end,
		// for one cut between records), and a cut heap dump record keeps
		// the objects written before the cut: "before the cut", not
		// "before the offset".
		s.warnOnce("%s is truncated: the record at offset %d is cut short or missing; results cover what was written before the cut", path, truncated)
	}
}

// openGraph opens and decodes a dump with the shared flags, drawing a
// progress bar when stderr is a terminal.
func (g *globalOptions) openGraph(s *IOStreams, path string) (*heap.Graph, error) {
	bar := g.bar(s)
	defer bar.Done()
	fopts, hopts, err := g.options(bar)
	if err != nil {
		return nil, err
	}
	graph, err := heap.Open(path, fopts, hopts)
	if err != nil {
		return nil, err
	}
	remember(path)
	bar.Done()
	g.warnTruncated(s, graph.Source.Path, graph.Source.Truncated)
	return graph, nil
}

// writeFile writes path through fn, buffered, into a temporary file beside
// it that is renamed into place: a failed run leaves no half-written file.
func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".leakscan-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, nothing is there
	w := bufio.NewWriter(f)
	err = fn(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
