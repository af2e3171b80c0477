package heap

import (
	"fmt"
	"regexp"
	"strings"
)

// ClassMatcher matches class names against a class pattern (see
// ClassPattern).
type ClassMatcher struct {
	re   *regexp.Regexp // nil for a plain name
	name string         // a plain name: matches equal, or after '.' or '$'
}

// ClassPattern compiles a class pattern, as every option naming classes
// takes it: a JVM or simple name ("ExternalAppendOnlyMap",
// "org.apache.spark.util.collection.ExternalAppendOnlyMap",
// "AppendOnlyMap$$anon$1", "byte[]"), a glob with * ("org.apache.spark.*"),
// or a regular expression between slashes ("/^org\.apache\.(spark|hive)\./").
// A name matches after a '.' or a '$', so a nested class's simple name
// ("SpillableIterator") matches it as it does a top-level class's. The
// empty pattern matches every class.
func ClassPattern(p string) (*ClassMatcher, error) {
	switch {
	case p == "":
		return RegexpMatcher(regexp.MustCompile("")), nil
	case len(p) > 1 && strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/"):
		re, err := regexp.Compile(p[1 : len(p)-1])
		if err != nil {
			return nil, fmt.Errorf("class pattern %s: %w", p, err)
		}
		return RegexpMatcher(re), nil
	case strings.Contains(p, "*"):
		parts := strings.Split(p, "*")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		return RegexpMatcher(regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")), nil
	}
	// A plain name is compared, not matched by a regular expression,
	// which reads every byte of every class name: with 1,000 names of
	// 64 KB, paths' one default exclusion took 6 s.
	return &ClassMatcher{name: p}, nil
}

// RegexpMatcher matches class names with a regular expression anywhere in
// them.
func RegexpMatcher(re *regexp.Regexp) *ClassMatcher { return &ClassMatcher{re: re} }

// Match reports whether a class name matches, as the JVM writes it ("[B")
// or as Java source does ("byte[]").
func (m *ClassMatcher) Match(name string) bool {
	return m.matchOne(name) || m.matchOne(SourceName(name))
}

func (m *ClassMatcher) matchOne(name string) bool {
	if m.re != nil {
		return m.re.MatchString(name)
	}
	if !strings.HasSuffix(name, m.name) {
		return false
	}
	rest := name[:len(name)-len(m.name)]
	return rest == "" || strings.HasSuffix(rest, ".") || strings.HasSuffix(rest, "$")
}

// MatchClasses marks the classes whose name matches m (see Match).
func (g *Graph) MatchClasses(m *ClassMatcher) []bool {
	out := make([]bool, len(g.Classes))
	for i, c := range g.Classes {
		out[i] = m.Match(c.Name)
	}
	return out
}
