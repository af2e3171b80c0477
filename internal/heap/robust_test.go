package heap

import (
	"errors"
	"os"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// exercise builds a graph from data and calls every accessor on every
// object: whatever parses must be safe to use.
func exercise(t testing.TB, data []byte, opts hprof.Options) error {
	f, err := hprof.OpenBytes("fuzz.hprof", data, opts)
	if err != nil {
		return err
	}
	defer f.Close()
	cat, err := f.ReadCatalog()
	if err != nil {
		return err
	}
	g, err := Build(f, cat, Options{Dump: -1, Workers: 2})
	if err != nil {
		return err
	}
	for i := 0; i < g.NumObjects(); i++ {
		o := ObjectIndex(i)
		for _, r := range g.Refs(o) {
			if r < 0 || int(r) >= g.NumObjects() {
				t.Fatalf("reference out of range: %d", r)
			}
		}
		if g.Lookup(g.ID(o)) != o {
			t.Fatalf("Lookup(ID(%d)) != %d", o, o)
		}
		_ = g.ShallowSize(o)
		_ = g.Kind(o)
		_ = g.ClassObject(o)
		_ = g.ReferentFirst(o)
		g.InstanceFields(o)
		g.StringValue(o)
		g.ThreadName(o)
	}
	_ = g.Histogram()
	for _, c := range g.Classes {
		_ = SourceName(c.Name)
	}
	return nil
}

func TestTruncatedEverywhere(t *testing.T) {
	data, err := os.ReadFile(repoFile(t, "testdata/dumps/Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	step := len(data)/300 + 1
	for cut := 0; cut < len(data); cut += step {
		err := exercise(t, data[:cut], hprof.Options{})
		var fe *hprof.FormatError
		if err == nil {
			continue // a cut exactly at a record boundary is a valid, smaller dump
		}
		if !errors.As(err, &fe) && !hprof.IsTruncated(err) {
			t.Fatalf("cut at %d: %v is not a format error", cut, err)
		}
		if err := exercise(t, data[:cut], hprof.Options{AllowTruncated: true}); err != nil && !hprof.IsTruncated(err) && !errors.As(err, &fe) {
			t.Fatalf("cut at %d, allowed: %v", cut, err)
		}
	}
}

func fuzzSeeds(f *testing.F) {
	w := hproftest.New(8, "")
	arr := w.ObjectArrayClass()
	a, b := w.NewID(), w.NewID()
	w.ObjArray(a, arr, []uint64{b, a})
	w.ObjArray(b, arr, []uint64{a, 0x99990})
	w.PrimArray(w.NewID(), hprof.TypeLong, 2, nil)
	w.Root(hprof.SubRootJNIGlobal, a, 0, 0)
	f.Add(w.Bytes())
	w4 := hproftest.New(4, "JAVA PROFILE 1.0.1")
	obj := w4.Class("java/lang/Object", 0, 0, nil, nil)
	str := w4.Class("java/lang/String", obj, 0, nil, []hproftest.Field{{Name: "value", Type: hprof.TypeObject}})
	c := w4.NewID()
	w4.PrimArray(c, hprof.TypeChar, 2, []byte{0, 'h', 0, 'i'})
	w4.Instance(w4.NewID(), str, []hprof.BasicType{hprof.TypeObject}, []uint64{c})
	f.Add(w4.Bytes())
}

func FuzzBuild(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		exercise(t, data, hprof.Options{AllowTruncated: len(data)%2 == 0})
	})
}
