package tlscrypt

import (
	"bytes"
	"crypto"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func hmacForTest(h crypto.Hash, key, msg []byte) []byte {
	m := hmac.New(newHash(h), key)
	m.Write(msg)
	return m.Sum(nil)
}

// sealer is a test-only record encrypter: the sending side of a Decrypter,
// written from the RFCs with the standard library primitives (and the CCM
// of this package, which is checked against published vectors).
type sealer struct {
	version uint16 // VersionTLS13 for TLS 1.3 records
	s       *Suite
	seq     uint64
	keys    Keys
	etm     bool
	rng     *rand.Rand

	aead   cipher.AEAD
	block  cipher.Block
	stream *rc4.Cipher
	iv     []byte // TLS 1.0 CBC chained IV

	// extraPadding adds whole blocks of CBC padding, or zero bytes of TLS
	// 1.3 padding.
	extraPadding int
	// corruptPadding makes the first CBC padding byte wrong.
	corruptPadding bool
}

func newSealer(t testing.TB, version uint16, s *Suite, k Keys, etm bool, seed uint64) *sealer {
	t.Helper()
	w := &sealer{version: version, s: s, keys: k, etm: etm, rng: rand.New(rand.NewPCG(seed, 1))}
	var err error
	switch {
	case s.Cipher.AEAD():
		w.aead, err = newAEAD(s, k.Key)
	case s.Cipher == RC4:
		w.stream, err = rc4.NewCipher(k.Key)
	case s.Cipher != Null:
		w.block, err = newBlock(s, k.Key)
	}
	if err != nil {
		t.Fatal(err)
	}
	if w.block != nil && version == VersionTLS10 {
		w.iv = bytes.Clone(k.IV)
	}
	return w
}

func (w *sealer) random(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(w.rng.Uint32())
	}
	return b
}

func (w *sealer) header(typ uint8, n int) []byte {
	v := w.version
	if v == VersionTLS13 {
		v = VersionTLS12 // legacy_record_version (RFC 8446, Section 5.1)
	}
	return []byte{typ, byte(v >> 8), byte(v), byte(n >> 8), byte(n)}
}

func (w *sealer) seqNonce() []byte {
	nonce := bytes.Clone(w.keys.IV)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(w.seq >> (8 * i))
	}
	return nonce
}

// pseudoHeader is seq_num + type + version + length (RFC 5246, Section
// 6.2.3.1).
func (w *sealer) pseudoHeader(typ uint8, n int) []byte {
	b := binary.BigEndian.AppendUint64(nil, w.seq)
	b = append(b, typ, byte(w.version>>8), byte(w.version))
	return binary.BigEndian.AppendUint16(b, uint16(n))
}

func (w *sealer) mac(typ uint8, content []byte) []byte {
	return hmacForTest(w.s.MAC, w.keys.MACKey, append(w.pseudoHeader(typ, len(content)), content...))
}

// seal returns one whole record carrying pt as content type typ.
func (w *sealer) seal(typ uint8, pt []byte) []byte {
	defer func() { w.seq++ }()
	if w.version == VersionTLS13 {
		inner := append(bytes.Clone(pt), typ)
		inner = append(inner, make([]byte, w.extraPadding)...)
		return w.seal13(inner)
	}
	switch {
	case w.aead != nil && w.s.Cipher == ChaCha20Poly1305:
		hdr := w.header(typ, len(pt)+w.aead.Overhead())
		return w.aead.Seal(hdr, w.seqNonce(), pt, w.pseudoHeader(typ, len(pt)))
	case w.aead != nil:
		explicit := w.random(8)
		hdr := w.header(typ, 8+len(pt)+w.aead.Overhead())
		nonce := append(bytes.Clone(w.keys.IV), explicit...)
		return w.aead.Seal(append(hdr, explicit...), nonce, pt, w.pseudoHeader(typ, len(pt)))
	case w.block != nil:
		return w.sealCBC(typ, pt)
	default:
		data := append(bytes.Clone(pt), w.mac(typ, pt)...)
		if w.stream != nil {
			w.stream.XORKeyStream(data, data)
		}
		return append(w.header(typ, len(data)), data...)
	}
}

