//go:build amd64 && !purego

package field

import "golang.org/x/sys/cpu"

// hexBlock is how many bytes encodeHexBlocks takes at a time.
const hexBlock = 16

// useHexBlocks says whether the CPU runs encodeHexSSSE3 (PSHUFB is
// SSSE3, which the amd64 baseline does not include), useHexAVX2 whether it
// runs encodeHexAVX2.
var (
	useHexBlocks = cpu.X86.HasSSSE3
	useHexAVX2   = cpu.X86.HasAVX2
)

// encodeHexSSSE3 writes the 2n hex digits of src[:n] to dst; n is a
// positive multiple of hexBlock (hex_amd64.s).
//
//go:noescape
func encodeHexSSSE3(dst, src *byte, n int)

// encodeHexAVX2 is encodeHexSSSE3 for n a positive multiple of 32.
//
//go:noescape
func encodeHexAVX2(dst, src *byte, n int)

// encodeHexBlocks writes the hex digits of the whole blocks of src to
// out, which has room for them, and returns how many bytes of src it
// encoded.
func encodeHexBlocks(out, src []byte) int {
	n := len(src) &^ (hexBlock - 1)
	if !useHexBlocks || n == 0 {
		return 0
	}
	_ = out[2*n-1]
	if m := n &^ 31; useHexAVX2 && m > 0 {
		encodeHexAVX2(&out[0], &src[0], m)
		if m == n {
			return n
		}
		encodeHexSSSE3(&out[2*m], &src[m], n-m)
		return n
	}
	encodeHexSSSE3(&out[0], &src[0], n)
	return n
}
