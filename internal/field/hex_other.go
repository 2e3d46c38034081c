//go:build !amd64 || purego

package field

// useHexBlocks and useHexAVX2 are false: no vector encoder on this
// platform.
var useHexBlocks, useHexAVX2 = false, false

// encodeHexBlocks encodes nothing; AppendHex does it all.
func encodeHexBlocks(out, src []byte) int { return 0 }
