package hprof_test

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/hprof/hproftest"
)

func readAll(t *testing.T, data []byte, opts hprof.Options) (*hprof.Catalog, map[hprof.SubTag]int, error) {
	t.Helper()
	f, err := hprof.OpenBytes("test.hprof", data, opts)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	cat, err := f.ReadCatalog()
	if err != nil {
		return nil, nil, err
	}
	counts := map[hprof.SubTag]int{}
	for _, d := range cat.Dumps {
		r := f.HeapRecords(d)
		for r.Next() {
			counts[r.Rec.Tag]++
		}
		if r.Err() != nil {
			return cat, counts, r.Err()
		}
	}
	return cat, counts, nil
}

func wantFormatError(t *testing.T, err error, offset int64, substr string) {
	t.Helper()
	var fe *hprof.FormatError
	if !errors.As(err, &fe) {
		var te interface{ Unwrap() error }
		if !errors.As(err, &te) {
			t.Fatalf("error %v (%T), want a FormatError", err, err)
		}
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "test.hprof: offset ") {
		t.Errorf("error %q does not start with the file and offset", msg)
	}
	if offset >= 0 && !strings.Contains(msg, "offset "+itoa(offset)+":") {
		t.Errorf("error %q, want offset %d", msg, offset)
	}
	if !strings.Contains(msg, substr) {
		t.Errorf("error %q does not say %q", msg, substr)
	}
}

func itoa(n int64) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// sample is a small dump with every record and sub-record kind.
func sample(idSize int) []byte {
	w := hproftest.New(idSize, "JAVA PROFILE 1.0.3")
	obj := w.Class("java/lang/Object", 0, 0, nil, nil)
	node := w.Class("Node", obj, 0, []hproftest.Static{{Name: "COUNT", Type: hprof.TypeInt, Value: 7}}, []hproftest.Field{{Name: "next", Type: hprof.TypeObject}, {Name: "v", Type: hprof.TypeLong}})
	arr := w.ObjectArrayClass()
	a, b := w.NewID(), w.NewID()
	w.Instance(a, node, []hprof.BasicType{hprof.TypeObject, hprof.TypeLong}, []uint64{b, 1})
	w.Instance(b, node, []hprof.BasicType{hprof.TypeObject, hprof.TypeLong}, []uint64{0, 2})
	w.ObjArray(w.NewID(), arr, []uint64{a, b, 0})
	w.PrimArray(w.NewID(), hprof.TypeChar, 3, nil)
	for _, tag := range []hprof.SubTag{hprof.SubRootUnknown, hprof.SubRootJNIGlobal, hprof.SubRootJNILocal, hprof.SubRootJavaFrame,
		hprof.SubRootNativeStack, hprof.SubRootStickyClass, hprof.SubRootThreadBlock, hprof.SubRootMonitorUsed, hprof.SubRootThreadObject,
		hprof.SubRootInternedString, hprof.SubRootFinalizing, hprof.SubRootDebugger, hprof.SubRootReferenceCleanup,
		hprof.SubRootVMInternal, hprof.SubRootJNIMonitor, hprof.SubUnreachable} {
		w.Root(tag, a, 1, 0)
	}
	// Android's HEAP DUMP INFO and PRIM ARRAY NODATA.
	info := []byte{byte(hprof.SubHeapDumpInfo), 0, 0, 0, 1}
	info = append(info, make([]byte, idSize)...)
	w.Raw(info)
	nodata := []byte{byte(hprof.SubPrimArrayNoData)}
	nodata = append(nodata, make([]byte, idSize-1)...)
	nodata = append(nodata, 0x77, 0, 0, 0, 0, 0, 0, 0, 9, byte(hprof.TypeInt))
	w.Raw(nodata)
	w.Flush()
	// Top-level records of every other kind.
	w.Record(hprof.TagUnloadClass, []byte{0, 0, 0, 9})
	frame := make([]byte, 4*idSize+8)
	w.Record(hprof.TagStackFrame, frame)
	trace := binary.BigEndian.AppendUint32(nil, 1)
	trace = binary.BigEndian.AppendUint32(trace, 1)
	trace = binary.BigEndian.AppendUint32(trace, 1)
	trace = append(trace, make([]byte, idSize)...)
	w.Record(hprof.TagStackTrace, trace)
	sites := make([]byte, 34+25)
	sites[33] = 1
	w.Record(hprof.TagAllocSites, sites)
	w.Record(hprof.TagHeapSummary, make([]byte, 24))
	w.Record(hprof.TagStartThread, make([]byte, 8+4*idSize))
	w.Record(hprof.TagEndThread, make([]byte, 4))
	w.Record(hprof.TagCPUSamples, []byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 1})
	w.Record(hprof.TagControlSettings, make([]byte, 6))
	w.Record(hprof.Tag(0x55), []byte("future"))
	return w.Bytes()
}

