// Package render writes analysis results as tables for people (human
// sizes), or as JSON and CSV for programs (exact bytes). Analyses hand over
// plain data; the format is chosen once, here.
package render

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/mattn/go-runewidth"
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
	rows := NewRows(w, f, g.Columns)
	for _, r := range g.Rows {
		rows.Add(r...)
	}
	return rows.Close()
}

// Rows writes a grid a row at a time, for output too long to hold as a
// Grid: CSV and JSON go out as the rows come (the JSON a list of records,
// as Grid.Write gives it); a table keeps each row's cells as text until
// Close, as its columns' widths need every row. A command printing
// millions of rows (dominators --children 0 below a 2 M-slot array) held
// them as a Grid at 700-800 bytes a row, and tablewriter took 47 of its
// 57 s to lay them out.
type Rows struct {
	f      Format
	cols   []Column
	w      *bufio.Writer
	csv    *csv.Writer
	json   *json.Encoder
	buf    bytes.Buffer   // JSON: the record being written
	rec    []string       // CSV: the row being written
	record map[string]any // JSON: the row being written
	n      int            // rows added
	cells  [][]string     // table: each row's cells, as people read them
	err    error
}

// NewRows starts writing rows of cols to w in format f.
func NewRows(w io.Writer, f Format, cols []Column) *Rows {
	r := &Rows{f: f, cols: cols, w: bufio.NewWriterSize(w, 64<<10)}
	switch f {
	case CSV:
		r.csv = csv.NewWriter(r.w)
		head := make([]string, len(cols))
		for i, c := range cols {
			head[i] = c.Key
		}
		r.csv.Write(head)
	case JSON:
		r.json = json.NewEncoder(&r.buf)
		r.json.SetEscapeHTML(false)
		r.json.SetIndent("  ", "  ")
	}
	return r
}

// Add writes (or, for a table, keeps) one row: a value per column, of the
// types Grid's rows hold.
func (r *Rows) Add(row ...any) {
	if r.err != nil {
		return
	}
	r.n++
	switch r.f {
	case CSV:
		r.rec = r.rec[:0]
		for _, v := range row {
			r.rec = append(r.rec, exact(v))
		}
		r.err = r.csv.Write(r.rec)
	case JSON:
		if r.record == nil {
			r.record = make(map[string]any, len(r.cols))
		}
		m := r.record // each key set again for each row
		for i, c := range r.cols {
			m[c.Key] = row[i]
		}
		r.buf.Reset()
		if r.err = r.json.Encode(m); r.err != nil {
			return
		}
		sep := ",\n  "
		if r.n == 1 {
			sep = "[\n  "
		}
		r.w.WriteString(sep)
		_, r.err = r.w.Write(bytes.TrimSuffix(r.buf.Bytes(), []byte("\n")))
	default:
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = Clean(human(v, r.cols[i].Kind))
		}
		r.cells = append(r.cells, rec)
	}
}

// Close writes what Add kept back (a table; JSON's closing bracket) and
// flushes; it returns the first error met.
func (r *Rows) Close() error {
	switch {
	case r.err != nil:
	case r.f == CSV:
		r.csv.Flush()
		r.err = r.csv.Error()
	case r.f == JSON && r.n == 0:
		r.w.WriteString("[]\n") // [], not null, when there are none
	case r.f == JSON:
		r.w.WriteString("\n]\n")
	default:
		r.err = writeTable(r.w, r.cols, r.cells)
		r.cells = nil
	}
	if err := r.w.Flush(); r.err == nil {
		r.err = err
	}
	return r.err
}

// tablewriterRows: tables of more rows are laid out by layTable, which
// gives the same text in a tenth of the time. tablewriter measures every
// cell with a regular expression (for ANSI colours) several times.
var tablewriterRows = 2000

// writeTable writes cells under the columns' titles, aligned.
func writeTable(w io.Writer, cols []Column, cells [][]string) error {
	if len(cells) > tablewriterRows { // (Clean made each cell one line, with no escape sequence)
		return layTable(w, cols, cells)
	}
	var buf bytes.Buffer
	tw := newTable(&buf)
	head := make([]string, len(cols))
	aligns := make([]int, len(cols))
	for i, c := range cols {
		head[i] = c.Title
		aligns[i] = tablewriter.ALIGN_LEFT
		if c.Kind != Text {
			aligns[i] = tablewriter.ALIGN_RIGHT
		}
	}
	tw.SetHeader(head)
	tw.SetColumnAlignment(aligns)
	tw.AppendBulk(cells)
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

// width is how many columns of a terminal s takes, as runewidth (and so
// tablewriter) measures it: its length, where every byte is a printable
// ASCII character (runewidth takes 2 s for a table of 2 M rows).
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return runewidth.StringWidth(s)
		}
	}
	return len(s)
}

