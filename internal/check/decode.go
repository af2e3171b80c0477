package check

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Reading a rules file. yaml.v3 alone reports its mistakes in ways a
// rules file's author cannot act on: a syntax error on the line before the
// block that holds it (line 1 for a key indented wrong on line 5), an
// unknown key as "field maxx not found in type check.InstancesRule" on a
// line of its own below "yaml: unmarshal errors:". decode reads the file
// as a node tree first, so that every mistake is one line naming where it
// is in the file's own words; the rule errors of Load and Resolve take
// their lines from the same tree (File.ruleError).

// decode reads the YAML document of a rules file that has content, and
// each rule's node. Documents without content (a null one: "---" on the
// last line, as editors and generators write, or two "---" in a row) hold
// no rules and are passed over wherever they are. A second document with
// content is refused: its rules would otherwise be dropped unread, and
// the rules the file seems to hold never checked.
func decode(data []byte) (*File, error) {
	docs, err := documents(data)
	var doc *yaml.Node
	for _, n := range docs { // those before a syntax error, if any
		switch {
		case isNull(n.Content[0]):
		case doc != nil:
			return nil, &yamlError{n.Line, fmt.Sprintf("a second YAML document (the first from line %d): put every rule in the first document's rules list", doc.Line)}
		default:
			doc = n
		}
	}
	if err != nil {
		return nil, syntaxError(data, err)
	}
	if doc == nil {
		return nil, fmt.Errorf("the file is empty: no rules")
	}
	nodes, err := ruleNodes(doc)
	if err != nil {
		return nil, err
	}
	// The walk has checked the keys, the kinds of node and the tags, each
	// mistake at its line: decoding fails only where the walk is wrong,
	// still on one line.
	var f File
	if err := doc.Decode(&f); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, errors.New(strings.Join(te.Errors, "; "))
		}
		return nil, err
	}
	f.nodes = nodes
	return &f, nil
}

// documents reads the YAML documents of data: all of them, or those
// before the first syntax error, and the error.
func documents(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		n := new(yaml.Node)
		if err := dec.Decode(n); err == io.EOF {
			return docs, nil
		} else if err != nil {
			return docs, err
		}
		docs = append(docs, n)
	}
}

// yamlSyntax reads a yaml.v3 syntax error: "yaml: line 4: did not find
// expected key", or without the line. yaml.v3 gives it no structure.
var yamlSyntax = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// syntaxMessage splits a syntax error into its line (0 when none) and its
// message; ok is false for another error.
func syntaxMessage(err error) (line int, msg string, ok bool) {
	m := yamlSyntax.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, "", false
	}
	line, _ = strconv.Atoi(m[1])
	return line, err.Error()[len(m[0]):], true
}

// syntaxError restates a yaml.v3 syntax error with the line the mistake
// is on. yaml.v3 gives, for most, the 0-based line where the block
// holding the mistake begins, and no position of its own: the mistake is
// on the first line from there at which the file read so far fails the
// same way. A mistake the parser meets only at the end (a '{' never
// closed) is put where the file stops parsing: the line of the '{' in a
// block, the last line of a list written on several.
func syntaxError(data []byte, err error) error {
	start, msg, ok := syntaxMessage(err)
	if !ok {
		return err
	}
	budget := 64 << 20 // bytes parsed again, at most: a rules file has some KiB
	end, line := 0, 0
	for end < len(data) && budget > 0 {
		next := bytes.IndexByte(data[end:], '\n') + 1
		if next == 0 {
			next = len(data) - end
		}
		end, line = end+next, line+1
		if line < start {
			continue
		}
		budget -= end
		if _, e := documents(data[:end]); e != nil {
			if _, m, _ := syntaxMessage(e); m == msg {
				return &yamlError{line, msg}
			}
		}
	}
	if start > 0 {
		return &yamlError{start + 1, "in the block from here on: " + msg}
	}
	return errors.New(msg)
}

// yamlError is a mistake at a line of a rules file.
type yamlError struct {
	line int
	msg  string
}

