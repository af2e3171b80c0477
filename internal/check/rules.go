// Package check evaluates leak rules against a heap dump's graph and
// dominator tree, for CI: each rule names what must not happen, and every
// violation becomes a finding with the objects involved and the shortest
// strong path from a GC root.
package check

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/dustin/go-humanize"
	"gopkg.in/yaml.v3"

	"github.com/leakscan/leakscan/internal/heap"
)

// Rule is one rule of a rules file: exactly one of the kinds is set.
type Rule struct {
	ID          string `yaml:"id"`
	Description string `yaml:"description"`
	Severity    string `yaml:"severity"` // error or warning

	Retained         *RetainedRule   `yaml:"retained,omitempty"`
	Instances        *InstancesRule  `yaml:"instances,omitempty"`
	Path             *PathRule       `yaml:"path,omitempty"`
	Accounting       *AccountingRule `yaml:"accounting,omitempty"`
	DuplicateClasses *DuplicateRule  `yaml:"duplicate-classes,omitempty"`
	DirectMemory     *DirectRule     `yaml:"direct-memory,omitempty"`
	FinalizerQueue   *FinalizerRule  `yaml:"finalizer-queue,omitempty"`
}

// RetainedRule bounds retained size: per object of the classes, or summed
// per class.
type RetainedRule struct {
	Class   string `yaml:"class"`   // class pattern (see heap.ClassPattern)
	Package string `yaml:"package"` // or a package and its subpackages
	Max     string `yaml:"max"`     // bytes ("500MB") or share of the reachable heap ("10%")
	Per     string `yaml:"per"`     // object (default) or class
}

// InstancesRule bounds how many objects a class may have. The classes one
// name has in several class loaders count together, so that a loader
// leaked per job, each holding a few objects, still trips the bound; a
// pattern matching several names bounds each name.
type InstancesRule struct {
	Class string `yaml:"class"`
	Max   Count  `yaml:"max"`
}

// PathRule forbids objects of Class from being reachable from a GC root
// through an object of class Through ("Y") or through its field
// ("Y.field").
type PathRule struct {
	Class   string `yaml:"class"`
	Through string `yaml:"through"`
}

// AccountingRule compares what objects claim with what they retain: objects
// of Class (and subclasses) whose numeric Field states the bytes they hold
// are in violation when their retained size exceeds it by more than
// MaxExcess.
//
// OffHeapWhen, "FIELD=NAME", marks the objects whose claim is memory off
// the heap (Spark's OFF_HEAP consumers: mode=OFF_HEAP): those whose
// reference field FIELD is the enum constant NAME, or a String of it,
// claim nothing on the heap, so all they retain counts against MaxExcess.
type AccountingRule struct {
	Class       string `yaml:"class"`
	Field       string `yaml:"field"`
	MaxExcess   string `yaml:"max-excess"`
	OffHeapWhen string `yaml:"off-heap-when"`
}

// offHeap splits OffHeapWhen into its field and name ("" when not given).
func (a *AccountingRule) offHeap() (field, name string) {
	field, name, _ = strings.Cut(a.OffHeapWhen, "=")
	return strings.TrimSpace(field), strings.TrimSpace(name)
}

// DuplicateRule bounds how many class loaders may define one class name.
type DuplicateRule struct {
	Class      string `yaml:"class"`       // only these classes ("" = all)
	MaxLoaders Count  `yaml:"max-loaders"` // 1 when not given
}

// DirectRule bounds the total capacity of reachable direct byte buffers,
// optionally only those an object of class Owner holds (reaches).
type DirectRule struct {
	Max   string `yaml:"max"`
	Owner string `yaml:"owner"`
}

// FinalizerRule bounds the objects waiting for finalize(): queued in the
// finalizer's queue or pending on their way there (leaks.Finalizers),
// found unreachable by the GC and holding on to all they retain until the
// finalizer thread runs them. Max bounds what they retain (bytes or a
// share of the reachable heap), MaxObjects how many they are; at least
// one is given.
type FinalizerRule struct {
	Max        string `yaml:"max"`
	MaxObjects Count  `yaml:"max-objects"`
}

// Count is a whole number in a rules file. Decoded into an int64, yaml.v3
// truncates 1.5 to 1 and takes -1: a bound read otherwise than written
// passes or fails every dump, so only a plain integer is taken, read when
// the rule is validated (see parse), where the error can name the rule.
type Count struct {
	N     int64
	Given bool   // false when the rule leaves it out
	text  string // as written
}

// UnmarshalYAML keeps the scalar (decode has checked it is one).
func (c *Count) UnmarshalYAML(n *yaml.Node) error {
	c.text, c.Given = n.Value, true
	return nil
}

