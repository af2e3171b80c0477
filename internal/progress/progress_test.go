package progress

import (
	"bytes"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
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

// TestBeside: work beside the phases gets a line of its own, between the
// phases', on the timings only.
func TestBeside(t *testing.T) {
	var out bytes.Buffer
	b := NewTimings(&out)
	b.Update("forest", 0, 10)
	b.Beside("search", 1500*time.Millisecond)
	b.Update("retained", 0, 10)
	b.Done()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || lines[0] != "timing: search        1.500 s  (beside the phases)" ||
		!strings.HasPrefix(lines[1], "timing: forest ") || !strings.HasPrefix(lines[2], "timing: retained ") {
		t.Fatalf("got %q", out.String())
	}
	var drawn bytes.Buffer
	New(&drawn, true).Beside("search", time.Second)
	var nilBar *Bar
	nilBar.Beside("search", time.Second)
	if drawn.Len() != 0 {
		t.Fatalf("a bar without timings wrote %q", drawn.String())
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
