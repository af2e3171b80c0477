package par

import (
	"sync/atomic"
	"testing"
)

// TestEach: every item is handed out exactly once, to a worker numbered
// below the workers asked for, for counts of items and workers that do
// not divide, none at all, and one per core.
func TestEach(t *testing.T) {
	for _, c := range []struct{ n, workers int }{{0, 3}, {1, 4}, {10, 3}, {1000, 7}, {100, 0}} {
		calls := make([]atomic.Int32, c.n)
		var bad atomic.Bool
		Each(c.n, c.workers, func(w, i int) {
			if w < 0 || (c.workers > 0 && w >= c.workers) {
				bad.Store(true)
			}
			calls[i].Add(1)
		})
		if bad.Load() {
			t.Errorf("Each(%d, %d): a worker numbered outside [0, %d)", c.n, c.workers, c.workers)
		}
		for i := range calls {
			if k := calls[i].Load(); k != 1 {
				t.Fatalf("Each(%d, %d): item %d handed out %d times", c.n, c.workers, i, k)
			}
		}
	}
}
