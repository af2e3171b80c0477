package heap

import (
	"fmt"

	"github.com/leakscan/leakscan/internal/index"
)

// SaveIndex adds the census to w, encoded as meta.go says.
func (c *Census) SaveIndex(w *index.Writer) error {
	var e index.Enc
	encodeClasses(&e, c.Classes)
	index.EncodeList(&e, c.Rows, func(r ClassStats) {
		e.Int(int64(r.Class))
		e.Int(r.Instances)
		e.Uint(r.ShallowBytes)
	})
	encodeModel(&e, c.Model, c.ModelReason)
	e.Int(c.Objects)
	encodeStrings(&e, c.Warnings)
	e.Int(c.TruncatedAt)
	w.Add("census", e.Bytes())
	return nil
}

// LoadCensus reads a census part.
func LoadCensus(p *index.Part) (*Census, error) {
	b, err := p.Bytes("census")
	if err != nil {
		return nil, err
	}
	d := index.NewDec(b, "census")
	c := &Census{Classes: decodeClasses(d)}
	c.Rows = index.DecodeList(d, 3, func() ClassStats {
		return ClassStats{Class: ClassIndex(d.Int32()), Instances: d.Int(), ShallowBytes: d.Uint()}
	})
	c.Model, c.ModelReason = decodeModel(d)
	c.Objects = d.Int()
	c.Warnings = decodeStrings(d)
	c.TruncatedAt = d.Int()
	if err := d.Done(); err != nil {
		return nil, err
	}
	for i, r := range c.Rows {
		if r.Class < 0 || int(r.Class) >= len(c.Classes) {
			return nil, fmt.Errorf("index census part: row %d names class %d of %d", i, r.Class, len(c.Classes))
		}
	}
	return c, nil
}
