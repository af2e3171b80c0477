package progress

import (
	"bytes"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestTimings(t *testing.T) {
	var out bytes.Buffer
	b := NewTimings(&out)
	b.Update("scanning", 0, 10)
	b.Update("scanning", 10, 10)
	b.Update("objects", 0, 10)
	b.Done()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per phase, got %q", out.String())
	}
	line := regexp.MustCompile(`^timing: (\S+) +\d+\.\d{3} s(  \(user \d+\.\d{3} s, sys \d+\.\d{3} s, \d+ faults, peak RSS (\d+) MB\))?$`)
	for i, want := range []string{"scanning", "objects"} {
		m := line.FindStringSubmatch(lines[i])
		if m == nil || m[1] != want {
			t.Fatalf("line %d = %q, want the phase %s in the timing format", i, lines[i], want)
		}
		if runtime.GOOS == "linux" && (m[2] == "" || m[3] == "0") {
			t.Errorf("line %d = %q: no CPU times, faults and peak RSS on Linux", i, lines[i])
		}
	}
}

func TestSilentBar(t *testing.T) {
	var b *Bar
	b.Update("x", 1, 2) // a nil bar does nothing
	b.Done()
	var out bytes.Buffer
	New(&out, false).Update("x", 1, 2)
	if out.Len() != 0 {
		t.Fatalf("a disabled bar wrote %q", out.String())
	}
}
