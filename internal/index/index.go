// Package index stores what an analysis computed about a dump so that
// later commands map it back instead of parsing the dump again.
//
// An index is a folder (DUMP.leakscan beside the dump, or one under the
// user's cache folder) of part files, each written by the command that
// computed it: graph, dominators, census, paths. A part file is
//
//	magic "LKSCIDX\n" | u32 format version | u32 section count |
//	identity of the dump (size, modification time, SHA-256 of the header
//	and of sampled blocks) |
//	section table: (name [16]byte, offset u64, length u64, CRC-32C u32) ... |
//	sections, each 64-byte aligned
//
// all little-endian. A part is used only when its magic, version and
// identity match and each section it hands out passes its CRC; otherwise it
// is stale or corrupt, and the caller rebuilds it. Parts are written to a
// temporary name and renamed into place, so readers never see half a part
// and two processes building the same part at once both finish.
package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/leakscan/leakscan/internal/mem"
	"github.com/leakscan/leakscan/internal/par"
)

// Version is the index format version; bump it when any part changes.
// 3: the census part records where a truncated dump ends, and graph parts
// of dumps cut between heap dump segments or inflated from a cut .gz say
// they are truncated: parts written before must not answer for them.
// 4: the graph's meta and the census are binary (heap/meta.go), not JSON.
// 5: the sizes, references and immediate dominators have their blocks'
// CRCs beside them, to be checked as they are read (Part.Deferred).
// 6: so have the retained sizes and the paths' parents.
// 7: the graph part's warnings say when the object layout is a guess
// (every command now gives them): a part of version 6 would not.
// 8: the old hprof agent's dumps of 64-bit JVMs are sized by the layout
// java.vm.name suggests, no longer as a 32-bit JVM's.
// 9: the dominators part holds the retained sizes in 4 bytes each
// (retained4), those of 4 GiB or more in a table (bigRetained).
// 10: the graph's class array has its blocks' CRCs beside it.
// 11: the graph's chunks of records hold a mark every 4,096 records.
// 12: names are decoded from modified UTF-8; the graph's and the census's
// warnings say what of a damaged dump's classes and instances does not fit
// (misfits, superclasses), and the classes part keeps the graph's.
// 13: the graph's warnings count the stack roots of a thread the dump has
// no thread object of (3cfc3be, and 5a63a13, which leaves out a thread
// the dump gives without an object): a part of version 12 would lack the
// warning, or, written between the two, warn of the hprof agent's threads.
// 14: the graph part says which JVM wrote the dump and the command it ran
// (its system properties), which info shows.
const Version = 14

var magic = [8]byte{'L', 'K', 'S', 'C', 'I', 'D', 'X', '\n'}

// Identity tells one dump from another.
type Identity struct {
	Size    int64
	ModTime int64 // nanoseconds since the epoch
	Hash    [32]byte
}

// sampleBlocks and sampleSize choose what of the dump is hashed: the first
// block and evenly spaced ones, so that identifying a dump reads 256 KiB
// whatever its size.
const (
	sampleBlocks = 64
	sampleSize   = 4096
)

