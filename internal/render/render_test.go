package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// A tree nested deeper than encoding/json indents (10,000 levels: paths
// down a long chain of matching objects) is still written, unindented;
// before, the command failed with "exceeded max depth".
func TestWriteJSONDeep(t *testing.T) {
	type node struct {
		Children []*node `json:"children,omitempty"`
	}
	root := &node{}
	for n, i := root, 0; i < 12000; i++ {
		n.Children = []*node{{}}
		n = n.Children[0]
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, root); err != nil {
		t.Fatal(err)
	}
	// json.Valid refuses such depth too: compare with the text.
	want := strings.Repeat(`{"children":[`, 12000) + "{}" + strings.Repeat("]}", 12000) + "\n"
	if b.String() != want {
		t.Errorf("%d bytes, not the tree's %d", b.Len(), len(want))
	}
	b.Reset()
	if err := WriteJSON(&b, map[string]int{"a": 1}); err != nil || b.String() != "{\n  \"a\": 1\n}\n" {
		t.Errorf("shallow: %q, %v", b.String(), err)
	}
}

func TestIndent(t *testing.T) {
	for depth, want := range map[int]string{
		0:             "",
		3:             "      ",
		MaxIndent:     strings.Repeat("  ", MaxIndent),
		MaxIndent + 1: strings.Repeat("  ", MaxIndent) + fmt.Sprintf("(depth %d) ", MaxIndent+1),
		10000:         strings.Repeat("  ", MaxIndent) + "(depth 10000) ",
	} {
		if got := Indent(depth); got != want {
			t.Errorf("Indent(%d) = %q, want %q", depth, got, want)
		}
	}
}

// A table's lines end at their last character: tablewriter pads the last
// cell too, and trailing spaces get in the way of diff and copy-paste.
func TestTableLinesTrimmed(t *testing.T) {
	g := &Grid{Columns: []Column{{Title: "Name", Key: "name"}, {Title: "Note", Key: "note"}}}
	g.Rows = [][]any{{"a", "a long note"}, {"bb", ""}, {"c", "x"}}
	var b strings.Builder
	if err := g.Write(&b, Table); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5:\n%s", len(lines), b.String())
	}
	for _, l := range lines {
		if strings.HasSuffix(l, " ") {
			t.Errorf("line %q ends in a space", l)
		}
	}
	if lines[3] != "bb" {
		t.Errorf("a row whose last cell is empty reads %q, want \"bb\"", lines[3])
	}
}
