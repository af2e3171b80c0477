//go:build unix

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// truncatingWriter cuts the file at path to size before its first write
// goes through: as stderr, it cuts a file the command has mapped at the
// first warning (another process rewriting it, at a moment the test
// chooses).
type truncatingWriter struct {
	t    *testing.T
	path string
	size int64
	once sync.Once
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (w *truncatingWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		if err := os.Truncate(w.path, w.size); err != nil {
			w.t.Error(err)
		}
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// TestIndexTruncatedWhileMapped: an index part cut short under its
// mapping while it is read (another process rewriting the index) faults
// on the pages it lost: one error line naming the part, exit 2, not the
// runtime's fatal error (a SIGBUS and a stack trace). A damaged
// dominators part makes the command warn between loading the graph part
// and computing the tree from it: the graph part is cut then.
func TestIndexTruncatedWhileMapped(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "dumps", "Basic.hprof"))
	if err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(t.TempDir(), "Basic.hprof")
	if err := os.WriteFile(dump, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, errOut, code := runIndexed(t, "index", dump, "--index-dir", dir); code != 0 {
		t.Fatalf("index: exit %d, %s", code, errOut)
	}
	doms := filepath.Join(dir, "dominators.idx")
	b, err := os.ReadFile(doms)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0xff // the last section's CRC fails
	if err := os.WriteFile(doms, b, 0o644); err != nil {
		t.Fatal(err)
	}
	graph := filepath.Join(dir, "graph.idx")
	errw := &truncatingWriter{t: t, path: graph, size: 4096}
	var out bytes.Buffer
	code := Main([]string{"dominators", dump, "--index-dir", dir}, &IOStreams{In: strings.NewReader(""), Out: &out, Err: errw})
	lines := strings.Split(strings.TrimSuffix(errw.buf.String(), "\n"), "\n")
	want := "leakscan: " + graph + ": the file changed (was truncated or replaced) while being read"
	if code != 2 || len(lines) != 2 || !strings.Contains(lines[0], "dominators index") || lines[1] != want {
		t.Errorf("exit %d, stderr %q; want exit 2, the warning, and %q", code, errw.buf.String(), want)
	}
}
