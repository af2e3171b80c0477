package dominator

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/index"
)

// treeMeta is the JSON section of the dominators part.
type treeMeta struct {
	madeWith
	ReachableObjects, UnreachableObjects int64
	ReachableBytes, UnreachableBytes     uint64
	KeptObjects                          int64
	KeptBytes                            uint64
	ThreadLocals                         map[heap.ObjectIndex][]heap.ObjectIndex
}

// SaveIndex adds the tree's sections to w: idom and retained sizes per
// object (the sizes in 4 bytes, with a table of those of 4 GiB or more),
// and the top level in display order.
func (t *Tree) SaveIndex(w *index.Writer, opts Options) error {
	meta, err := json.Marshal(&treeMeta{madeWith: madeWithOf(opts), ReachableObjects: t.ReachableObjects, UnreachableObjects: t.UnreachableObjects,
		ReachableBytes: t.ReachableBytes, UnreachableBytes: t.UnreachableBytes, KeptObjects: t.KeptObjects, KeptBytes: t.KeptBytes, ThreadLocals: t.ThreadLocals})
	if err != nil {
		return err
	}
	w.Add("meta", meta)
	t.idomChecked.Check()
	t.retainedChecked.Check()
	w.AddBlocks("idom", index.AsBytes(t.idom))
	if t.retained == nil {
		return errors.New("dominators: a tree mapped from an index saved to one") // it has no 8-byte sizes
	}
	w.AddBlocksFunc("retained4", 4*len(t.retained), func(dst []byte, off int) {
		d := index.As[uint32](dst)
		for i, r := range t.retained[off/4 : off/4+len(d)] {
			d[i] = uint32(min(r, retainedOver))
		}
	})
	// No object retains more than the tree holds: unless that is 4 GiB
	// or more, the table is empty without a pass over the sizes (240 MB
	// on the bench dump, 0.06 s of a first run's CPU time).
	var big []uint64
	if t.ReachableBytes >= retainedOver {
		for o, r := range t.retained {
			if r >= retainedOver {
				big = append(big, uint64(o), r)
			}
		}
	}
	w.Add("bigRetained", index.AsBytes(big))
	w.Add("topLevel", index.AsBytes(t.Children(heap.None)))
	return nil
}

// LoadIndex rebuilds the tree of g from a dominators part made with the
// same options; ok is false when the part was made with others.
func LoadIndex(p *index.Part, g *heap.Graph, opts Options) (t *Tree, ok bool, err error) {
	var m treeMeta
	if err := readMeta(p, "dominators", &m); err != nil {
		return nil, false, err
	}
	if m.madeWith != madeWithOf(opts) {
		return nil, false, nil
	}
	t = &Tree{g: g, ReachableObjects: m.ReachableObjects, UnreachableObjects: m.UnreachableObjects,
		ReachableBytes: m.ReachableBytes, UnreachableBytes: m.UnreachableBytes, KeptObjects: m.KeptObjects, KeptBytes: m.KeptBytes, ThreadLocals: m.ThreadLocals}
	n := g.NumObjects()
	// idom and retained are checked as they are used (idomChecked,
	// retainedChecked): dominators and paths read a few entries of them.
	deferred := map[string]**index.Deferred{"idom": &t.idomChecked, "retained4": &t.retainedChecked}
	for _, s := range []struct {
		name string
		into func([]byte) bool
	}{
		{"idom", func(b []byte) bool { t.idom = index.As[int32](b); return len(t.idom) == n }},
		{"retained4", func(b []byte) bool { t.retained4 = index.As[uint32](b); return len(t.retained4) == n }},
		{"bigRetained", func(b []byte) bool {
			t.bigRetained = index.As[uint64](b)
			return validBigRetained(t.bigRetained, n) && len(b) == 8*len(t.bigRetained)
		}},
		{"topLevel", func(b []byte) bool {
			t.topLevel = index.As[heap.ObjectIndex](b)
			return t.topLevel != nil || len(b) == 0
		}},
	} {
		b, err := p.Load(s.name, deferred[s.name])
		if err != nil {
			return nil, false, err
		}
		if !s.into(b) {
			return nil, false, fmt.Errorf("index dominators part: section %s has the wrong length", s.name)
		}
	}
	if t.topLevel == nil {
		t.topLevel = []heap.ObjectIndex{}
	}
	t.topOnce.Do(func() {}) // topLevel is the index's
	t.evict = p.Evictor()
	t.indexPath = p.Path()
	return t, true, nil
}

