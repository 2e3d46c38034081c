// This file holds record encryption, the sending side of every protection
// the Decrypter opens: TLS 1.3 AEAD records (RFC 8446, Section 5.2), TLS 1.2
// AEAD records (RFC 5246, Section 6.2.3.3; RFC 5288, RFC 6655, RFC 7905),
// CBC records, MAC-then-encrypt and encrypt_then_mac (RFC 5246, Section
// 6.2.3.2; RFC 2246 for the TLS 1.0 chained IV; RFC 7366), and stream and
// NULL records (RFC 5246, Section 6.2.3.1).

package tlscrypt

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// MaxPlaintext is the longest record content Seal accepts: 2^14 bytes
// (RFC 8446, Section 5.1; RFC 5246, Section 6.2.1).
const MaxPlaintext = 1 << 14

// Encrypter encrypts the records of one direction of a connection, keeping
// the sequence number and, for TLS 1.0 CBC and RC4, the cipher state. It is
// not safe for concurrent use.
type Encrypter struct {
	// st holds the keys and the state: the fields of a Decrypter made
	// with the same keys, used here for sealing.
	st *Decrypter
	// Rand is the source of the explicit IVs of TLS 1.1 and 1.2 CBC
	// records (RFC 4346, Section 6.2.3.2); nil means crypto/rand.
	Rand io.Reader
	// Padding, for TLS 1.3, is the number of zero bytes added after the
	// content type of each record (RFC 8446, Section 5.4); for CBC, the
	// number of whole blocks of padding added beyond the least needed.
	// It is limited so that the record stays within the protocol's limits.
	Padding int
}

// NewEncrypter13 returns an Encrypter for TLS 1.3 records protected with the
// keys of a traffic secret (RFC 8446, Section 7.3), at sequence number 0.
func NewEncrypter13(s *Suite, trafficSecret []byte) (*Encrypter, error) {
	d, err := NewDecrypter13(s, trafficSecret)
	if err != nil {
		return nil, err
	}
	return &Encrypter{st: d}, nil
}

// NewEncrypter12 returns an Encrypter for TLS 1.0, 1.1 or 1.2 records
// protected with k, one half of a KeyBlock, at sequence number 0.
// encryptThenMAC says whether the connection negotiated encrypt_then_mac
// (RFC 7366); it matters only for CBC suites.
func NewEncrypter12(version uint16, s *Suite, k Keys, encryptThenMAC bool) (*Encrypter, error) {
	d, err := NewDecrypter12(version, s, k, encryptThenMAC)
	if err != nil {
		return nil, err
	}
	return &Encrypter{st: d}, nil
}

// Suite returns the suite the Encrypter was made for.
func (e *Encrypter) Suite() *Suite { return e.st.suite }

// Seq returns the sequence number of the next record.
func (e *Encrypter) Seq() uint64 { return e.st.seq }

// Overhead returns the most bytes a record of n content bytes grows by when
// sealed (nonce or IV, tag or MAC, padding, the TLS 1.3 content type), not
// counting the header.
func (e *Encrypter) Overhead() int {
	d := e.st
	switch {
	case d.version == VersionTLS13:
		return d.aead.Overhead() + 1 + e.padding13()
	case d.aead != nil && d.xorNonce:
		return d.aead.Overhead()
	case d.aead != nil:
		return explicitNonceLen + d.aead.Overhead()
	case d.block != nil:
		bs := d.block.BlockSize()
		return bs + d.mac.Size() + bs*(1+e.blocksOfPadding())
	}
	return d.mac.Size()
}

func (e *Encrypter) padding13() int {
	return min(max(e.Padding, 0), 255)
}

// blocksOfPadding returns the extra whole blocks of CBC padding, limited so
// that padding_length fits in a byte (RFC 5246, Section 6.2.3.2).
func (e *Encrypter) blocksOfPadding() int {
	if e.st.version == VersionSSL30 {
		// SSL 3.0 padding is shorter than a block (RFC 6101, Section
		// 5.2.3.2).
		return 0
	}
	bs := e.st.block.BlockSize()
	return min(max(e.Padding, 0), 256/bs-1)
}

// Seal appends to dst one whole record, header included, carrying plaintext
// as content type contentType, and returns the result. recordVersion is the
// version written in the record header: for TLS 1.3 it is ignored and the
// header says 0x0303 with type application_data (RFC 8446, Section 5.1),
// the real type going inside; for older versions it is usually the
// negotiated version, which the MAC and additional data also cover. The
// sequence number advances. plaintext may not be longer than MaxPlaintext.
func (e *Encrypter) Seal(dst []byte, contentType uint8, recordVersion uint16, plaintext []byte) ([]byte, error) {
	d := e.st
	if len(plaintext) > MaxPlaintext {
		return dst, fmt.Errorf("tlscrypt: record content is %d bytes, limit %d", len(plaintext), MaxPlaintext)
	}
	if d.seq == math.MaxUint64 {
		// The sequence number must not wrap (RFC 8446, Section 5.3;
		// RFC 5246, Section 6.1).
		return dst, fmt.Errorf("tlscrypt: sequence number exhausted")
	}
	var err error
	switch {
	case d.version == VersionTLS13:
		dst = e.seal13(dst, contentType, plaintext)
	case d.aead != nil:
		dst = e.sealAEAD12(dst, contentType, recordVersion, plaintext)
	case d.block != nil:
		dst, err = e.sealCBC(dst, contentType, recordVersion, plaintext)
	default:
		dst = e.sealStream(dst, contentType, recordVersion, plaintext)
	}
	if err != nil {
		return dst, err
	}
	d.seq++
	return dst, nil
}