// seal13 encrypts a TLSInnerPlaintext as given (RFC 8446, Section 5.2).
func (w *sealer) seal13(inner []byte) []byte {
	hdr := w.header(23, len(inner)+w.aead.Overhead())
	return w.aead.Seal(bytes.Clone(hdr), w.seqNonce(), inner, hdr)
}

func (w *sealer) sealCBC(typ uint8, pt []byte) []byte {
	bs := w.block.BlockSize()
	data := bytes.Clone(pt)
	if !w.etm {
		data = append(data, w.mac(typ, pt)...)
	}
	padLen := bs - (len(data)+1)%bs
	if padLen == bs {
		padLen = 0
	}
	padLen += w.extraPadding * bs
	for range padLen + 1 {
		data = append(data, byte(padLen))
	}
	if w.corruptPadding && padLen > 0 {
		data[len(data)-2] ^= 1
	}
	var iv, body []byte
	if w.version == VersionTLS10 {
		iv = w.iv
	} else {
		iv = w.random(bs)
		body = bytes.Clone(iv)
	}
	ct := make([]byte, len(data))
	cipher.NewCBCEncrypter(w.block, iv).CryptBlocks(ct, data)
	if w.version == VersionTLS10 {
		w.iv = bytes.Clone(ct[len(ct)-bs:])
	}
	body = append(body, ct...)
	if w.etm {
		// RFC 7366, Section 3: the MAC covers IV + ciphertext.
		body = append(body, hmacForTest(w.s.MAC, w.keys.MACKey, append(w.pseudoHeader(typ, len(body)), body...))...)
	}
	return append(w.header(typ, len(body)), body...)
}

// testKeys returns random keys of the right lengths for s.
func testKeys(s *Suite, version uint16, rng *rand.Rand) Keys {
	r := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	k := Keys{Key: r(s.KeyLen)}
	if !s.Cipher.AEAD() {
		k.MACKey = r(s.MAC.Size())
	}
	if s.Cipher.AEAD() || (s.Cipher.Block() && version <= VersionTLS10) {
		k.IV = r(s.FixedIVLen)
	}
	return k
}

// testCase is one way of protecting records: a suite, a version and, for
// CBC, the MAC order.
type testCase struct {
	s       *Suite
	version uint16
	etm     bool
}

func (c testCase) String() string {
	etm := ""
	if c.etm {
		etm = "/ETM"
	}
	return fmt.Sprintf("%s/%04x%s", c.s.Name, c.version, etm)
}

// allCases lists every supported suite with every version and MAC order it
// can be used with.
func allCases() []testCase {
	var cases []testCase
	for _, s := range Suites() {
		switch {
		case s.TLS13:
			cases = append(cases, testCase{s, VersionTLS13, false})
		case s.Cipher.AEAD():
			cases = append(cases, testCase{s, VersionTLS12, false})
		default:
			for _, v := range []uint16{VersionTLS10, VersionTLS11, VersionTLS12} {
				cases = append(cases, testCase{s, v, false})
				if s.Cipher.Block() {
					cases = append(cases, testCase{s, v, true})
				}
			}
		}
	}
	return cases
}

func newTestPair(t testing.TB, c testCase, seed uint64) (*sealer, *Decrypter) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	if c.version == VersionTLS13 {
		secret := make([]byte, c.s.PRFHash.Size())
		for i := range secret {
			secret[i] = byte(rng.Uint32())
		}
		key, iv := TrafficKeys13(c.s, secret)
		d, err := NewDecrypter13(c.s, secret)
		if err != nil {
			t.Fatal(err)
		}
		return newSealer(t, c.version, c.s, Keys{Key: key, IV: iv}, false, seed), d
	}
	k := testKeys(c.s, c.version, rng)
	d, err := NewDecrypter12(c.version, c.s, k, c.etm)
	if err != nil {
		t.Fatal(err)
	}
	return newSealer(t, c.version, c.s, k, c.etm, seed), d
}

