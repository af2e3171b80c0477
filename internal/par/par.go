// Package par splits loops over the cores, and hands a fault on a mapped
// file from the goroutines it starts to the one waiting for them.
package par

import (
	"runtime"
	"sync/atomic"
)

// minShare is the fewest items a share is worth starting a goroutine for.
const minShare = 1 << 16

// For calls fn on contiguous shares of [0, n), one per worker, each share
// at least 64 Ki items; workers <= 0 means one per core.
func For(n, workers int, fn func(lo, hi int)) {
	InShares(n, Shares(n, workers), func(_, lo, hi int) { fn(lo, hi) })
}

// Shares is how many of workers a loop over n items is worth: none gets
// fewer than 64 Ki items. workers <= 0 means one per core.
func Shares(n, workers int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(1, min(workers, n/minShare))
}

// InShares calls fn(t, lo, hi) for t in [0, k) on a goroutine each, with
// [lo, hi) the t-th of k contiguous shares of [0, n). A fault on a mapped
// file in one panics on the caller once all are done (see Run).
func InShares(n, k int, fn func(t, lo, hi int)) {
	if k <= 1 {
		fn(0, 0, n)
		return
	}
	Run(k, func(t int) { fn(t, t*n/k, (t+1)*n/k) })
}

// Each calls fn(worker, item) for every item in [0, n) on workers
// goroutines (<= 0: one per core), each taking the next item as it comes
// free: for items of uneven cost. A fault on a mapped file in one panics
// on the caller once all are done (see Run).
func Each(n, workers int, fn func(worker, item int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	Run(workers, func(w int) {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			fn(w, i)
		}
	})
}