func (e *yamlError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// ruleNodes checks that doc has the shape of a File, and returns each
// rule's mapping node.
func ruleNodes(doc *yaml.Node) ([]*yaml.Node, error) {
	top := resolveAlias(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, &yamlError{top.Line, fmt.Sprintf("expected a mapping with the key rules, found %s", describe(top))}
	}
	var list *yaml.Node
	for i := 0; i < len(top.Content); i += 2 {
		k := top.Content[i]
		if err := tagError(k, reflect.TypeFor[string](), keyName(k)); err != nil {
			return nil, err
		}
		if k.Kind == yaml.ScalarNode && strings.HasPrefix(k.Value, "x-") {
			continue // a place for anchors the rules name, as in docker-compose's files
		}
		if k.Value != "rules" {
			return nil, &yamlError{k.Line, fmt.Sprintf("unknown key %s at the top level (the file takes rules, and ignores keys starting x-)", keyName(k))}
		}
		if list != nil {
			return nil, &yamlError{k.Line, fmt.Sprintf("rules given twice (also line %d)", list.Line)}
		}
		list = resolveAlias(top.Content[i+1])
	}
	if list == nil || isNull(list) {
		return nil, nil // Load says: no rules
	}
	if list.Kind != yaml.SequenceNode {
		return nil, &yamlError{list.Line, fmt.Sprintf("rules: expected a list of rules (lines \"- id: ...\"), found %s", describe(list))}
	}
	nodes := make([]*yaml.Node, len(list.Content))
	w := walker{seen: map[walked]bool{}}
	for i, n := range list.Content {
		n = resolveAlias(n)
		nodes[i] = n
		if n.Kind != yaml.MappingNode {
			return nil, &yamlError{n.Line, fmt.Sprintf("rule %d: expected a mapping (id: ..., and a kind), found %s", i+1, describe(n))}
		}
		if err := w.walk(n, reflect.TypeFor[Rule](), ""); err != nil {
			id := ""
			if _, v := mapValue(n, "id"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
				id = " (" + v.Value + ")"
			}
			return nil, &yamlError{err.line, fmt.Sprintf("rule %d%s: %s", i+1, id, err.msg)}
		}
	}
	return nodes, nil
}

// walker checks the keys and the kinds of node of a rule against the
// structs it decodes into, each node once for a type (an alias names a
// node again, and a file of aliases of aliases would otherwise be walked
// exponentially).
type walker struct{ seen map[walked]bool }

type walked struct {
	n *yaml.Node
	t reflect.Type
}

// walk checks n as the value of key (a dotted path, "" for a rule) of
// type t.
func (w *walker) walk(n *yaml.Node, t reflect.Type, key string) *yamlError {
	n = resolveAlias(n)
	if w.seen[walked{n, t}] {
		return nil
	}
	w.seen[walked{n, t}] = true
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
		if isNull(n) {
			return &yamlError{n.Line, fmt.Sprintf("%s: empty: give its keys (%s)", key, strings.Join(yamlKeys(t), ", "))}
		}
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[Count]() {
		if n.Kind != yaml.ScalarNode {
			return &yamlError{n.Line, fmt.Sprintf("%s: expected a single value, found %s", key, describe(n))}
		}
		return tagError(n, t, key)
	}
	if n.Kind != yaml.MappingNode {
		return &yamlError{n.Line, fmt.Sprintf("%s: expected a mapping (%s), found %s", key, strings.Join(yamlKeys(t), ", "), describe(n))}
	}
	given := map[string]int{}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := keyName(k)
		if key != "" {
			path = key + "." + path
		}
		if err := tagError(k, reflect.TypeFor[string](), path); err != nil {
			return err
		}
		if k.Value == "<<" { // a merge: the keys of other mappings
			if err := w.walkMerge(v, t, key, path); err != nil {
				return err
			}
			continue
		}
		f, ok := yamlField(t, k.Value)
		if !ok {
			in := "a rule"
			if key != "" {
				in = key
			}
			return &yamlError{k.Line, fmt.Sprintf("unknown key %s (%s takes %s)", path, in, strings.Join(yamlKeys(t), ", "))}
		}
		if line, ok := given[k.Value]; ok {
			return &yamlError{k.Line, fmt.Sprintf("%s given twice (also line %d)", path, line)}
		}
		given[k.Value] = k.Line
		if err := w.walk(v, f.Type, path); err != nil {
			return err
		}
	}
	return nil
}

// tagError is the mistake, if any, in the tag of scalar n, the value of
// key, of type t: a value its tag does not fit (!!int on a word, !!binary
// on text that is not base64). Decoding the file fails there without
// saying where; n is decoded alone, as the file's decoding will decode it,
// so that the message has n's line. A node that is no scalar has no such
// mistake: a key that is a list or a mapping is an unknown key, which the
// caller says (yaml.v3's error for it is two lines).
func tagError(n *yaml.Node, t reflect.Type, key string) *yamlError {
	if n.Kind != yaml.ScalarNode {
		return nil
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		return &yamlError{n.Line, fmt.Sprintf("%s: %s", key, strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	return nil
}

// walkMerge checks the mappings a merge key ("<<: *defaults", at path)
// names as the value of key, of type t.
func (w *walker) walkMerge(v *yaml.Node, t reflect.Type, key, path string) *yamlError {
	v = resolveAlias(v)
	merged := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		merged = v.Content
	}
	for _, m := range merged {
		if m = resolveAlias(m); m.Kind != yaml.MappingNode {
			return &yamlError{m.Line, fmt.Sprintf("%s: expected a mapping to merge, found %s", path, describe(m))}
		}
		if err := w.walk(m, t, key); err != nil {
			return err
		}
	}
	return nil
}

// yamlField is the field of struct type t that key decodes into.
func yamlField(t reflect.Type, key string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlKeys lists the keys struct type t takes, in the order of its fields.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" && f.IsExported() {
			keys = append(keys, name)
		}
	}
	return keys
}

// mapValue returns the key and value nodes of key in mapping n, or nils.
func mapValue(n *yaml.Node, key string) (k, v *yaml.Node) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], resolveAlias(n.Content[i+1])
		}
	}
	return nil, nil
}

// keyName is a mapping key for messages: its text, or what it is when it
// is not text ("? [a]").
func keyName(k *yaml.Node) string {
	if k.Kind == yaml.ScalarNode {
		return k.Value
	}
	return describe(k)
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	if isNull(n) {
		return "nothing"
	}
	return strconv.Quote(n.Value)
}
