//go:build unix

package progress

import (
	"runtime"
	"syscall"
	"time"
)

// usage returns the process's CPU time in user and system mode, its page
// faults (minor and major) and its peak resident set in bytes, so far.
func usage() (user, sys time.Duration, faults, peak int64, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0, 0, 0, false
	}
	peak = int64(ru.Maxrss) * 1024 // KiB on Linux
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		peak = int64(ru.Maxrss) // bytes there
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), int64(ru.Minflt + ru.Majflt), peak, true
}
