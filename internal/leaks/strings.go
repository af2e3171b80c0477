package leaks

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// DuplicateString is one text that several java.lang.String objects hold.
type DuplicateString struct {
	Text string `json:"text"` // the first maxTextChars characters
	// Chars is the text's length in UTF-16 units, as String.length()
	// counts them.
	Chars  int   `json:"length"`
	Copies int64 `json:"copies"`
	// Arrays counts the distinct value arrays the copies point at: fewer
	// than Copies where strings share one (G1's string deduplication).
	Arrays int64 `json:"value_arrays"`
	// Each is one copy's String and value array (the String alone where
	// its array holds a longer text, JDK 6's substrings); Wasted what
	// keeping one String and one array would free.
	Each   uint64 `json:"bytes_each"`
	Wasted uint64 `json:"wasted_bytes"`
	Sample Object `json:"sample"` // the first copy in dump order
}

// StringsReport is what `leakscan strings` prints.
type StringsReport struct {
	Strings    int64             `json:"strings"`       // reachable java.lang.String objects
	Bytes      uint64            `json:"strings_bytes"` // their and their arrays' shallow sizes, each array once
	Wasted     uint64            `json:"wasted_bytes"`  // over all Duplicates
	Duplicates []DuplicateString `json:"duplicates"`    // most wasted first
}

// maxTextChars is how much of a duplicate's text the report keeps.
const maxTextChars = 200

// progressEvery is how many Strings Duplicates reads between reports.
const progressEvery = 1 << 16

// aString is one reachable String as Duplicates reads it.
type aString struct {
	s, a          int32 // the String; its value array (None if null or missing)
	offset, count int32 // JDK 6's part of a shared char[]; count -1 for all
	coder         int16 // JDK 9's coder, -1 before
	hash          uint64
}

