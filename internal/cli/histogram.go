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
			graph, err := g.openGraph(s, args[0])
			if err != nil {
				return err
			}
			defer graph.Close()
			return o.run(s, graph, re, format)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.top, "top", 0, "show only the N biggest classes (0 = all)")
	f.StringVar(&o.match, "match", "", "only classes whose name matches this regular expression")
	f.StringVar(&o.format, "format", "table", "table, json or csv (json and csv carry exact bytes)")
	f.BoolVar(&o.jvmNames, "jvm-names", false, "name array classes as the JVM does ([B, [Ljava.lang.Object;)")
	return cmd
}

func (o *histogramOptions) className(graph *heap.Graph, c heap.ClassIndex) string {
	if o.jvmNames {
		return graph.Classes[c].Name
	}
	return heap.SourceName(graph.Classes[c].Name)
}

func (o *histogramOptions) run(s *IOStreams, graph *heap.Graph, re *regexp.Regexp, format render.Format) error {
	grid := &render.Grid{Columns: []render.Column{
		{Title: "Class", Key: "class", Kind: render.Text},
		{Title: "Instances", Key: "instances", Kind: render.Count},
		{Title: "Shallow", Key: "shallow_bytes", Kind: render.Bytes},
	}}
	var totalN int64
	var totalB uint64
	for _, row := range graph.Histogram() {
		name := o.className(graph, row.Class)
		if re != nil && !re.MatchString(name) && !re.MatchString(graph.Classes[row.Class].Name) {
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
