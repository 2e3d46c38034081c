// This file holds the TLS 1.3 key schedule as far as record protection needs
// it. See RFC 8446, Section 7.

package tlscrypt

import (
	"crypto"
	"crypto/hkdf"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"

	"golang.org/x/crypto/cryptobyte"
)

// ExpandLabel implements HKDF-Expand-Label from RFC 8446, Section 7.1: HKDF-
// Expand with hash h of secret, over the HkdfLabel structure of length,
// "tls13 " + label and context. It panics if the label or context is too
// long for the structure or length too long for HKDF, which the constant
// labels of TLS never are.
func ExpandLabel(h crypto.Hash, secret []byte, label string, context []byte, length int) []byte {
	var b cryptobyte.Builder
	b.AddUint16(uint16(length))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes([]byte("tls13 "))
		b.AddBytes([]byte(label))
	})
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes(context)
	})
	info, err := b.Bytes()
	if err != nil || length > 0xFFFF {
		panic("tlscrypt: internal error: HKDF-Expand-Label label or context too long")
	}
	out, err := hkdf.Expand(newHash(h), secret, string(info), length)
	if err != nil {
		panic("tlscrypt: internal error: " + err.Error())
	}
	return out
}

// TrafficKeys13 returns the record key and IV derived from a TLS 1.3 traffic
// secret (RFC 8446, Section 7.3):
//
//	[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
//	[sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length)
func TrafficKeys13(s *Suite, secret []byte) (key, iv []byte) {
	key = ExpandLabel(s.PRFHash, secret, "key", nil, s.KeyLen)
	iv = ExpandLabel(s.PRFHash, secret, "iv", nil, s.FixedIVLen)
	return key, iv
}

// NextSecret13 returns the traffic secret that follows secret after a
// KeyUpdate (RFC 8446, Section 7.2):
//
//	application_traffic_secret_N+1 =
//	    HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)
func NextSecret13(s *Suite, secret []byte) []byte {
	return ExpandLabel(s.PRFHash, secret, "traffic upd", nil, s.PRFHash.Size())
}

// newHash returns the constructor of h. It names the hashes explicitly
// instead of calling h.New, so that no import is needed for registration.
func newHash(h crypto.Hash) func() hash.Hash {
	switch h {
	case crypto.MD5:
		return md5.New
	case crypto.SHA1:
		return sha1.New
	case crypto.SHA256:
		return sha256.New
	case crypto.SHA384:
		return sha512.New384
	case crypto.SHA512:
		return sha512.New
	}
	panic("tlscrypt: internal error: unsupported hash " + h.String())
}
