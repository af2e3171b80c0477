package dominator

import "github.com/leakscan/leakscan/internal/heap"

// prefetchTargets asks the CPU to start loading base[t] for every t in
// targets: a hint only, it reads nothing the caller sees.
//
//go:noescape
func prefetchTargets(base *uint32, targets []heap.ObjectIndex)
