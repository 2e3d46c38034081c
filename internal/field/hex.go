package field

import (
	"encoding/binary"
	"slices"
)

// hexPairs holds the two lowercase hex digits of each byte value, as they
// are laid out in memory (little endian).
var hexPairs = func() (t [256]uint16) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = uint16(digits[i>>4]) | uint16(digits[i&15])<<8
	}
	return t
}()

// AppendHex appends src as lowercase hex, like hex.AppendEncode. It is
// what the JSON renderer spends most of its time on for application data,
// so it goes 16 bytes at a time with vector instructions where the CPU has
// them (hex_amd64.s), and otherwise eight bytes at a time: each byte's two
// digits come from a 512-byte table and four of them are stored as one
// word.
func AppendHex(dst, src []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(src))[:n+2*len(src)]
	out := dst[n:]
	k := encodeHexBlocks(out, src)
	src, out = src[k:], out[2*k:]
	t := &hexPairs
	for len(src) >= 8 {
		_, _ = src[7], out[15]
		v := binary.LittleEndian.Uint64(src)
		binary.LittleEndian.PutUint64(out, uint64(t[byte(v)])|uint64(t[byte(v>>8)])<<16|
			uint64(t[byte(v>>16)])<<32|uint64(t[byte(v>>24)])<<48)
		binary.LittleEndian.PutUint64(out[8:], uint64(t[byte(v>>32)])|uint64(t[byte(v>>40)])<<16|
			uint64(t[byte(v>>48)])<<32|uint64(t[byte(v>>56)])<<48)
		src, out = src[8:], out[16:]
	}
	for i, b := range src {
		binary.LittleEndian.PutUint16(out[2*i:], t[b])
	}
	return dst
}
