// Package hprof decodes the HPROF binary heap-dump format written by HotSpot
// (jmap, jcmd GC.heap_dump, -XX:+HeapDumpOnOutOfMemoryError), by the old
// -agentlib:hprof agent, and by Android's ART/Dalvik (version 1.0.3).
//
// # The format
//
// A file starts with a NUL-terminated version string ("JAVA PROFILE 1.0.1",
// "1.0.2" or "1.0.3"), a u4 identifier size (4 or 8) and a u8 timestamp in
// milliseconds since the epoch. All numbers are big-endian. Records follow:
//
//	u1 tag | u4 microseconds since the header timestamp | u4 body length | body
//
// Top-level record bodies (id = identifier of the header's size):
//
//	0x01 UTF8               id, bytes to the end of the body
//	0x02 LOAD CLASS         u4 class serial, id class object, u4 stack serial, id name
//	0x03 UNLOAD CLASS       u4 class serial
//	0x04 STACK FRAME        id frame, id method name, id signature, id source file, u4 class serial, i4 line
//	                        (line > 0: line number; 0: none; -1 unknown; -2 compiled; -3 native)
//	0x05 STACK TRACE        u4 serial, u4 thread serial, u4 frame count, id frames[count]
//	0x06 ALLOC SITES        u2 flags, u4 cutoff, u4 live bytes, u4 live instances, u8 bytes, u8 instances,
//	                        u4 site count, sites[count] of 25 bytes each
//	0x07 HEAP SUMMARY       u4 live bytes, u4 live instances, u8 bytes, u8 instances
//	0x0A START THREAD       u4 thread serial, id thread object, u4 stack serial, id name, id group, id parent group
//	0x0B END THREAD         u4 thread serial
//	0x0C HEAP DUMP          sub-records; one record is one whole dump
//	0x0D CPU SAMPLES        u4 total, u4 trace count, (u4 samples, u4 stack serial)[count]
//	0x0E CONTROL SETTINGS   u4 flags, u2 stack depth
//	0x1C HEAP DUMP SEGMENT  sub-records; segments up to HEAP DUMP END form one dump
//	0x2C HEAP DUMP END      empty
//
// Heap-dump sub-records carry no length of their own, so each one must be
// decoded to find the next; an unknown sub-record tag is therefore fatal:
//
//	0xFF ROOT UNKNOWN           id
//	0x01 ROOT JNI GLOBAL        id, id global reference
//	0x02 ROOT JNI LOCAL         id, u4 thread serial, u4 frame number
//	0x03 ROOT JAVA FRAME        id, u4 thread serial, u4 frame number
//	0x04 ROOT NATIVE STACK      id, u4 thread serial
//	0x05 ROOT STICKY CLASS      id
//	0x06 ROOT THREAD BLOCK      id, u4 thread serial
//	0x07 ROOT MONITOR USED      id
//	0x08 ROOT THREAD OBJECT     id, u4 thread serial, u4 stack serial
//	0x20 CLASS DUMP             id, u4 stack serial, id super, id loader, id signers, id protection
//	                            domain, id reserved, id reserved, u4 instance size,
//	                            u2 n, (u2 index, u1 type, value)[n]   constant pool
//	                            u2 n, (id name, u1 type, value)[n]    static fields
//	                            u2 n, (id name, u1 type)[n]           instance fields
//	0x21 INSTANCE DUMP          id, u4 stack serial, id class, u4 n, field values[n bytes]:
//	                            the class's own fields first, then its superclass's, up to Object
//	0x22 OBJ ARRAY DUMP         id, u4 stack serial, u4 length, id array class, id elements[length]
//	0x23 PRIM ARRAY DUMP        id, u4 stack serial, u4 length, u1 type, values[length]
//
// Android (1.0.3) adds:
//
//	0xFE HEAP DUMP INFO         u4 heap type, id heap name
//	0x89 ROOT INTERNED STRING   id
//	0x8A ROOT FINALIZING        id
//	0x8B ROOT DEBUGGER          id
//	0x8C ROOT REFERENCE CLEANUP id
//	0x8D ROOT VM INTERNAL       id
//	0x8E ROOT JNI MONITOR       id, u4 thread serial, u4 stack depth
//	0x90 UNREACHABLE            id
//	0xC3 PRIM ARRAY NODATA      id, u4 stack serial, u4 length, u1 type
//
// Basic types: 2 object (id), 4 boolean, 5 char, 6 float, 7 double, 8 byte,
// 9 short, 10 int, 11 long.
//
// Nothing about record order is assumed: HotSpot 8–17 writes class dumps,
// then objects, then roots; newer JDKs write roots first; the old agent
// interleaves UTF8 and LOAD CLASS records with heap dump records; Android may
// dump instances before their class.
//
// Files compressed with gzip (a single member, as the gzip command writes,
// or the chain of independent members that jcmd GC.heap_dump -gz writes) are
// recognised by their magic bytes and inflated to an unlinked temporary file
// that is then mapped like a plain dump. Zero bytes after the last member
// are padding, as gzip(1) takes them; a file that ends inside a member is
// truncated, and with Options.AllowTruncated inflated as far as it goes.
//
// Every length read from a file is checked against the bytes that remain
// before it is used; errors are *FormatError values naming the file, the byte
// offset and what was expected.
package hprof
