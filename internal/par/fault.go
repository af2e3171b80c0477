package par

import (
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A mapped file that another process truncates or replaces while it is
// read (jmap overwriting the dump being analysed) faults on the pages it
// no longer has: SIGBUS, which the runtime makes a fatal error with a
// stack trace. On a goroutine that has set debug.SetPanicOnFault such a
// fault panics instead, with a runtime.Error whose Addr method gives the
// address. cli.Main sets it on the main goroutine and turns the panic into
// a FaultError; every goroutine the analyses start sets it too (Go, Run,
// Group, InShares, For) and hands its fault to the goroutine waiting for
// it, which panics with it in turn. The mappings register here (Mapped),
// so that the error names the file.

// FaultError is a fault on a page of a mapped file: the file changed
// (was truncated or replaced) while it was read.
//
// Damaged, when set, says instead that bytes of the file failed a check as
// they were first read (an index section checked a block at a time as it
// is read, index.Deferred): the same hand-over, but the file is damaged
// rather than changed, and a damaged index part is rebuilt.
type FaultError struct {
	Path    string
	Addr    uintptr
	Damaged error
}

func (e *FaultError) Error() string {
	if e.Damaged != nil {
		return e.Damaged.Error()
	}
	return fmt.Sprintf("%s: the file changed (was truncated or replaced) while being read", e.Path)
}

// mapping is a registered mapped range [lo, hi).
type mapping struct {
	path   string
	lo, hi uintptr
}

// maxMappings bounds the registry: mappings are never unregistered (the
// goroutine that faulted may have unwound through the unmap before the
// fault is looked up), a new one replaces those it overlaps, and the
// oldest go beyond this many.
const maxMappings = 1024

var (
	mappingsMu sync.Mutex
	mappings   []mapping
)

// Mapped records that b maps the file at path, so that a fault in it is
// a FaultError naming the file.
func Mapped(path string, b []byte) {
	if len(b) == 0 {
		return
	}
	page := uintptr(os.Getpagesize())
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	hi := (lo + uintptr(len(b)) + page - 1) &^ (page - 1)
	mappingsMu.Lock()
	defer mappingsMu.Unlock()
	kept := mappings[:0]
	for _, m := range mappings {
		if m.hi <= lo || m.lo >= hi {
			kept = append(kept, m)
		}
	}
	if len(kept) >= maxMappings {
		kept = append(kept[:0], kept[len(kept)-maxMappings+1:]...)
	}
	mappings = append(kept, mapping{path, lo, hi})
}

// mappedFile returns the file registered as mapped at addr.
func mappedFile(addr uintptr) (string, bool) {
	mappingsMu.Lock()
	defer mappingsMu.Unlock()
	for i := len(mappings) - 1; i >= 0; i-- {
		if m := mappings[i]; addr >= m.lo && addr < m.hi {
			return m.path, true
		}
	}
	return "", false
}

// AsFault returns the FaultError that r, a value recover returned, is or
// stands for: a memory fault (with debug.SetPanicOnFault set) at an
// address of a registered mapping. Any other value, a fault elsewhere
// included (a bug, not a changed file), is not one.
func AsFault(r any) (*FaultError, bool) {
	switch v := r.(type) {
	case *FaultError:
		return v, true
	case interface {
		error
		Addr() uintptr
	}:
		if path, ok := mappedFile(v.Addr()); ok {
			return &FaultError{Path: path, Addr: v.Addr()}, true
		}
	}
	return nil, false
}

// Faults keeps the first fault on a mapped file that goroutines met, for
// the goroutine that waits for them. The zero value is ready.
type Faults struct{ first atomic.Pointer[FaultError] }

// Catch, deferred by a goroutine, recovers a fault on a mapped file and
// keeps it (the first one); any other panic goes on.
func (f *Faults) Catch() {
	r := recover()
	if r == nil {
		return
	}
	e, ok := AsFault(r)
	if !ok {
		panic(r)
	}
	f.first.CompareAndSwap(nil, e)
}

// Check panics with the fault kept, if any: on the waiting goroutine, so
// that it ends the command as a fault there would.
func (f *Faults) Check() {
	if e := f.first.Load(); e != nil {
		panic(e)
	}
}

// Go calls fn on a goroutine of its own, where a fault on a mapped file
// panics; wait waits for fn to return and panics with its fault, if any
// (not calling it drops the fault).
func Go(fn func()) (wait func()) {
	var f Faults
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer f.Catch()
		debug.SetPanicOnFault(true)
		fn()
	}()
	return func() {
		<-done
		f.Check()
	}
}

// Run calls fn(t) for t in [0, k) on a goroutine each (on the caller's
// for k = 1), returns once all have, and then panics with the first fault
// on a mapped file any of them met.
func Run(k int, fn func(t int)) {
	if k == 1 {
		fn(0)
		return
	}
	var g Group
	for t := range k {
		g.Go(func() { fn(t) })
	}
	g.Wait()
}

// Group is a sync.WaitGroup whose goroutines hand their faults on mapped
// files to Wait. The zero value is ready.
type Group struct {
	wg     sync.WaitGroup
	faults Faults
}

// Go calls fn on a goroutine of its own, where a fault on a mapped file
// panics.
func (g *Group) Go(fn func()) {
	g.wg.Go(func() {
		defer g.faults.Catch()
		debug.SetPanicOnFault(true)
		fn()
	})
}

// Wait waits for the goroutines started so far, then panics with the
// first fault on a mapped file one of them met.
func (g *Group) Wait() {
	g.wg.Wait()
	g.faults.Check()
}
