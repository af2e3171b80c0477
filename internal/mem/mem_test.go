package mem

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

func TestRecast(t *testing.T) {
	s := Make[uint32](10)
	for i := range s {
		s[i] = uint32(i)
	}
	u := Recast[uint64](s, 5)
	if len(u) != 5 || unsafe.Pointer(&u[0]) != unsafe.Pointer(&s[0]) {
		t.Fatalf("Recast: %d values at %p, want 5 at %p", len(u), &u[0], &s[0])
	}
	u[4] = 0
	if s[8] != 0 || s[9] != 0 || s[7] != 7 {
		t.Errorf("after u[4] = 0: s[7:] = %v, want [7 0 0]", s[7:])
	}
	if z := Recast[uint64](s, 0); z == nil || len(z) != 0 {
		t.Errorf("Recast of 0 values: %v (nil %v), want an empty array, not nil", z, z == nil)
	}
	for _, c := range []struct {
		what string
		f    func()
	}{
		{"6 uint64 from 10 uint32", func() { Recast[uint64](s, 6) }},
		{"uint64 from an odd uint32", func() { Recast[uint64](s[1:], 2) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Recast of %s: no panic", c.what)
				}
			}()
			c.f()
		}()
	}
}

// TestDiscard: the whole pages inside the slice read as zeros after it
// (on Linux), and the bytes outside them, on partial pages at either end,
// keep their values.
func TestDiscard(t *testing.T) {
	const page = 4096
	buf := make([]byte, 6*page)
	base := uintptr(unsafe.Pointer(&buf[0]))
	off := int((base+page-1)&^(page-1)-base) + page/2 // half a page into an aligned page
	s := buf[off : off+3*page]
	for i := range buf {
		buf[i] = 1
	}
	Discard(s)
	if runtime.GOOS != "linux" {
		return
	}
	for i, b := range buf {
		// Inside s, the two whole pages from page/2 to 2.5 pages in.
		inside := i >= off+page/2 && i < off+page/2+2*page
		if inside && b != 0 {
			t.Fatalf("byte %d (in a whole page of s) = %d after Discard, want 0", i-off, b)
		}
		if !inside && b != 1 {
			t.Fatalf("byte %d of the buffer (not in a whole page of s) = %d after Discard, want 1", i, b)
		}
	}
}

// TestTouch: Touch leaves the values as they were, on slices that start
// and end inside pages, and on Linux faults a fresh array's pages in.
func TestTouch(t *testing.T) {
	buf := Make[uint32](3 << 20)
	for i := range buf {
		buf[i] = uint32(i * 7)
	}
	for _, c := range []struct{ lo, hi, workers int }{{0, len(buf), 2}, {3, len(buf) - 5, 3}, {1001, 1003, 2}, {5, 5000, 64}, {0, 0, 2}} {
		Touch(buf[c.lo:c.hi], c.workers)
	}
	for i, v := range buf {
		if v != uint32(i*7) {
			t.Fatalf("buf[%d] = %d after Touch, want %d", i, v, i*7)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	const size = 64 << 20
	before := residentBytes(t)
	fresh := Make[byte](size)
	made := residentBytes(t)
	if made-before > size/2 {
		t.Skipf("the heap cleared the new array (%d bytes resident more): nothing left for Touch to fault in", made-before)
	}
	Touch(fresh, 2)
	if after := residentBytes(t); after-made < size*9/10 {
		t.Errorf("Touch of a fresh %d-byte array: resident set grew by %d bytes", size, after-made)
	}
	runtime.KeepAlive(fresh)
}

// residentBytes reads the process's resident set size from /proc.
func residentBytes(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatal(err)
	}
	var size, resident int
	if _, err := fmt.Sscan(string(b), &size, &resident); err != nil {
		t.Fatal(err)
	}
	return resident * os.Getpagesize()
}

func TestReservable(t *testing.T) {
	if !Reservable(1 << 20) {
		t.Error("1 MiB not reservable")
	}
	if Reservable(1 << 62) {
		t.Error("4 EiB reservable")
	}
	if p := physical(); runtime.GOOS == "linux" && p < 1<<20 {
		t.Errorf("physical memory %d bytes on Linux", p)
	}
}

// TestHugeAdvice checks, on Linux, that Make asks for huge pages for a big
// array when HugePages says so, and MakeInOrder never does: the kernel
// marks a range advised MADV_HUGEPAGE with the flag hg in
// /proc/self/smaps.
func TestHugeAdvice(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("huge pages are asked for on Linux only")
	}
	HugePages() // chosen once; then overridden here
	defer func(on bool) { hugeOn = on }(hugeOn)
	hugeOn = false
	off := Make[byte](4 * hugeMin)
	hugeOn = true
	huge := Make[byte](4 * hugeMin)
	flat := MakeInOrder[byte](4 * hugeMin)
	for i := range flat {
		if flat[i] != 0 {
			t.Fatalf("MakeInOrder: byte %d is %d, not zero", i, flat[i])
		}
	}
	// The middle of each array: advice is given for its whole pages only.
	if flags := vmFlags(t, &huge[len(huge)/2]); !flags["hg"] {
		t.Errorf("Make(%d bytes): no hg among the mapping's flags %v", len(huge), flags)
	}
	if flags := vmFlags(t, &flat[len(flat)/2]); flags["hg"] {
		t.Errorf("MakeInOrder(%d bytes): hg among the mapping's flags %v", len(flat), flags)
	}
	if flags := vmFlags(t, &off[len(off)/2]); flags["hg"] {
		t.Errorf("Make(%d bytes) with huge pages off: hg among the mapping's flags %v", len(off), flags)
	}
	runtime.KeepAlive(off)
	runtime.KeepAlive(huge)
	runtime.KeepAlive(flat)
}

