package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
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

// layTable, which lays out long tables, gives tablewriter's text to the
// byte: on random grids of text and figures, with wide (CJK) and combining
// characters, empty cells and titles wider than their cells.
func TestLayTableAsTablewriter(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	words := []string{"", "a", "java.lang.Object[]", "  indented", "\x01", "\t", "\x7f", "日本語", "e\u0301t\u00e9", "0x7f3a", "…", "x y", "(depth 41) Node"}
	for round := 0; round < 300; round++ {
		cols := make([]Column, 1+r.IntN(6))
		for i := range cols {
			cols[i] = Column{Title: words[r.IntN(len(words))] + fmt.Sprint(i), Key: fmt.Sprint("k", i), Kind: Kind(r.IntN(4))}
		}
		cells := make([][]string, r.IntN(40))
		for j := range cells {
			cells[j] = make([]string, len(cols))
			for i := range cols {
				cells[j][i] = words[r.IntN(len(words))] + strings.Repeat("9", r.IntN(12))
			}
		}
		var lay, tw bytes.Buffer
		if err := layTable(&lay, cols, cells); err != nil {
			t.Fatal(err)
		}
		defer func(n int) { tablewriterRows = n }(tablewriterRows)
		tablewriterRows = len(cells) + 1
		if err := writeTable(&tw, cols, cells); err != nil {
			t.Fatal(err)
		}
		if a, b := strings.Split(lay.String(), "\n"), strings.Split(tw.String(), "\n"); lay.String() != tw.String() {
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Fatalf("round %d, line %d of %d: layTable wrote\n%q\ntablewriter\n%q", round, i, len(b), a[i], b[i])
				}
			}
			t.Fatalf("round %d: %d lines, tablewriter %d", round, len(a), len(b))
		}
	}
}

// Rows writes what Grid.Write wrote before it: CSV row by row, JSON as the
// list Records gives, a table through tablewriter or, when long, layTable.
func TestRowsAsGrid(t *testing.T) {
	g := &Grid{Columns: []Column{{Title: "Object", Key: "id"}, {Title: "Count", Key: "n", Kind: Count}, {Title: "Size", Key: "bytes", Kind: Bytes}, {Title: "%", Key: "pct", Kind: Percent}}}
	for i := range 5000 {
		g.Rows = append(g.Rows, []any{fmt.Sprintf("0x%x <\"&\">", i*40), int64(i), uint64(i) << 20, float64(i) / 7})
	}
	for _, f := range []Format{CSV, JSON, Table} {
		for _, n := range []int{0, 1, 2999, 5000} {
			part := &Grid{Columns: g.Columns, Rows: g.Rows[:n]}
			var got, want bytes.Buffer
			if err := part.Write(&got, f); err != nil {
				t.Fatal(err)
			}
			switch f {
			case JSON:
				WriteJSON(&want, part.Records())
			case CSV:
				cw := csv.NewWriter(&want)
				cw.Write([]string{"id", "n", "bytes", "pct"})
				for _, r := range part.Rows {
					cw.Write([]string{r[0].(string), fmt.Sprint(r[1]), fmt.Sprint(r[2]), strconv.FormatFloat(r[3].(float64), 'f', -1, 64)})
				}
				cw.Flush()
			case Table:
				defer func(n int) { tablewriterRows = n }(tablewriterRows)
				tablewriterRows = n + 1
				part.Write(&want, Table)
				tablewriterRows = 2000
			}
			if got.String() != want.String() {
				t.Errorf("%s, %d rows: %d bytes differ from the %d expected; first lines\n%.300s\n%.300s", f, n, got.Len(), want.Len(), got.String(), want.String())
			}
		}
	}
	// A cell's line break is escaped (Clean): a row is a line, however
	// long the table.
	tall := &Grid{Columns: []Column{{Title: "Text", Key: "t"}}}
	for range 3000 {
		tall.Rows = append(tall.Rows, []any{"two\nlines"})
	}
	var b bytes.Buffer
	tall.Write(&b, Table)
	if n := strings.Count(b.String(), "\n"); n != 2+3000 || !strings.Contains(b.String(), "\ntwo\\nlines\n") {
		t.Errorf("3,000 two-line cells: %d lines", n)
	}
}

