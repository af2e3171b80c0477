package heap

import (
	"sync"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/par"
)

// Pass A walks the dump's sub-records once to collect every object id,
// the class dumps, the roots, and a sample of consecutive objects for the
// layout decision. HotSpot writes heap dumps in segments of about 1 MiB
// (JDK 15+), and no sub-record spans two, so runs of whole segments are
// walked in parallel; dumps written as one huge record are walked by one
// goroutine.

// unitBytes is the size of the runs of segments pass A hands out.
const unitBytes = 16 << 20

// checkpointEvery is how many object records a pass-B work chunk holds.
const checkpointEvery = 1 << 16

// markEvery is how many object records lie between the marks of a chunk:
// RecordOffset walks from the mark before the record it looks for, not
// from the chunk's start (a walk of up to 4 Ki records, not 64 Ki).
const markEvery = 1 << 12

// checkpoint starts a run of object records that pass B decodes as one
// chunk; pass A notes whether its ids ascend, so that pass B can number the
// objects without looking each id up.
type checkpoint struct {
	pos, segEnd int64
	n           int32 // object records in the chunk
	first, last uint64
	ascending   bool
	refs        int64 // at least as many as the chunk's references (see refsAtMost)
	marks       []recordMark
}

// recordMark is where object record k*markEvery of a chunk starts (k =
// 1, 2, ...), and the end of its heap dump segment: a walk of the records
// may start there.
type recordMark struct{ pos, segEnd int64 }

// unitResult is what pass A collects from one run of segments.
type unitResult struct {
	ids         []uint64
	checkpoints []checkpoint
	classDumps  []*hprof.ClassDump
	roots       []hprof.SubRecord
	samples     []objectShape
	counts      [256]int64
	err         error
}

// passAResult is what pass A collects, in file order.
type passAResult struct {
	ids         [][]uint64
	objects     int
	checkpoints []checkpoint
	classDumps  []*hprof.ClassDump
	roots       []hprof.SubRecord
	samples     []objectShape
}

func isObject(t hprof.SubTag) bool {
	switch t {
	case hprof.SubInstanceDump, hprof.SubObjArrayDump, hprof.SubPrimArrayDump, hprof.SubPrimArrayNoData, hprof.SubClassDump:
		return true
	}
	return false
}

// units groups the dump's segments into runs of about unitBytes.
func units(d hprof.Dump) [][2]int64 {
	var out [][2]int64
	for _, s := range d.Segments {
		if n := len(out); n > 0 && out[n-1][1] == s.Offset && s.End-out[n-1][0] <= unitBytes {
			out[n-1][1] = s.End
			continue
		}
		if n := len(out); n > 0 && s.End-out[n-1][0] <= unitBytes {
			out[n-1][1] = s.End // swallow interleaved non-heap records
			continue
		}
		out = append(out, [2]int64{s.Offset, s.End})
	}
	return out
}

func (g *Graph) passA(d hprof.Dump, workers int, progress func(string, int64, int64)) (*passAResult, error) {
	us := units(d)
	results := make([]unitResult, len(us))
	total := d.End - d.Start
	var mu sync.Mutex
	var done int64
	readers := make([]*hprof.HeapReader, workers)
	for w := range readers {
		readers[w] = g.File.HeapRecordsAt(0, 0, 0)
	}
	par.Each(len(us), workers, func(w, i int) {
		u := us[i]
		r := readers[w]
		m, err := g.File.Map()
		if err != nil {
			results[i].err = err
			return
		}
		r.ResetIn(m, u[0], u[0], u[1])
		g.scanUnit(r, &results[i], u[1]-u[0], max(4096, modelSamples/len(us)))
		m.Close()
		mu.Lock()
		done += u[1] - u[0]
		progress("scanning", done, total)
		mu.Unlock()
	})
	a := &passAResult{}
	var counts [256]int64
	for i := range results {
		u := &results[i]
		if u.err != nil {
			return nil, u.err
		}
		a.ids = append(a.ids, u.ids)
		a.objects += len(u.ids)
		a.checkpoints = append(a.checkpoints, u.checkpoints...)
		a.classDumps = append(a.classDumps, u.classDumps...)
		a.roots = append(a.roots, u.roots...)
		if len(a.samples) < modelSamples {
			a.samples = append(a.samples, u.samples...)
		}
		for t, c := range u.counts {
			counts[t] += c
		}
	}
	g.Stats.RecordsByTag = make(map[hprof.SubTag]int64)
	for t, c := range counts {
		if c > 0 {
			g.Stats.RecordsByTag[hprof.SubTag(t)] = c
		}
	}
	g.Stats.Instances = counts[hprof.SubInstanceDump]
	g.Stats.ObjectArrays = counts[hprof.SubObjArrayDump]
	g.Stats.PrimitiveArrays = counts[hprof.SubPrimArrayDump] + counts[hprof.SubPrimArrayNoData]
	g.Stats.ClassObjects = counts[hprof.SubClassDump]
	return a, nil
}