// Identify computes a dump's identity. Only a regular file has one: the
// file is stat'ed before it is opened, as opening a FIFO with no writer
// would block.
func Identify(path string) (Identity, error) {
	if st, err := os.Stat(path); err != nil {
		return Identity{}, err
	} else if !st.Mode().IsRegular() {
		return Identity{}, fmt.Errorf("%s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return Identity{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Size: st.Size(), ModTime: st.ModTime().UnixNano()}
	h := sha256.New()
	buf := make([]byte, sampleSize)
	for i := int64(0); i < sampleBlocks; i++ {
		off := i * (id.Size / sampleBlocks)
		n, _ := f.ReadAt(buf, off)
		binary.Write(h, binary.LittleEndian, off)
		h.Write(buf[:n])
	}
	copy(id.Hash[:], h.Sum(nil))
	return id, nil
}

// Dir returns the index folder for a dump: override if given, else
// DUMP.leakscan beside the dump when that can be written, else a folder
// under the user's cache folder named by the dump's absolute path.
func Dir(dump, override string) (string, error) {
	if override != "" {
		return override, os.MkdirAll(override, 0o755)
	}
	beside := Beside(dump)
	if err := os.MkdirAll(beside, 0o755); err == nil {
		probe, err := os.CreateTemp(beside, ".probe-*")
		if err == nil {
			probe.Close()
			os.Remove(probe.Name())
			return beside, nil
		}
	}
	dir, err := cacheDir(dump)
	if err != nil {
		return "", fmt.Errorf("no writable folder for the index of %s: %w", dump, err)
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// Beside is the index folder for dump beside it, DUMP.leakscan, where Dir
// puts it when it can.
func Beside(dump string) string { return dump + ".leakscan" }

// cacheDir is the index folder for dump under the user's cache folder,
// named by the dump's absolute path.
func cacheDir(dump string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(dump)
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(cache, "leakscan", fmt.Sprintf("%x-%s", sum[:8], filepath.Base(dump))), nil
}

// Exists returns where an index folder for dump would be found, or "".
func Exists(dump, override string) string {
	candidates := []string{override}
	if override == "" {
		candidates = []string{Beside(dump)}
		if dir, err := cacheDir(dump); err == nil {
			candidates = append(candidates, dir)
		}
	}
	for _, c := range candidates {
		if entries, err := os.ReadDir(c); err == nil && len(entries) > 0 {
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".idx") {
					return c
				}
			}
		}
	}
	return ""
}

// Size returns the bytes of the part files in dir.
func Size(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".idx") {
			n += info.Size()
		}
	}
	return n
}

// Foreign returns the parts in dir (their names, without .idx) that were
// not made for the dump whose identity is id: another dump's, another
// version's of it, or no index part at all.
func Foreign(dir string, id Identity) []string {
	names, _ := unfit(dir, id)
	return names
}

// RemoveStale deletes the parts in dir made for another dump, or another
// version of this one, than the one whose identity is id (ErrStale), and
// returns their names: when the dump changed, they all are, and each would
// else be found so, and warned of, by a command of its own. With
// versionOnly, it deletes only those of another format version, which no
// dump's command can use (in a folder that may hold other dumps' parts).
func RemoveStale(dir string, id Identity, versionOnly bool) []string {
	var gone []string
	names, errs := unfit(dir, id)
	for i, name := range names {
		stale := errors.Is(errs[i], ErrStale)
		if versionOnly {
			stale = errors.Is(errs[i], errOtherVersion)
		}
		if stale && os.Remove(filepath.Join(dir, name+".idx")) == nil {
			gone = append(gone, name)
		}
	}
	return gone
}

// unfit returns the parts in dir that do not open for id, and why.
func unfit(dir string, id Identity) (names []string, errs []error) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".idx")
		if !ok {
			continue
		}
		p, err := Open(dir, name, id)
		if err != nil {
			names, errs = append(names, name), append(errs, err)
			continue
		}
		p.Close()
	}
	return names, errs
}

// Remove deletes an index folder's parts (and the folder when empty).
func Remove(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".idx") || strings.HasPrefix(e.Name(), ".tmp-") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	os.Remove(dir)
	return nil
}

// removeAbandoned removes the temporary files of part in dir that no
// writer will finish: a process killed as it wrote (a CI job's timeout)
// left one, up to a whole part, that nothing removed but index --rm. A
// temporary file names its writer's process (".tmp-graph-4242-…"); one
// whose process is gone goes, as does one not written to for abandonAfter
// (a writer on another machine sharing the folder, or an older name).
func removeAbandoned(dir, part string) {
	names, _ := filepath.Glob(filepath.Join(dir, ".tmp-"+part+"-*"))
	for _, name := range names {
		rest := strings.TrimPrefix(filepath.Base(name), ".tmp-"+part+"-")
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		gone := err == nil && pid != os.Getpid() && !running(pid)
		if info, err := os.Stat(name); err == nil && (gone || time.Since(info.ModTime()) > abandonAfter) {
			os.Remove(name)
		}
	}
}

