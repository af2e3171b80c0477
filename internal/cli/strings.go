package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/render"
)

// stringsJSON is strings' JSON: the report, its duplicates cut to --top,
// and how many that left out.
type stringsJSON struct {
	*leaks.StringsReport
	MoreDuplicates int `json:"more_duplicates"`
}

// textShown is how many characters of a text a table cell shows.
const textShown = 60

func newStringsCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	var top int
	var format string
	var topts treeOptions
	cmd := &cobra.Command{
		Use:   "strings [DUMP]",
		Short: "Duplicate strings: texts that several java.lang.String objects hold, by the memory the copies waste",
		Long: `Groups the reachable java.lang.String objects by their text and lists the
texts held more than once, most memory wasted first: how many copies, how many
value arrays they point at (fewer where strings share one, as G1's string
deduplication makes them), one copy's bytes (the String and its array) and
what keeping one String and one array would free (Eclipse MAT's duplicate
strings, its "group by value" of java.lang.String). A table shows the first
60 characters of a text, JSON and CSV the first 200 and the length. Texts are
compared byte for byte (coder, then the value's bytes); a String whose value
is null or missing from the dump has none. An array several Strings share
counts once in the total, and is no copy's to free when it holds a longer
text (JDK 6's substrings). Strings no GC root reaches are left out, as the
dominator tree leaves them out, unless --keep-unreachable. --top N lists the
N that waste the most (0 = all; JSON counts the rest in more_duplicates).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := render.ParseFormat(format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			x, err := g.openSession(s, args)
			if err != nil {
				return err
			}
			defer x.Close()
			t, err := x.Tree(&topts) // (no search: reachability is the tree's)
			if err != nil {
				return err
			}
			bar := g.bar(s)
			defer tighterGC()()
			r, err := leaks.Duplicates(t.Graph(), t, bar.Update)
			bar.Done()
			if err != nil {
				return err
			}
			w := s.Out
			shown := *r
			var more int
			shown.Duplicates, more = firstOf(r.Duplicates, top)
			if format == render.JSON {
				return render.WriteJSON(w, stringsJSON{StringsReport: &shown, MoreDuplicates: more})
			}
			grid := &render.Grid{Columns: []render.Column{
				{Title: "Copies", Key: "copies", Kind: render.Count}, {Title: "Arrays", Key: "value_arrays", Kind: render.Count},
				{Title: "Each", Key: "bytes_each", Kind: render.Bytes}, {Title: "Wasted", Key: "wasted_bytes", Kind: render.Bytes},
				{Title: "Length", Key: "length", Kind: render.Count}, {Title: "Text", Key: "text"}, {Title: "First copy", Key: "sample_id"},
			}}
			for _, d := range shown.Duplicates {
				text := d.Text
				if format == render.Table {
					text = quoteText(text, d.Chars)
				}
				grid.Rows = append(grid.Rows, []any{d.Copies, d.Arrays, d.Each, d.Wasted, d.Chars, text, d.Sample.ID})
			}
			if format == render.CSV {
				return grid.Write(w, format)
			}
			reachable := "reachable"
			if t.KeptObjects > 0 {
				reachable = "reachable or kept as roots (--keep-unreachable)"
			}
			fmt.Fprintf(w, "%s %s, %s with their value arrays; %s held more than once %s %s (%.1f%% of the strings' bytes).\n\n",
				render.Nouns(r.Strings, "string", "strings"), reachable, render.Size(r.Bytes), render.Nouns(len(r.Duplicates), "text", "texts"),
				plural(len(r.Duplicates), "wastes", "waste"), render.Size(r.Wasted), percent(r.Wasted, r.Bytes))
			if len(r.Duplicates) == 0 {
				return nil
			}
			if err := grid.Write(w, format); err != nil {
				return err
			}
			fmt.Fprintf(w, "\n%s %s shown\n", shownOf(len(shown.Duplicates), len(r.Duplicates)), plural(len(r.Duplicates), "duplicated text", "duplicated texts"))
			return nil
		},
	}
	cmd.Flags().IntVar(&top, "top", 20, "show the N texts whose copies waste the most (0 = all)")
	cmd.Flags().StringVar(&format, "format", "table", "table, json or csv (one flat table of the duplicates, exact bytes)")
	topts.register(cmd)
	return cmd
}

// quoteText shows a text in a table cell: quoted, control characters
// escaped, cut to textShown characters with the length it has.
func quoteText(text string, length int) string {
	rs := []rune(text)
	if len(rs) > textShown {
		return fmt.Sprintf("%q… (%s chars)", string(rs[:textShown]), commas(int64(length)))
	}
	return strings.TrimSpace(fmt.Sprintf("%q", text))
}