// layTable lays a table out as newTable's tablewriter does, lines
// trimmed as writeTrimmed trims them: the titles left-aligned, a line of
// dashes, then the rows, text left- and figures right-aligned; each
// column as wide as its widest cell (as a terminal shows it: runewidth,
// tablewriter's measure), two spaces between columns.
func layTable(w io.Writer, cols []Column, cells [][]string) error {
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = width(c.Title)
	}
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], width(c))
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	put := func(row []string, right func(int) bool) {
		line = line[:0]
		for i, c := range row {
			gap := widths[i] - width(c)
			if right(i) {
				line = append(line, strings.Repeat(" ", max(gap, 0))...)
				line = append(line, c...)
			} else {
				line = append(line, c...)
				line = append(line, strings.Repeat(" ", max(gap, 0))...)
			}
			line = append(line, "  "...)
		}
		bw.Write(bytes.TrimRight(line, " "))
		bw.WriteByte('\n')
	}
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = c.Title
	}
	put(head, func(int) bool { return false })
	dashes := 2 // tablewriter's line has one before the first column and one after the last
	for _, wd := range widths {
		dashes += wd + 2
	}
	bw.WriteString(strings.Repeat("-", dashes))
	bw.WriteByte('\n')
	right := func(i int) bool { return cols[i].Kind != Text }
	for _, row := range cells {
		put(row, right)
	}
	return bw.Flush()
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
// indent), as json.Indent indents it but as it goes: output of millions
// of lines was held three times, compact, indented and in the encoder.
func WriteJSON(w io.Writer, v any) error {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if b := compact.Bytes(); jsonDepth(b) > maxJSONIndent {
		// Nested deeper than encoding/json indents (the paths down a long
		// chain of matching objects, a dominator tree expanded as deep):
		// written unindented, as indenting each line would make the text
		// grow as the square of the depth.
		bw.Write(b)
	} else {
		indentJSON(bw, b)
	}
	return bw.Flush()
}

// maxJSONIndent is the deepest nesting WriteJSON indents: encoding/json's
// own limit for indenting.
const maxJSONIndent = 10000

// jsonDepth returns how deep the compact JSON b nests objects and lists.
func jsonDepth(b []byte) int {
	depth, deepest := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = stringEnd(b, i)
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
		}
	}
	return deepest
}

// stringEnd returns the index of the quote that ends the JSON string
// starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b) && b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i
}

// indentJSON writes the compact JSON b (as encoding/json writes it: no
// space outside strings) indented by two spaces a level, as json.Indent
// does: an empty object or list stays {} or [].
func indentJSON(w *bufio.Writer, b []byte) {
	level := 0
	newline := func() {
		w.WriteByte('\n')
		for range level {
			w.WriteString("  ")
		}
	}
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			j := stringEnd(b, i)
			w.Write(b[i : j+1])
			i = j
		case '{', '[':
			w.WriteByte(c)
			if i+1 < len(b) && (b[i+1] == '}' || b[i+1] == ']') {
				w.WriteByte(b[i+1])
				i++
				continue
			}
			level++
			newline()
		case '}', ']':
			level--
			newline()
			w.WriteByte(c)
		case ',':
			w.WriteByte(c)
			newline()
		case ':':
			w.WriteString(": ")
		default:
			w.WriteByte(c)
		}
	}
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

// SignedSize formats a byte delta with its sign, none for no change ("0 B",
// as a count's "0").
func SignedSize(b int64) string {
	if b == 0 {
		return "0 B"
	}
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

// Clean makes s safe to show on a terminal, and in a table's cell: a
// control character (C0 but for none, DEL, C1), which a dump's names and
// strings may hold, would move the cursor, end a line or change colours,
// so it is written as an escape ("\n", "\x1b", "\u007f", "\u009b").
func Clean(s string) string {
	if !hasControl(s, "") {
		return s
	}
	return string(escapeControls(nil, s, ""))
}

// hasControl reports whether s holds a control character other than
// those in keep.
func hasControl[T string | []byte](s T, keep string) bool {
	for i := 0; i < len(s); i++ {
		if control(s, i, keep) > 0 {
			return true
		}
	}
	return false
}

// control returns how many bytes the control character at s[i] takes (1
// for C0 and DEL, 2 for C1 in UTF-8), 0 when there is none or it is one
// of keep.
func control[T string | []byte](s T, i int, keep string) int {
	switch c := s[i]; {
	case (c < 0x20 || c == 0x7f) && strings.IndexByte(keep, c) < 0:
		return 1
	case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f:
		return 2
	}
	return 0
}

// escapeControls appends s to b with its control characters but those in
// keep escaped; every other byte as it is, valid UTF-8 or not (and a
// character cut in two by the end of a write stays whole once the next
// write's bytes follow).
func escapeControls[T string | []byte](b []byte, s T, keep string) []byte {
	for i := 0; i < len(s); i++ {
		switch control(s, i, keep) {
		case 1:
			switch c := s[i]; c {
			case '\n':
				b = append(b, `\n`...)
			case '\t':
				b = append(b, `\t`...)
			case '\r':
				b = append(b, `\r`...)
			case 0x7f:
				// As JSON escapes it: Safe's JSON stays valid, and means
				// the same (\x7f broke it).
				b = append(b, `\u007f`...)
			default:
				b = fmt.Appendf(b, `\x%02x`, c)
			}
		case 2:
			b = fmt.Appendf(b, `\u%04x`, s[i+1])
			i++
		default:
			b = append(b, s[i])
		}
	}
	return b
}

// Safe returns w, made to escape what Clean does but for line breaks and
// tabs: a command's output, whose text may quote a dump's names (a thread
// named with an escape sequence). The JSON encoder has escaped C0 already
// (DEL and C1 it writes as they are, and their escapes, \u007f and
// \u0080-\u009f, mean the same in JSON); CSV keeps an escape's text in
// place of the character.
func Safe(w io.Writer) io.Writer { return safeWriter{w} }

type safeWriter struct{ w io.Writer }

func (s safeWriter) Write(p []byte) (int, error) {
	if !hasControl(p, "\n\t") {
		return s.w.Write(p)
	}
	if _, err := s.w.Write(escapeControls(nil, p, "\n\t")); err != nil {
		return 0, err
	}
	return len(p), nil
}
