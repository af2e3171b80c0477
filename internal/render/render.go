// Package render writes analysis results as tables for people (human
// sizes), or as JSON and CSV for programs (exact bytes). Analyses hand over
// plain data; the format is chosen once, here.
package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/olekukonko/tablewriter"
)

// Format is an output format.
type Format string

// Formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	CSV   Format = "csv"
)

// ParseFormat checks a --format value against the formats a command has.
func ParseFormat(s string, allowed ...Format) (Format, error) {
	var names []string
	for _, f := range allowed {
		if string(f) == s {
			return f, nil
		}
		names = append(names, string(f))
	}
	return "", fmt.Errorf("--format %q: expected one of %s", s, strings.Join(names, ", "))
}

// Kind says how a column's values are shown.
type Kind int

// Column kinds.
const (
	Text    Kind = iota
	Count        // an integer
	Bytes        // a byte count: human-readable in tables, exact elsewhere
	Percent      // a float64 percentage
)

// Column describes one column: its title in tables and its key in JSON and
// CSV.
type Column struct {
	Title string
	Key   string
	Kind  Kind
}

// Grid is tabular data: values are string, int64/int, uint64 or float64.
type Grid struct {
	Columns []Column
	Rows    [][]any
}

// Write renders the grid.
func (g *Grid) Write(w io.Writer, f Format) error {
	switch f {
	case JSON:
		return WriteJSON(w, g.Records())
	case CSV:
		cw := csv.NewWriter(w)
		head := make([]string, len(g.Columns))
		for i, c := range g.Columns {
			head[i] = c.Key
		}
		cw.Write(head)
		for _, r := range g.Rows {
			rec := make([]string, len(r))
			for i, v := range r {
				rec[i] = exact(v)
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	}
	var buf bytes.Buffer
	tw := newTable(&buf)
	head := make([]string, len(g.Columns))
	aligns := make([]int, len(g.Columns))
	for i, c := range g.Columns {
		head[i] = c.Title
		aligns[i] = tablewriter.ALIGN_LEFT
		if c.Kind != Text {
			aligns[i] = tablewriter.ALIGN_RIGHT
		}
	}
	tw.SetHeader(head)
	tw.SetColumnAlignment(aligns)
	for _, r := range g.Rows {
		rec := make([]string, len(r))
		for i, v := range r {
			rec[i] = human(v, g.Columns[i].Kind)
		}
		tw.Append(rec)
	}
	tw.Render()
	return writeTrimmed(w, buf.Bytes())
}

// writeTrimmed writes table without the spaces that pad its lines' last
// cells: tablewriter pads every cell to its column's width, the last too.
func writeTrimmed(w io.Writer, table []byte) error {
	out := make([]byte, 0, len(table))
	for line := range bytes.Lines(table) {
		out = append(out, bytes.TrimRight(line, " \n")...)
		out = append(out, '\n')
	}
	_, err := w.Write(out)
	return err
}

// Records returns the rows as JSON gives them, a map from column key to
// value each ([] when there are none): for JSON that holds them beside
// other keys.
func (g *Grid) Records() []map[string]any {
	rows := make([]map[string]any, 0, len(g.Rows))
	for _, r := range g.Rows {
		m := make(map[string]any, len(r))
		for i, c := range g.Columns {
			m[c.Key] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func newTable(w io.Writer) *tablewriter.Table {
	tw := tablewriter.NewWriter(w)
	tw.SetAutoFormatHeaders(false)
	tw.SetAutoWrapText(false)
	tw.SetBorder(false)
	tw.SetHeaderLine(true)
	tw.SetColumnSeparator("")
	tw.SetCenterSeparator("")
	tw.SetRowSeparator("-")
	tw.SetHeaderAlignment(tablewriter.ALIGN_LEFT)
	tw.SetTablePadding("  ")
	tw.SetNoWhiteSpace(true)
	return tw
}

// KeyValues renders label/value pairs as an aligned two-column list.
func KeyValues(w io.Writer, pairs [][2]string) {
	width := 0
	for _, p := range pairs {
		width = max(width, len(p[0]))
	}
	for _, p := range pairs {
		if p[0] == "" {
			fmt.Fprintln(w, p[1])
			continue
		}
		fmt.Fprintf(w, "%-*s  %s\n", width+1, p[0]+":", p[1])
	}
}

// WriteJSON writes v as indented JSON (unindented when nested too deep to
// indent).
func WriteJSON(w io.Writer, v any) error {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		// Nested deeper than encoding/json indents (10,000 levels: the
		// paths down a long chain of matching objects, a dominator tree
		// expanded as deep): written unindented, which has no such limit.
		_, err = w.Write(compact.Bytes())
		return err
	}
	_, err := w.Write(out.Bytes())
	return err
}

func exact(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func human(v any, k Kind) string {
	switch k {
	case Bytes:
		switch x := v.(type) {
		case uint64:
			return Size(x)
		case int64:
			return Size(uint64(max(x, 0)))
		}
	case Count:
		switch x := v.(type) {
		case int64:
			return humanize.Comma(x)
		case int:
			return humanize.Comma(int64(x))
		case uint64:
			return humanize.Comma(int64(x))
		}
	case Percent:
		if x, ok := v.(float64); ok {
			return strconv.FormatFloat(x, 'f', 2, 64) + "%"
		}
	}
	return exact(v)
}

// Size formats a byte count for people: "1.5 GiB", "312 B".
func Size(b uint64) string { return humanize.IBytes(b) }

// Nouns counts things in words, with thousands separators: "1 finding",
// "21,501 findings".
func Nouns[N int | int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return humanize.Comma(int64(n)) + " " + many
}

// SignedSize formats a byte delta with its sign.
func SignedSize(b int64) string {
	if b < 0 {
		return "-" + humanize.IBytes(uint64(-b))
	}
	return "+" + humanize.IBytes(uint64(b))
}

// MaxIndent is how many levels deep the lines of a tree are indented.
const MaxIndent = 32

// Indent returns the indentation of a tree's line at depth (0 for the
// top): two spaces a level, down to MaxIndent levels. A deeper line is
// indented as one at that level and starts with its depth, "(depth 41) ",
// so that a tree as deep as a linked list is printed long but not ever
// wider: indented all the way, 10,000 levels of a dominator tree were 200
// MB of table.
func Indent(depth int) string {
	if depth <= MaxIndent {
		return strings.Repeat("  ", depth)
	}
	return strings.Repeat("  ", MaxIndent) + "(depth " + strconv.Itoa(depth) + ") "
}
