package hprof

// SetInflateBudget sets how many inflated bytes per core the chunked
// inflater may hold, so that a test can make members "big" with small
// files; it returns a func that restores the budget.
func SetInflateBudget(n int64) (restore func()) {
	old := inflateBudget
	inflateBudget = n
	return func() { inflateBudget = old }
}
