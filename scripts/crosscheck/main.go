// Command crosscheck compares leakscan's retained sizes, object by object,
// with those of VisualVM's heap library (scripts/peer.sh all). See
// README.md in this folder.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage: crosscheck list DUMP              every reachable object: id, class, shallow, retained
       crosscheck compare DUMP VISUALVM.tsv  join with scripts/peer.sh all's output, explain differences`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 3 {
		usage()
	}
	// CROSSCHECK_DUMP picks the heap dump of a file holding several
	// (0-based); leakscan's default is the last.
	dump := -1
	if d, err := strconv.Atoi(os.Getenv("CROSSCHECK_DUMP")); err == nil {
		dump = d
	}
	g, err := heap.Open(os.Args[2], hprof.Options{}, heap.Options{Dump: dump})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crosscheck:", err)
		os.Exit(1)
	}
	t := dominator.Compute(g, dominator.Options{})
	switch {
	case os.Args[1] == "list" && len(os.Args) == 3:
		list(g, t)
	case os.Args[1] == "compare" && len(os.Args) == 4:
		if err := compare(g, t, os.Args[3], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "crosscheck:", err)
			os.Exit(1)
		}
	case os.Args[1] == "try" && len(os.Args) == 5:
		if err := try(g, os.Args[3], os.Args[4]); err != nil {
			fmt.Fprintln(os.Stderr, "crosscheck:", err)
			os.Exit(1)
		}
	default:
		usage()
	}
}

// className is the class column VisualVM prints: java.lang.Class for class
// objects, the JVM name ("[I", "java.lang.String") otherwise.
func className(g *heap.Graph, o heap.ObjectIndex) string {
	if g.IsClassObject(o) {
		return "java.lang.Class"
	}
	return heap.SourceName(g.Classes[g.ClassOf(o)].Name)
}

// list prints every reachable object in the columns of peer.sh all.
func list(g *heap.Graph, t *dominator.Tree) {
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer w.Flush()
	for o := heap.ObjectIndex(0); int(o) < g.NumObjects(); o++ {
		if t.Idom(o) == dominator.Unreachable {
			continue
		}
		fmt.Fprintf(w, "0x%x\t%s\t%d\t%d", g.ID(o), className(g, o), g.ShallowSize(o), t.Retained(o))
		if g.IsClassObject(o) {
			fmt.Fprintf(w, "\t%s", g.ClassNameOfMirror(o))
		}
		w.WriteString("\n")
	}
}

// try prints how many objects' retained sizes under the semantics knobs
// names equal VisualVM's, for exploring.
func try(g *heap.Graph, vvPath, knobs string) error {
	rows, missing, err := readPeer(g, vvPath)
	if err != nil {
		return err
	}
	s := leakscanSemantics
	for _, k := range strings.Split(knobs, ",") {
		switch {
		case k == "size":
			s.vvSizes = true
		case k == "noclass":
			s.classEdges = noInstance
		case k == "firstclass":
			s.classEdges = firstInstance
		case k == "locals":
			s.localsRoots = true
		case k == "vvsum":
			s.vvSums = true
		case k == "unreached":
			s.unreachedReferrers = true
		case k == "strong":
			s.strongOnly = true
		case strings.HasPrefix(k, "cls="):
			s.classRefs = 0
			for _, c := range k[4:] {
				s.classRefs |= map[rune]uint8{'S': refSuper, 'L': refLoader, 'G': refSigners, 'P': refDomain, 'T': refStatics}[c]
			}
		}
	}
	vv := make([]int64, len(rows))
	for i, r := range rows {
		vv[i] = r.shallow
	}
	ret, dom := emulate(g, s, vv)
	if id := os.Getenv("CROSSCHECK_ID"); id != "" {
		x, _ := strconv.ParseUint(strings.TrimPrefix(id, "0x"), 16, 64)
		o := g.Lookup(x)
		fmt.Printf("0x%x %s size vv=%d ls=%d ret vv=%d emu=%d; idom:", x, g.ObjectLabel(o, true), rows[o].shallow, g.ShallowSize(o), rows[o].retained, ret[o])
		for d := dom[o]; d >= 0; d = dom[d] {
			fmt.Printf(" 0x%x", g.ID(heap.ObjectIndex(d)))
		}
		fmt.Println("\n children:")
		for c, d := range dom {
			if d == int32(o) {
				fmt.Printf("  0x%x %s size vv=%d ret vv=%d emu=%d\n", g.ID(heap.ObjectIndex(c)), g.ObjectLabel(heap.ObjectIndex(c), true), rows[c].shallow, rows[c].retained, ret[c])
			}
		}
	}
	eq, diff := 0, 0
	byClass := map[string]int{}
	for o, r := range rows {
		if r.retained < 0 {
			continue
		}
		e := max(ret[o], 0)
		if e == r.retained {
			eq++
		} else {
			diff++
			byClass[r.class]++
			if diff <= 5 || os.Getenv("CROSSCHECK_ALL") != "" {
				fmt.Printf("  0x%x %s vv=%d emu=%d\n", g.ID(heap.ObjectIndex(o)), r.class, r.retained, e)
			}
		}
	}
	fmt.Printf("%s: equal %d, different %d, missing %d\n", knobs, eq, diff, len(missing))
	for c, k := range byClass {
		if k > 2 {
			fmt.Printf("  %d %s\n", k, c)
		}
	}
	return nil
}