func TestEveryRecordKind(t *testing.T) {
	for _, idSize := range []int{4, 8} {
		cat, counts, err := readAll(t, sample(idSize), hprof.Options{})
		if err != nil {
			t.Fatalf("id size %d: %v", idSize, err)
		}
		if counts[hprof.SubInstanceDump] != 2 || counts[hprof.SubObjArrayDump] != 1 || counts[hprof.SubPrimArrayDump] != 1 ||
			counts[hprof.SubClassDump] != 4 || counts[hprof.SubPrimArrayNoData] != 1 || counts[hprof.SubHeapDumpInfo] != 1 {
			t.Errorf("id size %d: sub-record counts %v", idSize, counts)
		}
		for _, tag := range []hprof.Tag{hprof.TagUTF8, hprof.TagLoadClass, hprof.TagUnloadClass, hprof.TagStackFrame, hprof.TagStackTrace,
			hprof.TagAllocSites, hprof.TagHeapSummary, hprof.TagStartThread, hprof.TagEndThread, hprof.TagHeapDumpSegment,
			hprof.TagHeapDumpEnd, hprof.TagCPUSamples, hprof.TagControlSettings} {
			if cat.RecordCounts[tag] == 0 {
				t.Errorf("id size %d: no %s record counted", idSize, tag)
			}
		}
		if cat.UnknownTags[0x55] != 1 || len(cat.Warnings) != 1 || !strings.Contains(cat.Warnings[0], "unknown tag 0x55") {
			t.Errorf("unknown tag not warned about: %v %v", cat.UnknownTags, cat.Warnings)
		}
		if len(cat.Dumps) != 1 {
			t.Errorf("dumps = %v", cat.Dumps)
		}
	}
}

func TestBadInput(t *testing.T) {
	good := sample(8)
	headerLen := int64(len("JAVA PROFILE 1.0.3") + 13)
	cases := []struct {
		name   string
		data   []byte
		offset int64
		say    string
	}{
		{"not hprof", []byte("PK\x03\x04 this is a zip file"), 0, "not an HPROF heap dump"},
		{"empty", nil, 0, "not an HPROF heap dump"},
		{"bad version", append([]byte("JAVA PROFILE 9.9.9\x00"), make([]byte, 12)...), 0, "unsupported HPROF version"},
		{"bad id size", append([]byte("JAVA PROFILE 1.0.2\x00\x00\x00\x00\x03"), make([]byte, 8)...), 19, "identifier size 3"},
		{"cut in header", good[:22], 19, "identifier size and timestamp"},
		{"cut in record header", good[:headerLen+4], headerLen, "record header"},
		{"record past end", good[:headerLen+12], headerLen, "only 3 remain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, c.data, hprof.Options{})
			if err == nil {
				t.Fatal("no error")
			}
			wantFormatError(t, err, c.offset, c.say)
		})
	}
	t.Run("unknown sub-record", func(t *testing.T) {
		w := hproftest.New(8, "")
		w.Raw([]byte{0x42, 1, 2, 3})
		data := w.Bytes()
		_, _, err := readAll(t, data, hprof.Options{})
		wantFormatError(t, err, headerLen+9, "unknown heap dump sub-record tag 0x42")
	})
	t.Run("instance past its segment", func(t *testing.T) {
		w := hproftest.New(8, "")
		w.InstanceBytes(0x100, 0x200, []byte{1, 2, 3, 4})
		data := w.Bytes()
		// Claim 4000 bytes of fields instead of 4.
		binary.BigEndian.PutUint32(data[headerLen+9+1+8+4+8:], 4000)
		_, _, err := readAll(t, data, hprof.Options{})
		wantFormatError(t, err, headerLen+9, "INSTANCE DUMP needs 4025 bytes")
	})
	t.Run("bad field type", func(t *testing.T) {
		w := hproftest.New(8, "")
		w.Class("X", 0, 0, nil, []hproftest.Field{{Name: "f", Type: 3}})
		_, _, err := readAll(t, w.Bytes(), hprof.Options{})
		wantFormatError(t, err, -1, "an instance field has type 3")
	})
	t.Run("stack trace claims too many frames", func(t *testing.T) {
		w := hproftest.New(8, "")
		w.Record(hprof.TagStackTrace, []byte{0, 0, 0, 1, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff})
		_, _, err := readAll(t, w.Bytes(), hprof.Options{})
		wantFormatError(t, err, headerLen, "declares 2147483647 frames")
	})
}

