package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/mem"
)

func TestPartRoundTripAndDamage(t *testing.T) { bothWays(t, testPartRoundTripAndDamage) }

// bothWays runs test on parts mapped where the system can and on parts
// read whole where it cannot (Windows): both ways on every system.
func bothWays(t *testing.T, test func(*testing.T)) {
	for _, way := range []struct {
		name string
		open func(*os.File, int64) ([]byte, func([]byte) error, error)
	}{{"mapped", mapPart}, {"read", readPart}} {
		t.Run(way.name, func(t *testing.T) {
			defer func(old func(*os.File, int64) ([]byte, func([]byte) error, error)) { openPart = old }(openPart)
			openPart = way.open
			test(t)
		})
	}
}

// fakeDump writes a file to identify parts by in a fresh folder, and
// returns the folder and the file's identity.
func fakeDump(t testing.TB) (dir string, id Identity) {
	t.Helper()
	dir = t.TempDir()
	dump := filepath.Join(dir, "x.hprof")
	os.WriteFile(dump, []byte(strings.Repeat("JAVA PROFILE 1.0.2\x00", 1000)), 0o644)
	id, err := Identify(dump)
	if err != nil {
		t.Fatal(err)
	}
	return dir, id
}

func testPartRoundTripAndDamage(t *testing.T) {
	dir, id := fakeDump(t)
	nums := []uint32{1, 2, 3, 5, 8, 13}
	var w Writer
	w.Add("meta", []byte(`{"a":1}`))
	w.Add("nums", AsBytes(nums))
	w.Add("empty", nil)
	big := make([]uint64, 10<<20/8) // whole pages, for eviction; stretches of the CRC
	for i := range big {
		big[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	w.Add("big", AsBytes(big))
	// Written in several pieces and calls, the last of each short.
	odd := make([]byte, writePieceSize+mem.WriteSize+mem.WriteSize/3+5)
	for i := range odd {
		odd[i] = byte(i*7 + i>>12)
	}
	w.Add("odd", odd)
	if err := w.Commit(dir, "p", id); err != nil {
		t.Fatal(err)
	}
	p, err := Open(dir, "p", id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Bytes("nums")
	if err != nil || !slices.Equal(As[uint32](b), nums) {
		t.Fatalf("nums %v %v", As[uint32](b), err)
	}
	if o, err := p.Bytes("odd"); err != nil || !slices.Equal(o, odd) {
		t.Fatalf("odd section (%d bytes): %v", len(o), err)
	}
	if e, err := p.Bytes("empty"); err != nil || len(e) != 0 {
		t.Errorf("empty section: %v %v", e, err)
	}
	if _, err := p.Bytes("nope"); err == nil {
		t.Error("missing section not reported")
	}
	// Evicted pages are read back from the file: the bytes stay.
	bb, err := p.Bytes("big")
	if err != nil || !slices.Equal(As[uint64](bb), big) {
		t.Fatalf("big section: %v", err)
	}
	if evict := p.Evictor(); evict != nil {
		evict(bb[1000:500_000])
	} else if p.unmap != nil {
		t.Error("a mapped part has no evictor")
	}
	if p.unmap == nil && p.Evictor() != nil {
		t.Error("a part read whole has an evictor")
	}
	if !slices.Equal(As[uint64](bb), big) {
		t.Fatal("big section changed by Evictor")
	}
	p.Evict()
	if !slices.Equal(As[uint64](bb), big) || !slices.Equal(As[uint32](b), nums) {
		t.Fatal("sections changed by Evict")
	}
	p.Close()

	// Another dump (one changed byte) makes the part stale.
	other := id
	other.Hash[0] ^= 1
	if _, err := Open(dir, "p", other); !errors.Is(err, ErrStale) {
		t.Errorf("stale: %v", err)
	}
	// A flipped bit in a section fails its checksum.
	path := filepath.Join(dir, "p.idx")
	data, _ := os.ReadFile(path)
	flipped := slices.Clone(data)
	at := strings.Index(string(flipped), string(AsBytes(nums)))
	if at < 0 {
		t.Fatal("section bytes not found in the part")
	}
	flipped[at+9] ^= 0x10
	os.WriteFile(path, flipped, 0o644)
	p, err = Open(dir, "p", id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Bytes("nums"); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupt: %v", err)
	}
	p.Close()
	// So does one in a later stretch of a big section, checked in parts.
	flipped = slices.Clone(data)
	at = strings.Index(string(flipped), string(AsBytes(big[:64])))
	if at < 0 {
		t.Fatal("big section not found in the part")
	}
	flipped[at+9<<20] ^= 0x01
	os.WriteFile(path, flipped, 0o644)
	if p, err = Open(dir, "p", id); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Bytes("big"); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupt big section: %v", err)
	}
	if _, err := p.Bytes("nums"); err != nil {
		t.Errorf("intact section: %v", err)
	}
	p.Close()
	// A mapped part cut short after it was opened: reading the missing
	// pages faults, which is an error, not a crash.
	os.WriteFile(path, data, 0o644)
	if p, err = Open(dir, "p", id); err != nil {
		t.Fatal(err)
	}
	if p.unmap != nil {
		os.Truncate(path, 8192)
		if _, err := p.Bytes("big"); err == nil {
			t.Error("section past the end of a cut mapped part accepted")
		}
	}
	p.Close()
	// A cut one is refused when opened.
	os.WriteFile(path, data[:len(data)-10], 0o644)
	if _, err := Open(dir, "p", id); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated: %v", err)
	}
	os.WriteFile(path, []byte("nonsense"), 0o644)
	if _, err := Open(dir, "p", id); err == nil {
		t.Error("garbage accepted")
	}
	if err := Remove(dir); err != nil || Size(dir) != 0 {
		t.Errorf("remove: %v, %d bytes left", err, Size(dir))
	}
}

func TestIdentityChanges(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "x.hprof")
	data := make([]byte, 1<<20)
	os.WriteFile(dump, data, 0o644)
	a, _ := Identify(dump)
	data[512<<10] = 1 // inside a sampled block
	os.WriteFile(dump, data, 0o644)
	b, _ := Identify(dump)
	if a.Hash == b.Hash {
		t.Error("a changed sampled block left the hash the same")
	}
	if d, err := Dir(dump, ""); err != nil || d != dump+".leakscan" {
		t.Errorf("Dir = %q, %v", d, err)
	}
}

