package heap

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// Pass B decodes every object record once more, now that ids have indices:
// it writes each object's class and size, and translates its references
// into a buffer of its chunk; a gather step then lays the buffers out as
// CSR in index order. Chunks run on all cores.

// chunkOut is what pass B produces for one chunk.
type chunkOut struct {
	edges    []ObjectIndex // references of the chunk's objects, in record order
	objs     []int32       // indices of the chunk's objects, when it has no base
	loose    []looseOffset // their record offsets
	dangling int64
	misfits  misfits
	err      error
}

// looseOffset is the record offset of an object whose chunk cannot number
// its objects from a base index.
type looseOffset struct {
	index  int32
	offset int64
}

// edgeSlots returns the array pass B writes references into, and gives
// each chunk that numbers its objects from a base a slot there as long as
// its bound (refsAtMost), in the order of the bases; passB moves each
// chunk's references down to their place once all are counted. The few
// other chunks (on the bench dump 3 of 522: the class objects' ids do not
// ascend with the instances') collect theirs in buffers of their own, and
// the slots start after room for them all, so that no chunk's place lies
// above its slot. It returns the slotted chunks too, in the order of
// their slots. It returns nil when there are no bases, or the slots
// would need offsets above 32 bits or more address space than the system
// can be expected to grant (mem.Reservable): then every chunk has a
// buffer, copied into a new array.
//
// The slots spare the memory of the buffers, and of the array to copy them
// into: on the bench dump, 558 MB of pages faulted in against 250 MB. On a
// virtual machine a page's first touch can cost more than what is written
// in it.
func edgeSlots(chunks []chunk) (slots []ObjectIndex, slotted []int) {
	if slotMode < 0 {
		return nil, nil
	}
	if slotMode > 0 {
		for i := range chunks {
			chunks[i].refs /= 2 // too short for some
		}
	}
	var at int64 // the loose chunks' room, then the slots'
	var based []int
	for i, c := range chunks {
		if c.base < 0 {
			at += c.refs
		} else {
			based = append(based, i)
		}
	}
	slices.SortFunc(based, func(a, b int) int { return cmp.Compare(chunks[a].base, chunks[b].base) })
	for k, i := range based {
		if k > 0 && chunks[i].base < chunks[based[k-1]].base+chunks[based[k-1]].n {
			return nil, nil // ranges that overlap: ids that repeat
		}
	}
	for _, i := range based {
		chunks[i].slot = at
		at += chunks[i].refs
	}
	if len(based) == 0 || at > math.MaxUint32 || !mem.Reservable(at*4) {
		for _, i := range based {
			chunks[i].slot = -1
		}
		return nil, nil
	}
	return mem.MakeInOrder[ObjectIndex](int(at)), based
}