// appendHeader appends a record header of n body bytes and returns dst and
// the header's offset.
func appendHeader(dst []byte, typ uint8, version uint16, n int) ([]byte, int) {
	off := len(dst)
	dst = append(dst, typ, byte(version>>8), byte(version))
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	return dst, off
}

// seal13 seals a TLSInnerPlaintext (content, type, zero padding) with the
// record header as additional data (RFC 8446, Section 5.2).
func (e *Encrypter) seal13(dst []byte, typ uint8, pt []byte) []byte {
	d := e.st
	pad := e.padding13()
	inner := make([]byte, 0, len(pt)+1+pad)
	inner = append(inner, pt...)
	inner = append(inner, typ)
	inner = append(inner, make([]byte, pad)...)
	dst, off := appendHeader(dst, 23, VersionTLS12, len(inner)+d.aead.Overhead())
	hdr := []byte(string(dst[off:]))
	return d.aead.Seal(dst, d.xorNonceFor(), inner, hdr)
}

// sealAEAD12 seals a TLS 1.2 AEAD record (RFC 5246, Section 6.2.3.3). For
// GCM and CCM the explicit nonce is the sequence number, unique per key as
// RFC 5288, Section 3 requires; ChaCha20-Poly1305 has none (RFC 7905).
func (e *Encrypter) sealAEAD12(dst []byte, typ uint8, version uint16, pt []byte) []byte {
	d := e.st
	hdr := []byte{typ, byte(version >> 8), byte(version), 0, 0}
	ad := d.additionalData(hdr, len(pt))
	if d.xorNonce {
		dst, _ = appendHeader(dst, typ, version, len(pt)+d.aead.Overhead())
		return d.aead.Seal(dst, d.xorNonceFor(), pt, ad)
	}
	dst, _ = appendHeader(dst, typ, version, explicitNonceLen+len(pt)+d.aead.Overhead())
	explicit := binary.BigEndian.AppendUint64(nil, d.seq)
	dst = append(dst, explicit...)
	nonce := append(append([]byte(nil), d.fixedIV...), explicit...)
	return d.aead.Seal(dst, nonce, pt, ad)
}

// sealStream seals an RC4 or NULL record: content followed by its MAC (RFC
// 5246, Section 6.2.3.1).
func (e *Encrypter) sealStream(dst []byte, typ uint8, version uint16, pt []byte) []byte {
	d := e.st
	hdr := []byte{typ, byte(version >> 8), byte(version), 0, 0}
	body := append(append([]byte(nil), pt...), d.recordMAC(hdr, pt)...)
	if d.rc4 != nil {
		d.rc4.XORKeyStream(body, body)
	}
	dst, _ = appendHeader(dst, typ, version, len(body))
	return append(dst, body...)
}

// sealCBC seals a CBC record: IV (TLS 1.1 and later) + CBC(content + MAC +
// padding + padding_length) for MAC-then-encrypt (RFC 5246, Section
// 6.2.3.2), or IV + CBC(content + padding + padding_length) + MAC over IV
// and ciphertext for encrypt_then_mac (RFC 7366, Section 3).
func (e *Encrypter) sealCBC(dst []byte, typ uint8, version uint16, pt []byte) ([]byte, error) {
	d := e.st
	bs := d.block.BlockSize()
	hdr := []byte{typ, byte(version >> 8), byte(version), 0, 0}
	data := append(make([]byte, 0, len(pt)+d.mac.Size()+256), pt...)
	if !d.etm {
		data = append(data, d.recordMAC(hdr, pt)...)
	}
	padLen := bs - 1 - len(data)%bs + bs*e.blocksOfPadding()
	for range padLen + 1 {
		data = append(data, byte(padLen))
	}
	var body []byte
	iv := d.iv
	if iv == nil {
		iv = make([]byte, bs)
		r := e.Rand
		if r == nil {
			r = rand.Reader
		}
		if _, err := io.ReadFull(r, iv); err != nil {
			return dst, fmt.Errorf("tlscrypt: record IV: %w", err)
		}
		body = append(body, iv...)
	}
	ct := make([]byte, len(data))
	cipher.NewCBCEncrypter(d.block, iv).CryptBlocks(ct, data)
	d.chainIV(ct)
	body = append(body, ct...)
	if d.etm {
		body = append(body, d.recordMAC(hdr, body)...)
	}
	dst, _ = appendHeader(dst, typ, version, len(body))
	return append(dst, body...), nil
}
