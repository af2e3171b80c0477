package heap

import (
	"bytes"
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
		{[]string{"no name here", "1.6.0_31"}, 0, m32, true, "no java.vm.name found"},
	}
	for i, c := range cases {
		dump := make([]byte, c.at, 2*hintWindow)
		for _, s := range c.strs {
			dump = append(dump, 0, 0, 0, 9) // a length, say
			dump = append(dump, utf16BE(s)...)
		}
		dump = append(dump, make([]byte, 300)...)
		m, why, guessed := agentModel(findVMHint(bytes.NewReader(dump), int64(len(dump))), m32, compressed, wide)
		if m != c.want || guessed != c.guessed || !strings.Contains(why, c.says) {
			t.Errorf("case %d: %+v, guessed %v, %q; want %+v, %v, saying %q", i, m, guessed, why, c.want, c.guessed, c.says)
		}
	}
}
