//go:build unix

package par

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"
)

// mapTruncated maps a 1 MiB file, registers the mapping, and cuts the file
// to one page under it: reading past the page then faults (SIGBUS), as
// when another process truncates a dump being analysed.
func mapTruncated(t *testing.T) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mapped")
	if err := os.WriteFile(path, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := syscall.Mmap(int(f.Fd()), 0, 1<<20, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(data) })
	Mapped(path, data)
	if err := os.Truncate(path, int64(os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// faultOf calls fn with faults panicking on this goroutine and returns
// the fault it panicked with.
func faultOf(t *testing.T, fn func()) (e *FaultError) {
	t.Helper()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		var ok bool
		if e, ok = AsFault(r); !ok {
			t.Fatalf("panicked with %v, want a fault on a mapped file", r)
		}
	}()
	fn()
	return nil
}

var sink atomic.Uint32

func TestFaultHandedToCaller(t *testing.T) {
	path, data := mapTruncated(t)
	read := func(lo, hi int) {
		var sum byte
		for i := lo; i < hi; i += 4096 {
			sum += data[i]
		}
		sink.Add(uint32(sum))
	}
	for name, fn := range map[string]func(){
		"caller": func() { read(1<<19, 1<<20) },
		"InShares": func() {
			InShares(1<<20, 4, func(_, lo, hi int) { read(max(lo, 1<<16), hi) })
		},
		"InShares one": func() { InShares(1<<20, 1, func(_, lo, hi int) { read(1<<16, hi) }) },
		"Go":           Go(func() { read(1<<19, 1<<20) }),
		"Group": func() {
			var g Group
			g.Go(func() { read(1<<19, 1<<20) })
			g.Go(func() {})
			g.Wait()
		},
	} {
		e := faultOf(t, fn)
		if e == nil || e.Path != path {
			t.Errorf("%s: fault %v, want one naming %s", name, e, path)
			continue
		}
		if want := path + ": the file changed (was truncated or replaced) while being read"; e.Error() != want {
			t.Errorf("%s: %q, want %q", name, e.Error(), want)
		}
	}
	// Nothing faults, nothing panics.
	Run(3, func(t int) { read(0, 4096) })
	InShares(4096, 2, func(_, lo, hi int) { read(lo, hi) })
}

type addrError struct{ addr uintptr }

func (e addrError) Error() string { return "fault" }
func (e addrError) Addr() uintptr { return e.addr }
func (e addrError) RuntimeError() {}

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

func TestOtherPanicsGoOn(t *testing.T) {
	_, data := mapTruncated(t)
	// A fault outside every registered mapping is a bug, not a changed
	// file.
	if e, ok := AsFault(addrError{1 << 12}); ok {
		t.Errorf("unregistered address: %v", e)
	}
	if _, ok := AsFault(addrError{uintptr(0)}); ok {
		t.Error("address 0 taken for a mapped file's")
	}
	if _, ok := AsFault(addrError{uintptrOf(data) + 4096}); !ok {
		t.Error("registered address not taken for a mapped file's")
	}
	if _, ok := AsFault(errors.New("boom")); ok {
		t.Error("an error taken for a fault")
	}
	// Catch lets other panics through.
	var f Faults
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want boom", r)
			}
		}()
		func() {
			defer f.Catch()
			panic("boom")
		}()
	}()
	f.Check() // nothing kept
}
