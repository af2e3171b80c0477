package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
)

// peerRow is one line of scripts/peer.sh all.
type peerRow struct {
	class             string
	shallow, retained int64
}

// readPeer reads scripts/peer.sh all's output into per-object slices
// (shallow and retained -1 for objects it does not list), and returns the
// ids leakscan has no object for.
func readPeer(g *heap.Graph, path string) (rows []peerRow, missing []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rows = make([]peerRow, g.NumObjects())
	for i := range rows {
		rows[i] = peerRow{shallow: -1, retained: -1}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		col := strings.Split(sc.Text(), "\t")
		if len(col) < 4 {
			return nil, nil, fmt.Errorf("%s:%d: want id, class, shallow, retained", path, line)
		}
		id, err1 := strconv.ParseUint(strings.TrimPrefix(col[0], "0x"), 16, 64)
		sh, err2 := strconv.ParseInt(col[2], 10, 64)
		rt, err3 := strconv.ParseInt(col[3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, nil, fmt.Errorf("%s:%d: bad number", path, line)
		}
		o := g.Lookup(id)
		if o == heap.None {
			missing = append(missing, col[0]+" "+col[1])
			continue
		}
		rows[o] = peerRow{class: col[1], shallow: sh, retained: rt}
	}
	return rows, missing, sc.Err()
}

// step moves one semantic choice from leakscan's to VisualVM's.
type step struct {
	name, what string
	apply      func(*semantics)
}

// steps go from leakscan's semantics to VisualVM's, one choice at a time;
// a difference is put down to every step that changes the object's
// retained size.
var steps = []step{
	{"sizes", "shallow sizes as VisualVM gives them (class object = a java.lang.Class instance by its declared fields; no VM-injected fields)", func(s *semantics) { s.vvSizes = true }},
	{"locals", "stack locals of a thread are GC roots of their own, not thread -> local references", func(s *semantics) { s.localsRoots = true }},
	{"classrefs", "a class object references its loader and statics only (no superclass, signers, protection domain)", func(s *semantics) { s.classRefs = refLoader | refStatics }},
	{"classedge", "instance -> class only from the first instance the root search meets, when it reaches the class", func(s *semantics) { s.classEdges = firstInstance }},
	{"referent", "what roots reach only through Reference.referent is unreachable (retained 0)", func(s *semantics) { s.strongOnly = true }},
	{"unreached", "an object an unreachable object references is dominated by the super-root only", func(s *semantics) { s.unreachedReferrers = true }},
	{"sums", "VisualVM's sums: a class object's own size counts only inside a tree; a class-headed tree never reaches its dominators", func(s *semantics) { s.vvSums = true }},
}

// compare joins leakscan's retained sizes with VisualVM's and explains
// each difference by the steps above.
func compare(g *heap.Graph, t *dominator.Tree, vvPath string, w io.Writer) error {
	rows, missing, err := readPeer(g, vvPath)
	if err != nil {
		return err
	}
	n := g.NumObjects()
	vvSize := make([]int64, n)
	for o, r := range rows {
		vvSize[o] = r.shallow
	}
	rets := make([][]int64, len(steps)+1)
	s := leakscanSemantics
	rets[0], _ = emulate(g, s, vvSize)
	for k, st := range steps {
		st.apply(&s)
		rets[k+1], _ = emulate(g, s, vvSize)
	}
	final := rets[len(steps)]
	at := func(k, o int) int64 { return max(rets[k][o], 0) }

	// The emulator under leakscan's semantics must agree with leakscan.
	var selfDiff []int
	for o := range n {
		if uint64(at(0, o)) != t.Retained(heap.ObjectIndex(o)) {
			selfDiff = append(selfDiff, o)
		}
	}

	compared, equal, listed := 0, 0, 0
	var diff []int
	sizeDiff := map[string][3]int64{} // class -> count, leakscan size, VisualVM size (of one)
	for o, r := range rows {
		if r.retained < 0 {
			continue
		}
		listed++
		compared++
		if int64(t.Retained(heap.ObjectIndex(o))) == r.retained {
			equal++
		} else {
			diff = append(diff, o)
		}
		if ls := int64(g.ShallowSize(heap.ObjectIndex(o))); ls != r.shallow {
			c := sizeDiff[r.class]
			sizeDiff[r.class] = [3]int64{c[0] + 1, ls, r.shallow}
		}
	}
	fmt.Fprintf(w, "dump %s\n", g.Source.Path)
	fmt.Fprintf(w, "objects compared %d, equal %d, different %d (leakscan: %d objects, %d reachable; ids only VisualVM lists: %d)\n",
		compared, equal, len(diff), n, t.ReachableObjects, len(missing))
	for _, m := range first(missing, 5) {
		fmt.Fprintf(w, "  only in VisualVM: %s\n", m)
	}
	fmt.Fprintf(w, "emulator under leakscan's semantics vs leakscan's tree: %d objects differ\n", len(selfDiff))
	for _, o := range first(selfDiff, 5) {
		fmt.Fprintf(w, "  0x%x %s emulated %d leakscan %d\n", g.ID(heap.ObjectIndex(o)), g.ObjectLabel(heap.ObjectIndex(o), true), at(0, o), t.Retained(heap.ObjectIndex(o)))
	}

	fmt.Fprintf(w, "\nshallow sizes that differ, by class (objects, leakscan, VisualVM):\n")
	for _, c := range sortedKeys(sizeDiff, func(a, b [3]int64) bool { return a[0] > b[0] }) {
		v := sizeDiff[c]
		fmt.Fprintf(w, "  %7d  %-50s %6d %6d\n", v[0], c, v[1], v[2])
	}

	// Causes: the steps that change each differing object.
	byStep := make([][]int, len(steps))
	byCombo := map[string]int{}
	byClass := map[string]int{}
	var unexplained []int
	for _, o := range diff {
		byClass[rows[o].class]++
		if at(len(steps), o) != rows[o].retained {
			unexplained = append(unexplained, o)
			byCombo["UNEXPLAINED"]++
			continue
		}
		var names []string
		for k := range steps {
			if at(k, o) != at(k+1, o) {
				byStep[k] = append(byStep[k], o)
				names = append(names, steps[k].name)
			}
		}
		byCombo[strings.Join(names, "+")]++
	}
	fmt.Fprintf(w, "\ndifferences by cause (an object counts under every step that changes its retained size):\n")
	for k, st := range steps {
		fmt.Fprintf(w, "  %-10s %7d  %s\n", st.name, len(byStep[k]), st.what)
		if len(byStep[k]) > 0 {
			// The example: the biggest change this step makes.
			best := byStep[k][0]
			for _, o := range byStep[k] {
				if abs(at(k+1, o)-at(k, o)) > abs(at(k+1, best)-at(k, best)) {
					best = o
				}
			}
			fmt.Fprintf(w, "  %-10s          e.g. 0x%x %s: leakscan %d, VisualVM %d; this step %d -> %d\n", "", g.ID(heap.ObjectIndex(best)),
				label(g, best), t.Retained(heap.ObjectIndex(best)), rows[best].retained, at(k, best), at(k+1, best))
		}
	}
	fmt.Fprintf(w, "\ndifferences by combination of causes:\n")
	for _, c := range sortedKeys(byCombo, func(a, b int) bool { return a > b }) {
		fmt.Fprintf(w, "  %7d  %s\n", byCombo[c], c)
	}
	fmt.Fprintf(w, "\ndifferences by class (top 20):\n")
	for _, c := range first(sortedKeys(byClass, func(a, b int) bool { return a > b }), 20) {
		fmt.Fprintf(w, "  %7d  %s\n", byClass[c], c)
	}
	fmt.Fprintf(w, "\nunexplained (VisualVM differs from the emulation of all steps): %d\n", len(unexplained))
	for _, o := range first(unexplained, 20) {
		fmt.Fprintf(w, "  0x%x %s: leakscan %d, VisualVM %d, emulated %d (shallow %d / %d)\n", g.ID(heap.ObjectIndex(o)), label(g, o),
			t.Retained(heap.ObjectIndex(o)), rows[o].retained, final[o], g.ShallowSize(heap.ObjectIndex(o)), rows[o].shallow)
	}
	return nil
}

func label(g *heap.Graph, o int) string { return g.ObjectLabel(heap.ObjectIndex(o), true) }

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func first[T any](s []T, k int) []T { return s[:min(k, len(s))] }

// sortedKeys orders m's keys by value (less), then by key.
func sortedKeys[V any](m map[string]V, less func(a, b V) bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := m[keys[i]], m[keys[j]]
		if less(a, b) {
			return true
		}
		if less(b, a) {
			return false
		}
		return keys[i] < keys[j]
	})
	return keys
}
