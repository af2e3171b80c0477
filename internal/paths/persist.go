package paths

import (
	"fmt"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/index"
)

// SaveIndex adds the search's parent array to w; only searches with the
// default options are worth keeping.
func (s *Search) SaveIndex(w *index.Writer) {
	if s.partial {
		panic("paths: a search stopped at its targets saved as the whole search")
	}
	s.parentChecked.Check()
	w.AddBlocks("parent", index.AsBytes(s.parent))
}

// IsDefault reports whether opts are the defaults, the only search the
// index keeps.
func (o Options) IsDefault() bool { return !o.IncludeWeak && len(o.Exclude) == 0 && !o.KeepUnreachable }

// LoadIndex rebuilds a default search of g from a paths part.
func LoadIndex(p *index.Part, g *heap.Graph) (*Search, error) {
	var checked *index.Deferred
	b, err := p.Load("parent", &checked) // checked as read: see parentChecked
	if err != nil {
		return nil, err
	}
	parent := index.As[int32](b)
	if len(parent) != g.NumObjects() {
		return nil, fmt.Errorf("index paths part: %d parents for %d objects", len(parent), g.NumObjects())
	}
	s := newSearch(g, Options{})
	s.parent, s.parentChecked = parent, checked
	s.evict = p.Evictor()
	return s, nil
}
