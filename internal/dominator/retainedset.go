package dominator

import (
	"runtime"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
)

// RetainedSet returns the objects that the targets retain together, as a
// set: those that every path to them from a GC root, or from an object of
// also, passes a target on, the targets reached included. It is MAT's retained set of several objects. For one
// target it is the target's part of the dominator tree; for several it may
// hold more than their parts do together: an object two targets hold,
// which neither dominates.
//
// It needs no dominator tree: what the roots reach without entering a
// target (R) is one search, and the set is what the targets entered reach
// outside R, another. also adds roots, as Options.KeepUnreachable makes
// them (Tree.KeptRoot); opts.KeepUnreachable itself is not looked at.
func RetainedSet(g *heap.Graph, opts Options, targets, also []heap.ObjectIndex) bitset.Set {
	n := g.NumObjects()
	v := newView(g, opts)
	for _, r := range also {
		v.rootList = append(v.rootList, int32(r))
	}
	isTarget := bitset.New(n)
	for _, x := range targets {
		isTarget.Add(int32(x))
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	seen, entered := reachAvoiding(v, isTarget, runtime.GOMAXPROCS(0), progress)
	in := bitset.New(n)
	for _, x := range entered {
		in.Add(x) // (seen: a root, or reached from R)
	}
	v.mark(entered, in, func(y int32) bool { return !seen.Has(y) })
	return in
}
