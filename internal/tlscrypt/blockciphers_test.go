package tlscrypt

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"testing"
)

// blockVector is a published known-answer test of a block cipher.
type blockVector struct {
	name            string
	key, plain, enc string
}

func checkBlockVectors(t *testing.T, newCipher func([]byte) (cipher.Block, error), vectors []blockVector) {
	t.Helper()
	for _, v := range vectors {
		key, _ := hex.DecodeString(v.key)
		pt, _ := hex.DecodeString(v.plain)
		want, _ := hex.DecodeString(v.enc)
		b, err := newCipher(key)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		got := make([]byte, len(pt))
		b.Encrypt(got, pt)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: encrypt = %x, want %x", v.name, got, want)
		}
		b.Decrypt(got, want)
		if !bytes.Equal(got, pt) {
			t.Errorf("%s: decrypt = %x, want %x", v.name, got, pt)
		}
	}
}

// TestCamelliaVectors checks the test data of RFC 3713, Appendix A.
func TestCamelliaVectors(t *testing.T) {
	checkBlockVectors(t, newCamellia, []blockVector{
		{"128", "0123456789abcdeffedcba9876543210", "0123456789abcdeffedcba9876543210", "67673138549669730857065648eabe43"},
		{"192", "0123456789abcdeffedcba98765432100011223344556677", "0123456789abcdeffedcba9876543210", "b4993401b3e996f84ee5cee7d79b09b9"},
		{"256", "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff", "0123456789abcdeffedcba9876543210", "9acc237dff16d76c20ef7c919e3a7509"},
	})
}

// TestARIAVectors checks the test vectors of RFC 5794, Appendix A.
func TestARIAVectors(t *testing.T) {
	checkBlockVectors(t, newARIA, []blockVector{
		{"128", "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff", "d718fbd6ab644c739da95f3be6451778"},
		{"192", "000102030405060708090a0b0c0d0e0f1011121314151617", "00112233445566778899aabbccddeeff", "26449c1805dbe7aa25a468ce263a9e79"},
		{"256", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "00112233445566778899aabbccddeeff", "f92bd7c79fb72e2f2b8f80c1972d24fc"},
	})
}

// TestSEEDVectors checks the test vectors of RFC 4269, Appendix B.
func TestSEEDVectors(t *testing.T) {
	checkBlockVectors(t, newSEED, []blockVector{
		{"B.1", "00000000000000000000000000000000", "000102030405060708090a0b0c0d0e0f", "5ebac6e0054e166819aff1cc6d346cdb"},
		{"B.2", "000102030405060708090a0b0c0d0e0f", "00000000000000000000000000000000", "c11f22f20140505084483597e4370f43"},
		{"B.3", "4706480851e61be85d74bfb3fd956185", "83a2f8a288641fb9a4e9a5cc2f131c7d", "ee54d13ebcae706d226bc3142cd40d4a"},
		{"B.4", "28dbc3bc49ffd87dcfa509b11d422be7", "b41e6be2eba84a148e2eed84593c5ec7", "9b9b7bfcd1813cb95d0b3618f40f5122"},
	})
}

// TestIDEAVectors checks the test vector of the IDEA specification.
func TestIDEAVectors(t *testing.T) {
	checkBlockVectors(t, newIDEA, []blockVector{
		{"spec", "00010002000300040005000600070008", "0000000100020003", "11fbed2b01986de5"},
	})
}

// TestCheckPadding30 checks that SSL 3.0 CBC padding is judged by its
// length alone, shorter than a block (RFC 6101, Section 5.2.3.2), not by
// its bytes as in TLS.
func TestCheckPadding30(t *testing.T) {
	// 4 bytes of content, a 20-byte MAC, 7 bytes of padding that are not
	// 7s, and the padding length: two 16-byte blocks.
	buf := append(append(bytes.Repeat([]byte{'c'}, 4), bytes.Repeat([]byte{'m'}, 20)...), 1, 2, 3, 4, 5, 6, 0xff, 7)
	if n, ok := checkPadding30(buf, 20, 16); !ok || n != 4 {
		t.Errorf("checkPadding30 = %d, %v; want 4, true", n, ok)
	}
	if _, ok := checkPadding(buf, 20); ok {
		t.Error("TLS padding check accepts padding bytes that are not the padding length")
	}
	// A padding length of a block or more is refused.
	long := append(bytes.Repeat([]byte{0}, 31), 16)
	if _, ok := checkPadding30(long, 0, 16); ok {
		t.Error("checkPadding30 accepts 16 bytes of padding with 16-byte blocks")
	}
}

// TestRC2Vectors checks the test vectors of RFC 2268, Section 5.
func TestRC2Vectors(t *testing.T) {
	for _, v := range []struct {
		bits int
		blockVector
	}{
		{63, blockVector{"1", "0000000000000000", "0000000000000000", "ebb773f993278eff"}},
		{64, blockVector{"2", "ffffffffffffffff", "ffffffffffffffff", "278b27e42e2f0d49"}},
		{64, blockVector{"3", "3000000000000000", "1000000000000001", "30649edf9be7d2c2"}},
		{64, blockVector{"4", "88", "0000000000000000", "61a8a244adacccf0"}},
		{64, blockVector{"5", "88bca90e90875a", "0000000000000000", "6ccf4308974c267f"}},
		{64, blockVector{"6", "88bca90e90875a7f0f79c384627bafb2", "0000000000000000", "1a807d272bbe5db1"}},
		{128, blockVector{"7", "88bca90e90875a7f0f79c384627bafb2", "0000000000000000", "2269552ab0f85ca6"}},
		{129, blockVector{"8", "88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", "0000000000000000", "5b78d3a43dfff1f1"}},
	} {
		checkBlockVectors(t, func(key []byte) (cipher.Block, error) { return newRC2(key, v.bits) }, []blockVector{v.blockVector})
	}
}
