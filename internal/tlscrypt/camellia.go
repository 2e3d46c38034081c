// This file holds the Camellia block cipher (RFC 3713), for the Camellia
// cipher suites of TLS (RFC 5932 for CBC, RFC 6367 for GCM and the ECC
// suites). Neither Go's standard library nor golang.org/x/crypto has it,
// and no module the proxy serves was fit to depend on (docs/ciphers.md);
// it is written here from the RFC and tested with its vectors and against
// OpenSSL.

package tlscrypt

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// camelliaSBox1 is SBOX1 (RFC 3713, Section 2.4.4); SBOX2, SBOX3 and SBOX4
// are rotations of it, made by init.
var camelliaSBox1 = [256]byte{
	0x70, 0x82, 0x2c, 0xec, 0xb3, 0x27, 0xc0, 0xe5, 0xe4, 0x85, 0x57, 0x35, 0xea, 0x0c, 0xae, 0x41,
	0x23, 0xef, 0x6b, 0x93, 0x45, 0x19, 0xa5, 0x21, 0xed, 0x0e, 0x4f, 0x4e, 0x1d, 0x65, 0x92, 0xbd,
	0x86, 0xb8, 0xaf, 0x8f, 0x7c, 0xeb, 0x1f, 0xce, 0x3e, 0x30, 0xdc, 0x5f, 0x5e, 0xc5, 0x0b, 0x1a,
	0xa6, 0xe1, 0x39, 0xca, 0xd5, 0x47, 0x5d, 0x3d, 0xd9, 0x01, 0x5a, 0xd6, 0x51, 0x56, 0x6c, 0x4d,
	0x8b, 0x0d, 0x9a, 0x66, 0xfb, 0xcc, 0xb0, 0x2d, 0x74, 0x12, 0x2b, 0x20, 0xf0, 0xb1, 0x84, 0x99,
	0xdf, 0x4c, 0xcb, 0xc2, 0x34, 0x7e, 0x76, 0x05, 0x6d, 0xb7, 0xa9, 0x31, 0xd1, 0x17, 0x04, 0xd7,
	0x14, 0x58, 0x3a, 0x61, 0xde, 0x1b, 0x11, 0x1c, 0x32, 0x0f, 0x9c, 0x16, 0x53, 0x18, 0xf2, 0x22,
	0xfe, 0x44, 0xcf, 0xb2, 0xc3, 0xb5, 0x7a, 0x91, 0x24, 0x08, 0xe8, 0xa8, 0x60, 0xfc, 0x69, 0x50,
	0xaa, 0xd0, 0xa0, 0x7d, 0xa1, 0x89, 0x62, 0x97, 0x54, 0x5b, 0x1e, 0x95, 0xe0, 0xff, 0x64, 0xd2,
	0x10, 0xc4, 0x00, 0x48, 0xa3, 0xf7, 0x75, 0xdb, 0x8a, 0x03, 0xe6, 0xda, 0x09, 0x3f, 0xdd, 0x94,
	0x87, 0x5c, 0x83, 0x02, 0xcd, 0x4a, 0x90, 0x33, 0x73, 0x67, 0xf6, 0xf3, 0x9d, 0x7f, 0xbf, 0xe2,
	0x52, 0x9b, 0xd8, 0x26, 0xc8, 0x37, 0xc6, 0x3b, 0x81, 0x96, 0x6f, 0x4b, 0x13, 0xbe, 0x63, 0x2e,
	0xe9, 0x79, 0xa7, 0x8c, 0x9f, 0x6e, 0xbc, 0x8e, 0x29, 0xf5, 0xf9, 0xb6, 0x2f, 0xfd, 0xb4, 0x59,
	0x78, 0x98, 0x06, 0x6a, 0xe7, 0x46, 0x71, 0xba, 0xd4, 0x25, 0xab, 0x42, 0x88, 0xa2, 0x8d, 0xfa,
	0x72, 0x07, 0xb9, 0x55, 0xf8, 0xee, 0xac, 0x0a, 0x36, 0x49, 0x2a, 0x68, 0x3c, 0x38, 0xf1, 0xa4,
	0x40, 0x28, 0xd3, 0x7b, 0xbb, 0xc9, 0x43, 0xc1, 0x15, 0xe3, 0xad, 0xf4, 0x77, 0xc7, 0x80, 0x9e,
}

var camelliaSBox2, camelliaSBox3, camelliaSBox4 [256]byte

func init() {
	for i := range 256 {
		s := camelliaSBox1[i]
		camelliaSBox2[i] = bits.RotateLeft8(s, 1)
		camelliaSBox3[i] = bits.RotateLeft8(s, 7)
		camelliaSBox4[i] = camelliaSBox1[bits.RotateLeft8(byte(i), 1)]
	}
}