// abandonAfter: a temporary part file not written to for this long is
// abandoned; writing a part takes seconds.
const abandonAfter = time.Hour

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const (
	headerSize = 8 + 4 + 4 + 8 + 8 + 32
	entrySize  = 16 + 8 + 8 + 4
	align      = 64
)

// Writer collects the sections of a part.
type Writer struct {
	names []string
	data  [][]byte
	// blocked[i]: section i gets a table of its blocks' CRCs (AddBlocks).
	blocked []bool
	// fill[i], for a section added with AddBlocksFunc, makes its bytes
	// as Commit writes them; size[i] is its length.
	fill []func(dst []byte, off int)
	size []int
}

// Add appends a section. The bytes must stay unchanged until Commit.
func (w *Writer) Add(name string, data []byte) { w.add(name, data, false, nil, len(data)) }

// AddBlocks appends a section that can be checked a block at a time as it
// is read (Part.Deferred): beside it goes a section name+"@" of its
// blocks' CRCs.
func (w *Writer) AddBlocks(name string, data []byte) { w.add(name, data, true, nil, len(data)) }

// AddBlocksFunc is AddBlocks for a section of n bytes made as it is
// written: fill(dst, off) sets dst to bytes [off, off+len(dst)) of it, a
// piece at a time, from several goroutines. An encoding of an array then
// needs no copy of the whole (which would be memory fresh from the
// system, as dear to touch as the page cache it is written to).
func (w *Writer) AddBlocksFunc(name string, n int, fill func(dst []byte, off int)) {
	w.add(name, nil, true, fill, n)
}

func (w *Writer) add(name string, data []byte, blocked bool, fill func([]byte, int), n int) {
	if len(name) > 16 || (blocked && len(name)+len(blockTable) > 16) {
		panic("index: section name too long: " + name)
	}
	w.names = append(w.names, name)
	w.data = append(w.data, data)
	w.blocked = append(w.blocked, blocked)
	w.fill = append(w.fill, fill)
	w.size = append(w.size, n)
}

