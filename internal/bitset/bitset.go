// Package bitset keeps sets of indices (objects, nodes) as a bit each, and
// numbers a set's members 0, 1, ... in index order by rank, so that what
// is kept per member takes a slot per member rather than per index: the
// objects below a dominator-tree cut, the objects on merged paths, the
// objects GC roots name.
package bitset

import "math/bits"

// Set holds indices in [0, 64*len(s)), a bit each.
type Set []uint64

// New returns an empty set for indices [0, n).
func New(n int) Set { return make(Set, (n+63)/64) }

// Has reports whether i is in s.
func (s Set) Has(i int32) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }

// Add puts i in s. Goroutines adding to the same word need atomic
// operations on it instead.
func (s Set) Add(i int32) { s[i>>6] |= 1 << (uint(i) & 63) }

// Remove takes i out of s.
func (s Set) Remove(i int32) { s[i>>6] &^= 1 << (uint(i) & 63) }

// Complement turns s, a set for indices [0, n), into its complement
// there.
func (s Set) Complement(n int) {
	for i := range s {
		s[i] = ^s[i]
	}
	if n%64 != 0 {
		s[len(s)-1] &= 1<<(n%64) - 1
	}
}

// Numbering numbers the members of a set in index order: a member's
// number is how many members come before it, counted for whole words
// (4 bytes per 64 indices) and then within its word.
type Numbering struct {
	Set  Set
	rank []int32 // members before each word; rank[len(Set)] counts all
}

// Number numbers the members of s, which must not change afterwards.
func Number(s Set) Numbering {
	rank := make([]int32, len(s)+1)
	for w, x := range s {
		rank[w+1] = rank[w] + int32(bits.OnesCount64(x))
	}
	return Numbering{Set: s, rank: rank}
}

// Len returns how many members there are (none in the zero Numbering).
func (n Numbering) Len() int {
	if n.rank == nil {
		return 0
	}
	return int(n.rank[len(n.Set)])
}

// Before returns how many members come before word w of the set: the
// number of its first member.
func (n Numbering) Before(w int) int32 { return n.rank[w] }

// Of returns the number of i, which must be a member.
func (n Numbering) Of(i int32) int32 {
	w := i >> 6
	return n.rank[w] + int32(bits.OnesCount64(n.Set[w]&(1<<(uint(i)&63)-1)))
}

// Has reports whether i is a member (an index outside the set is not).
// The zero Numbering has no members.
func (n Numbering) Has(i int32) bool { return i >= 0 && int(i>>6) < len(n.Set) && n.Set.Has(i) }

// Lookup returns the number of i, or false when i is not a member.
func (n Numbering) Lookup(i int32) (int32, bool) {
	if !n.Has(i) {
		return 0, false
	}
	return n.Of(i), true
}
