package dominator

import (
	"slices"
	"sync/atomic"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/index"
	"github.com/leakscan/leakscan/internal/par"
)

// BiggestChildren returns, for each of parents (objects, not heap.None),
// its first k children in Children's order (biggest retained first, then
// index), or all of them when it has fewer; and how many children each
// has in all.
//
// Without the children table it makes one scan of the idom array, on all
// cores, and keeps the k best children of each parent as it goes: a
// dominator-tree view expands a few objects per level, where the table
// costs a pass over every object, 8 bytes each, and sorting whole lists
// (3.1 M children of the bench dump's map table). A tree mapped from an
// index drops the pages it scanned.
func (t *Tree) BiggestChildren(parents []heap.ObjectIndex, k int) (children [][]heap.ObjectIndex, counts []int) {
	return t.biggestChildren(parents, k, par.Shares(len(t.idom), 0))
}

// biggestChildren is BiggestChildren scanning in the given number of
// shares.
func (t *Tree) biggestChildren(parents []heap.ObjectIndex, k, shares int) ([][]heap.ObjectIndex, []int) {
	out := make([][]heap.ObjectIndex, len(parents))
	counts := make([]int, len(parents))
	if k <= 0 || len(parents) == 0 {
		return out, counts
	}
	if t.childStart != nil {
		for i, p := range parents {
			c := t.Children(p)
			out[i] = append([]heap.ObjectIndex(nil), c[:min(k, len(c))]...)
			counts[i] = len(c)
		}
		return out, counts
	}
	t.idomChecked.Check()
	n := len(t.idom)
	slot := make(map[int32]int, len(parents)) // parent → its index in distinct
	var distinct []heap.ObjectIndex
	isParent := make([]uint64, (n+63)/64)
	for _, p := range parents {
		if _, ok := slot[int32(p)]; !ok {
			slot[int32(p)] = len(distinct)
			distinct = append(distinct, p)
			isParent[p>>6] |= 1 << (uint(p) & 63)
		}
	}
	best := make([][][]heap.ObjectIndex, shares) // per share, per distinct parent
	found := make([][]int, shares)               // how many children, likewise
	par.InShares(n, shares, func(s, lo, hi int) {
		mine := make([][]heap.ObjectIndex, len(distinct))
		seen := make([]int, len(distinct))
		for from := lo; from < hi; from += heap.ScanBlock {
			to := min(from+heap.ScanBlock, hi)
			for x, d := range t.idom[from:to] {
				if d >= 0 && isParent[d>>6]&(1<<(uint(d)&63)) != 0 {
					i := slot[d]
					seen[i]++
					if k > keepAll {
						mine[i] = append(mine[i], heap.ObjectIndex(from+x))
					} else {
						mine[i] = t.keepBest(mine[i], heap.ObjectIndex(from+x), k)
					}
				}
			}
			if t.evict != nil {
				t.evict(index.AsBytes(t.idom[from:to]))
				t.DropRetained(heap.ObjectIndex(from), heap.ObjectIndex(to))
			}
		}
		best[s], found[s] = mine, seen
	})
	merged := make([][]heap.ObjectIndex, len(distinct))
	all := make([]int, len(distinct))
	for i := range distinct {
		for s := range best {
			all[i] += found[s][i]
			if k > keepAll {
				merged[i] = append(merged[i], best[s][i]...)
				continue
			}
			for _, c := range best[s][i] {
				merged[i] = t.keepBest(merged[i], c, k)
			}
		}
		if k > keepAll {
			t.SortByRetained(merged[i])
			merged[i] = merged[i][:min(k, len(merged[i]))]
		}
	}
	for i, p := range parents {
		out[i] = slices.Clone(merged[slot[int32(p)]])
		counts[i] = all[slot[int32(p)]]
	}
	return out, counts
}

// keepAll: for k above it, BiggestChildren collects every child and sorts,
// since keeping k best by insertion costs up to k steps a child.
const keepAll = 64

// keepBest inserts c into the list of at most k children in Children's
// order, dropping the last when it is full.
func (t *Tree) keepBest(list []heap.ObjectIndex, c heap.ObjectIndex, k int) []heap.ObjectIndex {
	if len(list) == k {
		if t.order(c, list[k-1]) >= 0 {
			return list
		}
		list = list[:k-1]
	}
	list = append(list, c)
	for i := len(list) - 1; i > 0 && t.order(list[i], list[i-1]) < 0; i-- {
		list[i], list[i-1] = list[i-1], list[i]
	}
	return list
}

// ChildrenOver returns, for each object with children that retain least
// bytes or more, those children in Children's order (the top level's
// under heap.None), from one scan of the retained sizes on all cores: for
// the big subtrees near the top of the tree (suspects' accumulation
// chains, the report's treemap), where the children table costs a pass
// over every object, 8 bytes each, and BiggestChildren a scan a level. It
// reports false, and nil, when more than limit objects retain that much.
func (t *Tree) ChildrenOver(least uint64, limit int) (map[heap.ObjectIndex][]heap.ObjectIndex, bool) {
	n := len(t.idom)
	shares := par.Shares(n, 0)
	found := make([][]heap.ObjectIndex, shares)
	var many atomic.Int64
	retained := t.RetainedReader()
	par.InShares(n, shares, func(s, lo, hi int) {
		for from := lo; from < hi && many.Load() <= int64(limit); from += heap.ScanBlock {
			to := min(from+heap.ScanBlock, hi)
			k := len(found[s])
			for o := from; o < to; o++ {
				if retained(heap.ObjectIndex(o)) >= least {
					found[s] = append(found[s], heap.ObjectIndex(o))
				}
			}
			many.Add(int64(len(found[s]) - k))
			t.DropRetained(heap.ObjectIndex(from), heap.ObjectIndex(to))
		}
	})
	if many.Load() > int64(limit) {
		return nil, false
	}
	out := map[heap.ObjectIndex][]heap.ObjectIndex{}
	for _, f := range found {
		for _, o := range f {
			switch d := t.Idom(o); {
			case d >= 0:
				out[heap.ObjectIndex(d)] = append(out[heap.ObjectIndex(d)], o)
			case d == TopLevel:
				out[heap.None] = append(out[heap.None], o)
			}
		}
	}
	for _, c := range out {
		t.SortByRetained(c)
	}
	return out, true
}

// EachChildOf calls visit for every object whose immediate dominator is
// in parents (top for the top level), in object order
// within each of parts shares of the objects, on all cores: visit gets
// the share's number.
func (t *Tree) EachChildOf(parents bitset.Set, top bool, parts int, visit func(part int, parent, child heap.ObjectIndex)) {
	t.idomChecked.Check()
	n := len(t.idom)
	par.InShares(n, parts, func(s, lo, hi int) {
		for o, d := range t.idom[lo:hi] {
			switch {
			case d >= 0 && parents.Has(d):
				visit(s, heap.ObjectIndex(d), heap.ObjectIndex(lo+o))
			case d == TopLevel && top:
				visit(s, heap.None, heap.ObjectIndex(lo+o))
			}
		}
	})
}