func TestTruncatedAllowed(t *testing.T) {
	good := sample(8)
	cut := good[:len(good)-300]
	if _, _, err := readAll(t, cut, hprof.Options{}); !hprof.IsTruncated(err) {
		t.Fatalf("err = %v, want a truncation error", err)
	}
	cat, counts, err := readAll(t, cut, hprof.Options{AllowTruncated: true})
	if err != nil {
		t.Fatal(err)
	}
	if counts[hprof.SubClassDump] == 0 || len(cat.Warnings) == 0 || !strings.Contains(strings.Join(cat.Warnings, " "), "truncated") {
		t.Errorf("counts %v warnings %v", counts, cat.Warnings)
	}
}

func TestMultipleDumps(t *testing.T) {
	w := hproftest.New(4, "JAVA PROFILE 1.0.1")
	w.Class("A", 0, 0, nil, nil)
	w.Flush()
	w.Record(hprof.TagHeapDumpEnd, nil)
	w.Record(hprof.TagUTF8, []byte{0, 0, 0, 1, 'x'}) // interleaved, as the old agent does
	w.Class("B", 0, 0, nil, nil)
	cat, counts, err := readAll(t, w.Bytes(), hprof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Dumps) != 2 || counts[hprof.SubClassDump] != 2 {
		t.Fatalf("dumps %v counts %v", cat.Dumps, counts)
	}
}

// sharedDumps returns the reference dumps from ../shared/dumps, or skips.
func sharedDumps(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "dumps")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference dumps not present (%s): %v", dir, err)
	}
	var files []string
	for _, pat := range []string{"mat/*.hprof", "mat/*.hprof.gz", "hprof-slurp/*.bin"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	return files
}

func TestSharedDumpsParse(t *testing.T) {
	for _, path := range sharedDumps(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := hprof.Open(path, hprof.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cat, err := f.ReadCatalog()
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, d := range cat.Dumps {
				r := f.HeapRecords(d)
				for r.Next() {
					n++
				}
				if r.Err() != nil {
					t.Fatal(r.Err())
				}
			}
			if n == 0 {
				t.Fatal("no sub-records")
			}
		})
	}
}

// TestHprofSlurpCounts checks record counts against the expected summary
// that ships with hprof-64.bin.
func TestHprofSlurpCounts(t *testing.T) {
	var path string
	for _, p := range sharedDumps(t) {
		if filepath.Base(p) == "hprof-64.bin" {
			path = p
		}
	}
	if path == "" {
		t.Skip("hprof-64.bin not present")
	}
	f, err := hprof.Open(path, hprof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cat, err := f.ReadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[hprof.SubTag]int{}
	r := f.HeapRecords(cat.Dumps[0])
	for r.Next() {
		counts[r.Rec.Tag]++
	}
	// From hprof-64-result.txt.
	want := map[hprof.SubTag]int{hprof.SubRootThreadObject: 9, hprof.SubRootJNIGlobal: 5, hprof.SubRootJavaFrame: 22,
		hprof.SubRootStickyClass: 413, hprof.SubRootMonitorUsed: 4, hprof.SubPrimArrayDump: 2891, hprof.SubObjArrayDump: 748,
		hprof.SubClassDump: 474, hprof.SubInstanceDump: 4149}
	for tag, n := range want {
		if counts[tag] != n {
			t.Errorf("%s: %d, want %d", tag, counts[tag], n)
		}
	}
	if len(cat.Strings) != 10768 || len(cat.Traces) != 10 || len(cat.Frames) != 20 {
		t.Errorf("strings %d traces %d frames %d, want 10768 10 20", len(cat.Strings), len(cat.Traces), len(cat.Frames))
	}
}
