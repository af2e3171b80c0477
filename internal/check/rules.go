// Package check evaluates leak rules against a heap dump's graph and
// dominator tree, for CI: each rule names what must not happen, and every
// violation becomes a finding with the objects involved and the shortest
// strong path from a GC root.
package check

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

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
type AccountingRule struct {
	Class     string `yaml:"class"`
	Field     string `yaml:"field"`
	MaxExcess string `yaml:"max-excess"`
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

// Count is a whole number of 0 or more in a rules file. Decoded into an
// int64, yaml.v3 truncates 1.5 to 1 and takes -1: a bound read otherwise
// than written passes or fails every dump, so only a plain integer is
// taken.
type Count struct {
	N     int64
	Given bool // false when the rule leaves it out
}

// UnmarshalYAML reads an integer scalar.
func (c *Count) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if n.Kind != yaml.ScalarNode || err != nil || v < 0 {
		return fmt.Errorf("line %d: %q: expected a whole number, 0 or more", n.Line, n.Value)
	}
	c.N, c.Given = v, true
	return nil
}

// File is a rules file.
type File struct {
	Rules []Rule `yaml:"rules"`
	// app is, for leakscan's own rules, the kind of application they are
	// written for ("Spark"); "" for a rules file. Such a set's rules that
	// check nothing get one note for the set (see Resolve).
	app  string
	name string // as given to Load, for messages
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

// Load reads rules from a file, or a built-in set named "builtin:spark".
func Load(name string) (*File, error) {
	var data []byte
	builtin, ok := builtins[name]
	switch {
	case ok:
		data = builtin.rules
	case IsBuiltin(name):
		return nil, fmt.Errorf("--rules %s: no such built-in rules (there is builtin:spark)", name)
	default:
		var err error
		if data, err = os.ReadFile(name); err != nil {
			return nil, err
		}
	}
	f, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f.app, f.name = builtin.app, name
	seen := map[string]bool{}
	for i := range f.Rules {
		r := &f.Rules[i]
		if err := r.validate(); err != nil {
			return nil, fmt.Errorf("%s: rule %d (%s): %w", name, i+1, r.ID, err)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("%s: rule id %q used twice", name, r.ID)
		}
		seen[r.ID] = true
	}
	if len(f.Rules) == 0 {
		return nil, fmt.Errorf("%s: no rules", name)
	}
	return f, nil
}

// decode reads the one YAML document of a rules file. A second document
// (after "---") is refused: its rules would otherwise be dropped
// unread, and the rules the file seems to hold never checked.
func decode(data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err == io.EOF {
		return nil, fmt.Errorf("the file is empty: no rules")
	} else if err != nil {
		return nil, err
	}
	var more yaml.Node
	if err := dec.Decode(&more); err != io.EOF {
		return nil, fmt.Errorf("more than one YAML document (a line \"---\"): put every rule in the first document's rules list")
	}
	return &f, nil
}

// Kind names the rule's kind.
func (r *Rule) Kind() string {
	switch {
	case r.Retained != nil:
		return "retained"
	case r.Instances != nil:
		return "instances"
	case r.Path != nil:
		return "path"
	case r.Accounting != nil:
		return "accounting"
	case r.DuplicateClasses != nil:
		return "duplicate-classes"
	case r.DirectMemory != nil:
		return "direct-memory"
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
		return fmt.Errorf("severity %q: expected error or warning", r.Severity)
	}
	kinds := 0
	for _, set := range []bool{r.Retained != nil, r.Instances != nil, r.Path != nil, r.Accounting != nil, r.DuplicateClasses != nil, r.DirectMemory != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return fmt.Errorf("needs exactly one of retained, instances, path, accounting, duplicate-classes, direct-memory")
	}
	switch {
	case r.Retained != nil:
		if (r.Retained.Class == "") == (r.Retained.Package == "") {
			return fmt.Errorf("retained: give class or package")
		}
		if err := checkLimit("retained.max", r.Retained.Max); err != nil {
			return err
		}
		if r.Retained.Per != "" && r.Retained.Per != "object" && r.Retained.Per != "class" {
			return fmt.Errorf("retained.per %q: expected object or class", r.Retained.Per)
		}
	case r.Instances != nil:
		if r.Instances.Class == "" {
			return fmt.Errorf("instances: no class")
		}
		if !r.Instances.Max.Given {
			return fmt.Errorf("instances: no max (0 forbids every instance)")
		}
	case r.Path != nil:
		if r.Path.Class == "" || r.Path.Through == "" {
			return fmt.Errorf("path: give class and through")
		}
	case r.Accounting != nil:
		if r.Accounting.Class == "" || r.Accounting.Field == "" {
			return fmt.Errorf("accounting: give class and field")
		}
		if err := checkLimit("accounting.max-excess", r.Accounting.MaxExcess); err != nil {
			return err
		}
	case r.DuplicateClasses != nil:
		switch m := &r.DuplicateClasses.MaxLoaders; {
		case !m.Given:
			*m = Count{N: 1, Given: true}
		case m.N < 1:
			return fmt.Errorf("duplicate-classes.max-loaders %d: expected 1 or more (every class has a loader)", m.N)
		}
	case r.DirectMemory != nil:
		if err := checkLimit("direct-memory.max", r.DirectMemory.Max); err != nil {
			return err
		}
	}
	for _, p := range r.patterns() {
		if _, err := heap.ClassPattern(p.pattern); err != nil {
			return fmt.Errorf("%s: %w", p.key, err)
		}
	}
	return nil
}

// checkLimit checks a size of a rule (key names it): one ParseLimit reads,
// with a share of the reachable heap at most 100%, as dominators
// --min-retained takes it. Above, no object, class or set of buffers can
// exceed the share, and the rule would pass every dump without a word
// (ParseLimit takes more for diff --fail-on-growth, where 150% is a
// growth). A size without a unit counts bytes, and must be whole: 0.5,
// meant as a share, read as 0 bytes and failed every object.
func checkLimit(key, s string) error {
	_, pct, err := ParseLimit(s)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if pct > 100 {
		return fmt.Errorf("%s %q: a share of the reachable heap is at most 100%%", key, s)
	}
	if num := strings.TrimSpace(s); strings.Trim(num, "0123456789,.") == "" {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64); err == nil && f != math.Trunc(f) {
			return fmt.Errorf("%s %q: a size without a unit counts bytes, a whole number (a share is written 50%%)", key, s)
		}
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
// a field when it can name one: what follows the last dot starts as a
// field name does (lower case, '$' or '_'), where a class name would start
// upper case. Whether Y is a class pattern depends on the dump (see
// splitThrough).
func throughField(through string) (class, field string, ok bool) {
	i := strings.LastIndexByte(through, '.')
	if i <= 0 {
		return "", "", false
	}
	class, field = through[:i], through[i+1:]
	if field == "" || !(field[0] >= 'a' && field[0] <= 'z' || field[0] == '$' || field[0] == '_') {
		return "", "", false
	}
	return class, field, true
}

// ParseLimit reads "500MB", "1 GiB", "0" (bytes) or "10%" (a share).
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
	b, err := humanize.ParseBytes(s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: expected a size such as 500MB or a percentage such as 10%%", s)
	}
	return b, -1, nil
}
