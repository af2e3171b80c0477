//go:build unix

package index

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCommit writes a part of 512 MiB in two sections with block
// tables, as the graph part's arrays are, and reports the CPU time it
// took beside the wall time: the analysis that writes an index runs on
// every core meanwhile, so the write's cost to it is its CPU time.
func BenchmarkCommit(b *testing.B) {
	dir, id := fakeDump(b)
	data := make([]uint32, 128<<20)
	for i := range data {
		data[i] = uint32(i) * 2654435761
	}
	b.SetBytes(int64(4 * len(data)))
	var cpu time.Duration
	for b.Loop() {
		var w Writer
		w.AddBlocks("a", AsBytes(data[:len(data)*3/5]))
		w.AddBlocks("b", AsBytes(data[len(data)*3/5:]))
		before := cpuTime()
		if err := w.Commit(dir, "p", id); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - before
		b.StopTimer()
		os.Remove(filepath.Join(dir, "p.idx")) // its pages go back before the next
		b.StartTimer()
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
