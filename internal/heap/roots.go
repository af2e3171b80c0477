package heap

import "github.com/leakscan/leakscan/internal/hprof"

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