// Commit writes the part to dir/part.idx through a temporary file and a
// rename. It does not wait for the disk (no fsync): a part cut short by a
// crash fails its size or CRC check when next opened and is rebuilt, so
// durability would buy only a slower first run.
func (w *Writer) Commit(dir, part string, id Identity) error {
	removeAbandoned(dir, part)
	tmp, err := os.CreateTemp(dir, fmt.Sprintf(".tmp-%s-%d-*", part, os.Getpid()))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n := len(w.names)
	crcs := make([]uint32, n)
	blocks := make([][]uint32, n)
	forEach(n, func(i int) {
		switch {
		case w.fill[i] != nil:
			blocks[i] = make([]uint32, (w.size[i]+blockSize-1)/blockSize) // set as it is written
		case w.blocked[i]:
			blocks[i], crcs[i] = blockCRCs(w.data[i])
		default:
			crcs[i] = checksum(w.data[i])
		}
	})
	names, sizes := w.names, w.size
	for i, b := range blocks {
		if w.blocked[i] {
			names = append(names[:len(names):len(names)], w.names[i]+blockTable)
			sizes = append(sizes[:len(sizes):len(sizes)], 4*len(b))
		}
	}
	off := alignUp(uint64(headerSize + len(names)*entrySize))
	at := make([]uint64, len(names)) // where each section goes
	for i, size := range sizes {
		at[i] = off
		off = alignUp(off + uint64(size))
	}
	if k := len(names); k > 0 {
		// The file ends where the last section does (a hole would not
		// set its size).
		if err := tmp.Truncate(int64(at[k-1] + uint64(sizes[k-1]))); err != nil {
			return fmt.Errorf("writing index part %s: %w", part, err)
		}
	}
	// The sections are taken in pieces on all cores, a fill's made and
	// its blocks' CRCs taken there, and written at their offsets in calls
	// of mem.WriteSize, a piece at a time (below). The copy into fresh
	// page-cache pages is most of a write's cost (on the bench machine,
	// where those pages' first touch is dear, a fifth of a first run's CPU
	// time). The gaps between sections are holes, read as zeros. The block
	// tables and the header, which hold the CRCs of what a fill makes,
	// come last.
	type piece struct{ section, lo, hi int }
	var pieces []piece
	for i := range n {
		for lo := 0; lo < w.size[i]; lo += writePieceSize {
			pieces = append(pieces, piece{i, lo, min(lo+writePieceSize, w.size[i])})
		}
	}
	bufs := make([][]byte, runtime.GOMAXPROCS(0)) // a fill's, per worker
	errs := make([]error, len(pieces))
	// The writes themselves go one at a time: a file system may hold the
	// file's lock through a write's copy into the page cache (ext4 does),
	// and a writer waiting for it in the kernel spins on its core for as
	// long as the copy takes, where one waiting here leaves the core to
	// the analysis (spinning took 0.3-1.5% of a first run's CPU time on
	// the bench machine, none with the lock here; BenchmarkCommit's CPU
	// time went from 0.38 to 0.29 s).
	var writing sync.Mutex
	par.Each(len(pieces), len(bufs), func(worker, k int) {
		p := pieces[k]
		var b []byte
		if fill := w.fill[p.section]; fill == nil {
			b = w.data[p.section][p.lo:p.hi]
		} else {
			if bufs[worker] == nil {
				bufs[worker] = make([]byte, writePieceSize)
			}
			b = bufs[worker][:p.hi-p.lo]
			fill(b, p.lo)
			for lo := 0; lo < len(b); lo += blockSize { // a piece is whole blocks
				blocks[p.section][(p.lo+lo)/blockSize] = crc32.Checksum(b[lo:min(lo+blockSize, len(b))], castagnoli)
			}
		}
		writing.Lock()
		defer writing.Unlock()
		errs[k] = mem.WriteAt(tmp, b, int64(at[p.section]+uint64(p.lo)))
	})
	err = errors.Join(errs...)
	for i := range n {
		if w.fill[i] != nil {
			crcs[i] = combineBlocks(blocks[i], w.size[i])
		}
	}
	k := n
	for i, b := range blocks {
		if w.blocked[i] {
			crcs = append(crcs, checksum(AsBytes(b)))
			if err == nil {
				err = mem.WriteAt(tmp, AsBytes(b), int64(at[k]))
			}
			k++
		}
	}
	head := make([]byte, 0, headerSize+len(names)*entrySize)
	head = append(head, magic[:]...)
	head = binary.LittleEndian.AppendUint32(head, Version)
	head = binary.LittleEndian.AppendUint32(head, uint32(len(names)))
	head = binary.LittleEndian.AppendUint64(head, uint64(id.Size))
	head = binary.LittleEndian.AppendUint64(head, uint64(id.ModTime))
	head = append(head, id.Hash[:]...)
	for i, name := range names {
		var nb [16]byte
		copy(nb[:], name)
		head = append(head, nb[:]...)
		head = binary.LittleEndian.AppendUint64(head, at[i])
		head = binary.LittleEndian.AppendUint64(head, uint64(sizes[i]))
		head = binary.LittleEndian.AppendUint32(head, crcs[i])
	}
	if err == nil {
		err = mem.WriteAt(tmp, head, 0)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing index part %s: %w", part, err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, part+".idx"))
}

// checksum is the CRC-32C of b.
func checksum(b []byte) uint32 {
	crc, _ := crcInParts(uint64(len(b)), func(lo, hi uint64) (uint32, error) {
		return crc32.Checksum(b[lo:hi], castagnoli), nil
	})
	return crc
}

// crcInParts returns the CRC-32C of n bytes, of which crcOf gives the CRC
// of bytes [lo, hi). Big sections are taken in one part per core and the
// parts' CRCs combined; the first error is returned.
func crcInParts(n uint64, crcOf func(lo, hi uint64) (uint32, error)) (uint32, error) {
	parts := uint64(1)
	if n >= 16<<20 {
		parts = uint64(runtime.GOMAXPROCS(0))
	}
	crcs := make([]uint32, parts)
	errs := make([]error, parts)
	forEach(int(parts), func(k int) {
		crcs[k], errs[k] = crcOf(n*uint64(k)/parts, n*uint64(k+1)/parts)
	})
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	crc := crcs[0]
	for k := uint64(1); k < parts; k++ {
		crc = crcCombine(crc, crcs[k], n*(k+1)/parts-n*k/parts)
	}
	return crc, nil
}

// forEach calls fn(i) for i in [0, n) on one goroutine each; a fault on
// a mapped file in one panics on the caller (par.Run).
func forEach(n int, fn func(i int)) { par.Run(n, fn) }

func alignUp(n uint64) uint64 { return (n + align - 1) &^ (align - 1) }

// writePieceSize is the most Commit gives a core at once: whole blocks,
// so that a filled piece's block CRCs are its own.
const writePieceSize = 8 << 20

var _ = [1]int{}[writePieceSize%blockSize] // does not compile unless whole blocks

// ErrStale says a part does not belong to this dump or this version.
var ErrStale = errors.New("index part is stale")

// errOtherVersion is ErrStale for a part another format version wrote,
// which no dump's command can use.
var errOtherVersion error = otherVersion{}

type otherVersion struct{}

func (otherVersion) Error() string { return ErrStale.Error() }
func (otherVersion) Unwrap() error { return ErrStale }

// Part is a mapped part file.
type Part struct {
	path  string
	data  []byte
	unmap func([]byte) error
	// mu guards sections' verified flags: Deferred sections are checked
	// from whichever goroutine first uses them.
	mu       sync.Mutex
	sections map[string]section
}

// openPart maps a part file (mapPart), or reads it whole where there is no
// mmap system call (readPart); unmap releases mapped bytes, and is nil for
// bytes read. Tests set it to readPart to check that way on every system.
var openPart = mapPart

// readPart reads a part file into memory aligned for As.
func readPart(f *os.File, size int64) (data []byte, unmap func([]byte) error, err error) {
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("%d bytes: too large to read", size)
	}
	words := make([]uint64, (size+7)/8)
	data = unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)[:size]
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), data); err != nil {
		return nil, nil, err
	}
	return data, nil, nil
}

