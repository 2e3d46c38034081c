// This file holds record decryption: TLS 1.3 AEAD records (RFC 8446, Section
// 5.2), TLS 1.2 AEAD records (RFC 5246, Section 6.2.3.3; RFC 5288 for GCM,
// RFC 6655 for CCM, RFC 7905 for ChaCha20-Poly1305), CBC records
// (RFC 5246, Section 6.2.3.2; RFC 2246 for the TLS 1.0 chained IV; RFC 7366
// for encrypt_then_mac) and stream and NULL records (RFC 5246, Section
// 6.2.3.1).

package tlscrypt

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/rc4"
	"encoding/binary"
	"fmt"
	"hash"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// Record limits.
const (
	// RecordHeaderLen is the length of a record header: type, version and
	// length (RFC 8446, Section 5.1; RFC 5246, Section 6.2.1).
	RecordHeaderLen = 5
	// MaxCiphertext is the TLS 1.2 limit of TLSCiphertext.length: 2^14 +
	// 2048 bytes (RFC 5246, Section 6.2.3). TLS 1.3 lowers it to 2^14 +
	// 256 (RFC 8446, Section 5.2). Open holds a record to neither: an
	// observer should still decrypt a peer's oversized record, as long as
	// its header can say (65535 bytes), and the caller reports the excess;
	// an endpoint checks the limit before it opens a record.
	MaxCiphertext = 1<<14 + 2048
	// explicitNonceLen is the length of the per-record nonce of TLS 1.2
	// GCM and CCM records (RFC 5288, Section 3; RFC 6655, Section 3).
	explicitNonceLen = 8
)

// Reason says why a record did not decrypt.
type Reason uint8

const (
	// ReasonBadHeader: the header is not 5 bytes or its length field does
	// not match the payload.
	ReasonBadHeader Reason = iota + 1
	// ReasonTooShort: the payload cannot hold the explicit nonce or IV,
	// the tag or the MAC.
	ReasonTooShort
	// ReasonBadLength: a CBC payload is not a whole number of blocks.
	ReasonBadLength
	// ReasonBadTag: the AEAD tag does not verify (bad_record_mac, RFC
	// 8446, Section 5.2): most often the wrong key or sequence number.
	ReasonBadTag
	// ReasonBadMAC: the HMAC does not verify (bad_record_mac, RFC 5246,
	// Section 6.2.3.2).
	ReasonBadMAC
	// ReasonBadPadding: the CBC padding is malformed (RFC 5246, Section
	// 6.2.3.2).
	ReasonBadPadding
	// ReasonNoContentType: a TLS 1.3 plaintext is all zeros, so it has no
	// content type (RFC 8446, Section 5.4).
	ReasonNoContentType
)

