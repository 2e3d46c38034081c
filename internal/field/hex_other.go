//go:build !amd64 || purego

package field

// useHexBlocks is false: no vector encoder on this platform.
var useHexBlocks = false

// encodeHexBlocks encodes nothing; AppendHex does it all.
func encodeHexBlocks(out, src []byte) int { return 0 }
