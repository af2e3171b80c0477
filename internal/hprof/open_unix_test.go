//go:build unix

package hprof_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/hprof"
)

// TestOpenNotRegular checks that what cannot be mapped is refused by
// type, before it is opened: a FIFO without a writer would block the open.
func TestOpenNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.hprof")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	cases := []struct{ path, say string }{
		{dir, "is a directory, not a heap dump: leakscan needs a regular file it can map"},
		{fifo, "is a pipe, not a regular file: leakscan needs a regular file it can map; save the dump to a file first"},
		{fmt.Sprintf("/dev/fd/%d", r.Fd()), "is a pipe, not a regular file"}, // <(cat dump)
		{os.DevNull, "is a device, not a regular file"},
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() {
			f, err := hprof.Open(c.path, hprof.Options{})
			if err == nil {
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.HasPrefix(err.Error(), c.path+" ") || !strings.Contains(err.Error(), c.say) {
				t.Errorf("%s: error %v, want one saying %q", c.path, err, c.say)
			}
		case <-time.After(5 * time.Second):
			// Let the blocked open return, as a writer arrives.
			if w, err := os.OpenFile(c.path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			t.Errorf("%s: Open still blocked after 5 s", c.path)
		}
	}
}

// TestInflateLeavesNoFile checks that the inflated copy never has a name
// in the temporary folder, so that no way of ending leakscan (an error,
// SIGTERM, SIGKILL, a crash) can leave it behind.
func TestInflateLeavesNoFile(t *testing.T) {
	data := biggerDump()
	good := gzipMembers(t, data, 4096, 4096)
	corrupt := append([]byte(nil), good...)
	for i := len(corrupt) / 2; i < len(corrupt)/2+64; i++ {
		corrupt[i] ^= 0x55
	}
	for _, c := range []struct {
		name string
		gz   []byte
		ok   bool
	}{
		{"whole", good, true},
		{"corrupt", corrupt, false},
		{"truncated", good[:len(good)/2], false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			seen := map[string]bool{}
			progress := func(done, total int64) {
				names, _ := filepath.Glob(filepath.Join(dir, "*"))
				for _, n := range names {
					seen[filepath.Base(n)] = true
				}
			}
			f, err := hprof.OpenBytes("test.hprof", c.gz, hprof.Options{TempDir: dir, Progress: progress})
			if (err == nil) != c.ok {
				t.Fatalf("err = %v", err)
			}
			if len(seen) > 0 {
				t.Errorf("while inflating, %s held %v", dir, seen)
			}
			if f != nil {
				// Released and mapped again through the descriptor alone.
				f.Release()
				if _, err := f.ReadCatalog(); err != nil {
					t.Error(err)
				}
				f.Close()
			}
			if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) > 0 {
				t.Errorf("left behind: %v", names)
			}
		})
	}
}

// TestInflateSIGTERM kills a process inflating a dump with SIGTERM, as a
// user stopping leakscan would, and checks that its temporary folder is
// left empty. The child is this test binary, stopped by its Progress
// callback halfway through.
func TestInflateSIGTERM(t *testing.T) {
	if gz := os.Getenv("HPROF_TEST_INFLATE"); gz != "" {
		hprof.Open(gz, hprof.Options{TempDir: os.Getenv("HPROF_TEST_TMPDIR"), Progress: func(done, total int64) {
			if done > total/2 {
				fmt.Println("inflating")
				time.Sleep(time.Minute) // until killed
			}
		}})
		os.Exit(1)
	}
	dir, tmp := t.TempDir(), t.TempDir()
	gz := filepath.Join(dir, "dump.hprof.gz")
	if err := os.WriteFile(gz, gzipMembers(t, biggerDump(), 4096, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInflateSIGTERM$")
	cmd.Env = append(os.Environ(), "HPROF_TEST_INFLATE="+gz, "HPROF_TEST_TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "inflating\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q", line)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if names, _ := filepath.Glob(filepath.Join(tmp, "*")); len(names) > 0 {
		t.Errorf("SIGTERM while inflating left %v", names)
	}
}