func (g *Graph) passB(chunks []chunk, slots []ObjectIndex, slotted []int, workers int, progress func(string, int64, int64), total int64) error {
	outs := make([]chunkOut, len(chunks))
	readers := make([]*hprof.HeapReader, workers)
	for w := range readers {
		readers[w] = g.File.HeapRecordsAt(0, 0, 0)
	}
	var done atomic.Int64
	par.Each(len(chunks), workers, func(w, ci int) {
		m, err := g.File.Map()
		if err != nil {
			outs[ci].err = err
			return
		}
		g.decodeChunk(readers[w], m, &chunks[ci], slots, &outs[ci])
		m.Close()
		progress("objects", done.Add(chunks[ci].end-chunks[ci].pos), total)
	})
	var loose []looseOffset
	var misfits misfits
	defer misfits.warn(g)
	for i := range outs {
		if outs[i].err != nil {
			return outs[i].err
		}
		g.Stats.Dangling += outs[i].dangling
		misfits.merge(g, outs[i].misfits)
		loose = append(loose, outs[i].loose...)
		outs[i].loose = nil
	}
	slices.SortFunc(loose, func(a, b looseOffset) int { return int(a.index) - int(b.index) })
	g.loose = loose
	for _, c := range chunks {
		if c.base >= 0 {
			g.chunks = append(g.chunks, c)
		}
	}
	slices.SortFunc(g.chunks, func(a, b chunk) int { return int(a.base) - int(b.base) })

	// CSR offsets from the counts pass B left in edgeStart[i+1].
	n := len(g.class)
	var sum uint64
	for i := 0; i < n; i++ {
		c := uint64(g.edgeStart[i+1])
		g.edgeStart[i] = uint32(sum)
		sum += c
		if sum > math.MaxUint32 {
			return fmt.Errorf("%s: more than 2^32-1 references: larger than a graph can hold", g.File.Path)
		}
	}
	g.edgeStart[n] = uint32(sum)
	// A chunk with more references than its bound (not seen: the bound
	// holds for any record pass B decodes) moved them to a buffer of its
	// own; a slotted one then leaves the slots to the copy below.
	outgrownSlots := 0
	for ci, c := range chunks {
		if int64(len(outs[ci].edges)) > c.refs {
			g.outgrown++
			if c.slot >= 0 {
				outgrownSlots++
			}
		}
	}
	moved := slots != nil && outgrownSlots == 0
	if moved {
		// Each slotted chunk's references move down to their place, in
		// the order of the slots: a chunk's place ends at or below the
		// next one's slot, so no move writes over references not moved
		// yet. The loose chunks' go to their places after.
		for _, ci := range slotted {
			c := chunks[ci]
			lo, hi := g.edgeStart[c.base], g.edgeStart[c.base+c.n]
			copy(slots[lo:hi], outs[ci].edges)
			outs[ci] = chunkOut{}
		}
		g.edges = slots[:sum:sum]
		mem.Discard(slots[sum:])
		g.slotted = true
	} else {
		g.edges = mem.MakeInOrder[ObjectIndex](int(sum))
	}
	par.Each(len(chunks), workers, func(w, ci int) {
		if moved && chunks[ci].slot >= 0 {
			return
		}
		out := &outs[ci]
		p := uint32(0)
		place := func(i int32) {
			cnt := g.edgeStart[i+1] - g.edgeStart[i]
			copy(g.edges[g.edgeStart[i]:g.edgeStart[i+1]], out.edges[p:p+cnt])
			p += cnt
		}
		if c := chunks[ci]; c.base >= 0 {
			// Objects base, base+1, ...: their edges are one run, in
			// order, here and there (one copy, not one per object).
			lo, hi := g.edgeStart[c.base], g.edgeStart[c.base+c.n]
			copy(g.edges[lo:hi], out.edges[:hi-lo])
		} else {
			for _, i := range out.objs {
				place(i)
			}
		}
		*out = chunkOut{}
	})
	g.Stats.References = int64(len(g.edges))
	return nil
}

// slotMode, for tests: 0 uses slots where edgeSlots can, -1 never, 1
// with every bound halved (a chunk that outgrows its slot).
var slotMode int

// objectIndex returns the index of the k-th object record of chunk c.
func (g *Graph) objectIndex(c *chunk, k int32, id uint64) int32 {
	if c.base >= 0 {
		return c.base + k
	}
	return g.ids.lookup(id)
}

func atomicSetBit(bits []uint64, i int32) {
	atomic.OrUint64(&bits[i>>6], 1<<(uint(i)&63))
}

func atomicClearBit(bits []uint64, i int32) {
	atomic.AndUint64(&bits[i>>6], ^(1 << (uint(i) & 63)))
}

// refBatchSize is how many references decodeChunk collects before it
// looks them up together (idIndex.lookupAll): the blocks of the id index
// they read, tens of megabytes at random, are then fetched from memory in
// parallel rather than one after another.
const refBatchSize = 4096

// decodeChunk decodes the object records of chunk c into the graph's
// per-object arrays and out's edges. References are looked up in batches,
// each object counted with all its non-null references: a chunk with a
// reference no object has (rare: a dump cut short, or a broken one) is
// decoded again looking each reference up at once, so that those can be
// left out. So is every chunk when ids repeat, as the first record with an
// id claims it for good.
func (g *Graph) decodeChunk(r *hprof.HeapReader, mapping *hprof.Mapping, c *chunk, slots []ObjectIndex, out *chunkOut) {
	// The chunk's slot, or a buffer of its own; either holds its
	// references without growing.
	edges := func() []ObjectIndex {
		if c.slot >= 0 {
			return slots[c.slot : c.slot : c.slot+c.refs]
		}
		return make([]ObjectIndex, 0, c.refs)
	}
	out.edges = edges()
	if g.claimed == nil && g.decodeRecords(r, mapping, c, out, true) {
		return
	}
	*out = chunkOut{edges: edges()}
	g.decodeRecords(r, mapping, c, out, false)
}

