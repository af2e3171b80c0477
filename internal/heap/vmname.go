package heap

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// The old hprof agent's dumps give no layout: their ids are not
// addresses, and JDK 6 has no Unsafe statics saying how arrays are laid
// out. The system properties still name the JVM. java.vm.name's characters
// lie in the dump as a char[] (UTF-16, big-endian): "Java HotSpot(TM) 64-Bit
// Server VM", "Java HotSpot(TM) Client VM", "OpenJDK 64-Bit Server VM".

// vmHint is what the system properties' strings say of the JVM.
type vmHint struct {
	name    string // java.vm.name, "" when none was found
	bits    int    // 64 or 32 by the name, 0 without one
	version string // the release of a JDK 5 or 6 ("1.6.0_31-b05"), or ""
	update  int    // its update (31), -1 when unknown
}

// releaseVersion is a JDK 5 or 6 release and its update.
var releaseVersion = regexp.MustCompile(`^1\.[56]\.0_(\d+)(-b\d+)?`)

// hintWindow is how much of the dump findVMHint reads at a time.
const hintWindow = 4 << 20

// findVMHint reads the dump for the JVM's name and, for a 64-bit JDK 5 or
// 6 (old, as detectJDK tells), its release, as char[] contents: only for
// a dump whose layout nothing else tells, and at most one pass over it at
// the disk's speed, ended once what the layout needs is found.
func findVMHint(r io.ReaderAt, size int64, old bool) vmHint {
	h := vmHint{update: -1}
	kinds := [][]byte{utf16BE("Server VM"), utf16BE("Client VM")}
	versions := [][]byte{utf16BE("1.6.0_"), utf16BE("1.5.0_")}
	const back = 64 // characters read before a kind, for the name's start
	buf := make([]byte, hintWindow+2*back)
	done := func() bool { return h.name != "" && (h.bits == 32 || !old || h.version != "") }
	for off := int64(0); off < size && !done(); off += hintWindow {
		from := max(0, off-2*back) // windows overlap, so no match falls between
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-from)], from)
		if n == 0 && err != nil {
			break
		}
		b := buf[:n]
		for _, k := range kinds {
			if i := bytes.Index(b, k); i >= 0 && h.name == "" {
				h.name = utf16Before(b[:i]) + string(fromUTF16(k))
				h.bits = 32
				if strings.Contains(h.name, "64-Bit") {
					h.bits = 64
				}
			}
		}
		for _, v := range versions {
			// java.runtime.version, or a path holding it
			// (/usr/lib/jvm/jdk1.6.0_31/jre/lib/ext): the first match
			// followed by an update number.
			for at := 0; h.version == ""; {
				i := bytes.Index(b[at:], v)
				if i < 0 {
					break
				}
				if m := releaseVersion.FindStringSubmatch(utf16Run(b[at+i:])); m != nil {
					h.version = m[0]
					h.update, _ = strconv.Atoi(m[1])
				}
				at += i + len(v)
			}
		}
	}
	return h
}

// utf16BE encodes ASCII s as UTF-16, big-endian.
func utf16BE(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, 0, s[i])
	}
	return b
}

// fromUTF16 decodes big-endian UTF-16 of ASCII characters.
func fromUTF16(b []byte) []byte {
	out := make([]byte, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		out = append(out, b[i+1])
	}
	return out
}

// printable reports whether the character at b[0:2] is printable ASCII.
func printable(b []byte) bool { return b[0] == 0 && b[1] >= ' ' && b[1] < 0x7f }

// utf16Before returns the printable ASCII characters that end b.
func utf16Before(b []byte) string {
	i := len(b)
	for i >= 2 && printable(b[i-2:i]) {
		i -= 2
	}
	return string(fromUTF16(b[i:]))
}

// utf16Run returns the printable ASCII characters that start b.
func utf16Run(b []byte) string {
	i := 0
	for i+1 < len(b) && printable(b[i:i+2]) {
		i += 2
	}
	return string(fromUTF16(b[:i]))
}
