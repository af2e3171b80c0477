// Package checktest builds heaps that tests of check's rules share.
package checktest

import (
	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

// SessionsAndLinks starts a dump with the classes com.acme.Session and
// com.acme.Link, each with two reference fields, a and b.
func SessionsAndLinks() (w *hproftest.Writer, session, link uint64, refs []hprof.BasicType) {
	w = hproftest.New(8, "")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	two := []hproftest.Field{{Name: "a", Type: hprof.TypeObject}, {Name: "b", Type: hprof.TypeObject}}
	session = w.Class("com/acme/Session", obj, 0, nil, two)
	link = w.Class("com/acme/Link", obj, 0, nil, two)
	return w, session, link, []hprof.BasicType{hprof.TypeObject, hprof.TypeObject}
}

// CrossingWalks returns a dump whose path rule through com.acme.Session.a
// has more walks crossing at one object than slots: Sessions y1 … yN
// (N = slots), each a root holding the next by b (yN holding a last
// Session T) and a Link p by a, p holding y1 by a, and one more root
// Session holding p by a. p turns a walk away at every slot, so with N
// slots y1 … y(N-1) are flagged (each through the walks of the ones after
// it), and yN and T, which need the last root's walk, cannot be told.
func CrossingWalks(slots int) []byte {
	w, session, link, refs := SessionsAndLinks()
	ys := make([]uint64, slots)
	for i := range ys {
		ys[i] = w.NewID()
	}
	b, p, t := w.NewID(), w.NewID(), w.NewID()
	for i, y := range ys {
		next := t
		if i+1 < len(ys) {
			next = ys[i+1]
		}
		w.Instance(y, session, refs, []uint64{p, next})
		w.Root(hprof.SubRootJNIGlobal, y, 0, 0)
	}
	w.Instance(b, session, refs, []uint64{p, 0})
	w.Instance(p, link, refs, []uint64{ys[0], 0})
	w.Instance(t, session, refs, []uint64{0, 0})
	w.Root(hprof.SubRootJNIGlobal, b, 0, 0)
	return w.Bytes()
}
