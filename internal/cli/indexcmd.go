package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/paths"
	"github.com/leakscan/leakscan/internal/render"
)

type indexOptions struct {
	rm   bool
	tree treeOptions
}

func newIndexCmd(s *IOStreams, g *globalOptions) *cobra.Command {
	o := &indexOptions{}
	cmd := &cobra.Command{
		Use:   "index [DUMP]",
		Short: "Analyse a dump once and keep the results, so later commands answer at once",
		Long: `Builds the dump's index: the graph, the class histogram, the dominator tree
with retained sizes (of objects and of classes) and the shortest-path search,
kept beside the dump in DUMP.leakscan/ (or under the user cache folder when
that is not writable, or in --index-dir). Every command reads the index when it is there and writes the
parts it computed when it is not; this command computes them all, e.g. in CI
right after a capture. The index is used only for the same dump (size,
modification time, sampled content) and format version, and each part is
checked against its checksums: a stale or damaged index is rebuilt with a
warning. --rm removes it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dump, err := resolveDump(s, args)
			if err != nil {
				return err
			}
			if o.rm {
				dir := index.Exists(dump, g.indexDir)
				if dir == "" {
					fmt.Fprintf(s.Out, "%s has no index\n", dump)
					return nil
				}
				// A folder --index-dir names may hold another dump's
				// index: that one is not this dump's to remove. (Beside
				// the dump or in the cache, a part made for another
				// version of it is stale, and goes.)
				if g.indexDir != "" {
					id, err := index.Identify(dump)
					if err != nil {
						return err
					}
					if other := index.Foreign(dir, id); len(other) > 0 {
						return &ExitError{Code: ExitError2, Err: fmt.Errorf("%s: %s made for another dump, or another version of %s: not removed (delete %s yourself if stale)",
							dir, strings.Join(other, ", ")+plural(len(other), " is", " are"), dump, plural(len(other), "it", "them"))}
					}
				}
				if err := index.Remove(dir); err != nil {
					return err
				}
				if _, err := os.Stat(dir); err == nil {
					fmt.Fprintf(s.Out, "removed the index parts in %s (it holds other files, kept)\n", dir)
				} else {
					fmt.Fprintf(s.Out, "removed %s\n", dir)
				}
				return nil
			}
			if why := g.unindexed(); why != "" {
				return &ExitError{Code: ExitError2, Err: fmt.Errorf("%s: nothing to build", why)}
			}
			x := g.newSession(s, dump)
			defer x.Close()
			x.failsUnwritten = true
			if _, err := x.Census(); err != nil {
				return err
			}
			tree, err := x.Tree(&o.tree)
			if err != nil {
				return err
			}
			if _, _, err := x.ClassRetained(&o.tree, tree); err != nil {
				return err
			}
			if _, err := x.Search(paths.Options{}); err != nil {
				return err
			}
			r := indexReport(x)
			if len(r.NotWritten) > 0 {
				// Building the index is all this command is for: a CI
				// step that runs it must not pass when it wrote none.
				// (The warnings said each part's cause already.)
				return &ExitError{Code: ExitError2, Err: fmt.Errorf("%s: index not written in full: %s (parts written: %s; already there: %s)",
					dump, strings.Join(r.NotWritten, "; "), partList(r.Written), partList(r.Loaded))}
			}
			fmt.Fprintf(s.Out, "%s: index in %s (%s); parts written: %s; already there: %s\n", dump, r.Dir, render.Size(uint64(r.Bytes)), partList(r.Written), partList(r.Loaded))
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.rm, "rm", false, "remove the dump's index")
	// No --weak or --keep-unreachable: the index keeps only the default
	// tree, which commands with other options compute afresh beside it.
	o.tree = treeOptions{weak: "follow"}
	return cmd
}

// partList names index parts for a line: "census, graph", or "none".
func partList(parts []string) string {
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
