package leaks

import (
	"testing"

	"github.com/leakscan/leakscan/internal/heap/heaptest"
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// Scala 2.13's mutable.HashMap keeps its entries in nodes with _key,
// _value and _next (2.12's DefaultEntry has key, value, next): spark's
// memoryForTask read as empty on executors built with 2.13.
func TestScala213HashMap(t *testing.T) {
	w := hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	long := w.Class("java/lang/Long", obj, 0, nil, []hproftest.Field{{Name: "value", Type: hprof.TypeLong}})
	nodeClass := w.Class("scala/collection/mutable/HashMap$Node", obj, 0, nil, []hproftest.Field{
		{Name: "_key", Type: hprof.TypeObject}, {Name: "_hash", Type: hprof.TypeInt}, {Name: "_value", Type: hprof.TypeObject}, {Name: "_next", Type: hprof.TypeObject}})
	mapClass := w.Class("scala/collection/mutable/HashMap", obj, 0, nil, []hproftest.Field{{Name: "table", Type: hprof.TypeObject}})
	arr := w.ObjectArrayClass()
	boxed := func(v uint64) uint64 {
		id := w.NewID()
		w.Instance(id, long, []hprof.BasicType{hprof.TypeLong}, []uint64{v})
		return id
	}
	types := []hprof.BasicType{hprof.TypeObject, hprof.TypeInt, hprof.TypeObject, hprof.TypeObject}
	n1, n2, table, m := w.NewID(), w.NewID(), w.NewID(), w.NewID()
	w.Instance(n2, nodeClass, types, []uint64{boxed(224), 0, boxed(2048), 0})
	w.Instance(n1, nodeClass, types, []uint64{boxed(223), 0, boxed(1024), n2}) // a chain in one bucket
	w.ObjArray(table, arr, []uint64{0, n1, 0, 0})
	w.Instance(m, mapClass, []hprof.BasicType{hprof.TypeObject}, []uint64{table})
	w.Root(hprof.SubRootJNIGlobal, m, 0, 0)
	g := heaptest.Build(t, w.Bytes())
	got := map[int64]int64{}
	for _, e := range elements(g, g.Lookup(m), 100) {
		k, _ := readFields(g, e.key).num("value")
		v, _ := readFields(g, e.value).num("value")
		got[k] = v
	}
	if len(got) != 2 || got[223] != 1024 || got[224] != 2048 {
		t.Errorf("entries %v, want 223: 1024 and 224: 2048", got)
	}
}
