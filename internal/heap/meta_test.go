package heap

import (
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/hprof"
	"github.com/leakscan/leakscan/internal/index"
)

// fill sets every exported field that v reaches to random values, strings
// to random bytes (rarely valid UTF-8), so that a field the codec forgets
// does not survive the round trip.
func fill(v reflect.Value, r *rand.Rand) {
	if v.Type() == reflect.TypeOf(time.Time{}) {
		v.Set(reflect.ValueOf(time.Unix(r.Int63n(1<<40), r.Int63n(1e9)).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), r)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1+r.Intn(3), 3))
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i), r)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i), r)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 1 + r.Intn(3) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, r)
			fill(e, r)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		b := make([]byte, r.Intn(12))
		r.Read(b)
		v.SetString(string(b))
	case reflect.Bool:
		v.SetBool(r.Intn(2) == 1)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(r.Int63n(1<<31) - 1<<30)
	case reflect.Uint8:
		v.SetUint(uint64(r.Intn(256)))
	case reflect.Uint32:
		v.SetUint(uint64(r.Uint32()))
	case reflect.Uint, reflect.Uint64:
		v.SetUint(r.Uint64())
	default:
		panic("fill: no case for " + v.Type().String())
	}
}

func filled[T any](r *rand.Rand) T {
	var x T
	fill(reflect.ValueOf(&x).Elem(), r)
	return x
}

// TestMetaRoundTrip encodes randomly filled values of every type the
// graph's meta section and the census keep, and decodes them unchanged.
func TestMetaRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for range 200 {
		src := filled[Source](r)
		model, reason := filled[Model](r), filled[string](r)
		classes := filled[[]Class](r)
		roots := filled[[]Root](r)
		threads := filled[[]Thread](r)
		stats := filled[Stats](r)
		warnings := filled[[]string](r)
		cat := filled[hprof.Catalog](r)
		for id, f := range cat.Frames { // keyed by their own id and serial
			delete(cat.Frames, id)
			cat.Frames[f.ID] = f
		}
		for s, tr := range cat.Traces {
			delete(cat.Traces, s)
			cat.Traces[tr.Serial] = tr
		}
		var e index.Enc
		encodeSource(&e, &src)
		encodeModel(&e, model, reason)
		encodeClasses(&e, classes)
		encodeRoots(&e, roots)
		encodeThreads(&e, threads)
		encodeStats(&e, &stats)
		encodeStrings(&e, warnings)
		encodeCatalog(&e, &cat, cat.Strings)
		d := index.NewDec(e.Bytes(), "test")
		check := func(what string, got, want any) {
			t.Helper()
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s differs after the round trip:\n got %#v\nwant %#v", what, got, want)
			}
		}
		check("source", decodeSource(d), src)
		m, why := decodeModel(d)
		check("model", m, model)
		check("model reason", why, reason)
		check("classes", decodeClasses(d), classes)
		check("roots", decodeRoots(d), roots)
		check("threads", decodeThreads(d), threads)
		check("stats", decodeStats(d), stats)
		check("warnings", decodeStrings(d), warnings)
		c := decodeCatalog(d)
		check("frames", c.Frames, cat.Frames)
		check("traces", c.Traces, cat.Traces)
		check("load classes", c.LoadClasses, cat.LoadClasses)
		check("strings", c.Strings, cat.Strings)
		if err := d.Done(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMetaDamage decodes a real graph's meta section cut short and with
// bytes altered: an error or a graph whose indices all check, never a
// panic.
func TestMetaDamage(t *testing.T) {
	g, err := Open(repoFile(t, "testdata/dumps/Spark22713.hprof"), hprof.Options{}, Options{Dump: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	raw := g.encodeMeta()
	l, ids, err := decodeMeta(raw)
	if err != nil || ids.n != g.NumObjects() || len(l.Classes) != len(g.Classes) || len(l.Roots) != len(g.Roots) {
		t.Fatalf("undamaged: %v", err)
	}
	step := max(1, len(raw)/400)
	for cut := 0; cut < len(raw); cut += step {
		if _, _, err := decodeMeta(raw[:cut]); err == nil {
			t.Fatalf("cut at %d of %d bytes: no error", cut, len(raw))
		}
		for _, v := range []byte{0, 0x01, 0x7f, 0x80, 0xff} {
			b := append([]byte(nil), raw...)
			b[cut] = v
			if l, ids, err := decodeMeta(b); err == nil {
				if err := l.checkMeta(ids.n); err != nil {
					t.Fatalf("byte %d set to %#x: decoded, yet %v", cut, v, err)
				}
			}
		}
	}
}