func (r Reason) String() string {
	switch r {
	case ReasonBadHeader:
		return "bad record header"
	case ReasonTooShort:
		return "record too short"
	case ReasonBadLength:
		return "record length not a multiple of the block size"
	case ReasonBadTag:
		return "authentication tag mismatch"
	case ReasonBadMAC:
		return "record MAC mismatch"
	case ReasonBadPadding:
		return "bad CBC padding"
	case ReasonNoContentType:
		return "no content type in TLS 1.3 plaintext"
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// Error reports a record that Open could not decrypt.
type Error struct {
	// Reason says what failed.
	Reason Reason
	// Seq is the sequence number the record was tried with.
	Seq uint64
	// Detail gives lengths or values, if any.
	Detail string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("tlscrypt: record %d: %s", e.Seq, e.Reason)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Decrypter decrypts the records of one direction of a connection, keeping
// the sequence number (RFC 8446, Section 5.3; RFC 5246, Section 6.1) and,
// for TLS 1.0 CBC and RC4, the cipher state. It is not safe for concurrent
// use.
type Decrypter struct {
	suite   *Suite
	version uint16 // the record protection version: VersionTLS13 for NewDecrypter13
	seq     uint64

	// AEAD suites.
	aead     cipher.AEAD
	key      []byte // TLS 1.3: the write key, for Unauthenticated13
	fixedIV  []byte // the 4-byte salt, or the 12-byte IV XORed with seq
	xorNonce bool   // nonce = fixedIV XOR seq (TLS 1.3, ChaCha20-Poly1305)

	// CBC suites.
	block cipher.Block
	iv    []byte // TLS 1.0: the IV of the next record
	etm   bool   // encrypt_then_mac (RFC 7366)

	// RC4.
	rc4 *rc4.Cipher

	// CBC, RC4 and NULL suites: the HMAC, or for SSL 3.0 the plain hash
	// and the MAC secret.
	mac    hash.Hash
	macKey []byte

	// ReuseBuffer makes Open write every plaintext into one buffer, which
	// is then valid only until the next Open (no allocation per record).
	ReuseBuffer bool
	// Out, when set, gives the n bytes to write each plaintext into
	// instead (storage of the caller's, which it may keep).
	Out   func(n int) []byte
	out   []byte
	nonce [32]byte
	ad    [13]byte // additionalData's, valid until the next call
}

// outBuf returns n bytes to write a plaintext into.
func (d *Decrypter) outBuf(n int) []byte {
	if d.Out != nil {
		return d.Out(n)[:n]
	}
	if !d.ReuseBuffer {
		return make([]byte, n)
	}
	if cap(d.out) < n {
		d.out = make([]byte, n)
	}
	return d.out[:n]
}

// newBlock returns the block cipher of a CBC suite.
func newBlock(s *Suite, key []byte) (cipher.Block, error) {
	switch s.Cipher {
	case AESCBC:
		return aes.NewCipher(key)
	case TripleDESCBC:
		return des.NewTripleDESCipher(key)
	case DESCBC:
		return des.NewCipher(key)
	case CamelliaCBC:
		return newCamellia(key)
	case ARIACBC:
		return newARIA(key)
	case SEEDCBC:
		return newSEED(key)
	case IDEACBC:
		return newIDEA(key)
	case RC2CBC:
		// The export suites' RC2 runs over the 16-byte final key with
		// an effective key length of 128 bits, as tshark decrypts it
		// (40 bits do not open its records); the 40 bits of RFC 2246,
		// Appendix C are those of the key material.
		return newRC2(key, 128)
	}
	return nil, fmt.Errorf("unsupported cipher %s", s.Cipher)
}

// NewDecrypter13 returns a Decrypter for TLS 1.3 records protected with
// the keys of a traffic secret (RFC 8446, Section 7.3), at sequence number
// 0.
func NewDecrypter13(s *Suite, trafficSecret []byte) (*Decrypter, error) {
	if !s.TLS13 {
		return nil, fmt.Errorf("tlscrypt: %s is not a TLS 1.3 cipher suite", s.Name)
	}
	if len(trafficSecret) != s.PRFHash.Size() {
		return nil, fmt.Errorf("tlscrypt: traffic secret is %d bytes, %s needs %d", len(trafficSecret), s.Name, s.PRFHash.Size())
	}
	key, iv := TrafficKeys13(s, trafficSecret)
	aead, err := newAEAD(s, key)
	if err != nil {
		return nil, err
	}
	return &Decrypter{suite: s, version: VersionTLS13, aead: aead, key: key, fixedIV: iv, xorNonce: true}, nil
}

// NewDecrypter12 returns a Decrypter for TLS 1.0, 1.1 or 1.2 records
// protected with k, one half of a KeyBlock, at sequence number 0.
// encryptThenMAC says whether the connection negotiated encrypt_then_mac
// (RFC 7366); it only matters for CBC suites, which are the only ones it
// applies to (RFC 7366, Section 3).
func NewDecrypter12(version uint16, s *Suite, k Keys, encryptThenMAC bool) (*Decrypter, error) {
	if version < VersionSSL30 || version > VersionTLS12 {
		return nil, fmt.Errorf("tlscrypt: version 0x%04X is not SSL 3.0 or TLS 1.0, 1.1 or 1.2", version)
	}
	if version == VersionSSL30 && (s.Cipher.AEAD() || (s.MAC != crypto.MD5 && s.MAC != crypto.SHA1)) {
		return nil, fmt.Errorf("tlscrypt: %s cannot be used with SSL 3.0", s.Name)
	}
	if s.TLS13 {
		return nil, fmt.Errorf("tlscrypt: %s is a TLS 1.3 cipher suite", s.Name)
	}
	if len(k.Key) != s.KeyLen {
		return nil, fmt.Errorf("tlscrypt: key is %d bytes, %s needs %d", len(k.Key), s.Name, s.KeyLen)
	}
	d := &Decrypter{suite: s, version: version}
	if s.Cipher.AEAD() {
		if len(k.IV) != s.FixedIVLen {
			return nil, fmt.Errorf("tlscrypt: IV is %d bytes, %s needs %d", len(k.IV), s.Name, s.FixedIVLen)
		}
		aead, err := newAEAD(s, k.Key)
		if err != nil {
			return nil, err
		}
		d.aead = aead
		d.fixedIV = append([]byte(nil), k.IV...)
		// ChaCha20-Poly1305 uses the TLS 1.3 nonce construction in TLS
		// 1.2 too (RFC 7905, Section 2).
		d.xorNonce = s.Cipher == ChaCha20Poly1305
		return d, nil
	}
	if len(k.MACKey) != s.MAC.Size() {
		return nil, fmt.Errorf("tlscrypt: MAC key is %d bytes, %s needs %d", len(k.MACKey), s.Name, s.MAC.Size())
	}
	if version == VersionSSL30 {
		d.mac, d.macKey = newHash(s.MAC)(), append([]byte(nil), k.MACKey...)
	} else {
		d.mac = hmac.New(newHash(s.MAC), k.MACKey)
	}
	var err error
	switch s.Cipher {
	case Null:
	case RC4:
		d.rc4, err = rc4.NewCipher(k.Key)
	default:
		d.block, err = newBlock(s, k.Key)
	}
	if err != nil {
		return nil, fmt.Errorf("tlscrypt: %s: %w", s.Name, err)
	}
	if d.block != nil {
		d.etm = encryptThenMAC
		if version <= VersionTLS10 {
			if len(k.IV) != d.block.BlockSize() {
				return nil, fmt.Errorf("tlscrypt: IV is %d bytes, TLS 1.0 %s needs %d", len(k.IV), s.Name, d.block.BlockSize())
			}
			d.iv = append([]byte(nil), k.IV...)
		}
	}
	return d, nil
}

// newAEAD returns the AEAD of a suite. Its nonce is 12 bytes in every case.
func newAEAD(s *Suite, key []byte) (cipher.AEAD, error) {
	if len(key) != s.KeyLen {
		return nil, fmt.Errorf("tlscrypt: key is %d bytes, %s needs %d", len(key), s.Name, s.KeyLen)
	}
	var (
		aead cipher.AEAD
		err  error
	)
	switch s.Cipher {
	case ChaCha20Poly1305:
		aead, err = chacha20poly1305.New(key)
	case AESGCM, AESCCM, AESCCM8:
		var b cipher.Block
		if b, err = aes.NewCipher(key); err != nil {
			break
		}
		if s.Cipher == AESGCM {
			aead, err = cipher.NewGCM(b)
		} else {
			aead, err = newCCM(b, 12, s.TagLen())
		}
	case CamelliaGCM, ARIAGCM:
		// GCM over another 128-bit block cipher (RFC 6367, Section
		// 3; RFC 6209, Section 2): crypto/cipher's generic GCM.
		var b cipher.Block
		if s.Cipher == CamelliaGCM {
			b, err = newCamellia(key)
		} else {
			b, err = newARIA(key)
		}
		if err != nil {
			break
		}
		aead, err = cipher.NewGCM(b)
	default:
		return nil, fmt.Errorf("tlscrypt: %s is not an AEAD", s.Cipher)
	}
	if err != nil {
		return nil, fmt.Errorf("tlscrypt: %s: %w", s.Name, err)
	}
	return aead, nil
}

// Suite returns the suite the Decrypter was made for.
func (d *Decrypter) Suite() *Suite { return d.suite }

// Seq returns the sequence number of the next record.
func (d *Decrypter) Seq() uint64 { return d.seq }

// Resumable reports whether a record can be opened without the records
// before it, given its sequence number: AEAD suites, and CBC suites from
// TLS 1.1 on (an explicit IV; the MAC covers the sequence number). TLS 1.0
// CBC and RC4 carry cipher state from record to record; NULL suites
// authenticate with their MAC too but hide nothing.
func (d *Decrypter) Resumable() bool {
	return d.aead != nil || (d.block != nil && d.version > VersionTLS10)
}

// ChainsIV reports whether the suite takes the IV of each record from the
// record before it: the CBC suites of TLS 1.0 and SSL 3.0, whose IV is the
// last ciphertext block of the previous record (RFC 2246, Section
// 6.2.3.2). Such a record opens after a gap with OpenAfterGapIV when that
// block was captured.
func (d *Decrypter) ChainsIV() bool { return d.iv != nil }

// OpenAfterGapIV is OpenAfterGap for a suite that ChainsIV: prev is the
// end of the body of the record before this one (its last ciphertext
// block, and the MAC after it with encrypt_then_mac, RFC 7366), captured
// though records before it were not. On failure nothing changes. The MAC
// proves the sequence number; with encrypt_then_mac it covers the
// ciphertext and not the IV, so prev must be the bytes right before the
// record.
func (d *Decrypter) OpenAfterGapIV(header, payload, prev []byte, skip uint64) (contentType uint8, plaintext []byte, seq uint64, err error) {
	n := len(prev)
	if d.etm {
		n -= d.mac.Size()
	}
	if !d.ChainsIV() || n < len(d.iv) {
		return 0, nil, 0, d.errorf(ReasonBadMAC, "the end of the record before is not known: no IV to open the record with")
	}
	iv := prev[n-len(d.iv) : n]
	saved := append([]byte(nil), d.iv...)
	base := d.seq
	for i := range skip + 1 {
		d.seq = base + i
		copy(d.iv, iv)
		contentType, plaintext, err = d.Open(header, payload)
		if err == nil {
			return contentType, plaintext, base + i, nil
		}
	}
	d.seq = base
	copy(d.iv, saved)
	return 0, nil, 0, err
}

// OpenAfterGap decrypts a record that follows records never seen (a
// capture that lost bytes), whose sequence number is therefore unknown: it
// tries the next sequence number, then up to skip more, and keeps the first
// with which the record authenticates (the AEAD tag or the MAC covers the
// sequence number, so a record opens with its own and no other). The
// sequence number then continues after it. It fails, changing nothing,
// when the suite is not Resumable or no sequence number in range works.
func (d *Decrypter) OpenAfterGap(header, payload []byte, skip uint64) (contentType uint8, plaintext []byte, seq uint64, err error) {
	if !d.Resumable() {
		return 0, nil, 0, d.errorf(ReasonBadMAC, "the suite keeps state from record to record: the sequence number cannot be found again")
	}
	base := d.seq
	for i := range skip + 1 {
		d.seq = base + i
		contentType, plaintext, err = d.Open(header, payload)
		if err == nil {
			return contentType, plaintext, base + i, nil
		}
	}
	d.seq = base
	return 0, nil, 0, err
}

// Clone returns a copy of d whose sequence number and cipher state move on
// apart from d's, to try records ahead without changing d. It writes its
// plaintexts into a buffer of its own (neither d's nor d.Out). It shares
// d's keys and MAC, so d and the copy must not be used concurrently.
func (d *Decrypter) Clone() *Decrypter {
	c := &Decrypter{suite: d.suite, version: d.version, seq: d.seq, aead: d.aead, key: d.key, fixedIV: d.fixedIV, xorNonce: d.xorNonce,
		block: d.block, etm: d.etm, mac: d.mac, macKey: d.macKey, ReuseBuffer: true}
	if d.iv != nil {
		c.iv = append([]byte(nil), d.iv...)
	}
	if d.rc4 != nil {
		r := *d.rc4
		c.rc4 = &r
	}
	return c
}

// Skip moves d past a record that did not open, as if it had: the
// sequence number advances, and a suite that carries state from record
// to record takes it from the record's payload as it is (the IV of TLS
// 1.0 CBC, its last ciphertext block, RFC 2246, Section 6.2.3.2; RC4's
// key stream, run over the payload's length). The records after a record
// whose bytes were altered after it was sealed then open with their own
// sequence numbers. It reports whether the next record's first block is
// then not authenticated: TLS 1.0 CBC with encrypt_then_mac, whose MAC
// covers a record's ciphertext and not the IV it takes from the record
// before (RFC 7366, Section 3), so that bytes altered in that block open
// the next record with its first block altered as well.
func (d *Decrypter) Skip(payload []byte) (uncheckedIV bool) {
	d.seq++
	switch {
	case d.rc4 != nil:
		buf := make([]byte, len(payload))
		d.rc4.XORKeyStream(buf, payload)
	case d.iv != nil:
		ct := payload
		if d.etm && d.mac != nil && len(ct) >= d.mac.Size() {
			ct = ct[:len(ct)-d.mac.Size()]
		}
		if len(ct) >= len(d.iv) {
			copy(d.iv, ct[len(ct)-len(d.iv):])
		}
		return d.etm
	}
	return false
}

// Open decrypts one record. header is the 5-byte record header as received
// and payload the record body. It returns the content type and the
// plaintext: for TLS 1.3 the inner content type, with the zero padding
// removed (RFC 8446, Section 5.4); for older versions header[0]. The
// plaintext is a new slice; payload is not modified.
//
// On success the sequence number advances. On failure (bad tag, bad MAC, bad
// padding, bad length) nothing changes, neither the sequence number nor the
// cipher state, so that the caller can try another key on the same record;
// the error is an *Error.
func (d *Decrypter) Open(header, payload []byte) (contentType uint8, plaintext []byte, err error) {
	if len(header) != RecordHeaderLen {
		return 0, nil, d.errorf(ReasonBadHeader, "header is %d bytes, want %d", len(header), RecordHeaderLen)
	}
	if n := int(binary.BigEndian.Uint16(header[3:])); n != len(payload) {
		return 0, nil, d.errorf(ReasonBadHeader, "header says %d bytes, payload has %d", n, len(payload))
	}
	switch {
	case d.version == VersionTLS13:
		contentType, plaintext, err = d.open13(header, payload)
	case d.aead != nil:
		contentType, plaintext, err = d.openAEAD12(header, payload)
	case d.block != nil && d.etm:
		contentType, plaintext, err = d.openETM(header, payload)
	case d.block != nil:
		contentType, plaintext, err = d.openCBC(header, payload)
	default:
		contentType, plaintext, err = d.openStream(header, payload)
	}
	if err != nil {
		return 0, nil, err
	}
	d.seq++
	return contentType, plaintext, nil
}

func (d *Decrypter) errorf(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Seq: d.seq, Detail: fmt.Sprintf(format, args...)}
}

// Unauthenticated13 decrypts a TLS 1.3 record at the current sequence
// number without checking its tag, for a record that did not authenticate:
// the AES-GCM or ChaCha20-Poly1305 keystream XORed with its ciphertext
// (NIST SP 800-38D, Section 7.1; RFC 8439, Section 2.8). It returns the
// inner content type and content, the zero padding removed, and ok false
// for other suites or a plaintext of zeros. What it returns is not
// authentic: an observer may read its form to tell whether the key is
// right (a wrong key gives random bytes), never take it for what was sent.
// The sequence number does not change.
func (d *Decrypter) Unauthenticated13(payload []byte) (contentType uint8, content []byte, ok bool) {
	if d.version != VersionTLS13 || d.key == nil || len(payload) < d.aead.Overhead()+1 {
		return 0, nil, false
	}
	ct := payload[:len(payload)-d.aead.Overhead()]
	nonce := d.xorNonceFor()
	pt := make([]byte, len(ct))
	switch d.suite.Cipher {
	case AESGCM:
		b, err := aes.NewCipher(d.key)
		if err != nil {
			return 0, nil, false
		}
		// The first counter block of the plaintext is inc32(J0), J0
		// being the 96-bit nonce and a counter of 1.
		ctr := append(append(make([]byte, 0, 16), nonce...), 0, 0, 0, 2)
		cipher.NewCTR(b, ctr).XORKeyStream(pt, ct)
	case ChaCha20Poly1305:
		c, err := chacha20.NewUnauthenticatedCipher(d.key, nonce)
		if err != nil {
			return 0, nil, false
		}
		// Block 0 gives the Poly1305 key; the plaintext starts at 1.
		c.SetCounter(1)
		c.XORKeyStream(pt, ct)
	default:
		return 0, nil, false
	}
	i := len(pt) - 1
	for i >= 0 && pt[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, false
	}
	return pt[i], pt[:i], true
}

// xorNonceFor returns the fixed IV XOR the sequence number, left-padded to
// the IV length (RFC 8446, Section 5.3; RFC 7905, Section 2).
func (d *Decrypter) xorNonceFor() []byte {
	nonce := d.nonce[:len(d.fixedIV)]
	copy(nonce, d.fixedIV)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(d.seq >> (8 * i))
	}
	return nonce
}

// open13 opens a TLS 1.3 record (RFC 8446, Section 5.2): the additional
// data is the record header, and the plaintext is TLSInnerPlaintext
// (content, content type, zero padding).
func (d *Decrypter) open13(header, payload []byte) (uint8, []byte, error) {
	overhead := d.aead.Overhead()
	if len(payload) < overhead+1 {
		return 0, nil, d.errorf(ReasonTooShort, "%d bytes, need at least %d", len(payload), overhead+1)
	}
	pt, err := d.aead.Open(d.outBuf(len(payload) - overhead)[:0], d.xorNonceFor(), payload, header)
	if err != nil {
		return 0, nil, d.errorf(ReasonBadTag, "")
	}
	i := len(pt) - 1
	for i >= 0 && pt[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, d.errorf(ReasonNoContentType, "%d zero bytes", len(pt))
	}
	return pt[i], pt[:i:i], nil
}

// openAEAD12 opens a TLS 1.2 AEAD record (RFC 5246, Section 6.2.3.3). The
// additional data is seq_num + type + version + length of the plaintext.
func (d *Decrypter) openAEAD12(header, payload []byte) (uint8, []byte, error) {
	overhead := d.aead.Overhead()
	var nonce []byte
	if d.xorNonce {
		nonce = d.xorNonceFor()
	} else {
		// GCM and CCM: salt from the key block + explicit nonce from
		// the record (RFC 5288, Section 3).
		if len(payload) < explicitNonceLen {
			return 0, nil, d.errorf(ReasonTooShort, "%d bytes, need at least %d", len(payload), explicitNonceLen+overhead)
		}
		nonce = append(d.nonce[:0], d.fixedIV...)
		nonce = append(nonce, payload[:explicitNonceLen]...)
		payload = payload[explicitNonceLen:]
	}
	if len(payload) < overhead {
		return 0, nil, d.errorf(ReasonTooShort, "ciphertext is %d bytes, the tag alone is %d", len(payload), overhead)
	}
	n := len(payload) - overhead
	ad := d.additionalData(header, n)
	pt, err := d.aead.Open(d.outBuf(n)[:0], nonce, payload, ad)
	if err != nil {
		return 0, nil, d.errorf(ReasonBadTag, "")
	}
	return header[0], pt, nil
}

// additionalData returns seq_num + TLSCompressed.type + version + length
// (RFC 5246, Sections 6.2.3.1 and 6.2.3.3), the input of the HMAC and of the
// TLS 1.2 AEAD additional data.
func (d *Decrypter) additionalData(header []byte, n int) []byte {
	ad := d.ad[:]
	binary.BigEndian.PutUint64(ad, d.seq)
	ad[8], ad[9], ad[10] = header[0], header[1], header[2]
	binary.BigEndian.PutUint16(ad[11:], uint16(n))
	return ad
}

// recordMAC returns HMAC(MAC_write_key, seq_num + type + version + length +
// content) (RFC 5246, Section 6.2.3.1).
func (d *Decrypter) recordMAC(header, content []byte) []byte {
	if d.version == VersionSSL30 {
		return d.ssl3MAC(header, content)
	}
	d.mac.Reset()
	d.mac.Write(d.additionalData(header, len(content)))
	d.mac.Write(content)
	return d.mac.Sum(nil)
}

// openStream opens an RC4 or NULL record (RFC 5246, Section 6.2.3.1):
// content followed by its MAC.
func (d *Decrypter) openStream(header, payload []byte) (uint8, []byte, error) {
	macLen := d.mac.Size()
	if len(payload) < macLen {
		return 0, nil, d.errorf(ReasonTooShort, "%d bytes, the MAC alone is %d", len(payload), macLen)
	}
	buf := d.outBuf(len(payload))
	var saved rc4.Cipher
	if d.rc4 != nil {
		// RC4 carries its state from record to record; restore it if
		// the MAC fails so that the record can be tried again.
		saved = *d.rc4
		d.rc4.XORKeyStream(buf, payload)
	} else {
		copy(buf, payload)
	}
	n := len(buf) - macLen
	if !hmac.Equal(d.recordMAC(header, buf[:n]), buf[n:]) {
		if d.rc4 != nil {
			*d.rc4 = saved
		}
		return 0, nil, d.errorf(ReasonBadMAC, "")
	}
	return header[0], buf[:n:n], nil
}

// openCBC opens a MAC-then-encrypt CBC record (RFC 5246, Section 6.2.3.2):
// the ciphertext is IV (TLS 1.1 and later) + CBC(content + MAC + padding +
// padding_length), and the MAC covers the content.
func (d *Decrypter) openCBC(header, payload []byte) (uint8, []byte, error) {
	bs := d.block.BlockSize()
	macLen := d.mac.Size()
	iv, ct := d.splitIV(payload)
	if len(ct) == 0 || len(ct)%bs != 0 || (d.iv == nil && len(iv) < bs) {
		return 0, nil, d.errorf(ReasonBadLength, "%d bytes, block size %d", len(payload), bs)
	}
	// The shortest plaintext is the MAC plus the padding length byte.
	if len(ct) < roundUp(macLen+1, bs) {
		return 0, nil, d.errorf(ReasonTooShort, "%d bytes cannot hold a %d-byte MAC", len(ct), macLen)
	}
	buf := d.outBuf(len(ct))
	cipher.NewCBCDecrypter(d.block, iv).CryptBlocks(buf, ct)
	n, ok := checkPadding(buf, macLen)
	if d.version == VersionSSL30 {
		n, ok = checkPadding30(buf, macLen, bs)
	}
	if !ok {
		return 0, nil, d.errorf(ReasonBadPadding, "padding length %d", buf[len(buf)-1])
	}
	if !hmac.Equal(d.recordMAC(header, buf[:n]), buf[n:n+macLen]) {
		return 0, nil, d.errorf(ReasonBadMAC, "")
	}
	d.chainIV(ct)
	return header[0], buf[:n:n], nil
}

// openETM opens an encrypt_then_mac CBC record (RFC 7366, Section 3): the
// MAC follows the ciphertext and covers seq_num + type + version + length of
// IV and ciphertext + IV + ciphertext. It is checked before decrypting.
func (d *Decrypter) openETM(header, payload []byte) (uint8, []byte, error) {
	bs := d.block.BlockSize()
	macLen := d.mac.Size()
	if len(payload) < macLen {
		return 0, nil, d.errorf(ReasonTooShort, "%d bytes, the MAC alone is %d", len(payload), macLen)
	}
	body, tag := payload[:len(payload)-macLen], payload[len(payload)-macLen:]
	iv, ct := d.splitIV(body)
	if len(ct) == 0 || len(ct)%bs != 0 || (d.iv == nil && len(iv) < bs) {
		return 0, nil, d.errorf(ReasonBadLength, "%d bytes of IV and ciphertext, block size %d", len(body), bs)
	}
	if !hmac.Equal(d.recordMAC(header, body), tag) {
		return 0, nil, d.errorf(ReasonBadMAC, "")
	}
	buf := d.outBuf(len(ct))
	cipher.NewCBCDecrypter(d.block, iv).CryptBlocks(buf, ct)
	n, ok := checkPadding(buf, 0)
	if !ok {
		return 0, nil, d.errorf(ReasonBadPadding, "padding length %d", buf[len(buf)-1])
	}
	d.chainIV(ct)
	return header[0], buf[:n:n], nil
}

// splitIV splits a CBC payload into its IV and ciphertext: the first block
// in TLS 1.1 and later (RFC 4346, Section 6.2.3.2), the chained IV in TLS
// 1.0 (RFC 2246, Section 6.2.3.2). If the payload is shorter than a block,
// the IV is short and the caller rejects it.
func (d *Decrypter) splitIV(payload []byte) (iv, ct []byte) {
	if d.iv != nil {
		return d.iv, payload
	}
	bs := d.block.BlockSize()
	if len(payload) < bs {
		return payload, nil
	}
	return payload[:bs], payload[bs:]
}

// chainIV keeps the last ciphertext block as the IV of the next record, in
// TLS 1.0 (RFC 2246, Section 6.2.3.2).
func (d *Decrypter) chainIV(ct []byte) {
	if d.iv != nil {
		copy(d.iv, ct[len(ct)-len(d.iv):])
	}
}

// checkPadding checks the CBC padding of a decrypted record, every padding
// byte equal to padding_length (RFC 5246, Section 6.2.3.2), leaving at least
// macLen bytes before it, and returns the length of the content.
func checkPadding(buf []byte, macLen int) (int, bool) {
	padLen := int(buf[len(buf)-1])
	n := len(buf) - 1 - padLen - macLen
	if n < 0 {
		return 0, false
	}
	for _, b := range buf[len(buf)-1-padLen : len(buf)-1] {
		if int(b) != padLen {
			return 0, false
		}
	}
	return n, true
}

func roundUp(n, m int) int {
	return (n + m - 1) / m * m
}