// Duplicates finds the texts that more than one reachable java.lang.String
// holds, each text once, most memory wasted first. A text is the String's
// coder (JDK 9+: its Latin-1 and UTF-16 forms of one text never both
// occur, compact strings storing Latin-1 where they can) and its value's
// bytes (JDK 6's offset and count applied). Copies are grouped by a hash
// of these and compared byte for byte, so a collision never merges two
// texts. Strings no GC root reaches are left out, as the tree leaves them.
//
// The texts are hashed first without the Strings' records (the value is
// the one reference a String holds, but for JDK 6's offset and count),
// and only the Strings whose hash is met twice are read. Arrays are read
// in dump order, each once, in one walk of the dump (heap.Graph.EachRecord):
// on the bench dump's 9.4 M Strings the arrays take 2.7 s and the command
// 8.4 s and 2.2 GB of RSS, against 8.1 s, 13.4 s and 4.3 GB finding each
// array's record on its own, and 44 s reading both records of each String
// at random.
//
// progress, if not nil, is told of the three passes: "strings", "values"
// and "copies", each counted in Strings.
func Duplicates(g *heap.Graph, t *dominator.Tree, progress func(phase string, done, total int64)) (*StringsReport, error) {
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	r := &StringsReport{Duplicates: []DuplicateString{}}
	classes := g.ClassByName("java.lang.String")
	if len(classes) == 0 {
		return r, nil
	}
	layout := stringLayout(g, classes[0])
	match := make([]bool, len(g.Classes))
	for _, c := range classes {
		match[c] = true
	}
	objs := g.ObjectsOf(match) // in dump order
	all := make([]aString, 0, len(objs))
	var unread []int // where in all the Strings whose records are to be read
	counted := bitset.New(g.NumObjects())
	for i, s := range objs {
		if i%progressEvery == 0 {
			progress("strings", int64(i), int64(len(objs)))
		}
		if t.Idom(s) == dominator.Unreachable {
			continue
		}
		st := aString{s: int32(s), a: int32(heap.None), count: -1, coder: -1}
		if refs := g.Refs(s); layout.offsetAt >= 0 || len(refs) != 1 {
			unread = append(unread, len(all)) // JDK 6's part of an array, or no value
		} else {
			st.a = int32(refs[0]) // value, the one reference a String holds
		}
		r.Strings++
		r.Bytes += g.ShallowSize(s)
		all = append(all, st)
	}
	// The records of those, in dump order; the coders are read with the
	// candidates', below.
	if err := layout.readAll(g, all, unread); err != nil {
		return nil, err
	}
	for k := range all {
		all[k].coder = -1
		if a := all[k].a; a >= 0 && !counted.Has(a) { // an array Strings share, once
			counted.Add(a)
			r.Bytes += g.ShallowSize(heap.ObjectIndex(a))
		}
	}
	counted = nil
	// Hash each text, the arrays in dump order. A String whose value is
	// null, missing from the dump or no array of chars or bytes has no
	// text: it is left out of the grouping (a = None).
	seed := maphash.MakeSeed()
	err := byArray(g, all, "values", progress, func(st *aString, text []byte, elem hprof.BasicType, _ bool) {
		if elem == 0 {
			st.a = int32(heap.None)
			return
		}
		st.hash = maphash.Bytes(seed, text)
	})
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(st aString) bool { return st.a < 0 })
	// The hashes met more than once (a sort of bare numbers, quicker than
	// one of the records), then their copies compared byte for byte, the
	// arrays in dump order again.
	hashes := make([]uint64, len(all))
	for i := range all {
		hashes[i] = all[i].hash
	}
	slices.Sort(hashes)
	twice := map[uint64]bool{}
	for i := 1; i < len(hashes); i++ {
		if hashes[i] == hashes[i-1] {
			twice[hashes[i]] = true
		}
	}
	hashes = nil
	// The candidates' records, for their coders (the texts above were
	// hashed without, which groups more, never fewer), in dump order.
	var cands []aString
	for _, st := range all {
		if twice[st.hash] {
			cands = append(cands, st)
		}
	}
	all = nil
	if err := layout.readAll(g, cands, nil); err != nil {
		return nil, err
	}
	type text struct {
		bytes  []byte
		elem   hprof.BasicType
		copies int64
		arrays map[int32]bool // the copies' arrays
		// owned: the arrays that hold this text alone, not a part of a
		// longer one (JDK 6's substrings share their parent's char[]),
		// which releasing a copy would free with it.
		owned map[int32]bool
		first int32 // the copy first in dump order
	}
	texts := map[uint64][]*text{} // by hash: one text, but for a collision or two coders
	err = byArray(g, cands, "copies", progress, func(st *aString, b []byte, elem hprof.BasicType, whole bool) {
		run := texts[st.hash]
		i := slices.IndexFunc(run, func(x *text) bool { return bytes.Equal(x.bytes, b) })
		if i < 0 {
			run = append(run, &text{bytes: bytes.Clone(b), elem: elem, arrays: map[int32]bool{}, owned: map[int32]bool{}, first: st.s})
			texts[st.hash] = run
			i = len(run) - 1
		}
		x := run[i]
		x.copies++
		x.arrays[st.a] = true
		if whole {
			x.owned[st.a] = true
		}
		x.first = min(x.first, st.s)
	})
	if err != nil {
		return nil, err
	}
	for _, run := range texts {
		for _, x := range run {
			if x.copies < 2 {
				continue
			}
			// A copy is its String and an array of its own: its text's
			// arrays are all alike. An array shared with a longer text is
			// not the copy's to free.
			sShallow, aShallow := g.ShallowSize(heap.ObjectIndex(x.first)), uint64(0)
			for a := range x.owned {
				aShallow = g.ShallowSize(heap.ObjectIndex(a))
				break
			}
			d := DuplicateString{Copies: x.copies, Arrays: int64(len(x.arrays)), Each: sShallow + aShallow,
				Sample: objectOf(g, t, heap.ObjectIndex(x.first))}
			d.Wasted = uint64(d.Copies-1)*sShallow + uint64(max(len(x.owned)-1, 0))*aShallow
			d.Text, d.Chars = decodeText(x.bytes, x.elem, layout.coderAt >= 0)
			r.Duplicates = append(r.Duplicates, d)
			r.Wasted += d.Wasted
		}
	}
	slices.SortFunc(r.Duplicates, func(a, b DuplicateString) int {
		return cmp.Or(cmp.Compare(b.Wasted, a.Wasted), cmp.Compare(b.Copies, a.Copies), strings.Compare(a.Text, b.Text), strings.Compare(a.Sample.ID, b.Sample.ID))
	})
	return r, nil
}

// fieldsOfString are where java.lang.String's fields lie in its record,
// -1 for those its JDK lacks.
type fieldsOfString struct{ valueAt, offsetAt, countAt, coderAt int }

func stringLayout(g *heap.Graph, c heap.ClassIndex) fieldsOfString {
	l := fieldsOfString{-1, -1, -1, -1}
	fields, offsets := g.AllFields(c)
	for i, f := range fields {
		switch {
		case f.Name == "value" && f.Type == hprof.TypeObject && l.valueAt < 0:
			l.valueAt = offsets[i]
		case f.Name == "offset" && f.Type == hprof.TypeInt && l.offsetAt < 0:
			l.offsetAt = offsets[i]
		case f.Name == "count" && f.Type == hprof.TypeInt && l.countAt < 0:
			l.countAt = offsets[i]
		case f.Name == "coder" && f.Type == hprof.TypeByte && l.coderAt < 0:
			l.coderAt = offsets[i]
		}
	}
	return l
}

// readAll reads the fields of the Strings strs[k] for each k of which
// (all of strs if which is nil), which lie in dump order: the records are
// read in one walk (heap.Graph.EachRecord).
func (l fieldsOfString) readAll(g *heap.Graph, strs []aString, which []int) error {
	if which == nil {
		which = make([]int, len(strs))
		for k := range which {
			which[k] = k
		}
	}
	objs := make([]heap.ObjectIndex, len(which))
	for n, k := range which {
		objs[n] = heap.ObjectIndex(strs[k].s)
	}
	n := 0
	return g.EachRecord(objs, func(_ heap.ObjectIndex, rec hprof.SubRecord) error {
		l.read(g, &strs[which[n]], rec.Body)
		n++
		return nil
	})
}