// TestCommitRemovesAbandoned: writing a part removes that part's
// temporary files left by writers that died (a process killed as it
// wrote) or left off long ago, and keeps those of live writers and of
// other parts; a killed writer's file stayed until index --rm.
func TestCommitRemovesAbandoned(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no asking here whether a process runs: only old files go")
	}
	dir, id := fakeDump(t)
	const dead = 999999999    // above any pid_max: no such process
	files := map[string]bool{ // name: removed
		fmt.Sprintf(".tmp-p-%d-1", dead):         true,
		fmt.Sprintf(".tmp-p-%d-2", os.Getppid()): false, // running
		fmt.Sprintf(".tmp-p-%d-3", os.Getpid()):  false, // this process's own
		fmt.Sprintf(".tmp-q-%d-4", dead):         false, // another part's
		".tmp-p-5":                               true,  // an older name, old
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half a part"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * abandonAfter)
	os.Chtimes(filepath.Join(dir, ".tmp-p-5"), old, old)
	var w Writer
	w.Add("s", []byte("section"))
	if err := w.Commit(dir, "p", id); err != nil {
		t.Fatal(err)
	}
	for name, removed := range files {
		if _, err := os.Stat(filepath.Join(dir, name)); removed != errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: removed %v, want %v", name, !removed, removed)
		}
	}
	if p, err := Open(dir, "p", id); err != nil {
		t.Errorf("the part: %v", err)
	} else {
		p.Close()
	}
}

// TestRemoveStale: RemoveStale removes the parts another dump (or another
// version of it) or another format version made; with versionOnly (a
// folder --index-dir names, which may hold other dumps' parts) only those
// of another format version, which no command can use. This dump's stay.
func TestRemoveStale(t *testing.T) {
	dir, id := fakeDump(t)
	other := id
	other.ModTime++
	write := func(part string, id Identity, version uint32) {
		var w Writer
		w.Add("s", []byte("section"))
		if err := w.Commit(dir, part, id); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, part+".idx")
		data, _ := os.ReadFile(path)
		binary.LittleEndian.PutUint32(data[8:], version)
		os.WriteFile(path, data, 0o644)
	}
	for _, c := range []struct {
		versionOnly bool
		gone        []string
	}{{true, []string{"old"}}, {false, []string{"old", "other"}}} {
		write("mine", id, Version)
		write("other", other, Version)
		write("old", id, Version-1)
		if gone := RemoveStale(dir, id, c.versionOnly); !slices.Equal(gone, c.gone) {
			t.Errorf("versionOnly %v: removed %v, want %v", c.versionOnly, gone, c.gone)
		}
		if p, err := Open(dir, "mine", id); err != nil {
			t.Errorf("this dump's part: %v", err)
		} else {
			p.Close()
		}
	}
}