// decodeRecords is decodeChunk's pass over the records, batched or
// not, appending references to out.edges; batched, it reports false if
// some reference named no object (and then what it wrote stands to be
// written over).
func (g *Graph) decodeRecords(r *hprof.HeapReader, mapping *hprof.Mapping, c *chunk, out *chunkOut, batched bool) bool {
	r.ResetIn(mapping, c.pos, c.segEnd, c.end)
	m := g.Model
	idSize := m.IDSize
	var mu sync.Mutex // guards claimed when duplicates force one worker anyway
	k := int32(-1)
	var pending []uint64 // batched: the references not yet looked up
	if batched {
		pending = make([]uint64, 0, refBatchSize)
	}
	missing := 0
	lookup := func() {
		n := len(out.edges)
		out.edges = slices.Grow(out.edges, len(pending))[:n+len(pending)]
		missing += g.ids.lookupAll(pending, out.edges[n:])
		pending = pending[:0]
	}
	put := func(id uint64) bool {
		switch {
		case id == 0:
			return false
		case batched:
			if len(pending) == cap(pending) {
				lookup()
			}
			pending = append(pending, id)
			return true
		}
		if t := g.ids.lookup(id); t >= 0 {
			out.edges = append(out.edges, ObjectIndex(t))
			return true
		}
		out.dangling++
		return false
	}
	for r.Next() {
		rec := &r.Rec
		if !isObject(rec.Tag) {
			continue
		}
		k++
		i := g.objectIndex(c, k, rec.ID)
		if g.claimed != nil {
			mu.Lock()
			dup := g.claimed[i>>6]&(1<<(uint(i)&63)) != 0
			g.claimed[i>>6] |= 1 << (uint(i) & 63)
			mu.Unlock()
			if dup {
				continue // the first record with an id wins
			}
		}
		if c.base < 0 {
			out.objs = append(out.objs, i)
			out.loose = append(out.loose, looseOffset{i, rec.Offset})
		}
		before := len(out.edges) + len(pending)
		var cl ClassIndex
		var size uint64
		switch rec.Tag {
		case hprof.SubInstanceDump:
			cl = g.recordClass(rec)
			class := &g.Classes[cl]
			if int(rec.Length) != class.recordSize || cl == g.unknown[ClassInstance] {
				_, known := g.classIndexByID(rec.ClassID)
				out.misfits.instance(g, rec.ClassID, cl, known, rec.Length, 1, rec.Offset)
			}
			size = uint64(class.InstanceSize)
			if size == 0 {
				size = uint64(m.objectSize(m.HeaderSize + int(rec.Length)))
			}
			body := rec.Body
			if ro := class.referentOffset; ro >= 0 && int(ro)+idSize <= len(body) {
				if put(hprof.ReadID(body[ro:], idSize)) {
					atomicSetBit(g.referentFirst, i)
				} else if !batched {
					atomicClearBit(g.referentFirst, i) // set by the batched pass
				}
			}
			for _, off := range class.refOffsets {
				if int(off)+idSize <= len(body) {
					put(hprof.ReadID(body[off:], idSize))
				}
			}
		case hprof.SubObjArrayDump:
			cl = g.recordClass(rec)
			size = m.ArraySize(m.RefSize, rec.Length)
			for p := 0; p+idSize <= len(rec.Body); p += idSize {
				put(hprof.ReadID(rec.Body[p:], idSize))
			}
		case hprof.SubPrimArrayDump, hprof.SubPrimArrayNoData:
			cl = g.primClass[rec.ElemType]
			size = m.ArraySize(rec.ElemType.Size(idSize), rec.Length)
		case hprof.SubClassDump:
			cl = g.ClassClass
			ci, _ := g.classIndexByID(rec.ID)
			class := &g.Classes[ci]
			size = uint64(class.MirrorSize)
			for _, id := range []uint64{rec.Class.SuperID, class.LoaderID, class.SignersID, class.ProtectionDomainID} {
				put(id)
			}
			for _, st := range class.Statics {
				if st.Type == hprof.TypeObject {
					put(st.Value)
				}
			}
			atomicSetBit(g.mirror, i)
		}
		g.class[i] = cl
		g.size[i] = uint32(min((size+7)>>3, math.MaxUint32))
		g.edgeStart[i+1] = uint32(len(out.edges) + len(pending) - before)
	}
	if batched {
		lookup()
	}
	out.err = r.Err()
	return missing == 0 || out.err != nil
}

