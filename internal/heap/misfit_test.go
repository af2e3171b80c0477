package heap

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// bothWarnings builds the graph and the one-pass census of the dump data
// and returns their warnings, which must say the same of its classes and
// instances.
func bothWarnings(t *testing.T, data []byte) (*Graph, []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.hprof")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, cat := openDump(t, path)
	census, err := ScanCensus(f, cat, Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(f, cat, Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	keep := func(ws []string) []string {
		return slices.DeleteFunc(slices.Clone(ws), func(w string) bool { return IsGuessWarning(w) || strings.Contains(w, "references name ids") })
	}
	if gw, cw := keep(g.Warnings), keep(census.Warnings); !slices.Equal(gw, cw) {
		t.Errorf("the graph warns\n%q\nthe census\n%q", gw, cw)
	}
	return g, keep(g.Warnings)
}

// TestMisfitInstances: instances whose field bytes are not what their
// class's fields take (a field's type changed in a damaged dump: ChainNode's
// int made a long, and the suspects changed without a word), or whose class
// id no CLASS DUMP has, are warned of with the first one's offset, by the
// graph's parse and the census's alike.
func TestMisfitInstances(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	node := w.Class("com/acme/Node", obj, 0, nil, []hproftest.Field{{Name: "index", Type: hprof.TypeLong}, {Name: "next", Type: hprof.TypeObject}})
	good := w.NewID()
	w.Instance(good, node, []hprof.BasicType{hprof.TypeLong, hprof.TypeObject}, []uint64{1, 0})
	for range 3 { // an int where the class says long: 12 bytes, not 16
		w.Instance(w.NewID(), node, []hprof.BasicType{hprof.TypeInt, hprof.TypeObject}, []uint64{1, good})
	}
	w.Instance(w.NewID(), 0x7777788, nil, nil)
	_, warnings := bothWarnings(t, w.Bytes())
	want := []string{
		"1 instance names a class that the dump has no CLASS DUMP of (the first: the INSTANCE DUMP at offset ",
		"3 instances hold other than the bytes its class's fields take (the first: the INSTANCE DUMP at offset ",
		"a com.acme.Node of 12 bytes where its fields and its superclasses' take 16; a damaged dump)",
		"class id 0x7777788): counted as <unknown class>",
	}
	all := strings.Join(warnings, "\n")
	for _, s := range want {
		if !strings.Contains(all, s) {
			t.Errorf("no %q in the warnings:\n%s", s, all)
		}
	}
}

// TestDamagedSuperclasses: a class that is its own superclass, or whose
// superclass no CLASS DUMP describes, is taken as having none, with a
// warning (they were dropped without one); and a chain of superclasses
// deeper than maxSuperDepth is cut every maxSuperDepth classes, so that
// laying out its fields costs no more than the square of that (10,000
// classes deep took 1.5 GB and 16 s).
func TestDamagedSuperclasses(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	self := w.NewID()
	w.ClassWithID(self, "Self", self, 0, nil, nil)
	w.Class("Orphan", 0x5555550, 0, nil, nil)
	const deep = 1000
	super := obj
	for i := range deep {
		super = w.Class("Deep"+strings.Repeat("x", i%3), super, 0, nil, []hproftest.Field{{Name: "f", Type: hprof.TypeInt}})
	}
	g, warnings := bothWarnings(t, w.Bytes())
	all := strings.Join(warnings, "\n")
	for _, s := range []string{
		"class Self names itself as its superclass (a damaged dump): taken as having none",
		"class Orphan names a superclass the dump has no CLASS DUMP of (id 0x5555550): taken as having none",
		"superclasses go more than 64 classes deep (a damaged dump): the chains are cut every 64 classes, 15 cuts",
	} {
		if !strings.Contains(all, s) {
			t.Errorf("no %q in the warnings:\n%s", s, all)
		}
	}
	for i := range g.Classes {
		depth := 0
		for c := ClassIndex(i); c >= 0; c = g.Classes[c].Super {
			depth++
		}
		if depth > int(maxSuperDepth) {
			t.Errorf("%s is %d classes deep", g.Classes[i].Name, depth)
		}
	}
}

// TestLoadClassWithoutName: a LOAD CLASS record naming a string id that
// no UTF8 record has is warned of, and its class keeps a name (a class
// named by its id where none other names it): the name was "", a blank
// histogram row.
func TestLoadClassWithoutName(t *testing.T) {
	w := hproftest.New(8, "")
	w.Class("java/lang/Object", 0, 0, nil, nil)
	named := w.Class("com/acme/Named", 0, 0, nil, nil)
	lc := binary.BigEndian.AppendUint32(nil, 99)
	lc = binary.BigEndian.AppendUint64(lc, named)
	lc = binary.BigEndian.AppendUint32(lc, 0)
	lc = binary.BigEndian.AppendUint64(lc, 0x7777798)
	w.Record(hprof.TagLoadClass, lc)
	g, warnings := bothWarnings(t, w.Bytes())
	if want := fmt.Sprintf("LOAD CLASS records name strings the dump has no UTF8 record of (the first: class 0x%x, string id 0x7777798)", named); !strings.Contains(strings.Join(warnings, "\n"), want) {
		t.Errorf("no %q in %q", want, warnings)
	}
	for _, c := range g.Classes {
		if c.Name == "" {
			t.Errorf("a class without a name: %+v", c)
		}
	}
}