// minObjectRecord is the smallest object sub-record (a PRIM ARRAY NODATA
// with 4-byte ids); it bounds how many objects a byte range can hold, and
// so what pass A may allocate for it.
const minObjectRecord = 14

func (g *Graph) scanUnit(r *hprof.HeapReader, u *unitResult, bytes int64, samples int) {
	u.ids = make([]uint64, 0, bytes/minObjectRecord+1)
	var cp *checkpoint
	for r.Next() {
		rec := &r.Rec
		u.counts[rec.Tag]++
		if !isObject(rec.Tag) {
			if rec.Tag.IsRoot() {
				u.roots = append(u.roots, *rec)
			}
			continue
		}
		if cp == nil || cp.n == checkpointEvery {
			_, segEnd := r.Position()
			u.checkpoints = append(u.checkpoints, checkpoint{pos: rec.Offset, segEnd: segEnd, first: rec.ID, ascending: true})
			cp = &u.checkpoints[len(u.checkpoints)-1]
		} else if rec.ID <= cp.last {
			cp.ascending = false
		}
		if cp.n > 0 && cp.n%markEvery == 0 {
			_, segEnd := r.Position()
			cp.marks = append(cp.marks, recordMark{rec.Offset, segEnd})
		}
		cp.n++
		cp.last = rec.ID
		cp.refs += refsAtMost(rec, g.Model.IDSize)
		u.ids = append(u.ids, rec.ID)
		if rec.Tag == hprof.SubClassDump {
			u.classDumps = append(u.classDumps, rec.Class)
		} else if len(u.samples) < samples {
			u.samples = append(u.samples, objectShape{id: rec.ID, tag: rec.Tag, classID: rec.ClassID, length: rec.Length, elemType: rec.ElemType})
		}
	}
	u.err = r.Err()
}

// refsAtMost bounds the references pass B can take from an object
// record: an instance's fields hold at most one per id-sized slot of its
// body (a field's offset is past the one before it), an object array one
// per element, a class object its super, loader, signers and protection
// domain and its static fields.
func refsAtMost(rec *hprof.SubRecord, idSize int) int64 {
	switch rec.Tag {
	case hprof.SubInstanceDump:
		return int64(rec.Length) / int64(idSize)
	case hprof.SubObjArrayDump:
		return int64(rec.Length)
	case hprof.SubClassDump:
		return 4 + int64(len(rec.Class.Statics))
	}
	return 0
}

// chunk is a pass-B work unit: the object records from pos up to end.
// base is the index of its first object when its ids ascend without gaps
// in the index (objects numbered base, base+1, ...), or -1.
type chunk struct {
	pos, segEnd, end int64
	base             int32
	n                int32 // object records
	refs             int64 // a bound on its references (refsAtMost)
	slot             int64 // where its references go in the slots (see passB), or -1
	marks            []recordMark
}

func (a *passAResult) chunks(d hprof.Dump, ids *idIndex) []chunk {
	out := make([]chunk, len(a.checkpoints))
	for i, cp := range a.checkpoints {
		end := d.End
		if i+1 < len(a.checkpoints) {
			end = a.checkpoints[i+1].pos
		}
		c := chunk{pos: cp.pos, segEnd: cp.segEnd, end: end, base: -1, n: cp.n, refs: cp.refs, slot: -1, marks: cp.marks}
		if cp.ascending {
			if lo, hi := ids.lookup(cp.first), ids.lookup(cp.last); lo >= 0 && hi-lo == cp.n-1 {
				c.base = lo
			}
		}
		out[i] = c
	}
	return out
}