// vmFlags returns the VmFlags of the mapping that holds p.
func vmFlags(t *testing.T, p *byte) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	at := uintptr(unsafe.Pointer(p))
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && strings.Contains(line, " ") && !strings.HasSuffix(strings.Fields(line)[0], ":") {
			in = lo <= at && at < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			flags := map[string]bool{}
			for _, f := range strings.Fields(line)[1:] {
				flags[f] = true
			}
			return flags
		}
	}
	t.Fatalf("no mapping in /proc/self/smaps holds %#x", at)
	return nil
}

func TestChooseHugePages(t *testing.T) {
	for _, c := range []struct {
		env       string
		reporting bool
		want      bool
	}{
		{"", false, true},
		{"", true, false}, // the host takes free 2 MB blocks back
		{"on", true, true},
		{"off", false, false},
		{"maybe", true, false}, // not an override: the system decides
	} {
		if got, why := chooseHugePages(c.env, c.reporting); got != c.want || why == "" {
			t.Errorf("chooseHugePages(%q, %v) = %v, %q; want %v and a reason", c.env, c.reporting, got, why, c.want)
		}
	}
}

// TestReportsFreePages reads made-up sysfs trees: a balloon device with
// feature bit 5 (VIRTIO_BALLOON_F_REPORTING) set among others, one
// without, and none.
func TestReportsFreePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("read from sysfs on Linux only")
	}
	tree := func(features ...string) string {
		root := t.TempDir()
		for i, f := range features {
			dir := fmt.Sprintf("%s/bus/virtio/drivers/virtio_balloon/virtio%d", root, i)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir+"/features", []byte(f+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	// This machine's device: statistics, deflate on OOM, reporting.
	const reporting = "0110010100000000000000000000000010000000"
	const statsOnly = "0110000100000000000000000000000010000000"
	for _, c := range []struct {
		root string
		want bool
	}{
		{tree(reporting), true},
		{tree(statsOnly), false},
		{tree(statsOnly, reporting), true},
		{tree("0110"), false}, // too short to hold bit 5
		{tree(), false},
		{t.TempDir() + "/missing", false},
	} {
		if got := reportsFreePages(c.root); got != c.want {
			t.Errorf("reportsFreePages(%s) = %v, want %v", c.root, got, c.want)
		}
	}
}

// Writer and WriteAt hand the bytes on in calls of at most WriteSize, all
// of them, in order.
func TestWriteInCalls(t *testing.T) {
	b := make([]byte, 2*WriteSize+WriteSize/3+7)
	for i := range b {
		b[i] = byte(i*7 + i>>12)
	}
	var calls []int
	var got bytes.Buffer
	w := Writer{W: writerFunc(func(p []byte) (int, error) {
		calls = append(calls, len(p))
		return got.Write(p)
	})}
	if n, err := w.Write(b); n != len(b) || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if !bytes.Equal(got.Bytes(), b) || !slices.Equal(calls, []int{WriteSize, WriteSize, WriteSize/3 + 7}) {
		t.Errorf("calls %v, bytes equal %v", calls, bytes.Equal(got.Bytes(), b))
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteAt(f, b, 100); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, len(b)+100)
	if _, err := f.ReadAt(back, 0); err != nil || !bytes.Equal(back[100:], b) {
		t.Errorf("WriteAt: read back %v", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
