package field

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

func TestAppendHex(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 70 {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(r.UintN(256))
		}
		if n == 69 {
			for i := range src {
				src[i] = byte(i * 4) // every nibble value
			}
		}
		got := AppendHex([]byte("x"), src)
		if want := append([]byte("x"), hex.EncodeToString(src)...); !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: %s, want %s", n, got, want)
		}
	}
}

// TestAppendHexBlocks checks the vector encoder (where there is one) and
// the word-at-a-time one on lengths around the block size, from every
// alignment of the source.
func TestAppendHexBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 600)
	for i := range buf {
		buf[i] = byte(r.UintN(256))
	}
	vector, avx2 := useHexBlocks, useHexAVX2
	defer func() { useHexBlocks, useHexAVX2 = vector, avx2 }()
	for _, mode := range []struct{ blocks, avx2 bool }{{false, false}, {vector, false}, {vector, avx2}} {
		blocks := mode.blocks
		useHexBlocks, useHexAVX2 = mode.blocks, mode.avx2
		for off := range 16 {
			for _, n := range []int{15, 16, 17, 31, 32, 33, 47, 48, 64, 255, 256, 257, 511, 584} {
				src := buf[off : off+n]
				got := AppendHex([]byte("ab"), src)
				if want := "ab" + hex.EncodeToString(src); string(got) != want {
					t.Fatalf("vector %v, AVX2 %v, offset %d, %d bytes: %s, want %s", blocks, mode.avx2, off, n, got, want)
				}
			}
		}
	}
}

func FuzzAppendHex(f *testing.F) {
	f.Add([]byte{0x00, 0x9a, 0xff, 0x10, 0x5c})
	f.Fuzz(func(t *testing.T, src []byte) {
		if got := AppendHex(nil, src); string(got) != hex.EncodeToString(src) {
			t.Fatalf("%x: %s", src, got)
		}
	})
}

func BenchmarkAppendHex(b *testing.B) {
	src := bytes.Repeat([]byte{0x12, 0xab, 0xcd, 0xef}, 4096)
	dst := make([]byte, 0, 2*len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		dst = AppendHex(dst[:0], src)
	}
}

func BenchmarkStdHex(b *testing.B) {
	src := bytes.Repeat([]byte{0x12, 0xab, 0xcd, 0xef}, 4096)
	dst := make([]byte, 0, 2*len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		dst = hex.AppendEncode(dst[:0], src)
	}
}
