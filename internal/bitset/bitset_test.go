package bitset

import (
	"math/rand/v2"
	"testing"
)

// TestNumbering: members are numbered 0, 1, ... in index order, against
// a count of the members before each; nothing else has a number.
func TestNumbering(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{0, 1, 63, 64, 65, 1000, 4099} {
		s := New(n)
		for range n / 3 {
			s.Add(int32(r.IntN(n)))
		}
		num := Number(s)
		next := int32(0)
		for i := int32(-1); i <= int32(len(s)*64); i++ {
			k, ok := num.Lookup(i)
			member := i >= 0 && i < int32(n) && s.Has(i)
			if ok != member || num.Has(i) != member || ok && (k != next || num.Of(i) != k) {
				t.Fatalf("n=%d: index %d numbered %d, %v; want %d, %v", n, i, k, ok, next, member)
			}
			if ok {
				next++
			}
		}
		if num.Len() != int(next) {
			t.Fatalf("n=%d: Len %d, %d members", n, num.Len(), next)
		}
		for w := range s {
			if k, ok := num.Lookup(int32(w * 64)); ok && num.Before(w) != k {
				t.Fatalf("n=%d: word %d starts at %d, its first index has %d", n, w, num.Before(w), k)
			}
		}
	}
	s := New(130)
	s.Add(129)
	s.Add(64)
	s.Remove(129)
	if s.Has(129) || !s.Has(64) {
		t.Error("Remove took the wrong bit")
	}
	if _, ok := (Numbering{}).Lookup(5); ok {
		t.Error("the zero Numbering has a member")
	}
}

// TestComplement: for set sizes on and off word boundaries, exactly the
// indices below n that were out are in, and no bit beyond n is set.
func TestComplement(t *testing.T) {
	for _, n := range []int{1, 63, 64, 65, 130, 192} {
		s := New(n)
		for i := 0; i < n; i += 3 {
			s.Add(int32(i))
		}
		s.Complement(n)
		for i := 0; i < 64*len(s); i++ {
			if want := i < n && i%3 != 0; s.Has(int32(i)) != want {
				t.Fatalf("n=%d: Has(%d) = %v, want %v", n, i, !want, want)
			}
		}
	}
}