// The key schedule constants Sigma1 to Sigma6 (RFC 3713, Section 2.2).
var camelliaSigma = [6]uint64{
	0xA09E667F3BCC908B, 0xB67AE8584CAA73B2, 0xC6EF372FE94F82BE,
	0x54FF53A5F1D36F1C, 0x10E527FADE682D1D, 0xB05688C2B3E6C1FD,
}

// camelliaCipher is Camellia with one key: the subkeys of encryption and,
// in reverse order, of decryption (RFC 3713, Section 2.3.3).
type camelliaCipher struct {
	enc, dec camelliaKeys
}

// camelliaKeys are the subkeys in the order the data randomizing part
// uses them: the whitening keys before and after, the round keys, and the
// FL and FL^-1 keys.
type camelliaKeys struct {
	pre, post [2]uint64
	k         []uint64
	ke        []uint64
}

// newCamellia returns Camellia with a 16-, 24- or 32-byte key.
func newCamellia(key []byte) (cipher.Block, error) {
	var kl, kr [2]uint64
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("camellia: invalid key size %d", len(key))
	}
	kl[0] = binary.BigEndian.Uint64(key)
	kl[1] = binary.BigEndian.Uint64(key[8:])
	switch len(key) {
	case 24:
		kr[0] = binary.BigEndian.Uint64(key[16:])
		kr[1] = ^kr[0]
	case 32:
		kr[0] = binary.BigEndian.Uint64(key[16:])
		kr[1] = binary.BigEndian.Uint64(key[24:])
	}
	// KA and KB (RFC 3713, Section 2.2).
	d1, d2 := kl[0]^kr[0], kl[1]^kr[1]
	d2 ^= camelliaF(d1, camelliaSigma[0])
	d1 ^= camelliaF(d2, camelliaSigma[1])
	d1 ^= kl[0]
	d2 ^= kl[1]
	d2 ^= camelliaF(d1, camelliaSigma[2])
	d1 ^= camelliaF(d2, camelliaSigma[3])
	ka := [2]uint64{d1, d2}
	d1, d2 = ka[0]^kr[0], ka[1]^kr[1]
	d2 ^= camelliaF(d1, camelliaSigma[4])
	d1 ^= camelliaF(d2, camelliaSigma[5])
	kb := [2]uint64{d1, d2}

	var e camelliaKeys
	if len(key) == 16 {
		// RFC 3713, Section 2.2, the table for 128-bit keys.
		e.pre = rotl128(kl, 0)
		e.k = appendHalves(nil, rotl128(ka, 0), rotl128(kl, 15), rotl128(ka, 15))
		e.ke = appendHalves(nil, rotl128(ka, 30))
		e.k = appendHalves(e.k, rotl128(kl, 45))
		k9 := rotl128(ka, 45)
		k10 := rotl128(kl, 60)
		e.k = append(e.k, k9[0], k10[1])
		e.k = appendHalves(e.k, rotl128(ka, 60))
		e.ke = appendHalves(e.ke, rotl128(kl, 77))
		e.k = appendHalves(e.k, rotl128(kl, 94), rotl128(ka, 94), rotl128(kl, 111))
		e.post = rotl128(ka, 111)
	} else {
		// The table for 192- and 256-bit keys.
		e.pre = rotl128(kl, 0)
		e.k = appendHalves(nil, rotl128(kb, 0), rotl128(kr, 15), rotl128(ka, 15))
		e.ke = appendHalves(nil, rotl128(kr, 30))
		e.k = appendHalves(e.k, rotl128(kb, 30), rotl128(kl, 45), rotl128(ka, 45))
		e.ke = appendHalves(e.ke, rotl128(kl, 60))
		e.k = appendHalves(e.k, rotl128(kr, 60), rotl128(kb, 60), rotl128(kl, 77))
		e.ke = appendHalves(e.ke, rotl128(ka, 77))
		e.k = appendHalves(e.k, rotl128(kr, 94), rotl128(ka, 94), rotl128(kl, 111))
		e.post = rotl128(kb, 111)
	}
	// Decryption uses the same subkeys in reverse order (RFC 3713,
	// Section 2.3.3).
	d := camelliaKeys{
		pre:  [2]uint64{e.post[0], e.post[1]},
		post: [2]uint64{e.pre[0], e.pre[1]},
		k:    make([]uint64, len(e.k)),
		ke:   make([]uint64, len(e.ke)),
	}
	for i, k := range e.k {
		d.k[len(e.k)-1-i] = k
	}
	for i, k := range e.ke {
		d.ke[len(e.ke)-1-i] = k
	}
	return &camelliaCipher{enc: e, dec: d}, nil
}

