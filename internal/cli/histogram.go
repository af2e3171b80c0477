package cli

import (
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/render"
)

type histogramOptions struct {
	top      int
	match    string
	format   string
	jvmNames bool
}

func newHistogramCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	o := &histogramOptions{}
	cmd := &cobra.Command{
		Use:   "histogram DUMP",
		Short: "Instances and shallow bytes per class, biggest first",
		Long: `Counts objects and their shallow sizes per class, as the JVM lays them out
(the numbers jcmd GC.class_histogram prints for the same heap). Class objects
count as java.lang.Class. Rows are sorted by shallow bytes, then name.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := render.ParseFormat(o.format, render.Table, render.JSON, render.CSV)
			if err != nil {
				return err
			}
			var re *regexp.Regexp
			if o.match != "" {
				if re, err = regexp.Compile(o.match); err != nil {
					return fmt.Errorf("--match: %w", err)
				}
			}
			census, err := g.census(s, args[0])
			if err != nil {
				return err
			}
			return o.run(s, census, re, format)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.top, "top", 0, "show only the N biggest classes (0 = all)")
	f.StringVar(&o.match, "match", "", "only classes whose name matches this regular expression")
	f.StringVar(&o.format, "format", "table", "table, json or csv (json and csv carry exact bytes)")
	f.BoolVar(&o.jvmNames, "jvm-names", false, "name array classes as the JVM does ([B, [Ljava.lang.Object;)")
	return cmd
}

func (o *histogramOptions) className(classes []heap.Class, c heap.ClassIndex) string {
	if o.jvmNames {
		return classes[c].Name
	}
	return heap.SourceName(classes[c].Name)
}

func (o *histogramOptions) run(s *IOStreams, census *heap.Census, re *regexp.Regexp, format render.Format) error {
	grid := &render.Grid{Columns: []render.Column{
		{Title: "Class", Key: "class", Kind: render.Text},
		{Title: "Instances", Key: "instances", Kind: render.Count},
		{Title: "Shallow", Key: "shallow_bytes", Kind: render.Bytes},
	}}
	var totalN int64
	var totalB uint64
	for _, row := range census.Rows {
		name := o.className(census.Classes, row.Class)
		if re != nil && !re.MatchString(name) && !re.MatchString(census.Classes[row.Class].Name) {
			continue
		}
		totalN += row.Instances
		totalB += row.ShallowBytes
		if o.top > 0 && len(grid.Rows) >= o.top {
			continue
		}
		grid.Rows = append(grid.Rows, []any{name, row.Instances, row.ShallowBytes})
	}
	if err := grid.Write(s.Out, format); err != nil {
		return err
	}
	if format == render.Table {
		fmt.Fprintf(s.Out, "\n%d classes shown; total %s objects, %s\n", len(grid.Rows), commas(totalN), render.Size(totalB))
	}
	return nil
}
