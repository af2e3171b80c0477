#include "textflag.h"

// func Prefetch4(base unsafe.Pointer, idx []int32)
TEXT ·Prefetch4(SB), NOSPLIT, $0-32
	MOVQ base+0(FP), AX
	MOVQ idx_base+8(FP), SI
	MOVQ idx_len+16(FP), CX
	TESTQ CX, CX
	JZ done4
loop4:
	MOVL (SI), DX
	PREFETCHT0 (AX)(DX*4)
	ADDQ $4, SI
	DECQ CX
	JNZ loop4
done4:
	RET

// func PrefetchLow8(base unsafe.Pointer, entries []uint64)
TEXT ·PrefetchLow8(SB), NOSPLIT, $0-32
	MOVQ base+0(FP), AX
	MOVQ entries_base+8(FP), SI
	MOVQ entries_len+16(FP), CX
	TESTQ CX, CX
	JZ done8
loop8:
	MOVL (SI), DX
	PREFETCHT0 (AX)(DX*8)
	ADDQ $8, SI
	DECQ CX
	JNZ loop8
done8:
	RET
