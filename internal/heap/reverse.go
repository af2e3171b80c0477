package heap

// Referrers returns the objects that refer to o: through a stored
// reference, or as an instance of o when o is a class object. The reverse
// edges are built on the first call (count, prefix sum, fill: 4 bytes per
// reference and per object) and kept.
func (g *Graph) Referrers(o ObjectIndex) []ObjectIndex {
	g.reverseOnce.Do(g.buildReverse)
	return g.revEdges[g.revStart[o]:g.revStart[o+1]]
}

func (g *Graph) buildReverse() {
	n := len(g.class)
	start := make([]uint32, n+1)
	for i := 0; i < n; i++ {
		if c := g.Classes[g.class[i]].Object; c != None {
			start[c+1]++
		}
		for _, t := range g.Refs(ObjectIndex(i)) {
			start[t+1]++
		}
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	rev := make([]ObjectIndex, start[n])
	fill := make([]uint32, n)
	copy(fill, start[:n])
	for i := 0; i < n; i++ {
		seen := func(t ObjectIndex) bool { // one entry per referrer
			return fill[t] > start[t] && rev[fill[t]-1] == ObjectIndex(i)
		}
		if c := g.Classes[g.class[i]].Object; c != None && !seen(c) {
			rev[fill[c]] = ObjectIndex(i)
			fill[c]++
		}
		for _, t := range g.Refs(ObjectIndex(i)) {
			if !seen(t) {
				rev[fill[t]] = ObjectIndex(i)
				fill[t]++
			}
		}
	}
	// Duplicates left gaps at the ends of lists: close them up.
	w := uint32(0)
	for t := 0; t < n; t++ {
		s, e := start[t], fill[t]
		start[t] = w
		w += uint32(copy(rev[w:], rev[s:e]))
	}
	start[n] = w
	g.revStart, g.revEdges = start, rev[:w]
}
