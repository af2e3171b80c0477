//go:build !amd64

package dominator

import "github.com/leakscan/leakscan/internal/heap"

// prefetchTargets is a hint the CPU is not given here.
func prefetchTargets(base *uint32, targets []heap.ObjectIndex) {}
