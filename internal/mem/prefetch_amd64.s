#include "textflag.h"

// func prefetch(base, idx unsafe.Pointer, n, stride int, shift uint)
// For each of n 32-bit indices i read stride bytes apart from idx, issues
// PREFETCHT0 for base + i<<shift.
TEXT ·prefetch(SB), NOSPLIT, $0-40
	MOVQ base+0(FP), AX
	MOVQ idx+8(FP), SI
	MOVQ n+16(FP), BX
	MOVQ stride+24(FP), DI
	MOVQ shift+32(FP), CX
	TESTQ BX, BX
	JZ done
loop:
	MOVL (SI), DX
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

// func prefetchBits(bits, idx unsafe.Pointer, n int)
// For each of n 32-bit indices i read 4 bytes apart from idx, issues
// PREFETCHT0 for the 64-bit word of bits that holds bit i.
TEXT ·prefetchBits(SB), NOSPLIT, $0-24
	MOVQ bits+0(FP), AX
	MOVQ idx+8(FP), SI
	MOVQ n+16(FP), BX
	TESTQ BX, BX
	JZ bitsdone
bitsloop:
	MOVL (SI), DX
	SHRQ $6, DX
	PREFETCHT0 (AX)(DX*8)
	ADDQ $4, SI
	DECQ BX
	JNZ bitsloop
bitsdone:
	RET