// TestRoundTrip seals records with every supported suite, version and MAC
// order, opens them with a Decrypter, and checks that a record with one bit
// flipped fails without moving the sequence number or the cipher state.
func TestRoundTrip(t *testing.T) {
	lengths := []int{0, 1, 15, 16, 17, 100, 1000, 1 << 14}
	types := []uint8{22, 23, 21, 20}
	for i, c := range allCases() {
		t.Run(c.String(), func(t *testing.T) {
			w, d := newTestPair(t, c, uint64(i))
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			for j, n := range lengths {
				typ := types[j%len(types)]
				w.extraPadding = j % 3
				pt := w.random(n)
				rec := w.seal(typ, pt)

				bad := bytes.Clone(rec)
				bit := rng.IntN(8 * len(bad))
				bad[bit/8] ^= 1 << (bit % 8)
				seq := d.Seq()
				if _, _, err := d.Open(bad[:5], bad[5:]); err == nil {
					t.Fatalf("record %d: Open accepted bit %d flipped", j, bit)
				} else {
					var e *Error
					if !errors.As(err, &e) || e.Seq != seq || !strings.HasPrefix(err.Error(), "tlscrypt: ") {
						t.Fatalf("record %d: error %#v (%v)", j, err, err)
					}
				}
				if d.Seq() != seq {
					t.Fatalf("record %d: a failed Open moved Seq from %d to %d", j, seq, d.Seq())
				}

				gotType, got, err := d.Open(rec[:5], rec[5:])
				if err != nil {
					t.Fatalf("record %d (%d bytes): %v", j, n, err)
				}
				if gotType != typ || !bytes.Equal(got, pt) {
					t.Fatalf("record %d: got type %d, %d bytes; want %d, %d bytes", j, gotType, len(got), typ, n)
				}
				if cap(got) != len(got) {
					t.Errorf("record %d: plaintext has spare capacity %d", j, cap(got)-len(got))
				}
				if d.Seq() != seq+1 {
					t.Fatalf("record %d: Seq = %d, want %d", j, d.Seq(), seq+1)
				}
				// A replayed record is out of sequence (for RC4 and TLS
				// 1.0 CBC, the cipher state has also moved on).
				if _, _, err := d.Open(rec[:5], rec[5:]); err == nil {
					t.Fatalf("record %d: a replay opened", j)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	reason := func(err error) Reason {
		var e *Error
		if !errors.As(err, &e) {
			return 0
		}
		return e.Reason
	}
	gcm := testCase{suite(t, 0xC02F), VersionTLS12, false}
	cbc := testCase{suite(t, 0xC013), VersionTLS12, false}
	cbc10 := testCase{suite(t, 0xC013), VersionTLS10, false}
	tls13 := testCase{suite(t, 0x1301), VersionTLS13, false}

	_, d := newTestPair(t, gcm, 1)
	_, dc := newTestPair(t, cbc, 2)
	_, d13 := newTestPair(t, tls13, 3)
	tests := []struct {
		name    string
		d       *Decrypter
		header  []byte
		payload []byte
		want    Reason
	}{
		{"short header", d, []byte{23, 3, 3, 0}, nil, ReasonBadHeader},
		{"length mismatch", d, []byte{23, 3, 3, 0, 5}, make([]byte, 4), ReasonBadHeader},
		{"gcm no nonce", d, []byte{23, 3, 3, 0, 7}, make([]byte, 7), ReasonTooShort},
		{"gcm no tag", d, []byte{23, 3, 3, 0, 23}, make([]byte, 23), ReasonTooShort},
		{"gcm zeros", d, []byte{23, 3, 3, 0, 24}, make([]byte, 24), ReasonBadTag},
		{"cbc not blocks", dc, []byte{23, 3, 3, 0, 40}, make([]byte, 40), ReasonBadLength},
		{"cbc only IV", dc, []byte{23, 3, 3, 0, 16}, make([]byte, 16), ReasonBadLength},
		{"cbc no room for MAC", dc, []byte{23, 3, 3, 0, 32}, make([]byte, 32), ReasonTooShort},
		{"tls13 too short", d13, []byte{23, 3, 3, 0, 16}, make([]byte, 16), ReasonTooShort},
	}
	for _, tt := range tests {
		_, _, err := tt.d.Open(tt.header, tt.payload)
		if got := reason(err); got != tt.want {
			t.Errorf("%s: %v, want reason %v", tt.name, err, tt.want)
		}
		if tt.d.Seq() != 0 {
			t.Errorf("%s: Seq moved", tt.name)
		}
	}

	// Bad padding under a good key, MAC-then-encrypt and ETM, TLS 1.0 and
	// 1.2; the next good record still opens.
	for _, c := range []testCase{cbc, cbc10, {cbc.s, VersionTLS12, true}, {cbc.s, VersionTLS10, true}} {
		w, d := newTestPair(t, c, 4)
		w.corruptPadding = true
		rec := w.seal(23, []byte("hello, padding"))
		// With ETM the MAC (over the ciphertext) verifies and the padding
		// fails; without, the padding is checked before the MAC.
		if _, _, err := d.Open(rec[:5], rec[5:]); reason(err) != ReasonBadPadding || d.Seq() != 0 {
			t.Errorf("%v: corrupt padding: %v", c, err)
		}
		w.corruptPadding = false
		w.seq, w.iv = 0, bytes.Clone(w.keys.IV) // start over
		rec = w.seal(23, []byte("hello again"))
		if _, pt, err := d.Open(rec[:5], rec[5:]); err != nil || string(pt) != "hello again" {
			t.Errorf("%v: after a bad record: %q, %v", c, pt, err)
		}
	}

	// A TLS 1.3 plaintext of only zeros has no content type.
	w, dz := newTestPair(t, tls13, 5)
	rec := w.seal13(make([]byte, 10))
	if _, _, err := dz.Open(rec[:5], rec[5:]); reason(err) != ReasonNoContentType || dz.Seq() != 0 {
		t.Errorf("all-zero inner plaintext: %v, seq %d", err, dz.Seq())
	}
}

func TestNewDecrypterErrors(t *testing.T) {
	s13 := suite(t, 0x1301)
	s12 := suite(t, 0xC02F)
	cbc := suite(t, 0x002F)
	if _, e := NewDecrypter13(s12, make([]byte, 32)); e == nil {
		t.Error("NewDecrypter13 accepted a TLS 1.2 suite")
	}
	if _, e := NewDecrypter13(s13, make([]byte, 48)); e == nil {
		t.Error("NewDecrypter13 accepted a 48-byte secret for a SHA-256 suite")
	}
	if _, e := NewDecrypter12(VersionTLS12, s13, Keys{}, false); e == nil {
		t.Error("NewDecrypter12 accepted a TLS 1.3 suite")
	}
	if _, e := NewDecrypter12(0x0300, cbc, Keys{}, false); e == nil {
		t.Error("NewDecrypter12 accepted SSL 3.0")
	}
	if _, e := NewDecrypter12(VersionTLS12, s12, Keys{Key: make([]byte, 16), IV: make([]byte, 12)}, false); e == nil {
		t.Error("NewDecrypter12 accepted a 12-byte GCM salt")
	}
	if _, e := NewDecrypter12(VersionTLS12, cbc, Keys{Key: make([]byte, 16), MACKey: make([]byte, 32)}, false); e == nil {
		t.Error("NewDecrypter12 accepted a 32-byte SHA-1 MAC key")
	}
	if _, e := NewDecrypter12(VersionTLS10, cbc, Keys{Key: make([]byte, 16), MACKey: make([]byte, 20)}, false); e == nil {
		t.Error("NewDecrypter12 accepted TLS 1.0 CBC without an IV")
	}
	for _, e := range []error{
		func() error { _, e := NewDecrypter13(s12, nil); return e }(),
		func() error { _, e := NewDecrypter12(0x0300, cbc, Keys{}, false); return e }(),
	} {
		if !strings.HasPrefix(e.Error(), "tlscrypt: ") {
			t.Errorf("error %q lacks the package prefix", e)
		}
	}
}

// TestOpenAfterGapIV checks that a TLS 1.0 CBC record whose records before
// were lost opens with the end of the record just before it, which holds
// its IV (RFC 2246, Section 6.2.3.2; with encrypt_then_mac, RFC 7366, the
// block before the MAC), and an unknown sequence number; that without the
// right end it fails, changing nothing.
func TestOpenAfterGapIV(t *testing.T) {
	s, _ := SuiteByID(0x002F) // TLS_RSA_WITH_AES_128_CBC_SHA
	for _, etm := range []bool{false, true} {
		keys := testKeys(s, VersionTLS10, rand.New(rand.NewPCG(1, 2)))
		e, err := NewEncrypter12(VersionTLS10, s, keys, etm)
		if err != nil {
			t.Fatal(err)
		}
		var recs [][]byte
		for i := range 6 {
			rec, err := e.Seal(nil, 23, VersionTLS10, []byte(fmt.Sprintf("record %d of the stream", i)))
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, rec)
		}
		d, err := NewDecrypter12(VersionTLS10, s, keys, etm)
		if err != nil {
			t.Fatal(err)
		}
		if !d.ChainsIV() {
			t.Fatal("TLS 1.0 CBC does not chain IVs")
		}
		if _, _, err := d.Open(recs[0][:5], recs[0][5:]); err != nil {
			t.Fatal(err)
		}
		// Records 1 to 3 lost; the end of record 3 captured.
		prev := recs[3][len(recs[3])-40:]
		// MAC-then-encrypt: a wrong IV spoils the first block, which the
		// MAC covers. With encrypt_then_mac the MAC covers the
		// ciphertext, not the IV: the caller gives the bytes just before
		// the record, which are its IV.
		if !etm {
			if _, _, _, err := d.OpenAfterGapIV(recs[4][:5], recs[4][5:], recs[2][len(recs[2])-40:], 8); err == nil {
				t.Errorf("opened with the end of the wrong record")
			}
			if d.Seq() != 1 {
				t.Fatalf("a failed open moved the sequence number to %d", d.Seq())
			}
		}
		_, pt, seq, err := d.OpenAfterGapIV(recs[4][:5], recs[4][5:], prev, 8)
		if err != nil || seq != 4 || string(pt) != "record 4 of the stream" {
			t.Fatalf("etm %v: seq %d %q %v", etm, seq, pt, err)
		}
		if _, pt, err := d.Open(recs[5][:5], recs[5][5:]); err != nil || string(pt) != "record 5 of the stream" {
			t.Errorf("etm %v: the record after: %q %v", etm, pt, err)
		}
	}
}

// TestUnauthenticated13 checks that a TLS 1.3 record sealed with AES-GCM
// or ChaCha20-Poly1305, a bit of its ciphertext flipped, does not open,
// and reads without its tag as its plaintext with that bit flipped;
// under another key it reads as other bytes; other suites are not read.
func TestUnauthenticated13(t *testing.T) {
	for _, id := range []uint16{0x1301, 0x1302, 0x1303, 0x1304} {
		s := suite(t, id)
		secret := bytes.Repeat([]byte{byte(id)}, s.PRFHash.Size())
		e, err := NewEncrypter13(s, secret)
		if err != nil {
			t.Fatal(err)
		}
		content := []byte("\x14\x00\x00\x04abcd")
		rec, err := e.Seal(nil, 22, VersionTLS12, content)
		if err != nil {
			t.Fatal(err)
		}
		rec[5+1] ^= 1
		d, err := NewDecrypter13(s, secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.Open(rec[:5], rec[5:]); err == nil {
			t.Fatalf("%s: the altered record opens", s.Name)
		}
		ctype, got, ok := d.Unauthenticated13(rec[5:])
		if s.Cipher == AESCCM {
			if ok {
				t.Errorf("%s: read without its tag", s.Name)
			}
			continue
		}
		want := bytes.Clone(content)
		want[1] ^= 1
		if !ok || ctype != 22 || !bytes.Equal(got, want) || d.Seq() != 0 {
			t.Errorf("%s: %v %d %x, seq %d; want %x", s.Name, ok, ctype, got, d.Seq(), want)
		}
		other, err := NewDecrypter13(s, bytes.Repeat([]byte{0xee}, s.PRFHash.Size()))
		if err != nil {
			t.Fatal(err)
		}
		if _, got, _ := other.Unauthenticated13(rec[5:]); bytes.Equal(got, want) {
			t.Errorf("%s: another key reads the same bytes", s.Name)
		}
	}
}
