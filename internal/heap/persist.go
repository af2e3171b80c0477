package heap

import (
	"encoding/json"
	"fmt"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/index"
)

// The graph part of the index: the per-object arrays as they are in
// memory, and the rest (classes, roots, threads, layout, where records
// are) as JSON.

// graphMeta is the JSON section of the graph part.
type graphMeta struct {
	Source      Source
	Dump        int
	Model       Model
	ModelReason string
	Classes     []Class
	ClassClass  ClassIndex
	PrimClass   [hprof.TypeLong + 1]ClassIndex
	Unknown     [ClassPrimitiveArray]ClassIndex
	IDs         struct {
		N      int
		Base   uint64
		Shift  uint
		Sparse bool
	}
	Chunks   []chunkMeta
	Roots    []Root
	Threads  []Thread
	Stats    Stats
	Warnings []string
	// What FrameDescription needs of the catalog.
	Frames      map[uint64]hprof.StackFrame
	Traces      map[uint32]hprof.StackTrace
	LoadClasses []hprof.LoadClass
	Strings     map[uint64]string
}

type chunkMeta struct {
	Pos, SegEnd, End int64
	Base, N          int32
}

// SaveIndex adds the graph's sections to w.
func (g *Graph) SaveIndex(w *index.Writer) error {
	m := graphMeta{Source: g.Source, Dump: g.Dump, Model: g.Model, ModelReason: g.ModelReason, Classes: g.Classes,
		ClassClass: g.ClassClass, PrimClass: g.primClass, Unknown: g.unknown, Roots: g.Roots, Threads: g.Threads,
		Stats: g.Stats, Warnings: g.Warnings, Frames: g.Catalog.Frames, Traces: g.Catalog.Traces,
		LoadClasses: g.Catalog.LoadClasses, Strings: map[uint64]string{}}
	m.IDs.N, m.IDs.Base, m.IDs.Shift, m.IDs.Sparse = g.ids.n, g.ids.base, g.ids.shift, g.ids.sorted != nil
	for _, c := range g.chunks {
		m.Chunks = append(m.Chunks, chunkMeta{c.pos, c.segEnd, c.end, c.base, c.n})
	}
	for _, fr := range g.Catalog.Frames {
		for _, id := range []uint64{fr.MethodID, fr.SignatureID, fr.SourceFileID} {
			m.Strings[id] = g.Catalog.String(id)
		}
	}
	for _, lc := range g.Catalog.LoadClasses {
		m.Strings[lc.NameID] = g.Catalog.String(lc.NameID)
	}
	meta, err := json.Marshal(&m)
	if err != nil {
		return err
	}
	w.Add("meta", meta)
	w.Add("class", index.AsBytes(g.class))
	w.Add("size", index.AsBytes(g.size))
	w.Add("edgeStart", index.AsBytes(g.edgeStart))
	w.Add("edges", index.AsBytes(g.edges))
	w.Add("referent", index.AsBytes(g.referentFirst))
	w.Add("mirror", index.AsBytes(g.mirror))
	w.Add("idSupers", index.AsBytes(g.ids.supers))
	w.Add("idBlocks", index.AsBytes(g.ids.blocks))
	w.Add("idSorted", index.AsBytes(g.ids.sorted))
	w.Add("loose", index.AsBytes(g.loose))
	return nil
}

// LoadIndex rebuilds a graph from the graph part of an index. The arrays
// stay in the part's mapping (keep the part open while the graph is used);
// the dump is opened with open when a record is first needed.
func LoadIndex(p *index.Part, open func() (*hprof.File, error)) (*Graph, error) {
	raw, err := p.Bytes("meta")
	if err != nil {
		return nil, err
	}
	var m graphMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("index graph part: %w", err)
	}
	g := &Graph{openFile: open, Source: m.Source, Dump: m.Dump, Model: m.Model, ModelReason: m.ModelReason,
		Classes: m.Classes, ClassClass: m.ClassClass, primClass: m.PrimClass, unknown: m.Unknown, Roots: m.Roots,
		Threads: m.Threads, Stats: m.Stats, Warnings: m.Warnings,
		Catalog: &hprof.Catalog{Frames: m.Frames, Traces: m.Traces, LoadClasses: m.LoadClasses, Strings: m.Strings}}
	if g.Catalog.Frames == nil {
		g.Catalog.Frames = map[uint64]hprof.StackFrame{}
	}
	if g.Catalog.Traces == nil {
		g.Catalog.Traces = map[uint32]hprof.StackTrace{}
	}
	g.cutSuperLoops() // an index written before loops were cut at the build
	g.classIDs = newIDMap(len(g.Classes) + 64)
	for i, c := range g.Classes {
		if c.ID != 0 {
			g.classIDs.put(c.ID, int32(i))
		}
	}
	for _, c := range m.Chunks {
		g.chunks = append(g.chunks, chunk{c.Pos, c.SegEnd, c.End, c.Base, c.N})
	}
	g.ids = &idIndex{n: m.IDs.N, base: m.IDs.Base, shift: m.IDs.Shift}
	g.evict = p.Evictor()
	arrays := []struct {
		name string
		into func([]byte) bool
	}{
		{"class", func(b []byte) bool { g.class = index.As[ClassIndex](b); return len(g.class) == m.IDs.N }},
		{"size", func(b []byte) bool { g.size = index.As[uint32](b); return len(g.size) == m.IDs.N }},
		{"edgeStart", func(b []byte) bool { g.edgeStart = index.As[uint32](b); return len(g.edgeStart) == m.IDs.N+1 }},
		{"edges", func(b []byte) bool {
			g.edges = index.As[ObjectIndex](b)
			return len(b) == 0 || len(g.edges) > 0
		}},
		{"referent", func(b []byte) bool {
			g.referentFirst = index.As[uint64](b)
			return len(g.referentFirst) == (m.IDs.N+63)/64
		}},
		{"mirror", func(b []byte) bool { g.mirror = index.As[uint64](b); return len(g.mirror) == (m.IDs.N+63)/64 }},
		{"idSupers", func(b []byte) bool {
			g.ids.supers = index.As[int32](b)
			return g.ids.setRuns()
		}},
		{"idBlocks", func(b []byte) bool {
			g.ids.blocks = index.As[rankBlock](b)
			return len(g.ids.blocks) == len(g.ids.runs)*blocksPerSuper && (m.IDs.Sparse || len(g.ids.blocks) > 0 || m.IDs.N == 0)
		}},
		{"idSorted", func(b []byte) bool {
			g.ids.sorted = index.As[uint64](b)
			return !m.IDs.Sparse || len(g.ids.sorted) == m.IDs.N
		}},
		{"loose", func(b []byte) bool { g.loose = index.As[looseOffset](b); return true }},
	}
	for _, a := range arrays {
		b, err := p.Bytes(a.name)
		if err != nil {
			return nil, err
		}
		if !a.into(b) {
			return nil, fmt.Errorf("index graph part: section %s has the wrong length", a.name)
		}
	}
	if n := m.IDs.N; n > 0 && uint64(g.edgeStart[n]) != uint64(len(g.edges)) {
		return nil, fmt.Errorf("index graph part: %d references, the offsets say %d", len(g.edges), g.edgeStart[n])
	}
	if !g.ids.consistent(g.evict) {
		return nil, fmt.Errorf("index graph part: the id index does not count %d objects in order", m.IDs.N)
	}
	return g, nil
}
