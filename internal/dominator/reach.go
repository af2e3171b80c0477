package dominator

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// The parallel search's steps (variables, for tests): its queues are
// blocks of reachBlock objects, and every reachEvery+1 objects (a power of
// two, less one) a search with a full block waiting hands it to one that
// has none.
var (
	reachEvery = 1023
	reachBlock = 4096
)

// reachAvoiding marks in seen what the GC roots reach without entering a
// target (R, the roots included), on workers cores, and returns the
// targets entered: roots, or reached from R. Each core searches
// breadth-first from its share of the roots, claiming an object by
// setting its bit; one that runs out of work takes a block of another's
// queue. For the bench dump's one double[], the search was nearly all of
// paths' time beyond the graph: 1.54 s on one core, 1.17 s on two
// (medians of 5 alternating runs). The queues are blocks, used again once
// searched: one array for the whole search, as the search on one core
// had, took paths' peak from 763 to 852 MB.
func reachAvoiding(v *view, isTarget bitset.Set, workers int, progress func(string, int64, int64)) (seen bitset.Set, entered []int32) {
	n := v.n
	seen = bitset.New(n)
	var first []int32
	for _, r := range v.rootList {
		if r >= 0 && !seen.Has(r) {
			seen.Add(r)
			if isTarget.Has(r) {
				entered = append(entered, r)
			} else {
				first = append(first, r)
			}
		}
	}
	workers = max(1, min(workers, len(first)))
	w := &reachWork{workers: workers}
	w.cond = sync.NewCond(&w.mu)
	found := make([][]int32, workers)
	var searched atomic.Int64
	par.Run(workers, func(t int) {
		defer w.abortOnPanic()
		r := &reacher{seen: seen, isTarget: isTarget, alone: workers == 1}
		r.write = r.block()
		read := first[t*len(first)/workers : (t+1)*len(first)/workers]
		head, owned := 0, false // owned: read is a block, to use again
		for {
			if head == len(read) {
				searched.Add(int64(head))
				if t == 0 {
					progress("reach", searched.Load(), int64(n))
				}
				if owned {
					r.free = append(r.free, read)
				}
				head, owned = 0, true
				switch {
				case len(r.full) > 0:
					read = r.full[0]
					r.full = r.full[1:]
				case len(r.write) > 0:
					read, r.write = r.write, r.block()
				default:
					b, ok := w.take()
					if !ok {
						found[t] = r.entered
						return
					}
					read = b
				}
			}
			mem.PrefetchQueue(read, head, v.start, unsafe.Pointer(unsafe.SliceData(v.edges)), unsafe.Pointer(&v.classOf[0]))
			x := read[head]
			head++
			if c := v.classObject[v.classOf[x]]; c >= 0 {
				r.see(c)
			}
			for _, y := range v.stored(x) {
				r.see(int32(y))
			}
			if bit(v.hasExtra, x) {
				for _, y := range v.extra[x] {
					r.see(y)
				}
			}
			if head&reachEvery == 0 && len(r.full) > 0 && w.hungry.Load() {
				// The newest full block, to a core that has none.
				k := len(r.full) - 1
				w.give(r.full[k])
				r.full = r.full[:k]
			}
		}
	})
	for _, f := range found {
		entered = append(entered, f...) // in no order: the tree below does not depend on it
	}
	return seen, entered
}

// reacher is one core's part of the search: the blocks of its queue.
type reacher struct {
	seen, isTarget bitset.Set
	alone          bool      // the only core searching
	write          []int32   // the block being filled
	full           [][]int32 // blocks filled and waiting, oldest first
	free           [][]int32 // blocks searched, to fill again
	entered        []int32
}

// see queues x, or enters it if a target, unless it was seen before
// (inlined: a call per reference cost the search on one core 0.2 s on the
// bench dump).
func (r *reacher) see(x int32) {
	if atomic.LoadUint64(&r.seen[x>>6])&(1<<(uint(x)&63)) == 0 {
		r.claim(x)
	}
}

// claim claims x, not seen yet, for this core, unless another core claims
// it first, and queues or enters it.
func (r *reacher) claim(x int32) {
	word, bit := &r.seen[x>>6], uint64(1)<<(uint(x)&63)
	if r.alone {
		// No other core: a plain write. (An atomic one per object cost
		// the search on one core 0.4 s more on the bench dump.)
		*word |= bit
	} else if atomic.OrUint64(word, bit)&bit != 0 {
		return // another core's
	}
	if r.isTarget.Has(x) {
		r.entered = append(r.entered, x)
		return
	}
	if len(r.write) == cap(r.write) {
		r.full = append(r.full, r.write)
		r.write = r.block()
	}
	r.write = append(r.write, x)
}

// block returns an empty block: one searched before, or a new one.
func (r *reacher) block() []int32 {
	if k := len(r.free) - 1; k >= 0 {
		b := r.free[k][:0]
		r.free = r.free[:k]
		return b
	}
	return make([]int32, 0, reachBlock)
}

// reachWork is the blocks of queue that busy searches hand to idle ones.
type reachWork struct {
	mu      sync.Mutex
	cond    *sync.Cond
	blocks  [][]int32
	workers int
	idle    int  // searches waiting in take
	done    bool // all idle with no block left, or one panicked
	// hungry: some search waits for a block (read without the lock).
	hungry atomic.Bool
}

// take returns a block to search, waiting for one; false once every
// search is waiting and none is left: the search is over.
func (w *reachWork) take() ([]int32, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.idle++
	for len(w.blocks) == 0 && !w.done {
		if w.idle == w.workers {
			w.done = true
			w.cond.Broadcast()
			break
		}
		w.setHungry()
		w.cond.Wait()
	}
	if w.done {
		return nil, false
	}
	w.idle--
	c := w.blocks[len(w.blocks)-1]
	w.blocks = w.blocks[:len(w.blocks)-1]
	w.setHungry()
	return c, true
}

// setHungry says whether more searches wait than blocks are left for
// them; with the lock held.
func (w *reachWork) setHungry() { w.hungry.Store(w.idle > len(w.blocks)) }

// give hands a block to a waiting search.
func (w *reachWork) give(c []int32) {
	w.mu.Lock()
	w.blocks = append(w.blocks, c)
	w.setHungry()
	w.mu.Unlock()
	w.cond.Signal()
}

// abortOnPanic, deferred by each search, ends the others' wait when it
// panics (a fault on a mapped graph), and panics on.
func (w *reachWork) abortOnPanic() {
	if r := recover(); r != nil {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
		w.cond.Broadcast()
		panic(r)
	}
}
