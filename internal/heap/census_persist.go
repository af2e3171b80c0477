package heap

import (
	"encoding/json"
	"fmt"

	"github.com/leakscan/leakscan/internal/index"
)

// SaveIndex adds the census to w.
func (c *Census) SaveIndex(w *index.Writer) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	w.Add("census", b)
	return nil
}

// LoadCensus reads a census part.
func LoadCensus(p *index.Part) (*Census, error) {
	b, err := p.Bytes("census")
	if err != nil {
		return nil, err
	}
	var c Census
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("index census part: %w", err)
	}
	return &c, nil
}
