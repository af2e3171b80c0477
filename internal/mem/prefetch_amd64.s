#include "textflag.h"

// func prefetch(base, idx unsafe.Pointer, n, stride int, down, up uint)
// For each of n 32-bit indices i read stride bytes apart from idx, issues
// PREFETCHT0 for base + (i>>down)<<up.
TEXT ·prefetch(SB), NOSPLIT, $0-48
	MOVQ base+0(FP), AX
	MOVQ idx+8(FP), SI
	MOVQ n+16(FP), BX
	MOVQ stride+24(FP), DI
	MOVQ down+32(FP), R8
	MOVQ up+40(FP), R9
	TESTQ BX, BX
	JZ done
loop:
	MOVL (SI), DX
	MOVQ R8, CX
	SHRQ CX, DX
	MOVQ R9, CX
	SHLQ CX, DX
	PREFETCHT0 (AX)(DX*1)
	ADDQ DI, SI
	DECQ BX
	JNZ loop
done:
	RET

// func prefetchVia(base, table, idx unsafe.Pointer, n int)
// For each of n 32-bit indices i read 4 bytes apart from idx, issues
// PREFETCHT0 for base + 4*table[i], table holding 32-bit offsets.
TEXT ·prefetchVia(SB), NOSPLIT, $0-32
	MOVQ base+0(FP), AX
	MOVQ table+8(FP), R8
	MOVQ idx+16(FP), SI
	MOVQ n+24(FP), BX
	TESTQ BX, BX
	JZ viadone
vialoop:
	MOVL (SI), DX
	MOVL (R8)(DX*4), DX
	PREFETCHT0 (AX)(DX*4)
	ADDQ $4, SI
	DECQ BX
	JNZ vialoop
viadone:
	RET
