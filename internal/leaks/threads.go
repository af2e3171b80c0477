package leaks

import (
	"cmp"
	"slices"

	"github.com/leakscan/leakscan/internal/dominator"
	"github.com/leakscan/leakscan/internal/heap"
)

// Frame is one stack frame and the objects it holds.
type Frame struct {
	Method string   `json:"method"` // class.method(File:line)
	Locals []Object `json:"locals,omitempty"`
}

// ThreadInfo is one thread, as MAT's thread overview shows it.
type ThreadInfo struct {
	Object
	Name   string  `json:"name"`
	Daemon *bool   `json:"daemon,omitempty"`
	State  string  `json:"state,omitempty"`
	Stack  []Frame `json:"stack"` // innermost first; [] when the dump gives none
	// Unplaced are locals whose frame the dump does not give.
	Unplaced []Object `json:"locals_without_frame,omitempty"`
}

// threadState turns Thread.threadStatus (JVMTI thread state bits) into
// java.lang.Thread.State, as jdk.internal.misc.VM.toThreadState does.
func threadState(status int64) string {
	switch {
	case status&0x0004 != 0:
		return "RUNNABLE"
	case status&0x0400 != 0:
		return "BLOCKED"
	case status&0x0010 != 0:
		return "WAITING"
	case status&0x0020 != 0:
		return "TIMED_WAITING"
	case status&0x0002 != 0:
		return "TERMINATED"
	case status&0x0001 == 0:
		return "NEW"
	}
	return "RUNNABLE"
}

// Threads lists the threads with their stacks and the objects each frame
// holds, biggest retained size first. A thread whose object no GC root
// reaches is left out: it has ended, and only a START THREAD record (the
// old hprof agent keeps them) still names it.
func Threads(g *heap.Graph, t *dominator.Tree) []ThreadInfo {
	_, locals := g.RootSet()
	out := []ThreadInfo{}
	for _, th := range g.Threads {
		if th.Object == heap.None || t.Idom(th.Object) == dominator.Unreachable {
			continue
		}
		info := ThreadInfo{Object: objectOf(g, t, th.Object), Name: th.Name, Stack: []Frame{}}
		f := readFields(g, th.Object)
		holder := readFields(g, f.ref("holder")) // JDK 19+: Thread.FieldHolder
		for _, src := range []fields{f, holder} {
			if d, ok := src.boolean("daemon"); ok {
				info.Daemon = &d
			}
			if st, ok := src.num("threadStatus"); ok {
				info.State = threadState(st)
			}
		}
		for _, m := range g.StackTrace(th) {
			info.Stack = append(info.Stack, Frame{Method: m})
		}
		for _, l := range locals[th.Object] {
			obj := objectOf(g, t, l.Object)
			if l.Frame >= 0 && int(l.Frame) < len(info.Stack) {
				info.Stack[l.Frame].Locals = append(info.Stack[l.Frame].Locals, obj)
			} else {
				info.Unplaced = append(info.Unplaced, obj)
			}
		}
		out = append(out, info)
	}
	slices.SortStableFunc(out, func(a, b ThreadInfo) int {
		return cmp.Compare(b.Retained, a.Retained) // biggest first
	})
	return out
}
