package leaks

import (
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/leakscan/leakscan/internal/heap"
	"github.com/leakscan/leakscan/internal/hprof"
)

// TestSystemPropertiesLiveJVM: on a dump of SystemProps, the properties
// read are every one the JVM listed before the dump, with the same values,
// its own non-ASCII one with a tab and a newline among them.
func TestSystemPropertiesLiveJVM(t *testing.T) {
	g, said := liveJVM(t, "SystemProps", "-Xmx64m", "-Xshare:off")
	props, unreadable, ok := SystemProperties(g)
	if !ok || unreadable != 0 {
		t.Fatalf("ok %v, %d unreadable", ok, unreadable)
	}
	got := map[string]string{}
	for _, p := range props {
		got[p.Key] = p.Value
	}
	want := map[string]string{}
	for _, fields := range said {
		if len(fields) == 1 {
			fields = append(fields, "") // an empty value
		}
		k, err1 := hex.DecodeString(fields[0])
		v, err2 := hex.DecodeString(fields[1])
		if len(fields) != 2 || err1 != nil || err2 != nil {
			t.Fatalf("the program wrote %q", fields)
		}
		want[string(k)] = string(v)
	}
	if len(got) != len(want) || len(want) < 30 {
		t.Errorf("%d properties read, the JVM listed %d", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%q: %q (read %v), the JVM says %q", k, g, ok, v)
		}
	}
	if got["leakscan.fixture"] != "grüße\tund ✓\nzweite Zeile" {
		t.Errorf("leakscan.fixture %q", got["leakscan.fixture"])
	}
}

// TestSystemPropertiesShared: every fixture and shared dump (JDK 5 to 17,
// Hashtable and ConcurrentHashMap forms) gives its properties, naming its
// JVM; the dumps with references to missing objects count the entries
// they cannot read, and only those.
func TestSystemPropertiesShared(t *testing.T) {
	dumps, _ := filepath.Glob("../../testdata/dumps/*.hprof")
	shared, _ := filepath.Glob("../../../shared/dumps/mat/*.hprof*")
	for _, path := range append(dumps, shared...) {
		g, err := heap.Open(path, hprof.Options{}, heap.Options{Dump: -1})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		props, unreadable, ok := SystemProperties(g)
		if !ok || len(props) < 40 || PropertyValue(props, "java.vm.name") == "" || PropertyValue(props, "os.name") == "" {
			t.Errorf("%s: ok %v, %d properties, java.vm.name %q", filepath.Base(path), ok, len(props), PropertyValue(props, "java.vm.name"))
		}
		if unreadable > 0 && g.Stats.Dangling == 0 {
			t.Errorf("%s: %d entries unreadable in a dump without dangling references", filepath.Base(path), unreadable)
		}
		g.Close()
	}
}
