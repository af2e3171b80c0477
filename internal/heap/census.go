package heap

import (
	"fmt"
	"sort"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/par"
)

// Census is a class histogram and what it was computed under.
type Census struct {
	Classes     []Class
	Rows        []ClassStats // biggest first, see Graph.Histogram
	Model       Model
	ModelReason string
	Objects     int64
	Warnings    []string
	// TruncatedAt is where a truncated dump read with AllowTruncated
	// ends (Source.Truncated), 0 for a whole one; an index keeps it, so
	// that a census from it is not used without AllowTruncated.
	TruncatedAt int64 `json:",omitempty"`
}

// Census returns the graph's histogram.
func (g *Graph) Census() *Census {
	return &Census{Classes: g.Classes, Rows: g.Histogram(), Model: g.Model, ModelReason: g.ModelReason,
		Objects: int64(g.NumObjects()), Warnings: g.Warnings, TruncatedAt: max(g.Source.Truncated, 0)}
}

// arrayTally sums the arrays of one class. Lengths are bucketed modulo 256
// so that each array's rounding to the object alignment (at most 256
// bytes) can be added up exactly once the layout is known.
type arrayTally struct {
	count  int64
	sumLen uint64
	byMod  [256]int64
}

func (t *arrayTally) add(n uint32) {
	t.count++
	t.sumLen += uint64(n)
	t.byMod[n&255]++
}

// bytes is the sum of the arrays' sizes with elements of elemSize bytes.
func (t *arrayTally) bytes(m Model, elemSize int) uint64 {
	base := uint64(m.arrayBase(elemSize))
	a := uint64(max(m.Alignment, m.WordSize))
	total := t.count*int64(base) + int64(t.sumLen)*int64(elemSize)
	var pad int64
	for r, c := range t.byMod {
		if c == 0 {
			continue
		}
		raw := base + uint64(r)*uint64(elemSize)
		pad += c * int64((a-raw%a)%a)
	}
	return uint64(total + pad)
}

// tally is what one run of segments holds.
type tally struct {
	// instances counts them by class id, and by their field bytes (which
	// are the class's in a dump that is not damaged: see misfits).
	instances  map[uint64]*instanceCount
	objArrays  map[uint64]*arrayTally
	primArrays [hprof.TypeLong + 1]arrayTally
	classDumps []*hprof.ClassDump
	samples    []objectShape
	counts     [256]int64
	err        error
}

// instanceCount counts the instances of a class, by their length of
// field bytes: the first's, and apart, the others (none in a dump that is
// not damaged), each with the first instance's offset. (Keyed by class id
// alone, as a map keyed by id and length too made the scan's CPU time 40%
// more on the bench dump, whose runs of one class are short.)
type instanceCount struct {
	n, at  int64
	length uint32
	others []lengthCount
}

type lengthCount struct {
	length uint32
	n, at  int64
}

func (t *tally) scan(r *hprof.HeapReader, samples int) {
	t.instances = map[uint64]*instanceCount{}
	t.objArrays = map[uint64]*arrayTally{}
	// The run of instances of one class and length being counted.
	var lastClass uint64
	var lastLength uint32
	var lastCount, lastAt int64
	var lastArrayClass uint64
	var lastArray *arrayTally
	for r.Next() {
		rec := &r.Rec
		t.counts[rec.Tag]++
		switch rec.Tag {
		case hprof.SubInstanceDump:
			if rec.ClassID != lastClass || rec.Length != lastLength {
				t.countRun(lastClass, lastLength, lastCount, lastAt)
				lastClass, lastLength, lastCount, lastAt = rec.ClassID, rec.Length, 0, rec.Offset
			}
			lastCount++
		case hprof.SubObjArrayDump:
			if rec.ClassID != lastArrayClass || lastArray == nil {
				lastArrayClass = rec.ClassID
				lastArray = t.objArrays[rec.ClassID]
				if lastArray == nil {
					lastArray = &arrayTally{}
					t.objArrays[rec.ClassID] = lastArray
				}
			}
			lastArray.add(rec.Length)
		case hprof.SubPrimArrayDump, hprof.SubPrimArrayNoData:
			t.primArrays[rec.ElemType].add(rec.Length)
		case hprof.SubClassDump:
			t.classDumps = append(t.classDumps, rec.Class)
			continue
		default:
			continue
		}
		if len(t.samples) < samples {
			t.samples = append(t.samples, objectShape{id: rec.ID, tag: rec.Tag, classID: rec.ClassID, length: rec.Length, elemType: rec.ElemType})
		}
	}
	t.countRun(lastClass, lastLength, lastCount, lastAt)
	t.err = r.Err()
}

// countRun adds n instances of class id with length field bytes, the
// first at offset at.
func (t *tally) countRun(id uint64, length uint32, n, at int64) {
	if n == 0 {
		return
	}
	c := t.instances[id]
	switch {
	case c == nil:
		t.instances[id] = &instanceCount{n: n, at: at, length: length}
		return
	case length == c.length:
		c.n += n
		return
	}
	for i := range c.others {
		if o := &c.others[i]; o.length == length {
			o.n += n
			return
		}
	}
	c.others = append(c.others, lengthCount{length, n, at})
}