// parse reads the count given under key, which must be at least min.
func (c *Count) parse(key string, min int64, why string) error {
	v, err := strconv.ParseInt(c.text, 10, 64)
	if err != nil || v < min {
		return keyErrorf(key, "%s %q: expected a whole number, %d or more%s", key, c.text, min, why)
	}
	c.N = v
	return nil
}

// File is a rules file.
type File struct {
	Rules []Rule `yaml:"rules"`
	// app is, for leakscan's own rules, the kind of application they are
	// written for ("Spark"); "" for a rules file. Such a set's rules that
	// check nothing get one note for the set (see Resolve).
	app   string
	name  string       // as given to Load, for messages
	nodes []*yaml.Node // each rule's, for the lines of messages
}

// keyError is a mistake in the value of one key of a rule: key, a dotted
// path ("retained.max"), puts the message on its line.
type keyError struct {
	key string
	err error
}

func (e *keyError) Error() string { return e.err.Error() }
func (e *keyError) Unwrap() error { return e.err }

func keyErrorf(key, format string, args ...any) error {
	return &keyError{key, fmt.Errorf(format, args...)}
}

// ruleError places err, a mistake in rule i, in the file: the line of
// its key (see keyError), or of the rule.
func (f *File) ruleError(i int, err error) error {
	id := ""
	if f.Rules[i].ID != "" {
		id = " (" + f.Rules[i].ID + ")"
	}
	var ke *keyError
	var key string
	if errors.As(err, &ke) {
		key = ke.key
	}
	return fmt.Errorf("%s:%d: rule %d%s: %w", f.name, f.line(i, key), i+1, id, err)
}

// line is the line of key in rule i: of the deepest of its keys the rule
// has, of the rule itself if none.
func (f *File) line(i int, key string) int {
	n := f.nodes[i]
	line := n.Line
	for k := range strings.SplitSeq(key, ".") {
		kn, v := mapValue(n, k)
		if kn == nil {
			break
		}
		line, n = kn.Line, v
	}
	return line
}

//go:embed spark.yaml
var sparkRules []byte

// builtins are leakscan's own rule sets by --rules name: the rules, and
// the kind of application they are written for. When every rule of a set
// matches nothing, the dump must hold no class of that kind (a Spark
// rule's pattern takes every org.apache.spark class): Resolve's note for
// the set says so.
var builtins = map[string]struct {
	rules []byte
	app   string
}{
	"builtin:spark": {sparkRules, "Spark"},
}

//go:embed example.yaml
var exampleRules []byte

// Example is the commented rules file `leakscan check --init` writes.
func Example() []byte { return exampleRules }

// IsBuiltin reports whether a --rules name is a built-in set rather than a
// file.
func IsBuiltin(name string) bool { return strings.HasPrefix(name, "builtin:") }

// Stdin is the --rules name that reads the rules from standard input
// (errors name it <stdin>), as --init --rules - writes them to stdout.
const Stdin = "-"

