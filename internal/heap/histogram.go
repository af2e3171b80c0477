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
	out := make([]ClassStats, 0, len(g.Classes))
	for _, row := range g.classTotals(nil, 0, 1, workers)[0] {
		if row.Instances > 0 {
			out = append(out, row)
		}
	}
	sortCensus(g.Classes, out)
	return out
}

// ClassTotals counts the objects of each group, and sums their shallow
// sizes, by class: object o is in group place[o]-first when that is
// from 0 to groups-1, else in none. It returns a row for every class
// (by class index) in each group, and scans the class and size arrays as
// Histogram does.
func (g *Graph) ClassTotals(place []uint8, first uint8, groups int) [][]ClassStats {
	return g.classTotals(place, first, groups, par.Shares(len(g.size), 0))
}

// classTotals is ClassTotals on k shares, on all cores, with every object
// in group 0 when place is nil. The arrays are checked a block at a time,
// and, mapped from an index, read once: their pages need not stay (228 MB
// on the bench dump), and are dropped behind the scan.
func (g *Graph) classTotals(place []uint8, first uint8, groups, k int) [][]ClassStats {
	g.checkSize()
	parts := make([][][]ClassStats, k)
	par.InShares(len(g.size), k, func(t, lo, hi int) {
		rows := make([][]ClassStats, groups)
		for i := range rows {
			rows[i] = make([]ClassStats, len(g.Classes))
		}
		for from := lo; from < hi; from += ScanBlock {
			to := min(from+ScanBlock, hi)
			g.checkClasses(from, to)
			if place == nil {
				for i := from; i < to; i++ {
					r := &rows[0][g.class[i]]
					r.Instances++
					r.ShallowBytes += uint64(g.size[i]) << 3
				}
			} else {
				for o, p := range place[from:to] {
					if i := int(p) - int(first); i >= 0 && i < groups {
						r := &rows[i][g.class[from+o]]
						r.Instances++
						r.ShallowBytes += uint64(g.size[from+o]) << 3
					}
				}
			}
			if g.evict != nil {
				g.evict(index.AsBytes(g.class[from:to]))
				g.evict(index.AsBytes(g.size[from:to]))
			}
		}
		parts[t] = rows
	})
	out := parts[0]
	for i := range out {
		for c := range out[i] {
			out[i][c].Class = ClassIndex(c)
			for _, p := range parts[1:] {
				out[i][c].Instances += p[i][c].Instances
				out[i][c].ShallowBytes += p[i][c].ShallowBytes
			}
		}
	}
	return out
}
