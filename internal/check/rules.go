// Package check evaluates leak rules against a heap dump's graph and
// dominator tree, for CI: each rule names what must not happen, and every
// violation becomes a finding with the objects involved and the shortest
// strong path from a GC root.
package check

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"gopkg.in/yaml.v3"
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
	Class   string `yaml:"class"`   // class pattern (see Pattern)
	Package string `yaml:"package"` // or a package and its subpackages
	Max     string `yaml:"max"`     // bytes ("500MB") or share of the reachable heap ("10%")
	Per     string `yaml:"per"`     // object (default) or class
}

// InstancesRule bounds how many objects a class may have.
type InstancesRule struct {
	Class string `yaml:"class"`
	Max   int64  `yaml:"max"`
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
	Class      string `yaml:"class"` // only these classes ("" = all)
	MaxLoaders int    `yaml:"max-loaders"`
}

// DirectRule bounds the total capacity of reachable direct byte buffers,
// optionally only those an object of class Owner holds (reaches).
type DirectRule struct {
	Max   string `yaml:"max"`
	Owner string `yaml:"owner"`
}

// File is a rules file.
type File struct {
	Rules []Rule `yaml:"rules"`
}

//go:embed spark.yaml
var sparkRules []byte

//go:embed example.yaml
var exampleRules []byte

// Example is the commented rules file `leakscan check --init` writes.
func Example() []byte { return exampleRules }

// Load reads rules from a file, or a built-in set named "builtin:spark".
func Load(name string) (*File, error) {
	var data []byte
	switch {
	case name == "builtin:spark":
		data = sparkRules
	case strings.HasPrefix(name, "builtin:"):
		return nil, fmt.Errorf("--rules %s: no such built-in rules (there is builtin:spark)", name)
	default:
		var err error
		if data, err = os.ReadFile(name); err != nil {
			return nil, err
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
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
		if _, _, err := ParseLimit(r.Retained.Max); err != nil {
			return fmt.Errorf("retained.max: %w", err)
		}
		if r.Retained.Per != "" && r.Retained.Per != "object" && r.Retained.Per != "class" {
			return fmt.Errorf("retained.per %q: expected object or class", r.Retained.Per)
		}
	case r.Instances != nil:
		if r.Instances.Class == "" {
			return fmt.Errorf("instances: no class")
		}
	case r.Path != nil:
		if r.Path.Class == "" || r.Path.Through == "" {
			return fmt.Errorf("path: give class and through")
		}
	case r.Accounting != nil:
		if r.Accounting.Class == "" || r.Accounting.Field == "" {
			return fmt.Errorf("accounting: give class and field")
		}
		if _, _, err := ParseLimit(r.Accounting.MaxExcess); err != nil {
			return fmt.Errorf("accounting.max-excess: %w", err)
		}
	case r.DuplicateClasses != nil:
		if r.DuplicateClasses.MaxLoaders < 1 {
			r.DuplicateClasses.MaxLoaders = 1
		}
	case r.DirectMemory != nil:
		if _, _, err := ParseLimit(r.DirectMemory.Max); err != nil {
			return fmt.Errorf("direct-memory.max: %w", err)
		}
	}
	for _, p := range []string{r.patternOf()} {
		if _, err := Pattern(p); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) patternOf() string {
	switch {
	case r.Retained != nil:
		return r.Retained.Class
	case r.Instances != nil:
		return r.Instances.Class
	case r.Path != nil:
		return r.Path.Class
	case r.Accounting != nil:
		return r.Accounting.Class
	case r.DuplicateClasses != nil:
		return r.DuplicateClasses.Class
	}
	return ""
}

// ParseLimit reads "500MB", "1 GiB", "0" (bytes) or "10%" (a share).
func ParseLimit(s string) (bytes uint64, percent float64, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, fmt.Errorf("missing: give a size (500MB) or a percentage (10%%)")
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 {
			return 0, 0, fmt.Errorf("%q: expected a percentage such as 10%%", s)
		}
		return 0, f, nil
	}
	b, err := humanize.ParseBytes(s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: expected a size such as 500MB", s)
	}
	return b, -1, nil
}

// Pattern compiles a class pattern: a JVM or simple name
// ("ExternalAppendOnlyMap", "org.apache.spark.util.collection.ExternalAppendOnlyMap",
// "AppendOnlyMap$$anon$1"), a glob with * ("org.apache.spark.*"), or a
// regular expression between slashes ("/^org\.apache\.(spark|hive)\./").
// The empty pattern matches every class.
func Pattern(p string) (*regexp.Regexp, error) {
	switch {
	case p == "":
		return regexp.MustCompile(""), nil
	case len(p) > 1 && strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/"):
		re, err := regexp.Compile(p[1 : len(p)-1])
		if err != nil {
			return nil, fmt.Errorf("class pattern %s: %w", p, err)
		}
		return re, nil
	case strings.Contains(p, "*"):
		parts := strings.Split(p, "*")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$"), nil
	}
	return regexp.MustCompile(`(^|\.)` + regexp.QuoteMeta(p) + "$"), nil
}
