package hprof

import "testing"

// TestModifiedUTF8: UTF8 records are the JVM's modified UTF-8: a
// character beyond U+FFFF comes as two encoded surrogates, U+0000 as
// C0 80; other bytes stay as they are.
func TestModifiedUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"java/lang/String":                   "java/lang/String",
		"\xed\xa0\xbd\xed\xb8\x80ABC":        "\U0001F600ABC",
		"a\xc0\x80b":                         "a\x00b",
		"caf\xc3\xa9":                        "café",
		"\xed\xa0\xbd":                       "\xed\xa0\xbd", // a lone surrogate: kept
		"\xed\xa0\xbdx\xed\xb8\x80":          "\xed\xa0\xbdx\xed\xb8\x80",
		"\xc0":                               "\xc0",
		"x\xed\xa0\x81\xed\xb0\x80y\xc0\x80": "x\U00010400y\x00",
	} {
		if got := modifiedUTF8([]byte(in)); got != want {
			t.Errorf("modifiedUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}