// Load reads rules from a file, a built-in set named "builtin:spark", or
// stdin for Stdin.
func Load(name string, stdin io.Reader) (*File, error) {
	var data []byte
	builtin, ok := builtins[name]
	switch {
	case ok:
		data = builtin.rules
	case IsBuiltin(name):
		return nil, fmt.Errorf("--rules %s: no such built-in rules (there is builtin:spark)", name)
	case name == Stdin:
		var err error
		// Bounded as a file would be by its size: a rules file is small.
		if data, err = io.ReadAll(io.LimitReader(stdin, maxStdinRules+1)); err != nil {
			return nil, fmt.Errorf("--rules -: reading standard input: %w", err)
		}
		if len(data) > maxStdinRules {
			return nil, fmt.Errorf("--rules -: standard input holds more than %d MiB: not a rules file", maxStdinRules>>20)
		}
		name = "<stdin>"
	default:
		var err error
		if data, err = os.ReadFile(name); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the file is named once
			}
			return nil, fmt.Errorf("--rules %s: %w", name, err)
		}
	}
	f, err := decode(data)
	if err != nil {
		var ye *yamlError
		if errors.As(err, &ye) {
			return nil, fmt.Errorf("%s:%d: %s", name, ye.line, ye.msg)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f.app, f.name = builtin.app, name
	seen := map[string]int{} // rule index by id
	for i := range f.Rules {
		r := &f.Rules[i]
		if err := r.validate(); err != nil {
			return nil, f.ruleError(i, err)
		}
		if j, ok := seen[r.ID]; ok {
			return nil, f.ruleError(i, keyErrorf("id", "id %s is rule %d's too (line %d): ids must differ, as they name the results", r.ID, j+1, f.line(j, "id")))
		}
		seen[r.ID] = i
	}
	if len(f.Rules) == 0 {
		return nil, fmt.Errorf("%s: no rules", name)
	}
	return f, nil
}

// maxStdinRules bounds the rules read from standard input.
const maxStdinRules = 16 << 20

// kindNames are the keys of the kinds of rule, in the order of Rule's
// fields.
var kindNames = []string{"retained", "instances", "path", "accounting", "duplicate-classes", "direct-memory", "finalizer-queue"}

// kinds names the kinds the rule gives: one when it is valid.
func (r *Rule) kinds() []string {
	given := []bool{r.Retained != nil, r.Instances != nil, r.Path != nil, r.Accounting != nil, r.DuplicateClasses != nil, r.DirectMemory != nil, r.FinalizerQueue != nil}
	var kinds []string
	for i, g := range given {
		if g {
			kinds = append(kinds, kindNames[i])
		}
	}
	return kinds
}

// Kind names the rule's kind.
func (r *Rule) Kind() string {
	if kinds := r.kinds(); len(kinds) > 0 {
		return kinds[0]
	}
	return ""
}

func (r *Rule) validate() error {
	if r.ID == "" {
		return fmt.Errorf("no id")
	}
	switch r.Severity {
	case "":
		r.Severity = "error"
	case "error", "warning":
	default:
		return keyErrorf("severity", "severity %q: expected error or warning", r.Severity)
	}
	switch kinds := r.kinds(); len(kinds) {
	case 0:
		return fmt.Errorf("no kind: give one of %s", strings.Join(kindNames, ", "))
	case 1:
	default:
		return fmt.Errorf("%s: a rule has one kind (make each a rule of its own)", strings.Join(kinds, " and "))
	}
	switch {
	case r.Retained != nil:
		switch {
		case r.Retained.Class == "" && r.Retained.Package == "":
			return keyErrorf("retained", "retained: give class or package")
		case r.Retained.Class != "" && r.Retained.Package != "":
			return keyErrorf("retained", "retained: give class or package, not both (make each a rule of its own)")
		}
		if p := r.Retained.Package; p != "" && !isPackageName(p) {
			// A glob or a trailing dot matched no class: the rule passed
			// with a warning CI does not read.
			return keyErrorf("retained.package", "retained.package %q: expected a package name (com.acme.cache); for a pattern, give class", p)
		}
		if err := checkLimit("retained.max", r.Retained.Max); err != nil {
			return err
		}
		if r.Retained.Per != "" && r.Retained.Per != "object" && r.Retained.Per != "class" {
			return keyErrorf("retained.per", "retained.per %q: expected object or class", r.Retained.Per)
		}
	case r.Instances != nil:
		if r.Instances.Class == "" {
			return keyErrorf("instances", "instances: no class")
		}
		if !r.Instances.Max.Given {
			return keyErrorf("instances", "instances: no max (0 forbids every instance)")
		}
		if err := r.Instances.Max.parse("instances.max", 0, ""); err != nil {
			return err
		}
	case r.Path != nil:
		if r.Path.Class == "" || r.Path.Through == "" {
			return keyErrorf("path", "path: give class and through")
		}
	case r.Accounting != nil:
		if r.Accounting.Class == "" || r.Accounting.Field == "" {
			return keyErrorf("accounting", "accounting: give class and field")
		}
		if err := checkLimit("accounting.max-excess", r.Accounting.MaxExcess); err != nil {
			return err
		}
		if field, name := r.Accounting.offHeap(); r.Accounting.OffHeapWhen != "" && (field == "" || name == "") {
			return keyErrorf("accounting.off-heap-when", "accounting.off-heap-when: give FIELD=NAME, the field and the enum constant (or string) that marks a claim off the heap (mode=OFF_HEAP), not %q", r.Accounting.OffHeapWhen)
		}
	case r.DuplicateClasses != nil:
		if m := &r.DuplicateClasses.MaxLoaders; !m.Given {
			*m = Count{N: 1, Given: true}
		} else if err := m.parse("duplicate-classes.max-loaders", 1, " (every class has a loader)"); err != nil {
			return err
		}
	case r.DirectMemory != nil:
		if err := checkLimit("direct-memory.max", r.DirectMemory.Max); err != nil {
			return err
		}
	case r.FinalizerQueue != nil:
		f := r.FinalizerQueue
		if f.Max == "" && !f.MaxObjects.Given {
			return keyErrorf("finalizer-queue", "finalizer-queue: give max (a size, or a share of the reachable heap) or max-objects, or both")
		}
		if f.Max != "" {
			if err := checkLimit("finalizer-queue.max", f.Max); err != nil {
				return err
			}
		}
		if f.MaxObjects.Given {
			if err := f.MaxObjects.parse("finalizer-queue.max-objects", 0, ""); err != nil {
				return err
			}
		}
	}
	for _, p := range r.patterns() {
		if _, err := heap.ClassPattern(p.pattern); err != nil {
			return keyErrorf(p.key, "%s: %w", p.key, err)
		}
	}
	return nil
}

// isPackageName reports whether s is a Java package name: identifiers
// joined by dots.
func isPackageName(s string) bool {
	for part := range strings.SplitSeq(s, ".") {
		if part == "" {
			return false
		}
		for i, c := range part {
			if !(unicode.IsLetter(c) || c == '_' || c == '$' || i > 0 && unicode.IsDigit(c)) {
				return false
			}
		}
	}
	return true
}

// checkLimit checks a size of a rule (key names it): one ParseLimit reads,
// with a share of the reachable heap at most 100%, as dominators
// --min-retained takes it. Above, no object, class or set of buffers can
// exceed the share, and the rule would pass every dump without a word
// (ParseLimit takes more for diff --fail-on-growth, where 150% is a
// growth).
func checkLimit(key, s string) error {
	_, pct, err := ParseLimit(s)
	if err != nil {
		return keyErrorf(key, "%s: %w", key, err)
	}
	if pct > 100 {
		return keyErrorf(key, "%s %q: a share of the reachable heap is at most 100%%", key, s)
	}
	return nil
}

// keyedPattern is a class pattern with the key it was given under.
type keyedPattern struct{ key, pattern string }

// patterns lists every class pattern of the rule, so that each is compiled
// when the rules load: one compiled only when the rule runs fails after the
// whole analysis. A path's through is listed whole and, when it may end in
// a field (see throughField), without that field too.
func (r *Rule) patterns() []keyedPattern {
	switch {
	case r.Retained != nil:
		return []keyedPattern{{"retained.class", r.Retained.Class}}
	case r.Instances != nil:
		return []keyedPattern{{"instances.class", r.Instances.Class}}
	case r.Path != nil:
		ps := []keyedPattern{{"path.class", r.Path.Class}, {"path.through", r.Path.Through}}
		if cls, _, ok := throughField(r.Path.Through); ok {
			ps = append(ps, keyedPattern{"path.through", cls})
		}
		return ps
	case r.Accounting != nil:
		return []keyedPattern{{"accounting.class", r.Accounting.Class}}
	case r.DuplicateClasses != nil:
		return []keyedPattern{{"duplicate-classes.class", r.DuplicateClasses.Class}}
	case r.DirectMemory != nil:
		return []keyedPattern{{"direct-memory.owner", r.DirectMemory.Owner}}
	}
	return nil
}

// throughField splits a path rule's through "Y.f" into a class pattern and
// a field when it can name one: what follows the last dot is a Java
// identifier. Whether it is a field, and Y a class pattern, depends on
// the dump (see splitThrough).
func throughField(through string) (class, field string, ok bool) {
	i := strings.LastIndexByte(through, '.')
	if i <= 0 {
		return "", "", false
	}
	class, field = through[:i], through[i+1:]
	for k, r := range field {
		if !(r == '$' || r == '_' || unicode.IsLetter(r) || k > 0 && unicode.IsDigit(r)) {
			return "", "", false
		}
	}
	return class, field, field != ""
}

// fieldLike reports whether a name starts as a field's does (lower case,
// '$' or '_'), where a class's starts upper case.
func fieldLike(name string) bool {
	return name != "" && (name[0] >= 'a' && name[0] <= 'z' || name[0] == '$' || name[0] == '_')
}

// ParseLimit reads "500MB", "1 GiB", "0" (bytes) or "10%" (a share,
// returned as 10; percent is -1 for a size).
func ParseLimit(s string) (bytes uint64, percent float64, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, fmt.Errorf("missing: give a size (500MB) or a percentage (10%%)")
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		// NaN and infinities parse, and then no size is ever above (or
		// every one is): a rule that silently passes.
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(f >= 0 && f <= math.MaxFloat64) {
			return 0, 0, fmt.Errorf("%q: expected a percentage such as 10%%", s)
		}
		return 0, f, nil
	}
	// A size without a unit counts bytes, and must be whole: 0.5, meant
	// as a share, read as 0 bytes, and a rule failed every object (diff
	// --fail-on-growth every growth).
	if strings.Trim(s, "0123456789,.") == "" {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64); err == nil && f != math.Trunc(f) {
			return 0, 0, fmt.Errorf("%q: a size without a unit counts bytes, a whole number (a share is written 50%%)", s)
		}
	}
	b, err := humanize.ParseBytes(s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: expected a size such as 500MB or a percentage such as 10%%", s)
	}
	return b, -1, nil
}
