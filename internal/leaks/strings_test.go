package leaks

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// TestDuplicatesNaive: Duplicates agrees with a naive count by text, each
// reachable String decoded (StringValue, another reader: JDK 6's offset
// and count into a shared char[], JDK 9's coder) into a map, on the fixture
// dumps and, when present, the shared dumps of other analyzers' suites
// (JDK 5 to 11, 32 and 64 bit): the same texts, copies, arrays and bytes.
func TestDuplicatesNaive(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	shared, _ := filepath.Glob("../../../shared/dumps/*/*.hprof")
	if len(shared) == 0 {
		t.Log("../shared/dumps absent: the fixture dumps only")
	}
	for _, path := range append(dumps, shared...) {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
			if err != nil {
				t.Skipf("%s: %v", path, err)
			}
			defer g.Close()
			tr := dominator.Compute(g, dominator.Options{})
			got, err := Duplicates(g, tr, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, strs, total := naiveDuplicates(g, tr)
			if filepath.Base(path) == "Spark22713.hprof" && len(want) < 20 {
				t.Errorf("the naive count finds %d duplicated texts, 28 expected", len(want)) // a test that compares nothing
			}
			if got.Strings != strs || got.Bytes != total {
				t.Errorf("strings %d, %d bytes; naive %d, %d bytes", got.Strings, got.Bytes, strs, total)
			}
			var have []string
			var wasted uint64
			for _, d := range got.Duplicates {
				wasted += d.Wasted
				if d.Chars < 1<<16 { // (StringValue decodes no more)
					have = append(have, fmt.Sprintf("%q ×%d in %d arrays, %d B wasted", d.Text, d.Copies, d.Arrays, d.Wasted))
				}
			}
			slices.Sort(have)
			if !slices.Equal(have, want) {
				t.Errorf("got %d duplicated texts, naive %d:\n%s\n---\n%s", len(have), len(want), strings.Join(have, "\n"), strings.Join(want, "\n"))
			}
			if wasted != got.Wasted {
				t.Errorf("wasted %d, the duplicates' sum %d", got.Wasted, wasted)
			}
			if !slices.IsSortedFunc(got.Duplicates, func(a, b DuplicateString) int { return cmp.Compare(b.Wasted, a.Wasted) }) {
				t.Error("not most wasted first")
			}
		})
	}
}

// naiveDuplicates counts the reachable Strings by text through StringValue.
// A String without a value array of chars or bytes has no text; an array
// is counted once in the total, and is a copy's own when it holds its
// text alone (JDK 6's count is the array's length).
func naiveDuplicates(g *heap.Graph, tr *dominator.Tree) (dups []string, strs int64, total uint64) {
	type group struct {
		n      int64
		arrays map[heap.ObjectIndex]bool
		owned  map[heap.ObjectIndex]bool
		s      uint64 // one copy's String shallow size
	}
	byText := map[string]*group{}
	seen := map[heap.ObjectIndex]bool{}
	for i := 0; i < g.NumObjects(); i++ {
		o := heap.ObjectIndex(i)
		if g.Classes[g.ClassOf(o)].Name != "java.lang.String" || g.IsClassObject(o) || tr.Idom(o) == dominator.Unreachable {
			continue
		}
		strs++
		total += g.ShallowSize(o)
		a := heap.None
		if f, ok := g.Field(o, "value"); ok && f.Value != 0 {
			a = g.Lookup(f.Value)
		}
		if a != heap.None && !seen[a] {
			seen[a] = true
			total += g.ShallowSize(a)
		}
		if a == heap.None {
			continue
		}
		rec, err := g.Record(a)
		if err != nil || rec.Tag != hprof.SubPrimArrayDump || (rec.ElemType != hprof.TypeChar && rec.ElemType != hprof.TypeByte) {
			continue
		}
		whole := true
		if f, ok := g.Field(o, "count"); ok && rec.ElemType == hprof.TypeChar {
			off, _ := g.Field(o, "offset")
			count, offset, n := int(int32(f.Value)), int(int32(off.Value)), len(rec.Body)/2
			if count >= 0 && offset >= 0 && offset+count <= n {
				whole = count == n
			}
		}
		text, _ := g.StringValue(o)
		gr := byText[text]
		if gr == nil {
			gr = &group{arrays: map[heap.ObjectIndex]bool{}, owned: map[heap.ObjectIndex]bool{}, s: g.ShallowSize(o)}
			byText[text] = gr
		}
		gr.n++
		gr.arrays[a] = true
		if whole {
			gr.owned[a] = true
		}
	}
	for text, gr := range byText {
		if gr.n < 2 || len([]rune(text)) >= 1<<16 {
			continue
		}
		if rs := []rune(text); len(rs) > maxTextChars {
			text = string(rs[:maxTextChars])
		}
		var own uint64
		for a := range gr.owned {
			own = g.ShallowSize(a)
		}
		wasted := uint64(gr.n-1)*gr.s + uint64(max(len(gr.owned)-1, 0))*own
		dups = append(dups, fmt.Sprintf("%q ×%d in %d arrays, %d B wasted", text, gr.n, len(gr.arrays), wasted))
	}
	slices.Sort(dups)
	return dups, strs, total
}
