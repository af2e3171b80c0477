package heap

import (
	"runtime"

	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/par"
)

// ClassStats is one histogram row.
type ClassStats struct {
	Class        ClassIndex
	Instances    int64
	ShallowBytes uint64
}

// Histogram counts objects and shallow bytes per class, biggest first
// (ties by class name, then index). Class objects count as instances of
// java.lang.Class.
func (g *Graph) Histogram() []ClassStats { return g.histogram(runtime.GOMAXPROCS(0)) }

// histogram is Histogram on the given number of workers.
func (g *Graph) histogram(workers int) []ClassStats {
	g.checkSize()
	n := len(g.class)
	parts := make([][]ClassStats, workers)
	par.InShares(n, workers, func(w, lo, hi int) {
		rows := make([]ClassStats, len(g.Classes))
		for from := lo; from < hi; from += ScanBlock {
			to := min(from+ScanBlock, hi)
			g.checkClasses(from, to)
			for i := from; i < to; i++ {
				r := &rows[g.class[i]]
				r.Instances++
				r.ShallowBytes += uint64(g.size[i]) << 3
			}
			if g.evict != nil {
				// Mapped from an index, both arrays are read once
				// here: their pages need not stay (228 MB).
				g.evict(index.AsBytes(g.class[from:to]))
				g.evict(index.AsBytes(g.size[from:to]))
			}
		}
		parts[w] = rows
	})
	out := make([]ClassStats, 0, len(g.Classes))
	for c := range g.Classes {
		row := ClassStats{Class: ClassIndex(c)}
		for _, p := range parts {
			row.Instances += p[c].Instances
			row.ShallowBytes += p[c].ShallowBytes
		}
		if row.Instances > 0 {
			out = append(out, row)
		}
	}
	sortCensus(g.Classes, out)
	return out
}
