package cli

import (
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/render"
)

// propertiesJSON is `leakscan properties`' JSON.
type propertiesJSON struct {
	// Found is false for a dump without them (no java.lang.System with
	// props); Total counts them all, Properties those --match keeps.
	Found      bool             `json:"found"`
	Total      int              `json:"total"`
	Properties []leaks.Property `json:"properties"`
	// Unreadable counts the entries the table holds but the dump does not
	// give as Strings (a reference to an object the dump lacks).
	Unreadable int `json:"unreadable"`
}

// maxTableValue is how many characters of a property's value a table
// shows.
const maxTableValue = 200

func newPropertiesCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	var format, match string
	cmd := &cobra.Command{
		Use:   "properties [DUMP]",
		Short: "The JVM's system properties: java.version, the command line, the class path, user.dir",
		Long: `Lists the system properties the dump holds (java.lang.System's props, with
its defaults), sorted by key, as MAT's System Properties query: which JVM
wrote the dump (java.vm.name, java.runtime.version), the command it ran
(sun.java.command: a Spark executor's id and host are there), its class
path, user and folders. --match REGEX keeps the keys it matches. Entries the
dump does not give as Strings (a reference to an object it lacks) are
counted, not shown. Reading them needs no dominator tree. A dump without
them (an Android one) says so.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := render.ParseFormat(format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			var re *regexp.Regexp
			if match != "" {
				if re, err = regexp.Compile(match); err != nil {
					return fmt.Errorf("--match: %w", err)
				}
			}
			x, err := g.openSession(s, args)
			if err != nil {
				return err
			}
			defer x.Close()
			graph, err := x.Graph()
			if err != nil {
				return err
			}
			props, unreadable, ok := leaks.SystemProperties(graph)
			if !ok && f == render.Table {
				// As the other commands say a part the dump lacks.
				fmt.Fprintln(s.Out, "No system properties in the dump: no java.lang.System with props.")
				return nil
			}
			shown := []leaks.Property{}
			for _, p := range props {
				if re == nil || re.MatchString(p.Key) {
					shown = append(shown, p)
				}
			}
			if f == render.JSON {
				return render.WriteJSON(s.Out, propertiesJSON{Found: ok, Total: len(props), Properties: shown, Unreadable: unreadable})
			}
			grid := &render.Grid{Columns: []render.Column{{Title: "Property", Key: "key"}, {Title: "Value", Key: "value"}}}
			for _, p := range shown {
				v := p.Value
				if f == render.Table && utf8.RuneCountInString(v) > maxTableValue {
					// (A class path can be 100 KB; JSON and CSV give it whole.)
					v = truncate(v, maxTableValue) + fmt.Sprintf(" (%s bytes in all)", commas(int64(len(v))))
				}
				grid.Rows = append(grid.Rows, []any{p.Key, v})
			}
			if err := grid.Write(s.Out, f); err != nil || f != render.Table {
				return err
			}
			fmt.Fprintf(s.Out, "\n%s of %s shown", commas(int64(len(shown))), render.Nouns(len(props), "property", "properties"))
			if unreadable > 0 {
				fmt.Fprintf(s.Out, "; %s the dump does not give as Strings", render.Nouns(unreadable, "entry", "entries"))
			}
			fmt.Fprintln(s.Out)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json or csv (exact values)")
	cmd.Flags().StringVar(&match, "match", "", "only the keys this regular expression matches (java\\.vm, ^user\\.)")
	return cmd
}