// RecordOffset returns the file offset of object i's record. Objects of
// chunks numbered from a base index are found by walking their chunk from
// the mark before i (at most markEvery records) as far as i; the walk is
// kept, to go on from for a later object of the same stretch. It reads
// the dump through a mapping of its own, closed when the walk moves to
// another stretch, so that the pages walked do not stay resident.
// Printing 20 paths to the bench dump's ArrayLists walked 40 chunks from
// their starts, 0.03 s, before the marks.
func (g *Graph) RecordOffset(i ObjectIndex) int64 {
	idx := int32(i)
	if off, ok := g.looseOffset(i); ok {
		return off
	}
	j, ok := g.chunkOf(i)
	if !ok {
		return -1
	}
	g.walkMu.Lock()
	defer g.walkMu.Unlock()
	c := &g.chunks[j]
	k := int(idx - c.base)
	// The stretch from mark s-1 (s = 0: the chunk's start) holds k.
	s := min(k/markEvery, len(c.marks))
	pos, segEnd := c.pos, c.segEnd
	if s > 0 {
		pos, segEnd = c.marks[s-1].pos, c.marks[s-1].segEnd
	}
	key := j*(checkpointEvery/markEvery) + s
	k -= s * markEvery
	if g.walkKey != key || g.walkMap == nil {
		if offs := g.walked[key]; k < len(offs) {
			return offs[k] // walked before
		}
		g.keepWalked()
		g.endWalk()
		f, err := g.fileLocked()
		if err != nil {
			return -1
		}
		m, err := f.Map()
		if err != nil {
			return -1
		}
		if g.walker == nil {
			g.walker = f.HeapRecordsIn(m, pos, segEnd, c.end)
		} else {
			g.walker.ResetIn(m, pos, segEnd, c.end) // keeps its buffer where the dump is not mapped
		}
		g.walkMap, g.walkKey = m, key
	}
	for len(g.walkOffsets) <= k && g.walker.Next() {
		if isObject(g.walker.Rec.Tag) {
			g.walkOffsets = append(g.walkOffsets, g.walker.Rec.Offset)
		}
	}
	if k < len(g.walkOffsets) {
		return g.walkOffsets[k]
	}
	return -1
}

// keepWalked keeps the offsets the current walk found (walkMu held), for
// RecordOffset to answer from when it is asked about that stretch again:
// a path's steps alternate between stretches, and each walk decodes up to
// markEvery records (checkpointEvery before the marks). 5,000 class
// loaders, each the parent of the next, took 61 s to print, every step
// walking its chunk anew. The walkedStretches stretches walked last are
// kept (up to 32 KiB each).
func (g *Graph) keepWalked() {
	if g.walkMap == nil || len(g.walkOffsets) == 0 {
		return
	}
	if g.walked == nil {
		g.walked = map[int][]int64{}
	}
	if _, ok := g.walked[g.walkKey]; !ok {
		g.walkedOrder = append(g.walkedOrder, g.walkKey)
	}
	g.walked[g.walkKey] = slices.Clone(g.walkOffsets)
	if len(g.walkedOrder) > walkedStretches {
		delete(g.walked, g.walkedOrder[0])
		g.walkedOrder = g.walkedOrder[1:]
	}
}

// walkedStretches is how many walked stretches' offsets RecordOffset
// keeps.
const walkedStretches = 64

// endWalk closes RecordOffset's walk of a stretch (walkMu held).
func (g *Graph) endWalk() {
	if g.walkMap != nil {
		g.walkMap.Close()
		g.walkMap = nil
	}
	g.walkOffsets = g.walkOffsets[:0]
}
