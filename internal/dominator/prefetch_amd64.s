#include "textflag.h"

// func prefetchTargets(base *uint32, targets []uint32)
// Issues PREFETCHT0 for &base[t] for every t in targets.
TEXT ·prefetchTargets(SB), NOSPLIT, $0-32
	MOVQ base+0(FP), AX
	MOVQ targets_base+8(FP), SI
	MOVQ targets_len+16(FP), CX
	TESTQ CX, CX
	JZ done
loop:
	MOVL (SI), DX
	PREFETCHT0 (AX)(DX*4)
	ADDQ $4, SI
	DECQ CX
	JNZ loop
done:
	RET
