package cli

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/check"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/render"
)

type checkOptions struct {
	rules  string
	format string
	junit  string
	sarif  string
	init   bool
	tree   treeOptions
}

func newCheckCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check [DUMP] --rules FILE|builtin:spark|-",
		Short: "Fail CI when a dump shows a leak: evaluate rules, exit 1 on an error-severity finding",
		Long: `Evaluates the rules of a YAML file against the dump and reports every
violation with the objects involved and the shortest strong path from a GC
root. Rule kinds: retained, instances, path, accounting, duplicate-classes,
direct-memory, finalizer-queue (see leakscan check --init for a commented
example).
--rules builtin:spark checks Spark executors: memory consumers retaining more
than MemoryConsumer.used says (SPARK-22713), Spark/Hive classes defined by
several class loaders, netty direct arenas over 2 GB.

Exit status: 0 no error-severity finding; 1 at least one; 2 a usage or input
error (bad rules, unreadable dump, a dump without GC roots: one cut
short, where every rule would hold). Besides the summary on stdout (or
--format json): --junit FILE writes JUnit XML (a test case per rule),
--sarif FILE writes SARIF 2.1.0, and with GITHUB_ACTIONS=true each finding
is also printed on stderr as a GitHub Actions ::error / ::warning annotation.
A rule whose class pattern matches no class in the dump checks nothing: it
is skipped, not passed (skip in the table, status "skipped" in JSON, a
skipped test case in JUnit, a note in SARIF, a ::notice annotation), with a
warning on stderr (for built-in rules, one warning for the set, listing
those that check nothing), and fails no job. A field no matching class
declares is an input error in a rules file; a built-in rule reading it is
skipped (the dump is of another version of the application than the rule
expects).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.init {
				if len(args) > 0 {
					// It would exit 0 having checked nothing: in CI, a
					// passing job.
					return &ExitError{Code: ExitError2, Err: fmt.Errorf("--init writes an example rules file and checks no dump: leave out %s", args[0])}
				}
				// Nor reports, which would not be written.
				for _, name := range []string{"junit", "sarif", "format", "weak", "keep-unreachable"} {
					if cmd.Flags().Changed(name) {
						return &ExitError{Code: ExitError2, Err: fmt.Errorf("--init writes an example rules file and checks no dump: --%s is for a check", name)}
					}
				}
				return o.writeExample(s)
			}
			return o.run(s, g, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.rules, "rules", "", "the rules: a YAML file, builtin:spark, or - for standard input")
	f.StringVar(&o.format, "format", "table", "table (a readable summary) or json")
	f.StringVar(&o.junit, "junit", "", "also write JUnit XML to this file")
	f.StringVar(&o.sarif, "sarif", "", "also write SARIF 2.1.0 to this file")
	f.BoolVar(&o.init, "init", false, "write a commented example rules file (to --rules, default leakscan-rules.yaml; - for stdout) and stop; no DUMP with it")
	o.tree.register(cmd)
	return cmd
}

// run checks the options, the rules and the report files' folders before
// the analysis, then the rules against the graph before the dominator
// tree: each mistake is reported in the time it takes to find, not after
// the whole analysis.
func (o *checkOptions) run(s *IOStreams, g *globalOptions, args []string) error {
	format, err := render.ParseFormat(o.format, render.Table, render.JSON)
	if err != nil {
		return err
	}
	if o.rules == "" {
		return &ExitError{Code: ExitError2, Err: fmt.Errorf("give the rules: --rules FILE, --rules builtin:spark or --rules - (standard input; leakscan check --init writes an example)")}
	}
	// The files written: the reports, and the hidden --cpuprofile every
	// command takes.
	outs := []outputFile{{"--junit", o.junit}, {"--sarif", o.sarif}, {"--cpuprofile", g.cpuProfile}}
	if err := distinct(outs); err != nil {
		return err
	}
	rules, err := check.Load(o.rules, s.In)
	if err != nil {
		return err
	}
	if o.tree.weak == "ignore" {
		// With the referents left out, what the objects waiting for
		// finalize() retain would be 0: the JVM holds them strongly (only
		// an active reference's referent is weak to it), and the rule
		// would pass whatever the queue holds.
		for _, r := range rules.Rules {
			if r.FinalizerQueue != nil && r.FinalizerQueue.Max != "" {
				return fmt.Errorf("rule %s: finalizer-queue.max bounds what the objects waiting for finalize() retain, which --weak ignore leaves at nothing (the JVM holds them strongly); drop --weak ignore, or bound them by max-objects", r.ID)
			}
		}
	}
	for _, out := range outs[:2] {
		if err := writable(out.flag, out.path); err != nil {
			return err
		}
	}
	dump, err := resolveDump(s, args)
	if err != nil {
		return err
	}
	inputs := []string{dump}
	if !check.IsBuiltin(o.rules) && o.rules != check.Stdin {
		inputs = append(inputs, o.rules)
	}
	if err := notAnInput(outs, inputs...); err != nil {
		return err
	}
	x, plan, tree, search, err := analyseRules(s, g, dump, rules, &o.tree)
	if err != nil {
		return err
	}
	defer x.Close()
	// Class sizes from the index when it has them, else computed once
	// (and written to it) if a rule asks.
	classRetained := sync.OnceValue(func() []uint64 {
		if r, _, err := x.ClassRetained(&o.tree, tree); err == nil {
			return r
		}
		return tree.ClassRetained()
	})
	res, err := plan.Run(check.Inputs{Graph: tree.Graph(), Tree: tree, Search: search, ClassRetained: classRetained})
	if err != nil {
		return err
	}
	if err := o.report(s, format, res, rules); err != nil {
		return err
	}
	if res.Errors > 0 {
		return &ExitError{Code: ExitFindings}
	}
	return nil
}

// report writes the result: the report files, then stdout, then the
// annotations.
func (o *checkOptions) report(s *IOStreams, format render.Format, res *check.Result, rules *check.File) error {
	if o.junit != "" {
		if err := writeFile(o.junit, func(w io.Writer) error { return writeJUnit(w, res) }); err != nil {
			return err
		}
	}
	if o.sarif != "" {
		if err := writeFile(o.sarif, func(w io.Writer) error { return writeSARIF(w, res, rules) }); err != nil {
			return err
		}
	}
	if format == render.JSON {
		if err := render.WriteJSON(s.Out, res); err != nil {
			return err
		}
	} else {
		writeCheckText(s.Out, res)
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		// GitHub reads workflow commands from stderr too; on stdout they
		// would break --format json.
		writeAnnotations(s.Err, res)
	}
	return nil
}

// analyseRules is globalOptions.analyse with the rules resolved against
// the graph before the dominator tree is computed (or loaded): a rule
// naming a field no class has fails in the time of the parse. Rules that
// match nothing in the dump are warned about on stderr (and the plan
// skips them).
func analyseRules(s *IOStreams, g *globalOptions, dump string, rules *check.File, t *treeOptions) (*session, *check.Plan, *dominator.Tree, *paths.Search, error) {
	x := g.newSession(s, dump)
	x.searchAhead(t.search())
	// As in Tree: a freshly built graph is written to the index once the
	// dominator computation leaves a core idle, or when a rules error
	// ends the command.
	release := x.holdGraphWrite()
	fail := func(err error) (*session, *check.Plan, *dominator.Tree, *paths.Search, error) {
		release()
		x.Close()
		return nil, nil, nil, nil, err
	}
	graph, err := x.Graph()
	if err != nil {
		return fail(err)
	}
	plan, err := check.Resolve(rules, graph)
	if err != nil {
		return fail(&ExitError{Code: ExitError2, Err: err})
	}
	// Once each, also when a damaged index part met in the analysis
	// makes the command run again.
	for _, n := range plan.Notes {
		if n.Rule == "" {
			s.warnOnce("%s", n.Message)
			continue
		}
		s.warnOnce("rule %s: %s", n.Rule, n.Message)
	}
	tree, err := x.Tree(t)
	if err != nil {
		return fail(err)
	}
	if tree.ReachableObjects == 0 && tree.UnreachableObjects > 0 {
		// Every rule would hold, nothing being reachable: a passing job
		// on a dump cut before its roots.
		return fail(&ExitError{Code: ExitError2, Err: fmt.Errorf("%s has no GC roots (a dump cut short?): no object is reachable, so no rule can be checked; --keep-unreachable makes the unreached objects roots", x.dump)})
	}
	search, err := x.Search(t.search())
	if err != nil {
		return fail(err)
	}
	return x, plan, tree, search, nil
}

// outputFile is a file a flag names for writing; path is "" when the
// flag is not given.
type outputFile struct{ flag, path string }

// distinct fails when two flags name one file: the file written second
// would replace the first, without a word.
func distinct(outs []outputFile) error {
	for i, a := range outs {
		for _, b := range outs[i+1:] {
			if a.path != "" && b.path != "" && sameFile(a.path, b.path) {
				return &ExitError{Code: ExitError2, Err: fmt.Errorf("%s %s and %s %s name one file: give each a file of its own", a.flag, a.path, b.flag, b.path)}
			}
		}
	}
	return nil
}

// notAnInput fails when a flag names for writing one of the command's
// input files (the dump, a rules file): the write would replace it.
func notAnInput(outs []outputFile, inputs ...string) error {
	for _, o := range outs {
		for _, in := range inputs {
			if o.path != "" && o.path != "-" && sameFile(o.path, in) {
				return &ExitError{Code: ExitError2, Err: fmt.Errorf("%s %s names an input of the command (%s): the report would replace it", o.flag, o.path, in)}
			}
		}
	}
	return nil
}

// sameFile reports whether paths a and b name one file: the same file
// when both exist (through a link too), else the same absolute path once
// the links in their folders are followed.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	switch {
	case errA == nil && errB == nil:
		return os.SameFile(sa, sb)
	case errA == nil || errB == nil:
		return false // one exists, the other not
	}
	return absolute(a) == absolute(b)
}

// absolute is path made absolute, with the links of its folder followed
// as far as the folder exists.
func absolute(path string) string {
	dir := filepath.Dir(path)
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	abs, err := filepath.Abs(filepath.Join(dir, filepath.Base(path)))
	if err != nil {
		return filepath.Clean(path)
	}
	return abs
}

// writable fails when a report file could not be written, before the
// analysis rather than after it (and naming the file, not the temporary
// file writeFile would have created beside it).
func writable(flag, path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return &ExitError{Code: ExitError2, Err: fmt.Errorf("%s %s: a folder, not a file", flag, path)}
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".leakscan-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &ExitError{Code: ExitError2, Err: fmt.Errorf("%s %s: cannot write in %s: %v", flag, path, dir, err)}
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

func (o *checkOptions) writeExample(s *IOStreams) error {
	path := o.rules
	if path == "" {
		path = "leakscan-rules.yaml"
	}
	if check.IsBuiltin(path) {
		return &ExitError{Code: ExitError2, Err: fmt.Errorf("--init --rules %s: that names built-in rules, not a file to write; give a file name (default leakscan-rules.yaml)", path)}
	}
	if path == "-" { // stdout, as report -o - means
		_, err := s.Out.Write(check.Example())
		return err
	}
	// O_EXCL: a file made between a check and the write is not replaced.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return &ExitError{Code: ExitError2, Err: fmt.Errorf("%s exists; not overwriting it", path)}
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(check.Example()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "wrote %s\n", path)
	return nil
}

// pathText renders a root path on one line.
func pathText(steps []check.Step) string {
	var b strings.Builder
	for i, st := range steps {
		if i == 0 {
			if st.GCRoot != "" {
				b.WriteString(st.GCRoot + " ")
			}
			b.WriteString(st.Class)
			continue
		}
		if st.Elided > 0 {
			fmt.Fprintf(&b, " → … %s more steps", commas(st.Elided))
			continue
		}
		fmt.Fprintf(&b, " → %s %s", st.Field, st.Class)
	}
	return b.String()
}

func writeCheckText(w io.Writer, r *check.Result) {
	fmt.Fprintf(w, "leakscan check %s: %s\n\n", r.Dump, render.Nouns(len(r.Rules), "rule", "rules"))
	for _, rule := range r.Rules {
		status := "ok  "
		switch {
		case rule.Status == check.Skipped:
			status = "skip"
		case len(rule.Findings) > 0:
			status = map[string]string{"error": "FAIL", "warning": "WARN"}[rule.Severity]
		}
		fmt.Fprintf(w, "%s  %s (%s, %s)", status, rule.ID, rule.Severity, rule.Kind)
		if rule.Status == check.Skipped {
			fmt.Fprintf(w, ": %s", rule.Reason)
		}
		if n := len(rule.Findings) + rule.More; n > 0 {
			fmt.Fprintf(w, ": %s", render.Nouns(n, "finding", "findings"))
		}
		fmt.Fprintln(w)
		for _, f := range rule.Findings {
			fmt.Fprintf(w, "      %s\n", f.Message)
			if len(f.Path) > 0 {
				fmt.Fprintf(w, "      path: %s\n", pathText(f.Path))
			}
		}
		if rule.More > 0 {
			fmt.Fprintf(w, "      … and %s more\n", commas(int64(rule.More)))
		}
		if rule.Note != "" {
			fmt.Fprintf(w, "      note: %s\n", rule.Note)
		}
	}
	fmt.Fprintf(w, "\n%s, %s", render.Nouns(r.Errors, "error", "errors"), render.Nouns(r.Warnings, "warning", "warnings"))
	if r.Skipped > 0 {
		fmt.Fprintf(w, ", %s skipped", commas(int64(r.Skipped)))
	}
	fmt.Fprintln(w)
}

// writeAnnotations prints GitHub Actions workflow commands: an error or a
// warning per finding, and a notice per rule skipped, which fails no job
// (as SARIF's note).
func writeAnnotations(w io.Writer, r *check.Result) {
	esc := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	escProp := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	for _, rule := range r.Rules {
		title := escProp.Replace("leakscan " + rule.ID)
		if rule.Status == check.Skipped {
			fmt.Fprintf(w, "::notice title=%s::%s\n", title, esc.Replace(skipMessage(rule)))
		}
		if rule.Note != "" {
			fmt.Fprintf(w, "::notice title=%s::%s\n", title, esc.Replace("rule "+rule.ID+": "+rule.Note))
		}
		for _, f := range rule.Findings {
			msg := f.Message
			if len(f.Path) > 0 {
				msg += "\npath: " + pathText(f.Path)
			}
			fmt.Fprintf(w, "::%s title=%s::%s\n", f.Severity, title, esc.Replace(msg))
		}
		if rule.More > 0 {
			// As the text, JUnit and SARIF say it: an annotation each for
			// the findings listed, and a word of the rest.
			fmt.Fprintf(w, "::%s title=%s::%s\n", rule.Severity, title, esc.Replace(fmt.Sprintf("… and %s more findings of rule %s, not listed: %s in all",
				commas(int64(rule.More)), rule.ID, commas(int64(rule.More+len(rule.Findings))))))
		}
	}
}

// skipMessage says that a rule is skipped, and why.
func skipMessage(rule check.RuleResult) string {
	return fmt.Sprintf("rule %s skipped, as it checks nothing in the dump: %s", rule.ID, rule.Reason)
}

// JUnit XML: one test case per rule; error findings fail it, warnings and
// a note of what the rule could not decide go to its output, and a rule
// that checks nothing in the dump is skipped.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr,omitempty"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, r *check.Result) error {
	suite := junitSuite{Name: "leakscan check " + filepath.Base(r.Dump)}
	for _, rule := range r.Rules {
		c := junitCase{Name: rule.ID, Classname: "leakscan." + rule.Kind}
		if rule.Status == check.Skipped {
			c.Skipped = &junitSkipped{Message: rule.Reason}
			suite.Skipped++
		}
		var details strings.Builder
		for _, f := range rule.Findings {
			fmt.Fprintf(&details, "%s\n", f.Message)
			if len(f.Path) > 0 {
				fmt.Fprintf(&details, "  path: %s\n", pathText(f.Path))
			}
		}
		if rule.More > 0 {
			fmt.Fprintf(&details, "… and %s more\n", commas(int64(rule.More)))
		}
		if len(rule.Findings) > 0 {
			if rule.Severity == "error" {
				c.Failure = &junitFailure{Message: rule.Findings[0].Message, Type: rule.Kind, Text: details.String()}
				suite.Failures++
			} else {
				c.SystemOut = "warning: " + details.String()
			}
		}
		if rule.Note != "" {
			// What the rule could not decide, which a passing case would
			// otherwise hide.
			c.SystemOut += "note: " + rule.Note + "\n"
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
	}
	doc := junitSuites{Name: "leakscan check", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// SARIF 2.1.0: the tool's rules, and a result per finding located at the
// dump with the objects as logical locations. A rule skipped, as it checks
// nothing in the dump, has no result but a note among the invocation's
// tool execution notifications, as has a rule's note of what it could not
// decide, a warning there. (SARIF would also take a result of kind
// notApplicable, but GitHub code scanning reads no kind and shows every
// result as an alert.) A rule with more findings than are listed says how
// many more in a notification and in its last result's message, which
// code scanning shows: its results alone looked like all of them.
func writeSARIF(w io.Writer, r *check.Result, rules *check.File) error {
	type text struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID                   string         `json:"id"`
		Name                 string         `json:"name"`
		ShortDescription     text           `json:"shortDescription"`
		FullDescription      *text          `json:"fullDescription,omitempty"`
		DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	}
	type logical struct {
		Name               string `json:"name"`
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Kind               string `json:"kind"`
	}
	type location struct {
		PhysicalLocation map[string]any `json:"physicalLocation"`
		LogicalLocations []logical      `json:"logicalLocations,omitempty"`
	}
	type result struct {
		RuleID    string     `json:"ruleId"`
		RuleIndex int        `json:"ruleIndex"`
		Level     string     `json:"level"`
		Message   text       `json:"message"`
		Locations []location `json:"locations"`
	}
	type ruleRef struct {
		ID    string `json:"id"`
		Index int    `json:"index"`
	}
	type notification struct {
		Level          string  `json:"level"`
		Message        text    `json:"message"`
		AssociatedRule ruleRef `json:"associatedRule"`
	}
	var driverRules []rule
	var results []result
	var notes []notification
	for i, rr := range r.Rules {
		short := firstSentence(rr.Description)
		if short == "" {
			short = rr.ID
		}
		dr := rule{ID: rr.ID, Name: rr.Kind, ShortDescription: text{short}, DefaultConfiguration: map[string]any{"level": rr.Severity}}
		if rr.Description != "" {
			dr.FullDescription = &text{rr.Description}
		}
		driverRules = append(driverRules, dr)
		if rr.Status == check.Skipped {
			notes = append(notes, notification{Level: "note", Message: text{skipMessage(rr)},
				AssociatedRule: ruleRef{ID: rr.ID, Index: i}})
		}
		if rr.Note != "" {
			// Matches the rule could not decide: a warning, as its
			// results may lack some.
			notes = append(notes, notification{Level: "warning", Message: text{"rule " + rr.ID + ": " + rr.Note},
				AssociatedRule: ruleRef{ID: rr.ID, Index: i}})
		}
		for _, f := range rr.Findings {
			msg := f.Message
			if len(f.Path) > 0 {
				msg += "\nPath from a GC root: " + pathText(f.Path)
			}
			loc := location{PhysicalLocation: map[string]any{"artifactLocation": map[string]any{"uri": artifactURI(r.Dump), "index": 0}}}
			for _, o := range f.Objects {
				loc.LogicalLocations = append(loc.LogicalLocations, logical{Name: o.ID, FullyQualifiedName: o.Class + "@" + o.ID, Kind: "object"})
			}
			results = append(results, result{RuleID: rr.ID, RuleIndex: i, Level: f.Severity, Message: text{msg}, Locations: []location{loc}})
		}
		if rr.More > 0 {
			more := fmt.Sprintf("… and %d more findings of rule %s, not listed: %d in all, the %d biggest listed", rr.More, rr.ID, rr.More+len(rr.Findings), len(rr.Findings))
			results[len(results)-1].Message.Text += "\n" + more
			notes = append(notes, notification{Level: "warning", Message: text{more}, AssociatedRule: ruleRef{ID: rr.ID, Index: i}})
		}
	}
	if results == nil {
		results = []result{}
	}
	run := map[string]any{
		"tool": map[string]any{"driver": map[string]any{
			"name": "leakscan", "informationUri": "https://github.com/leakscan/leakscan", "rules": driverRules,
		}},
		"artifacts": []any{map[string]any{"location": map[string]any{"uri": artifactURI(r.Dump)}}},
		"results":   results,
	}
	if notes != nil {
		// The log is written only when the analysis ran through.
		run["invocations"] = []any{map[string]any{"executionSuccessful": true, "toolExecutionNotifications": notes}}
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs":    []any{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// firstSentence is s up to the end of its first sentence or line: a '.'
// before a space or the end, not one of "..." nor a dot in a name
// (org.apache.spark.MemoryConsumer), where the cut at the first '.' left
// builtin:spark's rule "A MemoryConsumer (ExternalAppendOnlyMap,
// ExternalSorter, ." in code scanning.
func firstSentence(s string) string {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\n':
			return strings.TrimSpace(s[:i])
		case s[i] == '.' && (i+1 == len(s) || s[i+1] == ' ') && (i == 0 || s[i-1] != '.'):
			return s[:i+1]
		}
	}
	return s
}

// artifactURI is the dump's path as SARIF wants it, a URI reference: an
// absolute path as a file:/// URI, a relative one as a relative reference
// (to the folder leakscan ran in), percent-encoded either way so that a
// space, a '#' or a '%' in a name means itself.
func artifactURI(path string) string {
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // C:/dumps/x.hprof
		}
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	// String, unlike EscapedPath, keeps a first segment with a ':' from
	// reading as a scheme ("./a:b.hprof").
	return (&url.URL{Path: p}).String()
}