type section struct {
	off, n   uint64
	crc      uint32
	verified bool
}

// Open maps dir/part.idx and checks its header against the dump's
// identity. A missing part is os.ErrNotExist; a stale one ErrStale; a
// damaged one another error.
func Open(dir, part string, id Identity) (*Part, error) {
	path := filepath.Join(dir, part+".idx")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() < headerSize {
		f.Close()
		return nil, fmt.Errorf("%s: %d bytes, shorter than a header (truncated)", path, st.Size())
	}
	data, unmap, err := openPart(f, st.Size())
	f.Close() // a mapping outlives it; an open file would keep Windows from replacing the part
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &Part{path: path, data: data, unmap: unmap, sections: map[string]section{}}
	if err := p.readHeader(id); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Part) readHeader(id Identity) error {
	d := p.data
	if !bytes.Equal(d[:8], magic[:]) {
		return fmt.Errorf("%s: not a leakscan index part", p.path)
	}
	if v := binary.LittleEndian.Uint32(d[8:]); v != Version {
		return fmt.Errorf("%s: format version %d, this leakscan writes %d: %w", p.path, v, Version, errOtherVersion)
	}
	count := int(binary.LittleEndian.Uint32(d[12:]))
	var got Identity
	got.Size = int64(binary.LittleEndian.Uint64(d[16:]))
	got.ModTime = int64(binary.LittleEndian.Uint64(d[24:]))
	copy(got.Hash[:], d[32:64])
	if got != id {
		return fmt.Errorf("%s: made for another dump, or another version of this one (size, time or content differ): %w", p.path, ErrStale)
	}
	if headerSize+count*entrySize > len(d) {
		return fmt.Errorf("%s: section table past the end (truncated)", p.path)
	}
	for i := 0; i < count; i++ {
		e := d[headerSize+i*entrySize:]
		name := strings.TrimRight(string(e[:16]), "\x00")
		s := section{off: binary.LittleEndian.Uint64(e[16:]), n: binary.LittleEndian.Uint64(e[24:]), crc: binary.LittleEndian.Uint32(e[32:])}
		if s.off > uint64(len(d)) || s.n > uint64(len(d))-s.off {
			return fmt.Errorf("%s: section %s runs past the end (truncated)", p.path, name)
		}
		p.sections[name] = s
	}
	return nil
}

