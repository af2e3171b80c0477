package leaks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
)

// Suspects are MAT's: top-level dominators alone, or grouped by class. On
// each fixture the groups are checked against a naive grouping of every
// object only the super-root dominates, and no two suspects may share
// memory: before, a class suspect summed every object of its class, so
// HashMap, HashMap$Node[] and HashMap$Node on Netty's dump each counted the
// same maps, 146% of the heap in all.
func TestSuspectsAreDisjoint(t *testing.T) {
	for _, dump := range []string{"Netty.hprof", "Basic.hprof", "JobServer.hprof", "Spark22713.hprof"} {
		a := fixture(t, dump)
		const threshold = 0.10
		min := uint64(threshold * float64(a.t.ReachableBytes))
		// The naive answer: every top-level object, by class name
		// (class objects as java.lang.Class), object suspects apart.
		type sum struct {
			retained uint64
			count    int64
		}
		groups := map[string]*sum{}
		objectNames := map[string]bool{}
		var objects int
		for o := range a.g.NumObjects() {
			x := heap.ObjectIndex(o)
			if a.t.Idom(x) != dominator.TopLevel {
				continue
			}
			name := groupName(a.g, x)
			if a.t.Retained(x) >= min {
				objectNames[name] = true
				objects++
				continue
			}
			key := name
			if !a.g.IsClassObject(x) {
				key = fmt.Sprintf("%s@%d", name, a.g.ClassOf(x)) // loaders apart
			}
			if groups[key] == nil {
				groups[key] = &sum{}
			}
			groups[key].retained += a.t.Retained(x)
			groups[key].count++
		}
		var want int
		for k, s := range groups {
			name, _, _ := strings.Cut(k, "@")
			if s.retained >= min && !objectNames[name] {
				want++
			}
		}
		sus := Suspects(a.g, a.t, a.s, threshold)
		var total uint64
		var got, gotObjects int
		for _, sp := range sus {
			total += sp.Retained
			switch sp.Kind {
			case "class":
				got++
				if objectNames[sp.Class] {
					t.Errorf("%s: class suspect %s beside an object suspect of that class", dump, sp.Class)
				}
			case "object":
				gotObjects++
			}
		}
		if got != want || gotObjects != objects {
			t.Errorf("%s: %d class and %d object suspects; the naive grouping gives %d and %d", dump, got, gotObjects, want, objects)
		}
		if total > a.t.ReachableBytes {
			t.Errorf("%s: suspects retain %d bytes together, more than the reachable heap's %d", dump, total, a.t.ReachableBytes)
		}
	}
}
