//go:build amd64 && !purego

#include "textflag.h"

// hexDigits is the table PSHUFB looks each nibble up in.
DATA hexDigits<>+0(SB)/8, $"01234567"
DATA hexDigits<>+8(SB)/8, $"89abcdef"
GLOBL hexDigits<>(SB), RODATA|NOPTR, $16

DATA lowNibbles<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA lowNibbles<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL lowNibbles<>(SB), RODATA|NOPTR, $16

// func encodeHexSSSE3(dst, src *byte, n int)
// Encodes n bytes (a positive multiple of 16) of src as 2n hex digits at
// dst, 16 bytes per round: the high and low nibbles are split, each looked
// up in hexDigits with PSHUFB, and interleaved high first.
TEXT ·encodeHexSSSE3(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   n+16(FP), CX
	MOVOU  hexDigits<>(SB), X4
	MOVOU  lowNibbles<>(SB), X5

loop:
	MOVOU     (SI), X0
	MOVO      X0, X1
	PSRLW     $4, X1
	PAND      X5, X0
	PAND      X5, X1
	MOVO      X4, X2
	PSHUFB    X1, X2
	MOVO      X4, X3
	PSHUFB    X0, X3
	MOVO      X2, X0
	PUNPCKLBW X3, X0
	PUNPCKHBW X3, X2
	MOVOU     X0, (DI)
	MOVOU     X2, 16(DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JNZ       loop
	RET

// func encodeHexAVX2(dst, src *byte, n int)
// Encodes n bytes (a positive multiple of 32) of src as 2n hex digits at
// dst, 32 bytes per round, as encodeHexSSSE3 does in each 128-bit lane;
// VPERM2I128 puts the lanes' halves back in order.
TEXT ·encodeHexAVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTI128 hexDigits<>(SB), Y4
	VBROADCASTI128 lowNibbles<>(SB), Y5

loop32:
	VMOVDQU    (SI), Y0
	VPSRLW     $4, Y0, Y1
	VPAND      Y5, Y0, Y0
	VPAND      Y5, Y1, Y1
	VPSHUFB    Y1, Y4, Y2
	VPSHUFB    Y0, Y4, Y3
	VPUNPCKLBW Y3, Y2, Y0
	VPUNPCKHBW Y3, Y2, Y1
	VPERM2I128 $0x20, Y1, Y0, Y2
	VPERM2I128 $0x31, Y1, Y0, Y3
	VMOVDQU    Y2, (DI)
	VMOVDQU    Y3, 32(DI)
	ADDQ       $32, SI
	ADDQ       $64, DI
	SUBQ       $32, CX
	JNZ        loop32
	VZEROUPPER
	RET
