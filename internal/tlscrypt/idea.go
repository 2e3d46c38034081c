// This file holds the IDEA block cipher (Lai and Massey, "A Proposal for a
// New Block Encryption Standard", 1990; the IDEA of RFC 5469), for the
// IDEA cipher suites of TLS 1.0 and 1.1 (RFC 5469). Neither Go's standard
// library nor golang.org/x/crypto has it (docs/ciphers.md); it is written
// here from its specification and tested with its published vector and
// against OpenSSL.

package tlscrypt

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// ideaCipher is IDEA with the 52 subkeys of encryption and of decryption
// of one key.
type ideaCipher struct {
	enc, dec [52]uint16
}

// newIDEA returns IDEA with a 16-byte key.
func newIDEA(key []byte) (cipher.Block, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("idea: invalid key size %d", len(key))
	}
	c := &ideaCipher{}
	// The encryption subkeys are the key's eight 16-bit words, then those
	// of the key rotated left by 25 bits, and so on.
	hi := binary.BigEndian.Uint64(key)
	lo := binary.BigEndian.Uint64(key[8:])
	for i := 0; i < 52; i += 8 {
		k := [2]uint64{hi, lo}
		for j := 0; j < 8 && i+j < 52; j++ {
			c.enc[i+j] = uint16(k[j/4] >> (48 - 16*(j%4)))
		}
		hi, lo = hi<<25|lo>>39, lo<<25|hi>>39
	}
	// The decryption subkeys are the inverses of the encryption ones in
	// reverse order, the additive ones of the inner rounds swapped.
	e := &c.enc
	d := &c.dec
	for r := 0; r <= 8; r++ {
		j := 48 - 6*r // the round's multiplicative and additive keys
		d[6*r] = ideaMulInv(e[j])
		if r == 0 || r == 8 {
			d[6*r+1], d[6*r+2] = -e[j+1], -e[j+2]
		} else {
			d[6*r+1], d[6*r+2] = -e[j+2], -e[j+1]
		}
		d[6*r+3] = ideaMulInv(e[j+3])
		if r < 8 {
			d[6*r+4], d[6*r+5] = e[j-2], e[j-1]
		}
	}
	return c, nil
}

func (c *ideaCipher) BlockSize() int { return 8 }

func (c *ideaCipher) Encrypt(dst, src []byte) { ideaCrypt(&c.enc, dst, src) }

func (c *ideaCipher) Decrypt(dst, src []byte) { ideaCrypt(&c.dec, dst, src) }

// ideaCrypt runs the eight rounds and the output transformation.
func ideaCrypt(k *[52]uint16, dst, src []byte) {
	if len(src) < 8 || len(dst) < 8 {
		panic("idea: input not full block")
	}
	x1 := binary.BigEndian.Uint16(src)
	x2 := binary.BigEndian.Uint16(src[2:])
	x3 := binary.BigEndian.Uint16(src[4:])
	x4 := binary.BigEndian.Uint16(src[6:])
	for r := range 8 {
		z := k[6*r : 6*r+6]
		x1 = ideaMul(x1, z[0])
		x2 += z[1]
		x3 += z[2]
		x4 = ideaMul(x4, z[3])
		t0 := ideaMul(x1^x3, z[4])
		t1 := ideaMul((x2^x4)+t0, z[5])
		t0 += t1
		x1 ^= t1
		x4 ^= t0
		// The middle words swap, except after the last round.
		if r < 7 {
			x2, x3 = x3^t1, x2^t0
		} else {
			x2, x3 = x2^t0, x3^t1
		}
	}
	binary.BigEndian.PutUint16(dst, ideaMul(x1, k[48]))
	binary.BigEndian.PutUint16(dst[2:], x2+k[49])
	binary.BigEndian.PutUint16(dst[4:], x3+k[50])
	binary.BigEndian.PutUint16(dst[6:], ideaMul(x4, k[51]))
}

// ideaMul multiplies modulo 2^16+1, where 0 stands for 2^16.
func ideaMul(a, b uint16) uint16 {
	x, y := uint32(a), uint32(b)
	if x == 0 {
		x = 1 << 16
	}
	if y == 0 {
		y = 1 << 16
	}
	return uint16(uint64(x) * uint64(y) % (1<<16 + 1))
}

// ideaMulInv returns the inverse of a modulo 2^16+1 (0 and 1 are their own
// inverses), by Fermat: a^(p-2) mod p.
func ideaMulInv(a uint16) uint16 {
	if a <= 1 {
		return a
	}
	const p = 1<<16 + 1
	r, b := uint64(1), uint64(a)
	for e := uint64(p - 2); e > 0; e >>= 1 {
		if e&1 == 1 {
			r = r * b % p
		}
		b = b * b % p
	}
	return uint16(r)
}