// WriteJSON indents as json.Indent does, on random values: nested
// objects and lists, empty ones, strings with quotes, escapes, brackets
// and colons in them.
func TestWriteJSONAsIndent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	texts := []string{"", `"`, `\`, "a:b,c", "{[}]", "日本", "<&>", "line\nbreak", "\x01"}
	var value func(depth int) any
	value = func(depth int) any {
		switch k := r.IntN(6); {
		case depth > 5 || k == 0:
			return texts[r.IntN(len(texts))]
		case k == 1:
			return r.Float64() * 1e6
		case k == 2:
			return nil
		case k == 3:
			l := make([]any, r.IntN(4))
			for i := range l {
				l[i] = value(depth + 1)
			}
			return l
		default:
			m := map[string]any{}
			for range r.IntN(4) {
				m[texts[r.IntN(len(texts))]] = value(depth + 1)
			}
			return m
		}
	}
	for range 2000 {
		v := value(0)
		var got bytes.Buffer
		if err := WriteJSON(&got, v); err != nil {
			t.Fatal(err)
		}
		compact, _ := json.Marshal(v)
		compact = bytes.ReplaceAll(compact, []byte(`\u003c`), []byte("<")) // WriteJSON does not escape HTML
		compact = bytes.ReplaceAll(compact, []byte(`\u003e`), []byte(">"))
		compact = bytes.ReplaceAll(compact, []byte(`\u0026`), []byte("&"))
		var want bytes.Buffer
		if err := json.Indent(&want, compact, "", "  "); err != nil {
			t.Fatal(err)
		}
		want.WriteByte('\n')
		if got.String() != want.String() {
			t.Fatalf("WriteJSON:\n%s\njson.Indent:\n%s", got.String(), want.String())
		}
	}
}

// TestClean: control characters a dump's names and strings may hold are
// shown escaped, in a table's cells and in what Safe writes (there line
// breaks and tabs stay); a table's columns line up around them.
func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"java.lang.String":    "java.lang.String",
		"\x1b[31mNode":        `\x1b[31mNode`,
		"two\nlines\tand\r":   `two\nlines\tand\r`,
		"del\x7f c1\u009b":    `del\u007f c1\u009b`,
		"café \u00a9 日本 \x00": `café © 日本 \x00`,
		"\xc2":                "\xc2", // not a C1 character: a byte kept as it is
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	var b bytes.Buffer
	// A write that ends inside a character, beside a control character:
	// its bytes stay as they are, whole once the next write's follow.
	safe := Safe(&b)
	safe.Write([]byte("\x1bcaf\xc3"))
	safe.Write([]byte("\xa9 \xff"))
	if want := "\\x1bcafé \xff"; b.String() != want {
		t.Errorf("Safe wrote %q, want %q", b.String(), want)
	}
	b.Reset()
	fmt.Fprint(Safe(&b), "thread \x1b]0;pwned\x07 main\n\tat Foo.bar\n")
	if want := "thread \\x1b]0;pwned\\x07 main\n\tat Foo.bar\n"; b.String() != want {
		t.Errorf("Safe wrote %q, want %q", b.String(), want)
	}
	// JSON through Safe stays valid and means the same: DEL came out as
	// \x7f, which JSON has no escape for.
	b.Reset()
	name := "del\x7f c1\u009b esc\x1b"
	if err := WriteJSON(Safe(&b), map[string]string{"thread": name}); err != nil {
		t.Fatal(err)
	}
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["thread"] != name {
		t.Errorf("JSON through Safe: %q: %v, %q", b.String(), err, back["thread"])
	}
	g := &Grid{Columns: []Column{{Title: "Class", Key: "c"}, {Title: "N", Key: "n", Kind: Count}}, Rows: [][]any{{"\x1b[31mNode", 1}, {"a", 22}}}
	b.Reset()
	g.Write(&b, Table)
	if want := "Class         N\n--------------------\n\\x1b[31mNode   1\na             22\n"; b.String() != want {
		t.Errorf("table:\n%s\nwant\n%s", b.String(), want)
	}
}

// TestSignedSize: a change has its sign, no change none, as a count's "0"
// beside it in diff's table (which read "0" and "+0 B" side by side).
func TestSignedSize(t *testing.T) {
	for b, want := range map[int64]string{0: "0 B", 1536: "+1.5 KiB", -2048: "-2.0 KiB"} {
		if got := SignedSize(b); got != want {
			t.Errorf("SignedSize(%d) = %q, want %q", b, got, want)
		}
	}
}
