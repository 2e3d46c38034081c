// This file holds SSL 3.0 (RFC 6101): its master secret and key block
// (Section 6.1 and 6.2.2, built from MD5 and SHA-1 instead of a PRF) and
// its record MAC (Section 5.2.3.1, the pad1/pad2 construction that HMAC
// came from). Its records are otherwise those of TLS 1.0:
// CBC with the IV chained from record to record, RC4 and NULL; the CBC
// padding bytes may hold anything, only their count is checked.

package tlscrypt

import (
	"crypto"
	"encoding/binary"
)

// VersionSSL30 is SSL 3.0, as in the record header.
const VersionSSL30 uint16 = 0x0300

// ssl3Expand returns n bytes of the SSL 3.0 key derivation over secret
// (RFC 6101, Sections 6.1 and 6.2.2):
//
//	MD5(secret + SHA('A' + secret + r1 + r2)) +
//	MD5(secret + SHA('BB' + secret + r1 + r2)) + ...
func ssl3Expand(secret, r1, r2 []byte, n int) []byte {
	md5h, sha := newHash(crypto.MD5)(), newHash(crypto.SHA1)()
	out := make([]byte, 0, n+md5h.Size())
	for i := 0; len(out) < n; i++ {
		label := make([]byte, i+1)
		for j := range label {
			label[j] = 'A' + byte(i)
		}
		sha.Reset()
		sha.Write(label)
		sha.Write(secret)
		sha.Write(r1)
		sha.Write(r2)
		md5h.Reset()
		md5h.Write(secret)
		md5h.Write(sha.Sum(nil))
		out = md5h.Sum(out)
	}
	return out[:n:n]
}

// ssl3Pad returns the pad_1 (0x36) or pad_2 (0x5c) of an SSL 3.0 MAC or
// Finished hash: 48 bytes for MD5, 40 for SHA-1 (RFC 6101, Section
// 5.2.3.1).
func ssl3Pad(h crypto.Hash, b byte) []byte {
	n := 40
	if h == crypto.MD5 {
		n = 48
	}
	pad := make([]byte, n)
	for i := range pad {
		pad[i] = b
	}
	return pad
}

// ssl3MAC returns the MAC of a record (RFC 6101, Section 5.2.3.1):
//
//	hash(MAC_write_secret + pad_2 +
//	     hash(MAC_write_secret + pad_1 + seq_num + type + length + content))
//
// d.mac is the plain hash, d.macKey the secret.
func (d *Decrypter) ssl3MAC(header, content []byte) []byte {
	h := d.mac
	var ad [11]byte
	binary.BigEndian.PutUint64(ad[:], d.seq)
	ad[8] = header[0]
	binary.BigEndian.PutUint16(ad[9:], uint16(len(content)))
	h.Reset()
	h.Write(d.macKey)
	h.Write(ssl3Pad(d.suite.MAC, 0x36))
	h.Write(ad[:])
	h.Write(content)
	inner := h.Sum(nil)
	h.Reset()
	h.Write(d.macKey)
	h.Write(ssl3Pad(d.suite.MAC, 0x5c))
	h.Write(inner)
	return h.Sum(nil)
}

// checkPadding30 checks the CBC padding of an SSL 3.0 record: only its
// length, which must be less than the block size (RFC 6101, Section
// 5.2.3.2), and returns the length of the content.
func checkPadding30(buf []byte, macLen, bs int) (int, bool) {
	padLen := int(buf[len(buf)-1])
	n := len(buf) - 1 - padLen - macLen
	if padLen >= bs || n < 0 {
		return 0, false
	}
	return n, true
}
