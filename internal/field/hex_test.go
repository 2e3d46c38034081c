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
