package cli

import (
	"os"
	"runtime/debug"
)

// tighterGC has the garbage collector run when the heap has grown by a
// quarter since the last collection, not by as much again as was live
// (GOGC=100, Go's default), until the returned func restores it: for work
// that builds millions of small objects (paths' lines, duplicate strings'
// groups, collections' rows), whose heap the default lets double. On the
// bench dump (docs/benchmark-log.md, after run 78): paths --max-paths 0 --format
// csv to the 3.75 M ArrayLists 52.0 s / 5.6 GB -> 45.3 s / 4.0 GB (fewer
// fresh pages to fault in), strings 4.50-4.56 s / 1.33 GB -> 4.30-4.34 s
// / 1.09-1.12 GB, collections 3.20-3.21 s / 1.17 GB -> 3.23-3.29 s /
// 0.84-0.86 GB. Not for every command: the histogram, which allocates
// little, took 0.57 -> 0.63 s with GOGC=25. A GOGC the user set is left as
// it is.
func tighterGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(25)
	return func() { debug.SetGCPercent(old) }
}
