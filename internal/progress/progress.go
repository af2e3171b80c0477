// Package progress draws a one-line progress bar on a terminal, and
// nothing at all when its output is not one.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Bar reports phases of long work. The zero value and nil are silent.
type Bar struct {
	// Timings, if set, receives one line per finished phase with its
	// duration, and where the system tells, the CPU time it took in user
	// and system mode, its page faults and the peak resident set so far
	// (the --timings flag).
	Timings io.Writer
	tphase  string
	tstart  time.Time
	tusage  [4]int64 // sample() at tstart

	mu      sync.Mutex
	w       io.Writer
	phase   string
	started time.Time
	last    time.Time
	drawn   bool
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// New returns a bar writing to w, or a silent one when enabled is false.
func New(w io.Writer, enabled bool) *Bar {
	if !enabled {
		return nil
	}
	return &Bar{w: w}
}

// NewTimings returns a bar that draws nothing but reports phase durations
// to w.
func NewTimings(w io.Writer) *Bar { return &Bar{Timings: w} }

const width = 30

// Update shows that phase has done of total units (bytes).
func (b *Bar) Update(phase string, done, total int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Timings != nil {
		if phase != b.tphase {
			b.flushTiming()
			b.tphase, b.tstart = phase, time.Now()
			b.tusage, _ = sample()
		}
		if b.w == nil {
			return
		}
	}
	now := time.Now()
	if phase != b.phase {
		b.phase, b.started = phase, now
	} else if now.Sub(b.last) < 100*time.Millisecond && done < total {
		return
	}
	b.last = now
	frac := 0.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	filled := int(frac * width)
	rate := ""
	if s := now.Sub(b.started).Seconds(); s > 0.05 {
		rate = fmt.Sprintf(" %6.0f MB/s", float64(done)/s/1e6)
	}
	fmt.Fprintf(b.w, "\r%-12s [%s%s] %3.0f%%%s\x1b[K", phase, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), frac*100, rate)
	b.drawn = true
}

func (b *Bar) flushTiming() {
	if b.Timings != nil && b.tphase != "" {
		line := timing(b.tphase, time.Since(b.tstart))
		if u, ok := sample(); ok {
			line += fmt.Sprintf("  (user %.3f s, sys %.3f s, %d faults, peak RSS %d MB)",
				float64(u[0]-b.tusage[0])/1e9, float64(u[1]-b.tusage[1])/1e9, u[2]-b.tusage[2], u[3]>>20)
		}
		fmt.Fprintln(b.Timings, line)
		b.tphase = ""
	}
}

// Beside reports, on the timings only, work that took d beside the
// phases (on another goroutine, at the same time as them).
func (b *Bar) Beside(name string, d time.Duration) {
	if b == nil || b.Timings == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintln(b.Timings, timing(name, d)+"  (beside the phases)")
}

// timing starts a --timings line: the phase and its wall time.
func timing(phase string, d time.Duration) string {
	return fmt.Sprintf("timing: %-12s %6.3f s", phase, d.Seconds())
}

// sample returns usage's figures: user and system ns, faults, peak RSS.
func sample() ([4]int64, bool) {
	u, s, f, p, ok := usage()
	return [4]int64{int64(u), int64(s), f, p}, ok
}

// Done clears the bar.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushTiming()
	if b.w == nil {
		return
	}
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
		b.drawn = false
	}
}
