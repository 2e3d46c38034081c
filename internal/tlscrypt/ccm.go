// This file implements CCM (Counter with CBC-MAC) as a cipher.AEAD on a
// 128-bit block cipher, as specified in RFC 3610 and NIST SP 800-38C, for the
// AES-CCM suites of RFC 6655, RFC 7251 and RFC 8446. The Go standard library
// and golang.org/x/crypto have no CCM.

package tlscrypt

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// ccm is CCM with a fixed nonce and tag size (RFC 3610, Section 2).
type ccm struct {
	b        cipher.Block
	nonceLen int // 15 - L: 7 to 13 bytes
	tagLen   int // M: 4, 6, ..., 16 bytes
}

var errCCMOpen = errors.New("tlscrypt: CCM message authentication failed")

// newCCM returns CCM on b, which must have a 16-byte block, with the given
// nonce length (7 to 13 bytes) and tag length (an even number from 4 to
// 16).
func newCCM(b cipher.Block, nonceLen, tagLen int) (cipher.AEAD, error) {
	if b.BlockSize() != 16 {
		return nil, errors.New("tlscrypt: CCM needs a 128-bit block cipher")
	}
	if nonceLen < 7 || nonceLen > 13 || tagLen < 4 || tagLen > 16 || tagLen%2 != 0 {
		return nil, errors.New("tlscrypt: invalid CCM nonce or tag size")
	}
	return &ccm{b: b, nonceLen: nonceLen, tagLen: tagLen}, nil
}

func (c *ccm) NonceSize() int { return c.nonceLen }
func (c *ccm) Overhead() int  { return c.tagLen }

// maxLen returns the longest message that the length field of L = 15 -
// nonceLen bytes can count, capped to what an int holds.
func (c *ccm) maxLen() uint64 {
	l := 15 - c.nonceLen
	if l >= 8 {
		return 1<<63 - 1
	}
	return 1<<(8*l) - 1
}

// counter fills ctr with the counter block A_i (RFC 3610, Section 2.3):
// Flags = L-1, then the nonce, then i in L bytes.
func (c *ccm) counter(ctr *[16]byte, nonce []byte, i uint64) {
	*ctr = [16]byte{}
	ctr[0] = byte(14 - c.nonceLen)
	copy(ctr[1:], nonce)
	for k := 0; k < 15-c.nonceLen; k++ {
		ctr[15-k] = byte(i >> (8 * k))
	}
}

// mac computes the CBC-MAC T of RFC 3610, Section 2.2, over B_0, the encoded
// additional data and the plaintext, each padded with zeros to the block
// size.
func (c *ccm) mac(tag *[16]byte, nonce, plaintext, data []byte) {
	var b0 [16]byte
	flags := byte((c.tagLen-2)/2) << 3
	flags |= byte(14 - c.nonceLen)
	if len(data) > 0 {
		flags |= 0x40
	}
	b0[0] = flags
	copy(b0[1:], nonce)
	var l [8]byte
	binary.BigEndian.PutUint64(l[:], uint64(len(plaintext)))
	copy(b0[1+c.nonceLen:], l[8-(15-c.nonceLen):])
	c.b.Encrypt(tag[:], b0[:])

	if len(data) > 0 {
		// The length of the additional data, encoded as in RFC 3610,
		// Section 2.2, then the data, as one zero-padded stream.
		var hdr []byte
		switch n := uint64(len(data)); {
		case n < 0xFF00:
			hdr = binary.BigEndian.AppendUint16(nil, uint16(n))
		case n <= 0xFFFFFFFF:
			hdr = binary.BigEndian.AppendUint32([]byte{0xFF, 0xFE}, uint32(n))
		default:
			hdr = binary.BigEndian.AppendUint64([]byte{0xFF, 0xFF}, n)
		}
		var blk [16]byte
		k := copy(blk[:], hdr)
		k += copy(blk[k:], data)
		data = data[k-len(hdr):]
		c.block(tag, blk[:])
		c.blocks(tag, data)
	}
	c.blocks(tag, plaintext)
}

// blocks feeds p, padded with zeros to a whole number of blocks, into the
// CBC-MAC state tag.
func (c *ccm) blocks(tag *[16]byte, p []byte) {
	for len(p) >= 16 {
		c.block(tag, p[:16])
		p = p[16:]
	}
	if len(p) > 0 {
		var blk [16]byte
		copy(blk[:], p)
		c.block(tag, blk[:])
	}
}

func (c *ccm) block(tag *[16]byte, blk []byte) {
	subtle.XORBytes(tag[:], tag[:], blk)
	c.b.Encrypt(tag[:], tag[:])
}

// ctr XORs src with the key stream starting at counter block A_1 into dst,
// and returns the first block of the stream, S_0, in s0.
func (c *ccm) ctr(dst, src, nonce []byte, s0 *[16]byte) {
	var a [16]byte
	c.counter(&a, nonce, 0)
	c.b.Encrypt(s0[:], a[:])
	if len(src) == 0 {
		return
	}
	c.counter(&a, nonce, 1)
	// The counter occupies the last L bytes; cipher.NewCTR increments the
	// whole block, which is the same while i < 2^(8L), and maxLen keeps
	// the message below 2^(8L) bytes.
	cipher.NewCTR(c.b, a[:]).XORKeyStream(dst, src)
}

func (c *ccm) Seal(dst, nonce, plaintext, data []byte) []byte {
	if len(nonce) != c.nonceLen {
		panic("tlscrypt: incorrect CCM nonce length")
	}
	if uint64(len(plaintext)) > c.maxLen() {
		panic("tlscrypt: CCM message too long")
	}
	var tag, s0 [16]byte
	c.mac(&tag, nonce, plaintext, data)
	ret, out := sliceForAppend(dst, len(plaintext)+c.tagLen)
	c.ctr(out[:len(plaintext)], plaintext, nonce, &s0)
	subtle.XORBytes(out[len(plaintext):], tag[:c.tagLen], s0[:c.tagLen])
	return ret
}

func (c *ccm) Open(dst, nonce, ciphertext, data []byte) ([]byte, error) {
	if len(nonce) != c.nonceLen {
		panic("tlscrypt: incorrect CCM nonce length")
	}
	if len(ciphertext) < c.tagLen || uint64(len(ciphertext)-c.tagLen) > c.maxLen() {
		return nil, errCCMOpen
	}
	n := len(ciphertext) - c.tagLen
	ret, out := sliceForAppend(dst, n)
	var s0, want, tag [16]byte
	c.ctr(out, ciphertext[:n], nonce, &s0)
	c.mac(&tag, nonce, out, data)
	subtle.XORBytes(want[:], tag[:c.tagLen], s0[:c.tagLen])
	if subtle.ConstantTimeCompare(want[:c.tagLen], ciphertext[n:]) != 1 {
		clear(out)
		return nil, errCCMOpen
	}
	return ret, nil
}

// sliceForAppend extends in by n bytes, returning the whole slice and the
// new tail (as in crypto/cipher).
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return
}