// validBigRetained reports whether pairs is a bigRetained section for n
// objects: pairs of object and size, objects in increasing order and
// below n, sizes that retained4 could not hold.
func validBigRetained(pairs []uint64, n int) bool {
	if len(pairs)%2 != 0 {
		return false
	}
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i] >= uint64(n) || pairs[i+1] < retainedOver || i > 0 && pairs[i] <= pairs[i-2] {
			return false
		}
	}
	return true
}

// LoadUnreachable reads how many objects, and bytes, the tree in a
// dominators part made with opts leaves out as unreachable, from its meta
// alone (idom and retained are not mapped); ok is false when the part was
// made with other options.
func LoadUnreachable(p *index.Part, opts Options) (objects int64, bytes uint64, ok bool, err error) {
	var m struct {
		madeWith
		UnreachableObjects int64
		UnreachableBytes   uint64
	}
	if err := readMeta(p, "dominators", &m); err != nil {
		return 0, 0, false, err
	}
	if m.madeWith != madeWithOf(opts) {
		return 0, 0, false, nil
	}
	return m.UnreachableObjects, m.UnreachableBytes, true, nil
}

// madeWith is the options a part's tree was made with, in its meta.
type madeWith struct{ IgnoreWeak, KeepUnreachable bool }

func madeWithOf(opts Options) madeWith { return madeWith{opts.IgnoreWeak, opts.KeepUnreachable} }

// readMeta decodes the meta section of a part into m.
func readMeta(p *index.Part, part string, m any) error {
	raw, err := p.Bytes("meta")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, m); err != nil {
		return fmt.Errorf("index %s part: %w", part, err)
	}
	return nil
}

// classesMeta says which tree a classes part was made from.
type classesMeta struct {
	madeWith
	Classes int
	// Warnings are the graph's (heap.Graph.Warnings): the sizes rest on
	// it, and a command they answer reads no graph to give them.
	Warnings []string
}

// SaveClassRetained adds the classes' retained sizes (ClassRetained) of a
// tree made with opts to w, with the warnings of its graph.
func SaveClassRetained(w *index.Writer, opts Options, retained []uint64, warnings []string) error {
	meta, err := json.Marshal(&classesMeta{madeWith: madeWithOf(opts), Classes: len(retained), Warnings: warnings})
	if err != nil {
		return err
	}
	w.Add("meta", meta)
	w.Add("retained", index.AsBytes(retained))
	return nil
}

// LoadClassRetained reads the classes' retained sizes from a classes part
// made with opts, and the warnings of the graph they were computed on; ok
// is false when the part was made with other options. The sizes are a
// copy: the part may be closed.
func LoadClassRetained(p *index.Part, opts Options) (retained []uint64, warnings []string, ok bool, err error) {
	var m classesMeta
	if err := readMeta(p, "classes", &m); err != nil {
		return nil, nil, false, err
	}
	if m.madeWith != madeWithOf(opts) {
		return nil, nil, false, nil
	}
	b, err := p.Bytes("retained")
	if err != nil {
		return nil, nil, false, err
	}
	if r := index.As[uint64](b); len(r) == m.Classes && len(b) == 8*m.Classes {
		return slices.Clone(r), m.Warnings, true, nil
	}
	return nil, nil, false, fmt.Errorf("index classes part: %d bytes for %d classes", len(b), m.Classes)
}
