package field

import (
	"encoding/binary"
	"slices"
)

// AppendHex appends src as lowercase hex, like hex.AppendEncode, eight
// bytes at a time: each byte's two nibbles are spread into their own
// bytes of a word and turned into digits with one addition, the bytes
// holding 10 to 15 getting the distance from '9'+1 to 'a' on top. It is
// what the JSON renderer spends most of its time on for application data.
func AppendHex(dst, src []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(src))[:n+2*len(src)]
	out := dst[n:]
	for len(src) >= 8 {
		_, _ = src[7], out[15]
		for h := 0; h < 2; h++ {
			x := uint64(binary.LittleEndian.Uint32(src[4*h:]))
			x = (x | x<<16) & 0x0000FFFF0000FFFF
			x = (x | x<<8) & 0x00FF00FF00FF00FF // byte i in lane i (16 bits)
			nib := (x>>4)&0x000F000F000F000F | (x&0x000F000F000F000F)<<8
			letters := ((nib + 0x0606060606060606) >> 4) & 0x0101010101010101
			binary.LittleEndian.PutUint64(out[8*h:], nib+0x3030303030303030+letters*('a'-'9'-1))
		}
		src, out = src[8:], out[16:]
	}
	const digits = "0123456789abcdef"
	for i, b := range src {
		out[2*i], out[2*i+1] = digits[b>>4], digits[b&15]
	}
	return dst
}