// ScanCensus computes the class histogram in one parallel pass over the
// dump, without building the graph: what `leakscan histogram` needs. Unlike
// Graph.Histogram it cannot notice repeated object ids (which only a
// malformed dump has).
func ScanCensus(f *hprof.File, cat *hprof.Catalog, opts Options) (*Census, error) {
	g, d, workers, err := newGraph(f, cat, opts)
	if err != nil {
		return nil, err
	}
	progress := opts.progress()
	us := units(d)
	tallies := make([]tally, len(us))
	readers := make([]*hprof.HeapReader, workers)
	for w := range readers {
		readers[w] = f.HeapRecordsAt(0, 0, 0)
	}
	total := d.End - d.Start
	var done int64
	var mu = make(chan struct{}, 1)
	par.Each(len(us), workers, func(w, i int) {
		m, err := f.Map()
		if err != nil {
			tallies[i].err = err
			return
		}
		readers[w].ResetIn(m, us[i][0], us[i][0], us[i][1])
		tallies[i].scan(readers[w], max(4096, modelSamples/len(us)))
		m.Close()
		mu <- struct{}{}
		done += us[i][1] - us[i][0]
		progress("scanning", done, total)
		<-mu
	})
	var classDumps []*hprof.ClassDump
	var samples []objectShape
	var counts [256]int64
	for i := range tallies {
		if tallies[i].err != nil {
			return nil, tallies[i].err
		}
		classDumps = append(classDumps, tallies[i].classDumps...)
		if len(samples) < modelSamples {
			samples = append(samples, tallies[i].samples...)
		}
		for t, c := range tallies[i].counts {
			counts[t] += c
		}
	}
	g.buildClasses(classDumps)
	shift := addressShift(tallies, samples)
	g.decideModel(samples, shift, opts.CompressedOops)
	g.sizeClasses()

	rows := make([]ClassStats, len(g.Classes))
	for i := range rows {
		rows[i].Class = ClassIndex(i)
	}
	m := g.Model
	var misfits misfits
	for i := range tallies {
		t := &tallies[i]
		for id, count := range t.instances {
			c, ok := g.classIndexByID(id)
			n := count.n
			misfits.instance(g, id, c, ok, count.length, count.n, count.at)
			for _, o := range count.others {
				n += o.n
				misfits.instance(g, id, c, ok, o.length, o.n, o.at)
			}
			if !ok {
				c = g.unknown[ClassInstance]
			}
			rows[c].Instances += n
			size := uint64(g.Classes[c].InstanceSize)
			if size == 0 {
				size = uint64(m.objectSize(m.HeaderSize))
			}
			rows[c].ShallowBytes += uint64(n) * size
		}
		for id, a := range t.objArrays {
			c, ok := g.classIndexByID(id)
			if !ok {
				c = g.unknown[ClassObjectArray]
			}
			rows[c].Instances += a.count
			rows[c].ShallowBytes += a.bytes(m, m.RefSize)
		}
		for et := range t.primArrays {
			if a := &t.primArrays[et]; a.count > 0 {
				c := g.primClass[et]
				rows[c].Instances += a.count
				rows[c].ShallowBytes += a.bytes(m, hprof.BasicType(et).Size(m.IDSize))
			}
		}
	}
	seen := map[uint64]bool{}
	cc := g.ClassClass
	for _, cd := range classDumps {
		if seen[cd.ID] {
			continue
		}
		seen[cd.ID] = true
		ci, _ := g.classIndexByID(cd.ID)
		rows[cc].Instances++
		rows[cc].ShallowBytes += uint64(g.Classes[ci].MirrorSize)
	}
	out := rows[:0]
	var objects int64
	for _, r := range rows {
		if r.Instances > 0 {
			out = append(out, r)
			objects += r.Instances
		}
	}
	sortCensus(g.Classes, out)
	misfits.warn(g)
	if n := int64(len(classDumps)) - int64(len(seen)); n > 0 {
		g.Warnings = append(g.Warnings, fmt.Sprintf("%d class dumps repeat a class id; counted once", n))
	}
	return &Census{Classes: g.Classes, Rows: out, Model: g.Model, ModelReason: g.ModelReason, Objects: objects, Warnings: g.Warnings,
		TruncatedAt: max(g.Source.Truncated, 0)}, nil
}

// addressShift finds the alignment of object ids from the sampled ones.
func addressShift(_ []tally, samples []objectShape) uint {
	if len(samples) == 0 {
		return 0
	}
	lo, or := samples[0].id, uint64(0)
	for _, s := range samples {
		lo = min(lo, s.id)
	}
	for _, s := range samples {
		or |= s.id - lo
	}
	shift := uint(0)
	for or != 0 && or&1 == 0 && shift < 16 {
		or >>= 1
		shift++
	}
	return shift
}

// SortRows orders histogram rows as Histogram does: biggest shallow size
// first, ties by class name, then index.
func SortRows(classes []Class, rows []ClassStats) { sortCensus(classes, rows) }

func sortCensus(classes []Class, rows []ClassStats) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.ShallowBytes != b.ShallowBytes {
			return a.ShallowBytes > b.ShallowBytes
		}
		if na, nb := classes[a.Class].Name, classes[b.Class].Name; na != nb {
			return na < nb
		}
		return a.Class < b.Class
	})
}
