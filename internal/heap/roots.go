package heap

import (
	"fmt"

	"github.com/leakscan/leakscan/internal/bitset"
	"github.com/leakscan/leakscan/internal/hprof"
)

// Root is a GC root as the dump declares it.
type Root struct {
	Kind   hprof.SubTag // one of the ROOT sub-record tags
	ID     uint64
	Object ObjectIndex // None when no object has ID
	// ThreadSerial is the thread of JAVA FRAME, JNI LOCAL, NATIVE STACK,
	// THREAD BLOCK, THREAD OBJECT and JNI MONITOR roots.
	ThreadSerial uint32
	// Frame is the frame number of JAVA FRAME and JNI LOCAL roots
	// (-1 when unknown).
	Frame int32
	// Extra is a JNI GLOBAL root's reference id, or a THREAD OBJECT root's
	// stack trace serial.
	Extra uint64
}

// Thread is a thread the dump names with a THREAD OBJECT root or a START
// THREAD record.
type Thread struct {
	Serial      uint32
	ID          uint64
	Object      ObjectIndex
	StackSerial uint32
	Name        string
}

// RootKindName is the name MAT and VisualVM users know a root kind by.
func RootKindName(k hprof.SubTag) string {
	switch k {
	case hprof.SubRootUnknown:
		return "Unknown"
	case hprof.SubRootJNIGlobal:
		return "JNI Global"
	case hprof.SubRootJNILocal:
		return "JNI Local"
	case hprof.SubRootJavaFrame:
		return "Java Local"
	case hprof.SubRootNativeStack:
		return "Native Stack"
	case hprof.SubRootStickyClass:
		return "System Class"
	case hprof.SubRootThreadBlock:
		return "Thread Block"
	case hprof.SubRootMonitorUsed:
		return "Busy Monitor"
	case hprof.SubRootThreadObject:
		return "Thread"
	case hprof.SubRootInternedString:
		return "Interned String"
	case hprof.SubRootFinalizing:
		return "Finalizable"
	case hprof.SubRootDebugger:
		return "Debugger"
	case hprof.SubRootReferenceCleanup:
		return "Reference Cleanup"
	case hprof.SubRootVMInternal:
		return "VM Internal"
	case hprof.SubRootJNIMonitor:
		return "JNI Monitor"
	case hprof.SubUnreachable:
		return "Unreachable"
	}
	return k.String()
}

// LocalRoot is an object a thread's stack holds: a JAVA FRAME or JNI
// LOCAL root of a known thread.
type LocalRoot struct {
	Object ObjectIndex
	Kind   hprof.SubTag
	Frame  int32 // frame number in the thread's stack trace (0 = innermost), -1 unknown
}

// RootSet returns what the analyses start from, with Eclipse MAT's rule:
// every object a GC root names, except that stack locals of a known thread
// are not roots of their own but objects the thread references (locals,
// keyed by thread object), so a thread retains what only its stack holds.
// Roots come in dump order, each once; a thread's locals each once, in
// dump order. It is computed once, and shared: callers must not modify
// what it returns.
func (g *Graph) RootSet() (roots []ObjectIndex, locals map[ObjectIndex][]LocalRoot) {
	g.rootSetOnce.Do(func() { g.rootSet, g.locals = g.computeRootSet() })
	return g.rootSet, g.locals
}

func (g *Graph) computeRootSet() (roots []ObjectIndex, locals map[ObjectIndex][]LocalRoot) {
	locals = map[ObjectIndex][]LocalRoot{}
	// A deep recursion holds the same objects in many frames: 700,000
	// Java Local roots on one thread of a 35 MB dump. Each is looked up
	// here, not searched for in the thread's list (quadratic: 206 s).
	haveLocal := map[[2]ObjectIndex]bool{}
	// The other roots' objects: a bit each, not a map (4 M JNI globals
	// took 0.8 s in maps).
	other := bitset.New(len(g.class))
	for _, r := range g.Roots {
		if r.Object == None {
			continue
		}
		if r.Kind == hprof.SubRootJavaFrame || r.Kind == hprof.SubRootJNILocal {
			if th, ok := g.ThreadBySerial(r.ThreadSerial); ok && th.Object != None {
				if key := [2]ObjectIndex{th.Object, r.Object}; !haveLocal[key] {
					haveLocal[key] = true
					locals[th.Object] = append(locals[th.Object], LocalRoot{Object: r.Object, Kind: r.Kind, Frame: r.Frame})
				}
				continue
			}
		}
		other.Add(int32(r.Object))
	}
	for _, r := range g.Roots {
		// Each once: the bit is cleared as the object is taken.
		if o := r.Object; o != None && other.Has(int32(o)) {
			other.Remove(int32(o))
			roots = append(roots, o)
		}
	}
	return roots, locals
}

// FrameDescription names frame number frame of the given thread's stack
// as class.method(File:line), or "" when the dump does not tell.
func (g *Graph) FrameDescription(threadSerial uint32, frame int32) string {
	th, ok := g.ThreadBySerial(threadSerial)
	if !ok || frame < 0 {
		return ""
	}
	tr, ok := g.Catalog.Traces[th.StackSerial]
	if !ok || int(frame) >= len(tr.FrameIDs) {
		return ""
	}
	fr, ok := g.Catalog.Frames[tr.FrameIDs[frame]]
	if !ok {
		return ""
	}
	class := ""
	if nameID, ok := g.lookups().classNameBySerial[fr.ClassSerial]; ok {
		class = jvmName(g.Catalog.String(nameID))
	}
	where := g.Catalog.String(fr.SourceFileID)
	switch {
	case fr.Line > 0:
		where = fmt.Sprintf("%s:%d", where, fr.Line)
	case fr.Line == -2:
		where += ", compiled"
	case fr.Line == -3:
		where = "Native Method"
	}
	if where == "" {
		where = "Unknown Source"
	}
	return fmt.Sprintf("%s.%s(%s)", class, g.Catalog.String(fr.MethodID), where)
}

// StackTrace returns a thread's frames, innermost first.
func (g *Graph) StackTrace(t Thread) []string {
	tr, ok := g.Catalog.Traces[t.StackSerial]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(tr.FrameIDs))
	for i := range tr.FrameIDs {
		out = append(out, g.FrameDescription(t.Serial, int32(i)))
	}
	return out
}