// Bytes returns a section, checking its CRC the first time. For a mapped
// part the check drops the pages it read behind it, so that only the pages
// a command then uses count in its resident memory.
func (p *Part) Bytes(name string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sections[name]
	if !ok {
		return nil, fmt.Errorf("%s: no section %s", p.path, name)
	}
	if !s.verified {
		crc, err := p.checksum(s)
		if err != nil {
			return nil, fmt.Errorf("%s: section %s: %w", p.path, name, err)
		}
		if crc != s.crc {
			return nil, fmt.Errorf("%s: section %s fails its checksum (corrupt)", p.path, name)
		}
		s.verified = true
		p.sections[name] = s
	}
	return p.data[s.off : s.off+s.n], nil
}

// blockSize is the bytes of a section that Deferred checks at a time
// (64 KiB: a label read here and there checks 10 µs' worth), and
// blockTable the suffix of the name of the section of their CRCs.
const (
	blockShift = 16
	blockSize  = 1 << blockShift
	blockTable = "@"
)

// blockShares is how many cores n blocks are checked on: one per core,
// each share at least a stretch (crcStretch) of them.
func blockShares(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n/blocksPerStretch))
}

// blocksPerStretch is how many blocks make a crcStretch.
const blocksPerStretch = crcStretch / blockSize

// blockCRCs returns the CRC of each blockSize bytes of b, and that of b.
func blockCRCs(b []byte) (blocks []uint32, crc uint32) {
	n := (len(b) + blockSize - 1) / blockSize
	blocks = make([]uint32, n)
	par.InShares(n, blockShares(n), func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			blocks[k] = crc32.Checksum(b[k*blockSize:min(len(b), (k+1)*blockSize)], castagnoli)
		}
	})
	return blocks, combineBlocks(blocks, len(b))
}

// combineBlocks returns the CRC of n bytes from the CRCs of their blocks.
func combineBlocks(blocks []uint32, n int) (crc uint32) {
	whole := xPow8n(blockSize) // the shift over a whole block, for crcCombine
	for k, c := range blocks {
		if k == 0 {
			crc = c
		} else if k < len(blocks)-1 || n%blockSize == 0 {
			crc = gfMul(whole, crc) ^ c
		} else {
			crc = crcCombine(crc, c, uint64(n%blockSize))
		}
	}
	return crc
}

// Load returns a section: checked now when d is nil (Bytes), else handed
// out unchecked with *d set to check it as it is read (Deferred).
func (p *Part) Load(name string, d **Deferred) ([]byte, error) {
	if d == nil {
		return p.Bytes(name)
	}
	b, dd, err := p.Deferred(name)
	*d = dd
	return b, err
}

// Deferred returns a section added with Writer.AddBlocks without checking
// it, and the Deferred that checks it as it is used: a block at a time
// for the few entries a command looks up (CheckRange), or whole for one
// that reads it all (Check). A section that a command reads only here and
// there (the references, the shallow sizes, the immediate dominators,
// which paths and dominators print for a few objects) then costs no
// checksum over all of it: on the bench dump, 0.55 GB that paths from the
// index read whole only to check them (0.1 s).
func (p *Part) Deferred(name string) ([]byte, *Deferred, error) {
	table, err := p.Bytes(name + blockTable) // checked now: 64 KB a GB
	if err != nil {
		return nil, nil, err
	}
	p.mu.Lock()
	s, ok := p.sections[name]
	p.mu.Unlock()
	if !ok {
		return nil, nil, fmt.Errorf("%s: no section %s", p.path, name)
	}
	blocks := (s.n + blockSize - 1) / blockSize
	if uint64(len(table)) != blocks*4 {
		return nil, nil, fmt.Errorf("%s: section %s has %d block checksums for %d blocks", p.path, name, len(table)/4, blocks)
	}
	b := p.data[s.off : s.off+s.n]
	d := &Deferred{p: p, name: name, off: s.off, data: b, crcs: As[uint32](table), done: make([]atomic.Uint64, (blocks+63)/64)}
	if s.verified {
		d.all.Store(true)
	}
	return b, d, nil
}