// read sets st's fields from its String's record body b (its value array
// None if the value is null or no object of the dump).
func (l fieldsOfString) read(g *heap.Graph, st *aString, b []byte) {
	idSize := g.Model.IDSize
	st.a, st.offset, st.count, st.coder = int32(heap.None), 0, -1, -1
	if l.valueAt >= 0 && l.valueAt+idSize <= len(b) {
		if id := hprof.ReadValue(b[l.valueAt:], hprof.TypeObject, idSize); id != 0 {
			st.a = int32(g.Lookup(id))
		}
	}
	if l.offsetAt >= 0 && l.offsetAt+4 <= len(b) {
		st.offset = int32(hprof.ReadValue(b[l.offsetAt:], hprof.TypeInt, idSize))
	}
	if l.countAt >= 0 && l.countAt+4 <= len(b) {
		st.count = int32(hprof.ReadValue(b[l.countAt:], hprof.TypeInt, idSize))
	}
	if l.coderAt >= 0 && l.coderAt < len(b) {
		st.coder = int16(b[l.coderAt])
	}
}

// byArray calls fn with each String of strs and its text's bytes (the
// coder, then its part of the value's bytes; valid while fn runs), the
// array's element type (0 for none: no value, or not an array of
// primitives) and whether the text is the whole array (not JDK 6's part
// of a longer one), the arrays read in dump order, each once.
func byArray(g *heap.Graph, strs []aString, phase string, progress func(string, int64, int64), fn func(st *aString, text []byte, elem hprof.BasicType, whole bool)) error {
	// The order as numbers, array then place: a sort of bare numbers (the
	// arrays mostly in order already) is quicker than one of the records.
	order := make([]uint64, len(strs))
	for i, st := range strs {
		order[i] = uint64(uint32(st.a))<<32 | uint64(i) // None (-1) last
	}
	slices.Sort(order)
	var arrays []heap.ObjectIndex // each once, in dump order
	for k, o := range order {
		if a := int32(o >> 32); a >= 0 && (k == 0 || int32(order[k-1]>>32) != a) {
			arrays = append(arrays, heap.ObjectIndex(a))
		}
	}
	var buf []byte
	lo, next := 0, 0
	// group calls fn for the Strings of order[lo:] whose array is the
	// one there, with its body and element type.
	group := func(body []byte, elem hprof.BasicType) {
		if lo >= next {
			progress(phase, int64(lo), int64(len(order)))
			next = lo + progressEvery
		}
		a := int32(order[lo] >> 32)
		for ; lo < len(order) && int32(order[lo]>>32) == a; lo++ {
			st := &strs[uint32(order[lo])]
			b, whole := body, true
			if elem == hprof.TypeChar && st.count >= 0 && st.offset >= 0 && 2*(int(st.offset)+int(st.count)) <= len(b) {
				b = b[2*st.offset : 2*(st.offset+st.count)]
				whole = len(b) == len(body)
			}
			buf = buf[:0]
			if st.coder >= 0 {
				buf = append(buf, byte(st.coder))
			}
			fn(st, append(buf, b...), elem, whole)
		}
	}
	err := g.EachRecord(arrays, func(_ heap.ObjectIndex, rec hprof.SubRecord) error {
		if rec.Tag == hprof.SubPrimArrayDump {
			group(rec.Body, rec.ElemType)
		} else {
			group(nil, 0)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for lo < len(order) { // no array (None, last)
		group(nil, 0)
	}
	return nil
}

// decodeText returns the first maxTextChars characters of a text as
// byArray gives it (with a coder byte first when coded) and its length in
// UTF-16 units: a char[] is big-endian UTF-16, a byte[] Latin-1 (coder 0)
// or UTF-16 in the JVM's order (coder 1, little-endian on x86).
func decodeText(b []byte, elem hprof.BasicType, coded bool) (string, int) {
	utf16le := false
	if coded && len(b) > 0 {
		utf16le = b[0] == 1
		b = b[1:]
	}
	switch {
	case elem == hprof.TypeByte && !utf16le:
		r := make([]rune, min(len(b), maxTextChars))
		for k := range r {
			r[k] = rune(b[k])
		}
		return string(r), len(b)
	case elem == hprof.TypeByte || elem == hprof.TypeChar:
		n := len(b) / 2
		u := make([]uint16, min(n, maxTextChars))
		for k := range u {
			if elem == hprof.TypeChar {
				u[k] = binary.BigEndian.Uint16(b[2*k:])
			} else {
				u[k] = binary.LittleEndian.Uint16(b[2*k:])
			}
		}
		text := string(utf16.Decode(u))
		if n > maxTextChars {
			text = strings.TrimSuffix(text, "\uFFFD") // a surrogate pair cut in two
		}
		return text, n
	}
	return "", 0
}