// rotl128 rotates the 128-bit value x (high half first) left by n bits.
func rotl128(x [2]uint64, n uint) [2]uint64 {
	n %= 128
	if n >= 64 {
		x[0], x[1] = x[1], x[0]
		n -= 64
	}
	if n == 0 {
		return x
	}
	return [2]uint64{x[0]<<n | x[1]>>(64-n), x[1]<<n | x[0]>>(64-n)}
}

func appendHalves(dst []uint64, xs ...[2]uint64) []uint64 {
	for _, x := range xs {
		dst = append(dst, x[0], x[1])
	}
	return dst
}

func (c *camelliaCipher) BlockSize() int { return 16 }

func (c *camelliaCipher) Encrypt(dst, src []byte) { c.crypt(&c.enc, dst, src) }

func (c *camelliaCipher) Decrypt(dst, src []byte) { c.crypt(&c.dec, dst, src) }

// crypt is the data randomizing part (RFC 3713, Section 2.3): 18 or 24
// Feistel rounds, with FL and FL^-1 after every six.
func (c *camelliaCipher) crypt(k *camelliaKeys, dst, src []byte) {
	if len(src) < 16 || len(dst) < 16 {
		panic("camellia: input not full block")
	}
	d1 := binary.BigEndian.Uint64(src) ^ k.pre[0]
	d2 := binary.BigEndian.Uint64(src[8:]) ^ k.pre[1]
	for i := 0; i < len(k.k); i += 2 {
		if i > 0 && i%6 == 0 {
			j := (i/6 - 1) * 2
			d1 = camelliaFL(d1, k.ke[j])
			d2 = camelliaFLInv(d2, k.ke[j+1])
		}
		d2 ^= camelliaF(d1, k.k[i])
		d1 ^= camelliaF(d2, k.k[i+1])
	}
	d2 ^= k.post[0]
	d1 ^= k.post[1]
	binary.BigEndian.PutUint64(dst, d2)
	binary.BigEndian.PutUint64(dst[8:], d1)
}

// camelliaF is the F-function (RFC 3713, Section 2.4.1).
func camelliaF(in, ke uint64) uint64 {
	x := in ^ ke
	t1 := uint64(camelliaSBox1[byte(x>>56)])
	t2 := uint64(camelliaSBox2[byte(x>>48)])
	t3 := uint64(camelliaSBox3[byte(x>>40)])
	t4 := uint64(camelliaSBox4[byte(x>>32)])
	t5 := uint64(camelliaSBox2[byte(x>>24)])
	t6 := uint64(camelliaSBox3[byte(x>>16)])
	t7 := uint64(camelliaSBox4[byte(x>>8)])
	t8 := uint64(camelliaSBox1[byte(x)])
	y1 := t1 ^ t3 ^ t4 ^ t6 ^ t7 ^ t8
	y2 := t1 ^ t2 ^ t4 ^ t5 ^ t7 ^ t8
	y3 := t1 ^ t2 ^ t3 ^ t5 ^ t6 ^ t8
	y4 := t2 ^ t3 ^ t4 ^ t5 ^ t6 ^ t7
	y5 := t1 ^ t2 ^ t6 ^ t7 ^ t8
	y6 := t2 ^ t3 ^ t5 ^ t7 ^ t8
	y7 := t3 ^ t4 ^ t5 ^ t6 ^ t8
	y8 := t1 ^ t4 ^ t5 ^ t6 ^ t7
	return y1<<56 | y2<<48 | y3<<40 | y4<<32 | y5<<24 | y6<<16 | y7<<8 | y8
}

// camelliaFL is the FL-function (RFC 3713, Section 2.4.2).
func camelliaFL(in, ke uint64) uint64 {
	x1, x2 := uint32(in>>32), uint32(in)
	k1, k2 := uint32(ke>>32), uint32(ke)
	x2 ^= bits.RotateLeft32(x1&k1, 1)
	x1 ^= x2 | k2
	return uint64(x1)<<32 | uint64(x2)
}

// camelliaFLInv is the FLINV-function (RFC 3713, Section 2.4.3).
func camelliaFLInv(in, ke uint64) uint64 {
	y1, y2 := uint32(in>>32), uint32(in)
	k1, k2 := uint32(ke>>32), uint32(ke)
	y1 ^= y2 | k2
	y2 ^= bits.RotateLeft32(y1&k1, 1)
	return uint64(y1)<<32 | uint64(y2)
}