// Deferred checks a section handed out unchecked (Part.Deferred): every
// read of the section must come after a Check or a CheckRange that covers
// it. A nil *Deferred (an array not mapped from an index) checks nothing.
//
// A block that fails its check (or cannot be read) panics with a
// *par.FaultError whose Damaged says so: the goroutines of par hand it to
// the one waiting for them, as they do a fault, and cli.Main rebuilds the
// part. The blocks checked are remembered, so no block is read twice.
type Deferred struct {
	p       *Part
	name    string
	off     uint64 // of the section in the part
	data    []byte
	crcs    []uint32        // a CRC per block
	done    []atomic.Uint64 // a bit per block checked
	checked atomic.Int64    // the bits set in done
	// all: every block checked, so that a lookup costs a load and a
	// branch once a scan has checked every block, one at a time or whole.
	all atomic.Bool
	// whole is held by Check: the goroutines of a scan that all come to
	// it wait for one check on all cores instead of each making one.
	whole sync.Mutex
}

// CheckRange checks the blocks of bytes [lo, hi) of the section (hi is
// clamped to its length) that are not checked yet. A scan by lookups soon
// has every block checked (see scanning), and then a lookup costs a load
// and a branch.
func (d *Deferred) CheckRange(lo, hi uint64) {
	if d != nil && !d.all.Load() {
		d.checkRange(lo, hi, true)
	}
}

// CheckEntry checks the block that holds entry i of the section, as an
// array of size-byte entries: what a lookup of one entry reads.
func (d *Deferred) CheckEntry(i, size uint64) { d.CheckRange(i*size, i*size+size) }

// CheckStretch checks the blocks of bytes [lo, hi) that are not checked
// yet, for a scan that reads the section in order, in shares on all
// cores, each share checking the stretch it reads next: unlike
// CheckRange, it never turns into a Check of the whole section, which
// would read it all once more.
func (d *Deferred) CheckStretch(lo, hi uint64) {
	if d != nil && !d.all.Load() {
		d.checkRange(lo, hi, false)
	}
}

// ReadsMost reports whether reads lookups spread over a section of
// entries entries will come to most of its blocks (a 64 KiB block holds
// 16 Ki entries of 4 bytes, 8 Ki of 8: 1/64 of the entries is 128 or more
// lookups a block on average). A command that will checks the section
// whole first, on all cores (Check), and then reads it without a check
// per read.
func ReadsMost(reads, entries int) bool { return reads > entries/64 }

// Done reports whether every block is checked (true for a nil Deferred):
// a loop may then read the section without a CheckRange per read.
func (d *Deferred) Done() bool { return d == nil || d.all.Load() }

// isChecked reports whether block k is checked.
func (d *Deferred) isChecked(k uint64) bool { return d.done[k>>6].Load()&(1<<(k&63)) != 0 }

// scanning checks the whole section once lookups have checked more than
// an eighth of its blocks one by one (and at least 8): they come from a
// scan (suspects sums the sizes of most objects), whose lookups then cost
// a load and a branch rather than a call, and the rest is checked on all
// cores.
func (d *Deferred) scanning() {
	if d.checked.Load() >= int64(max(8, len(d.crcs)/8+1)) {
		d.Check()
	}
}

// checkRange checks the blocks of bytes [lo, hi) not checked yet, and
// with scan, the whole section once lookups look like a scan (scanning).
func (d *Deferred) checkRange(lo, hi uint64, scan bool) {
	hi = min(hi, uint64(len(d.data))) // lo >= hi: nothing to check
	for k := lo >> blockShift; k<<blockShift < hi; k++ {
		if !d.isChecked(k) {
			d.checkBlock(k)
			if scan {
				d.scanning()
			}
		}
	}
}

