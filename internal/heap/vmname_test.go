package heap

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestVMHint: the JVM's name and version are found as char[] contents,
// across the windows the dump is read in, and choose the old agent's
// layout: a 32-bit name decides, a 64-bit one guesses compressed oops by
// the release's default, and without a name the guess is a 32-bit JVM.
func TestVMHint(t *testing.T) {
	m32 := Model{RefSize: 4, HeaderSize: 8}
	compressed := Model{RefSize: 4, HeaderSize: 12}
	wide := Model{RefSize: 8, HeaderSize: 16}
	cases := []struct {
		strs    []string
		at      int // where the first string starts: across a window's end, or not
		want    Model
		guessed bool
		says    string
	}{
		{[]string{"Java HotSpot(TM) Client VM", "1.6.0_31-b05"}, 100, m32, false, `java.vm.name "Java HotSpot(TM) Client VM": a 32-bit JVM`},
		{[]string{"Java HotSpot(TM) 64-Bit Server VM", "1.6.0_31-b05"}, hintWindow - 20, compressed, true, "assumed with compressed oops"},
		{[]string{"OpenJDK 64-Bit Server VM", "1.6.0_20"}, 7, wide, true, "release 1.6.0_20"},
		{[]string{"Java HotSpot(TM) 64-Bit Server VM", "1.5.0_13-b05"}, hintWindow + 3, wide, true, "release 1.5.0_13-b05: a 64-bit JVM from before"},
		{[]string{"OpenJDK 64-Bit Server VM", "1.6.0_22/jre/lib/ext"}, 0, wide, true, "release 1.6.0_22:"},
		{[]string{"OpenJDK 64-Bit Server VM", "1.6.0_x", "1.6.0_21"}, 0, wide, true, "release 1.6.0_21:"}, // the first has no update
		{[]string{"no name here", "1.6.0_31"}, 0, m32, true, "no java.vm.name found"},
	}
	for i, c := range cases {
		dump := make([]byte, c.at, 2*hintWindow)
		for _, s := range c.strs {
			dump = append(dump, 0, 0, 0, 9) // a length, say
			dump = append(dump, utf16BE(s)...)
		}
		dump = append(dump, make([]byte, 300)...)
		m, why, guessed := agentModel(findVMHint(bytes.NewReader(dump), int64(len(dump)), true), m32, compressed, wide)
		if m != c.want || guessed != c.guessed || !strings.Contains(why, c.says) {
			t.Errorf("case %d: %+v, guessed %v, %q; want %+v, %v, saying %q", i, m, guessed, why, c.want, c.guessed, c.says)
		}
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r    io.ReaderAt
	read int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.read += int64(n)
	return n, err
}

// TestVMHintStops: the search ends at the first window that gives what the
// layout needs (the name of a 32-bit JVM, or a 64-bit one's past JDK 6,
// whose release does not matter), not at the dump's end.
func TestVMHintStops(t *testing.T) {
	dump := append(utf16BE("Java HotSpot(TM) Client VM"), make([]byte, 5*hintWindow)...)
	c := &countingReader{r: bytes.NewReader(dump)}
	if h := findVMHint(c, int64(len(dump)), true); h.bits != 32 || c.read > hintWindow+1024 {
		t.Errorf("32-bit: %+v after %d bytes", h, c.read)
	}
	dump = append(utf16BE("OpenJDK 64-Bit Server VM"), make([]byte, 5*hintWindow)...)
	c = &countingReader{r: bytes.NewReader(dump)}
	if h := findVMHint(c, int64(len(dump)), false); h.bits != 64 || c.read > hintWindow+1024 {
		t.Errorf("64-bit, JDK 7: %+v after %d bytes", h, c.read)
	}
	c = &countingReader{r: bytes.NewReader(dump)}
	if h := findVMHint(c, int64(len(dump)), true); h.bits != 64 || c.read < int64(len(dump)) {
		t.Errorf("64-bit, JDK 6 without a release: %+v after %d of %d bytes", h, c.read, len(dump))
	}
}
