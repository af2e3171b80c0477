package leaks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/paths"
)

// Buffer is one block of direct memory.
type Buffer struct {
	Object
	Capacity uint64 `json:"capacity_bytes"`
	Address  uint64 `json:"address"`
	Views    int    `json:"views"` // slices and duplicates sharing it
	// Strong is false for a buffer only a Cleaner (a phantom reference)
	// still reaches: freed at the next reference processing.
	Strong bool   `json:"strong"`
	Owner  string `json:"owner"` // the class of the nearest application object holding it
}

// OwnerGroup sums the buffers one class of owner holds.
type OwnerGroup struct {
	Owner    string `json:"owner"`
	Buffers  int    `json:"buffers"`
	Capacity uint64 `json:"capacity_bytes"`
}

// OffHeapReport is what `leakscan offheap` prints.
type OffHeapReport struct {
	Total, Strong, PendingFree uint64
	Buffers                    []Buffer     `json:"buffers"`
	Owners                     []OwnerGroup `json:"owners"`
	Views                      int          `json:"views"`
}

// systemPackage tells JDK classes from application (and library) ones,
// for naming the owner of a buffer.
func systemPackage(name string) bool {
	for _, p := range []string{"java.", "javax.", "jdk.", "sun.", "com.sun."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ownerOf names what holds a buffer: the class of the nearest object
// outside the JDK on its shortest strong path from a GC root (a netty
// PoolChunk, say). Every direct buffer is also reachable through its
// Cleaner, a phantom reference, so no application object dominates it in
// the default dominator tree; strong paths tell the holder.
func ownerOf(g *heap.Graph, s *paths.Search, o heap.ObjectIndex) string {
	p := s.Path(o)
	if p == nil {
		return "<only a Cleaner: waiting to be freed>"
	}
	for i := len(p) - 2; i >= 0; i-- {
		name := g.Classes[g.ClassOf(p[i])].Name
		if g.IsClassObject(p[i]) {
			name = "class " + g.ClassNameOfMirror(p[i])
		}
		if !systemPackage(strings.TrimPrefix(name, "class ")) {
			return name
		}
	}
	return "<GC roots>"
}

// OffHeap finds the direct memory the heap points at: every
// java.nio.DirectByteBuffer (MappedByteBuffer's direct subclass; mapped
// files too) that owns its memory — slices and duplicates (a non-null att)
// are counted with the buffer they view, as are buffers at an address
// another already accounts for.
func OffHeap(g *heap.Graph, t *dominator.Tree, s *paths.Search) *OffHeapReport {
	r := &OffHeapReport{}
	byAddress := map[uint64]int{} // address → index in r.Buffers
	var views []heap.ObjectIndex
	for _, o := range instancesOf(g, "java.nio.DirectByteBuffer") {
		if t.Idom(o) == dominator.Unreachable {
			continue // collected already, as far as the heap can tell
		}
		f := readFields(g, o)
		if f.ref("att") != heap.None {
			views = append(views, o)
			continue
		}
		capacity, _ := f.num("capacity")
		address, _ := f.num("address")
		b := Buffer{Object: objectOf(g, t, o), Capacity: uint64(max(capacity, 0)), Address: uint64(address), Strong: s.Reached(o)}
		if k, ok := byAddress[b.Address]; ok && b.Address != 0 {
			r.Buffers[k].Views++
			continue
		}
		b.Owner = ownerOf(g, s, o)
		byAddress[b.Address] = len(r.Buffers)
		r.Buffers = append(r.Buffers, b)
	}
	r.Views = len(views)
	// Views count with the buffer they (ultimately) view.
	index := map[string]int{}
	for k, b := range r.Buffers {
		index[b.ID] = k
	}
	for _, v := range views {
		root := v
		for steps := 0; steps < 16; steps++ {
			a := readFields(g, root).ref("att")
			if a == heap.None {
				break
			}
			root = a
		}
		if k, ok := index[fmt.Sprintf("0x%x", g.ID(root))]; ok {
			r.Buffers[k].Views++
		}
	}
	owners := map[string]*OwnerGroup{}
	for _, b := range r.Buffers {
		r.Total += b.Capacity
		if b.Strong {
			r.Strong += b.Capacity
		} else {
			r.PendingFree += b.Capacity
		}
		og := owners[b.Owner]
		if og == nil {
			og = &OwnerGroup{Owner: b.Owner}
			owners[b.Owner] = og
		}
		og.Buffers++
		og.Capacity += b.Capacity
	}
	for _, og := range owners {
		r.Owners = append(r.Owners, *og)
	}
	slices.SortFunc(r.Owners, func(a, b OwnerGroup) int {
		return cmp.Or(cmp.Compare(b.Capacity, a.Capacity), strings.Compare(a.Owner, b.Owner)) // biggest first
	})
	slices.SortFunc(r.Buffers, func(a, b Buffer) int {
		return cmp.Or(cmp.Compare(b.Capacity, a.Capacity), strings.Compare(a.ID, b.ID)) // biggest first
	})
	return r
}
