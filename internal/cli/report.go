package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/leaks"
	"github.com/leakscan/leakscan/internal/report"
)

// Limits that keep the report a few MB whatever the dump's size (the
// treemap prunes itself, see internal/report).
const (
	reportHistogramRows = 1000
	reportThreads       = 50
)

func newReportCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	var out string
	var threshold string
	var topts treeOptions
	cmd := &cobra.Command{
		Use:   "report [DUMP]",
		Short: "One self-contained HTML page: summary, suspects, dominator treemap, histogram, loaders, off-heap, threads",
		Long: `Writes one HTML file that needs nothing else (no network, no external
scripts or fonts): the summary from info, the leak suspects with their paths
from GC roots, a zoomable treemap of the dominator tree (click a box to zoom
in, coloured by package; objects under 0.1% of the heap grouped by class,
small groups folded into "other"), the histogram with retained sizes (the biggest 1000 classes,
sortable), class loaders and duplicate classes, off-heap buffers and the
threads. Strings from the dump are escaped. -o - writes to stdout.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pct, err := parseThreshold(threshold)
			if err != nil {
				return err
			}
			dump, err := resolveDump(s, args)
			if err != nil {
				return err
			}
			if out == "" {
				base := filepath.Base(dump)
				base = strings.TrimSuffix(strings.TrimSuffix(base, ".gz"), ".hprof")
				out = base + ".report.html"
			}
			// Before the analysis, not after; and naming the file, not
			// the temporary one writeFile makes beside it.
			if err := notAnInput([]outputFile{{"-o", out}}, dump); err != nil {
				return err
			}
			if out != "-" {
				if err := writable("-o", out); err != nil {
					return err
				}
			}
			x, tree, search, err := g.analyse(s, []string{dump}, &topts)
			if err != nil {
				return err
			}
			defer x.Close()
			graph := tree.Graph()
			info := buildInfo(graph)
			info.Index = indexReport(x)
			d := &report.Data{
				Title:     x.dump,
				Summary:   append(infoPairs(info), [2]string{"Dominator tree", totalsOf(tree).String()}),
				Threshold: pct,
				Whole:     leaks.PercentBase(tree),
				Suspects:  leaks.Suspects(graph, tree, search, pct/100),
				Tree:      report.BuildTree(tree),
				Loaders:   leaks.ClassLoaders(graph, tree, search),
				OffHeap:   leaks.OffHeap(graph, tree, search),
				Threads:   leaks.Threads(graph, tree),
				Reachable: tree.ReachableBytes,

				UnreachableObjects: tree.UnreachableObjects,
				UnreachableBytes:   tree.UnreachableBytes,
			}
			d.Direct = leaks.DirectSuspectOf(d.OffHeap, tree.ReachableBytes, pct/100) // as suspects gives it
			if len(d.Threads) > reportThreads {
				d.MoreThreads = len(d.Threads) - reportThreads
				d.Threads = d.Threads[:reportThreads]
			}
			retained, _, err := x.ClassRetained(&topts, tree)
			if err != nil {
				return err
			}
			rows := byRetained(graph.Histogram(), retained)
			defined := definedBy(graph.Classes, rows) // the loader beside a name several define, as histogram's table
			for i, r := range rows {
				if i >= reportHistogramRows {
					d.MoreRows = len(rows) - i
					break
				}
				d.Histogram = append(d.Histogram, report.HistRow{Class: withLoader(heap.SourceName(graph.Classes[r.Class].Name), graph.Classes, r.Class, defined),
					Instances: r.Instances, Shallow: r.ShallowBytes, Retained: retained[r.Class]})
			}
			return writeReport(s, out, d, g.quiet)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the HTML file to write (default: the dump's name with .report.html, in the current directory; - for stdout)")
	cmd.Flags().StringVar(&threshold, "threshold", "10%", "suspects retain at least this share of the reachable heap")
	topts.register(cmd)
	return cmd
}

// writeReport writes the page to out (- for stdout) and says so on stderr.
func writeReport(s *IOStreams, out string, d *report.Data, quiet bool) error {
	if out == "-" {
		w := bufio.NewWriter(s.Out)
		if err := report.Write(w, d); err != nil {
			return err
		}
		return w.Flush()
	}
	if err := writeFile(out, func(w io.Writer) error { return report.Write(w, d) }); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil || quiet {
		return err
	}
	fmt.Fprintf(s.Err, "wrote %s (%s)\n", out, humanize.IBytes(uint64(st.Size())))
	return nil
}
