package hprof

import "fmt"

// Tag is a top-level record tag.
type Tag uint8

// Top-level record tags.
const (
	TagUTF8            Tag = 0x01
	TagLoadClass       Tag = 0x02
	TagUnloadClass     Tag = 0x03
	TagStackFrame      Tag = 0x04
	TagStackTrace      Tag = 0x05
	TagAllocSites      Tag = 0x06
	TagHeapSummary     Tag = 0x07
	TagStartThread     Tag = 0x0A
	TagEndThread       Tag = 0x0B
	TagHeapDump        Tag = 0x0C
	TagCPUSamples      Tag = 0x0D
	TagControlSettings Tag = 0x0E
	TagHeapDumpSegment Tag = 0x1C
	TagHeapDumpEnd     Tag = 0x2C
)

var tagNames = map[Tag]string{
	TagUTF8: "UTF8", TagLoadClass: "LOAD CLASS", TagUnloadClass: "UNLOAD CLASS",
	TagStackFrame: "STACK FRAME", TagStackTrace: "STACK TRACE", TagAllocSites: "ALLOC SITES",
	TagHeapSummary: "HEAP SUMMARY", TagStartThread: "START THREAD", TagEndThread: "END THREAD",
	TagHeapDump: "HEAP DUMP", TagCPUSamples: "CPU SAMPLES", TagControlSettings: "CONTROL SETTINGS",
	TagHeapDumpSegment: "HEAP DUMP SEGMENT", TagHeapDumpEnd: "HEAP DUMP END",
}

func (t Tag) String() string {
	if s, ok := tagNames[t]; ok {
		return s
	}
	return fmt.Sprintf("tag 0x%02X", uint8(t))
}

// SubTag is a heap-dump sub-record tag.
type SubTag uint8

// Heap-dump sub-record tags, HotSpot's and Android's.
const (
	SubRootUnknown          SubTag = 0xFF
	SubRootJNIGlobal        SubTag = 0x01
	SubRootJNILocal         SubTag = 0x02
	SubRootJavaFrame        SubTag = 0x03
	SubRootNativeStack      SubTag = 0x04
	SubRootStickyClass      SubTag = 0x05
	SubRootThreadBlock      SubTag = 0x06
	SubRootMonitorUsed      SubTag = 0x07
	SubRootThreadObject     SubTag = 0x08
	SubClassDump            SubTag = 0x20
	SubInstanceDump         SubTag = 0x21
	SubObjArrayDump         SubTag = 0x22
	SubPrimArrayDump        SubTag = 0x23
	SubHeapDumpInfo         SubTag = 0xFE
	SubRootInternedString   SubTag = 0x89
	SubRootFinalizing       SubTag = 0x8A
	SubRootDebugger         SubTag = 0x8B
	SubRootReferenceCleanup SubTag = 0x8C
	SubRootVMInternal       SubTag = 0x8D
	SubRootJNIMonitor       SubTag = 0x8E
	SubUnreachable          SubTag = 0x90
	SubPrimArrayNoData      SubTag = 0xC3
)

var subTagNames = map[SubTag]string{
	SubRootUnknown: "ROOT UNKNOWN", SubRootJNIGlobal: "ROOT JNI GLOBAL", SubRootJNILocal: "ROOT JNI LOCAL",
	SubRootJavaFrame: "ROOT JAVA FRAME", SubRootNativeStack: "ROOT NATIVE STACK", SubRootStickyClass: "ROOT STICKY CLASS",
	SubRootThreadBlock: "ROOT THREAD BLOCK", SubRootMonitorUsed: "ROOT MONITOR USED", SubRootThreadObject: "ROOT THREAD OBJECT",
	SubClassDump: "CLASS DUMP", SubInstanceDump: "INSTANCE DUMP", SubObjArrayDump: "OBJ ARRAY DUMP",
	SubPrimArrayDump: "PRIM ARRAY DUMP", SubHeapDumpInfo: "HEAP DUMP INFO", SubRootInternedString: "ROOT INTERNED STRING",
	SubRootFinalizing: "ROOT FINALIZING", SubRootDebugger: "ROOT DEBUGGER", SubRootReferenceCleanup: "ROOT REFERENCE CLEANUP",
	SubRootVMInternal: "ROOT VM INTERNAL", SubRootJNIMonitor: "ROOT JNI MONITOR", SubUnreachable: "UNREACHABLE",
	SubPrimArrayNoData: "PRIM ARRAY NODATA",
}

func (t SubTag) String() string {
	if s, ok := subTagNames[t]; ok {
		return s
	}
	return fmt.Sprintf("sub-record tag 0x%02X", uint8(t))
}

// IsRoot reports whether sub-records with this tag declare a GC root.
func (t SubTag) IsRoot() bool {
	switch t {
	case SubRootUnknown, SubRootJNIGlobal, SubRootJNILocal, SubRootJavaFrame, SubRootNativeStack,
		SubRootStickyClass, SubRootThreadBlock, SubRootMonitorUsed, SubRootThreadObject,
		SubRootInternedString, SubRootFinalizing, SubRootDebugger, SubRootReferenceCleanup,
		SubRootVMInternal, SubRootJNIMonitor, SubUnreachable:
		return true
	}
	return false
}

// BasicType is the type code of a field or array element.
type BasicType uint8

// Basic types.
const (
	TypeObject  BasicType = 2
	TypeBoolean BasicType = 4
	TypeChar    BasicType = 5
	TypeFloat   BasicType = 6
	TypeDouble  BasicType = 7
	TypeByte    BasicType = 8
	TypeShort   BasicType = 9
	TypeInt     BasicType = 10
	TypeLong    BasicType = 11
)

// primSizes[t] is the byte size of primitive type t in a dump; 0 = invalid.
var primSizes = [12]uint8{TypeBoolean: 1, TypeChar: 2, TypeFloat: 4, TypeDouble: 8, TypeByte: 1, TypeShort: 2, TypeInt: 4, TypeLong: 8}

// Size is the number of bytes a value of type t takes in the dump, with
// identifiers of idSize bytes; 0 for an invalid type.
func (t BasicType) Size(idSize int) int {
	if t == TypeObject {
		return idSize
	}
	if int(t) < len(primSizes) {
		return int(primSizes[t])
	}
	return 0
}

// Valid reports whether t is one of the basic types.
func (t BasicType) Valid() bool {
	return t == TypeObject || (int(t) < len(primSizes) && primSizes[t] != 0)
}

var typeNames = [12]string{TypeObject: "Object", TypeBoolean: "boolean", TypeChar: "char", TypeFloat: "float",
	TypeDouble: "double", TypeByte: "byte", TypeShort: "short", TypeInt: "int", TypeLong: "long"}

func (t BasicType) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("type %d", uint8(t))
}

// ArrayClassName returns the JVM name of an array of t ("[I").
func (t BasicType) ArrayClassName() string {
	switch t {
	case TypeBoolean:
		return "[Z"
	case TypeChar:
		return "[C"
	case TypeFloat:
		return "[F"
	case TypeDouble:
		return "[D"
	case TypeByte:
		return "[B"
	case TypeShort:
		return "[S"
	case TypeInt:
		return "[I"
	case TypeLong:
		return "[J"
	}
	return "[Ljava.lang.Object;"
}