// Check checks every block not checked yet, on all cores; for a mapped
// part it drops the pages it read behind it, as Part.Bytes does.
func (d *Deferred) Check() {
	if d == nil || d.all.Load() {
		return
	}
	d.whole.Lock()
	defer d.whole.Unlock()
	if d.all.Load() {
		return // checked while this waited
	}
	n := len(d.crcs)
	par.InShares(n, blockShares(n), func(_, lo, hi int) {
		for from := lo; from < hi; from += blocksPerStretch { // evicting behind each
			to := min(from+blocksPerStretch, hi)
			for k := from; k < to; k++ {
				if !d.isChecked(uint64(k)) {
					d.checkBlock(uint64(k))
				}
			}
			if d.p.unmap != nil {
				// A system call per stretch, not per block: 5,500 of
				// them cost paths 40 ms on the bench dump.
				evictPages(d.data[uint64(from)<<blockShift : min(uint64(len(d.data)), uint64(to)<<blockShift)])
			}
		}
	})
	d.all.Store(true)
}

// checkBlock checks block k (two goroutines may both check one: the
// second only repeats the first's work).
func (d *Deferred) checkBlock(k uint64) {
	lo, hi := k<<blockShift, min(uint64(len(d.data)), (k+1)<<blockShift)
	if crc32.Checksum(d.data[lo:hi], castagnoli) != d.crcs[k] {
		panic(&par.FaultError{Path: d.p.path, Damaged: fmt.Errorf("%s: section %s fails its checksum at bytes %d to %d of the file (corrupt)",
			d.p.path, d.name, d.off+lo, d.off+hi)})
	}
	if bit := uint64(1) << (k & 63); d.done[k>>6].Or(bit)&bit == 0 && d.checked.Add(1) == int64(len(d.crcs)) {
		d.all.Store(true)
	}
}

func (p *Part) checksum(s section) (uint32, error) {
	b := p.data[s.off : s.off+s.n]
	if p.unmap == nil {
		return checksum(b), nil
	}
	// Mapped: read in place, each stretch dropped from the resident set
	// behind the check. Reading the file into a buffer instead (pread)
	// cost three times the system time in copies (0.35 against 0.13 s
	// for the 1.1 GB that paths reads from the bench dump's index).
	return crcInParts(s.n, func(lo, hi uint64) (crc uint32, err error) {
		// A page that cannot be read (an I/O error, the file cut short
		// under the mapping) is an error, not a crash.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				crc, err = 0, fmt.Errorf("reading the mapped part: %v", r)
				if _, ok := par.AsFault(r); ok {
					crc, err = 0, errors.New("the file changed (was truncated or replaced) while being read")
				}
			}
		}()
		for off := lo; off < hi; {
			n := min(crcStretch, hi-off)
			crc = crc32.Update(crc, castagnoli, b[off:off+n])
			evictPages(b[off : off+n])
			off += n
		}
		return crc, nil
	})
}

// crcStretch is how many bytes of a mapped section are checked between
// evictions.
const crcStretch = 4 << 20

// Path returns the part's file name, for errors about what it holds.
func (p *Part) Path() string { return p.path }

// Evictor returns a function that drops the pages of a slice of the part's
// sections from the process's resident set, or nil when the part was read
// into memory rather than mapped. The bytes stay valid: they are read back
// from the page cache when next touched. A command that scans a big section
// once (the class of every object, the retained size of millions) calls it
// behind the scan, so that the section does not count whole in its resident
// memory.
func (p *Part) Evictor() func([]byte) {
	if p.unmap == nil {
		return nil
	}
	return evictPages
}

// Evict drops all the part's mapped pages from the process's resident set
// (see Evictor); the sections stay valid.
func (p *Part) Evict() {
	if p.unmap != nil && p.data != nil {
		evictPages(p.data)
	}
}

// Close unmaps the part; slices from it must not be used afterwards.
func (p *Part) Close() error {
	if p.data == nil {
		return nil
	}
	var err error
	if p.unmap != nil {
		err = p.unmap(p.data)
	}
	p.data = nil
	return err
}

// AsBytes views a slice of fixed-size values as bytes, for writing.
func AsBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}

// As views section bytes as a slice of fixed-size values (aligned: sections
// start on 64-byte boundaries of a page-aligned mapping).
func As[T any](b []byte) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(b) == 0 || len(b)%size != 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/size)
}
