package heap

import (
	"fmt"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/index"
)

// The graph part of the index: the per-object arrays as they are in
// memory, and the rest (classes, roots, threads, layout, where records
// are) in the "meta" section, encoded as meta.go says.

// SaveIndex adds the graph's sections to w.
func (g *Graph) SaveIndex(w *index.Writer) error {
	g.checkSize()
	g.checkEdges()
	g.classChecked.Check()
	w.Add("meta", g.encodeMeta())
	w.AddBlocks("class", index.AsBytes(g.class))
	w.AddBlocks("size", index.AsBytes(g.size))
	w.AddBlocks("edgeStart", index.AsBytes(g.edgeStart))
	w.AddBlocks("edges", index.AsBytes(g.edges))
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
	g, ids, err := decodeMeta(raw)
	if err != nil {
		return nil, err
	}
	g.openFile = open
	g.cutSuperLoops() // an index written before loops were cut at the build
	g.classIDs = newIDMap(len(g.Classes) + 64)
	for i, c := range g.Classes {
		if c.ID != 0 {
			g.classIDs.put(c.ID, int32(i))
		}
	}
	g.ids = &idIndex{n: ids.n, base: ids.base, shift: ids.shift}
	g.evict = p.Evictor()
	arrays := []struct {
		name string
		into func([]byte) bool
	}{
		{"class", func(b []byte) bool { g.class = index.As[ClassIndex](b); return len(g.class) == ids.n }},
		{"size", func(b []byte) bool { g.size = index.As[uint32](b); return len(g.size) == ids.n }},
		{"edgeStart", func(b []byte) bool { g.edgeStart = index.As[uint32](b); return len(g.edgeStart) == ids.n+1 }},
		{"edges", func(b []byte) bool {
			g.edges = index.As[ObjectIndex](b)
			return len(b) == 0 || len(g.edges) > 0
		}},
		{"referent", func(b []byte) bool {
			g.referentFirst = index.As[uint64](b)
			return len(g.referentFirst) == (ids.n+63)/64
		}},
		{"mirror", func(b []byte) bool { g.mirror = index.As[uint64](b); return len(g.mirror) == (ids.n+63)/64 }},
		{"idSupers", func(b []byte) bool {
			g.ids.supers = index.As[int32](b)
			return g.ids.setRuns()
		}},
		{"idBlocks", func(b []byte) bool {
			g.ids.blocks = index.As[rankBlock](b)
			return len(g.ids.blocks) == len(g.ids.runs)*blocksPerSuper && (ids.sparse || len(g.ids.blocks) > 0 || ids.n == 0)
		}},
		{"idSorted", func(b []byte) bool {
			g.ids.sorted = index.As[uint64](b)
			return !ids.sparse || len(g.ids.sorted) == ids.n
		}},
		{"loose", func(b []byte) bool { g.loose = index.As[looseOffset](b); return true }},
	}
	// These are checked as they are used: paths and dominators read a
	// few entries (see sizeChecked), and paths --class reads the classes
	// in a scan that checks them on its way, where a check at the load
	// read all 120 MB of the bench dump's once more (0.02-0.04 s).
	deferred := map[string]**index.Deferred{"size": &g.sizeChecked, "edgeStart": &g.startChecked, "edges": &g.edgesChecked, "class": &g.classChecked}
	for _, a := range arrays {
		b, err := p.Load(a.name, deferred[a.name])
		if err != nil {
			return nil, err
		}
		if !a.into(b) {
			return nil, fmt.Errorf("index graph part: section %s has the wrong length", a.name)
		}
	}
	// (This reads one unchecked offset: a wrong one can only fail the
	// load, and a failed load rebuilds the part.)
	if n := ids.n; n > 0 && uint64(g.edgeStart[n]) != uint64(len(g.edges)) {
		return nil, fmt.Errorf("index graph part: %d references, the offsets say %d", len(g.edges), g.edgeStart[n])
	}
	if !g.ids.consistent(g.evict) {
		return nil, fmt.Errorf("index graph part: the id index does not count %d objects in order", ids.n)
	}
	return g, nil
}
