package heap

import (
	"fmt"
	"regexp"
	"strings"
)

// ClassPattern compiles a class pattern, as every option naming classes
// takes it: a JVM or simple name ("ExternalAppendOnlyMap",
// "org.apache.spark.util.collection.ExternalAppendOnlyMap",
// "AppendOnlyMap$$anon$1", "byte[]"), a glob with * ("org.apache.spark.*"),
// or a regular expression between slashes ("/^org\.apache\.(spark|hive)\./").
// A name matches after a '.' or a '$', so a nested class's simple name
// ("SpillableIterator") matches it as it does a top-level class's. The
// empty pattern matches every class. MatchClasses applies it.
func ClassPattern(p string) (*regexp.Regexp, error) {
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
	return regexp.MustCompile(`(^|[.$])` + regexp.QuoteMeta(p) + "$"), nil
}

// MatchesClass reports whether re matches a class name as the JVM writes
// it ("[B") or as Java source does ("byte[]").
func MatchesClass(re *regexp.Regexp, name string) bool {
	return re.MatchString(name) || re.MatchString(SourceName(name))
}

// MatchClasses marks the classes whose name matches re (see MatchesClass).
func (g *Graph) MatchClasses(re *regexp.Regexp) []bool {
	out := make([]bool, len(g.Classes))
	for i, c := range g.Classes {
		out[i] = MatchesClass(re, c.Name)
	}
	return out
}
