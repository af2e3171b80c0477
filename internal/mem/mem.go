// Package mem allocates the big per-object arrays of the analyses. On
// Linux, Make asks for transparent huge pages for them: the algorithms read
// these arrays at random, and with 4 KiB pages nearly every such read also
// misses the TLB. MakeInOrder does not, for arrays filled in order; nor
// does Make where huge pages cost more than they save (HugePages).
package mem

import (
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/leakscan/leakscan/internal/par"
)

// hugeMin is the size from which an array is worth huge pages.
const hugeMin = 8 << 20

// Make returns a zeroed slice of n elements, backed by huge pages where
// the system offers them and they pay (HugePages).
func Make[T any](n int) []T {
	s := make([]T, n)
	if b := bytesOf(s); len(b) >= hugeMin && hugePages() {
		adviseHuge(b)
	}
	return s
}

// HugePagesEnv names the variable that overrides HugePages' choice: "on"
// or "off".
const HugePagesEnv = "LEAKSCAN_HUGE_PAGES"

// HugePages reports whether Make asks for huge pages, and why.
//
// It does not where the kernel reports free memory to a hypervisor
// (virtio-balloon free page reporting): the host then takes back every
// free block of 2 MB or more, the size of a huge page, so a fresh huge
// page is memory the host must fault in anew, 512 of its pages at once,
// while small pages mostly come from memory freed in pieces, which the
// host still backs. On the bench machine (Firecracker, reporting on),
// faulting in 480 MB took 1.6-2.0 s in huge pages against 0.23-0.26 s in
// 4 KiB pages. dominators --no-index ran 6.89 against 7.60 s without and
// with them, though their TLB reach saved 0.3 s of CPU time in placing
// the tree; paths --no-index 6.64 against 7.10 s (medians of 6 and 4
// alternating pairs, 2 s apart).
func HugePages() (on bool, why string) {
	hugeOnce.Do(func() { hugeOn, hugeWhy = chooseHugePages(os.Getenv(HugePagesEnv), reportsFreePages("/sys")) })
	return hugeOn, hugeWhy
}

var (
	hugeOnce sync.Once
	hugeOn   bool
	hugeWhy  string
)

func hugePages() bool {
	on, _ := HugePages()
	return on
}

// chooseHugePages decides from the override env (HugePagesEnv's value)
// and whether the kernel reports free pages to a hypervisor.
func chooseHugePages(env string, reporting bool) (bool, string) {
	switch env {
	case "on":
		return true, "on (" + HugePagesEnv + "=on)"
	case "off":
		return false, "off (" + HugePagesEnv + "=off)"
	}
	if reporting {
		return false, "off (the kernel reports free memory to the hypervisor: fresh huge pages cost more than they save)"
	}
	return true, "on (where the system offers them)"
}

// MakeInOrder returns a zeroed slice of n elements without asking for huge
// pages (so in 4 KiB pages where transparent huge pages are on request
// only), for an array whose pages are first touched in order: filled front
// to back, or in runs, one per core. Huge pages gain it nothing while it
// is filled, and where they are dear to fault in (see HugePages) they
// cost more. The graph's per-object arrays are made so: most of their
// later reads follow the order too.
func MakeInOrder[T any](n int) []T { return make([]T, n) }

// bytesOf returns the memory of s as bytes.
func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}

// Recast returns the first n values of type U in the memory of s, for
// giving a big array's pages, already faulted in, to the next phase's
// array of another type. s must hold n values of U; neither type may hold
// pointers, and s must be aligned for U (as Make's arrays are). The
// values are whatever s held.
func Recast[U, T any](s []T, n int) []U {
	var t T
	var u U
	if n == 0 {
		return []U{} // not nil, as Make's arrays are not
	}
	if uintptr(n)*unsafe.Sizeof(u) > uintptr(len(s))*unsafe.Sizeof(t) {
		panic("mem.Recast: the array is too small")
	}
	if uintptr(unsafe.Pointer(&s[0]))%unsafe.Alignof(u) != 0 {
		panic("mem.Recast: the array is not aligned for the new type")
	}
	return unsafe.Slice((*U)(unsafe.Pointer(&s[0])), n)
}

// Discard returns the whole pages of s to the system, where it can: they
// no longer count in the resident set, and read as zeros when touched
// again. For the part of an array that Recast does not reuse.
func Discard[T any](s []T) {
	if b := bytesOf(s); len(b) > 0 {
		discard(b)
	}
}

// Touch faults in the pages of s on workers goroutines, for an array
// that one core is about to fill: the faults' cost (the zeroing of each
// page, and on a virtual machine often the host's backing of it) is then
// shared by the cores. It writes each page without changing what it
// holds. It also suits an array whose values are read before they are
// first written (counters, flags): a fresh page first read maps the
// shared zero page, and the write then faults a second time and flushes
// the page from the other cores' TLBs, an interrupt each.
func Touch[T any](s []T, workers int) {
	b := bytesOf(s)
	if len(b) == 0 {
		return
	}
	const page = 4096
	p := uintptr(unsafe.Pointer(&b[0]))
	first := int((p+page-1)&^(page-1) - p) // the first page boundary in b
	pages := (len(b) - first + page - 1) / page
	if first+4 > len(b) || pages <= 0 {
		return
	}
	par.InShares(pages, max(1, min(workers, pages)), func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			if at := first + k*page; at+4 <= len(b) {
				atomic.AddUint32((*uint32)(unsafe.Pointer(&b[at])), 0)
			}
		}
	})
}

// Reservable reports whether an array of size bytes, of which only a part
// will be written, may be made: whether the system can be expected to
// grant its address space. Linux refuses a mapping much bigger than its
// memory, and Windows commits all of it: an array is reservable up to
// half the machine's memory, or 4 GiB where that is unknown.
func Reservable(size int64) bool {
	limit := int64(4 << 30)
	if p := physical(); p > 0 {
		limit = int64(p / 2)
	}
	return size <= limit
}

// Release returns the memory of arrays that are no longer referenced to
// the system. Between phases that free one big array and allocate
// another, the garbage collector would otherwise run late, and the new
// array could not reuse the old one's scattered pages: both would count
// in the resident set at once. It costs one collection, which is quick
// when the heap holds only a few pointer-free arrays.
func Release(bytes int) {
	if bytes >= releaseMin {
		debug.FreeOSMemory()
	}
}

// releaseMin is the size below which Release does nothing.
const releaseMin = 64 << 20
