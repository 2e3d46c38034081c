package tlscrypt

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

// unhex decodes hex that may contain spaces and newlines, as the RFCs print
// it.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func suite(t testing.TB, id uint16) *Suite {
	t.Helper()
	s, ok := SuiteByID(id)
	if !ok {
		t.Fatalf("SuiteByID(0x%04X) not found", id)
	}
	return s
}

// TestPRFVectors checks the TLS 1.2 PRF against the test vectors posted to
// the IETF TLS list ("PRF Testvector for the standard", msg03416,
// https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), for
// P_SHA256 and P_SHA384.
func TestPRFVectors(t *testing.T) {
	tests := []struct {
		id                 uint16 // a suite with the PRF hash
		secret, seed, want string
	}{
		{0xC02F, "9bbe436ba940f017b17652849a71db35", "a0ba9f936cda311827a6f796ffd5198c",
			"e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"},
		{0xC030, "b80b733d6ceefcdc71566ea48e5567df", "cd665cf6a8447dd6ff8b27555edb7465",
			"7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f"},
	}
	for _, tt := range tests {
		want := unhex(t, tt.want)
		got := PRF(VersionTLS12, suite(t, tt.id), unhex(t, tt.secret), "test label", unhex(t, tt.seed), len(want))
		if !bytes.Equal(got, want) {
			t.Errorf("PRF with %v:\n got %x\nwant %x", suite(t, tt.id).PRFHash, got, want)
		}
		// A shorter output is a prefix.
		if short := PRF(VersionTLS12, suite(t, tt.id), unhex(t, tt.secret), "test label", unhex(t, tt.seed), 7); !bytes.Equal(short, want[:7]) {
			t.Errorf("PRF of 7 bytes = %x, want %x", short, want[:7])
		}
	}
	if got := PRF(0x0300, nil, []byte{1}, "x", nil, 10); got != nil {
		t.Errorf("PRF for SSL 3.0 = %x, want nil", got)
	}
}

// TestTLS10KeyDerivation checks the TLS 1.0 PRF, MasterSecret and KeyBlock
// against key material logged by GnuTLS (gnutls-cli -d 9), as kept in
// golang/go src/crypto/tls/prf_test.go (testKeysFromTests). The suites have
// 20-byte SHA-1 MAC keys and 16-byte cipher keys.
func TestTLS10KeyDerivation(t *testing.T) {
	tests := []struct {
		premaster, clientRandom, serverRandom, master string
		clientMAC, serverMAC, clientKey, serverKey    string
	}{
		{
			"0302cac83ad4b1db3b9ab49ad05957de2a504a634a386fc600889321e1a971f57479466830ac3e6f468e87f5385fa0c5",
			"4ae66303755184a3917fcb44880605fcc53baa01912b22ed94473fc69cebd558",
			"4ae663020ec16e6bb5130be918cfcafd4d765979a3136a5d50c593446e4e44db",
			"3d851bab6e5556e959a16bc36d66cfae32f672bfa9ecdef6096cbb1b23472df1da63dbbd9827606413221d149ed08ceb",
			"805aaa19b3d2c0a0759a4b6c9959890e08480119", "2d22f9fe519c075c16448305ceee209fc24ad109",
			"d50b5771244f850cd8117a9ccafe2cf1", "e076e33206b30507a85c32855acd0919",
		},
		{
			"03023f7527316bc12cbcd69e4b9e8275d62c028f27e65c745cfcddc7ce01bd3570a111378b63848127f1c36e5f9e4890",
			"4ae66364b5ea56b20ce4e25555aed2d7e67f42788dd03f3fee4adae0459ab106",
			"4ae66363ab815cbf6a248b87d6b556184e945e9b97fbdf247858b0bdafacfa1c",
			"7d64be7c80c59b740200b4b9c26d0baaa1c5ae56705acbcf2307fe62beb4728c19392c83f20483801cce022c77645460",
			"97742ed60a0554ca13f04f97ee193177b971e3b0", "37068751700400e03a8477a5c7eec0813ab9e0dc",
			"207cddbc600d2a200abac6502053ee5c", "df3f94f6e1eacc753b815fe16055cd43",
		},
		{
			// A 128-byte DH premaster secret.
			"832d515f1d61eebb2be56ba0ef79879efb9b527504abb386fb4310ed5d0e3b1f220d3bb6b455033a2773e6d8bdf951d278a187482b400d45deb88a5d5a6bb7d6a7a1decc04eb9ef0642876cd4a82d374d3b6ff35f0351dc5d411104de431375355addc39bfb1f6329fb163b0bc298d658338930d07d313cd980a7e3d9196cac1",
			"4ae663b2ee389c0de147c509d8f18f5052afc4aaf9699efe8cb05ece883d3a5e",
			"4ae664d503fd4cff50cfc1fb8fc606580f87b0fcdac9554ba0e01d785bdf278e",
			"1aff2e7a2c4279d0126f57a65a77a8d9d0087cf2733366699bec27eb53d5740705a8574bb1acc2abbe90e44f0dd28d6c",
			"3c7647c93c1379a31a609542aa44e7f117a70085", "0d73102994be74a575a3ead8532590ca32a526d4",
			"ac7581b0b6c10d85bbd905ffbf36c65e", "ff07edde49682b45466bd2e39464b306",
		},
	}
	for i, tt := range tests {
		for _, id := range []uint16{0x0005, 0x002F} { // RC4_128_SHA, AES_128_CBC_SHA
			s := suite(t, id)
			cr, sr := unhex(t, tt.clientRandom), unhex(t, tt.serverRandom)
			master := MasterSecret(VersionTLS10, s, unhex(t, tt.premaster), cr, sr)
			if hex.EncodeToString(master) != tt.master {
				t.Errorf("#%d: master secret %x, want %s", i, master, tt.master)
				continue
			}
			c, sv := KeyBlock(VersionTLS10, s, master, cr, sr)
			got := []string{hex.EncodeToString(c.MACKey), hex.EncodeToString(sv.MACKey), hex.EncodeToString(c.Key), hex.EncodeToString(sv.Key)}
			want := []string{tt.clientMAC, tt.serverMAC, tt.clientKey, tt.serverKey}
			for j := range got {
				if got[j] != want[j] {
					t.Errorf("#%d %s: key %d = %s, want %s", i, s.Name, j, got[j], want[j])
				}
			}
			wantIV := 0
			if s.Cipher.Block() {
				wantIV = 16
			}
			if len(c.IV) != wantIV || len(sv.IV) != wantIV {
				t.Errorf("#%d %s: IVs of %d and %d bytes, want %d", i, s.Name, len(c.IV), len(sv.IV), wantIV)
			}
			// TLS 1.1 shares the PRF but drops the CBC IVs.
			c11, _ := KeyBlock(VersionTLS11, s, master, cr, sr)
			if !bytes.Equal(c11.Key, c.Key) || len(c11.IV) != 0 {
				t.Errorf("#%d %s: TLS 1.1 key block differs: %x iv %x", i, s.Name, c11.Key, c11.IV)
			}
		}
	}
}

// TestExtendedMasterSecret checks the RFC 7627 derivation against the PRF
// it is defined by.
func TestExtendedMasterSecret(t *testing.T) {
	s := suite(t, 0xC02F)
	pre := bytes.Repeat([]byte{3}, 48)
	sessionHash := sha256.Sum256([]byte("handshake"))
	got := ExtendedMasterSecret(VersionTLS12, s, pre, sessionHash[:])
	want := PRF(VersionTLS12, s, pre, "extended master secret", sessionHash[:], 48)
	if len(got) != 48 || !bytes.Equal(got, want) {
		t.Errorf("ExtendedMasterSecret = %x, want %x", got, want)
	}
	if bytes.Equal(got, MasterSecret(VersionTLS12, s, pre, sessionHash[:16], sessionHash[16:])) {
		t.Errorf("extended and plain master secrets agree")
	}
}

// RFC 8448, Section 3 (Simple 1-RTT Handshake, TLS_AES_128_GCM_SHA256).
const (
	rfc8448EarlySecret      = "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"
	rfc8448DerivedEarly     = "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba"
	rfc8448HandshakeSecret  = "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"
	rfc8448DerivedHandshake = "43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4"
	rfc8448ServerHSSecret   = "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
	rfc8448ServerHSKey      = "3fce516009c21727d0f2e4e86ee403bc"
	rfc8448ServerHSIV       = "5d313eb2671276ee13000b30"
	rfc8448ServerFinKey     = "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"
	rfc8448ClientHSSecret   = "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
	rfc8448ClientHSKey      = "dbfaa693d1762c5b666af5d950258d01"
	rfc8448ClientHSIV       = "5bd3c71b836e0b76bb73265f"
	rfc8448ServerAppSecret  = "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"
	rfc8448ServerAppKey     = "9f02283b6c9c07efc26bb9f2ac92e356"
	rfc8448ServerAppIV      = "cf782b88dd83549aadf1e984"
	// {client} send handshake record: the client Finished, protected with
	// the client handshake traffic keys at sequence number 0.
	rfc8448ClientFinishedRecord = "17030300 3575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1caeacab6867d726c40546"
	rfc8448ClientFinished       = "14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"
)

func TestExpandLabelRFC8448(t *testing.T) {
	s := suite(t, 0x1301)
	empty := sha256.Sum256(nil)
	// Derive-Secret(Secret, "derived", "") = HKDF-Expand-Label(Secret,
	// "derived", Hash(""), 32) (RFC 8446, Section 7.1).
	if got := ExpandLabel(crypto.SHA256, unhex(t, rfc8448EarlySecret), "derived", empty[:], 32); hex.EncodeToString(got) != rfc8448DerivedEarly {
		t.Errorf("derived (early) = %x", got)
	}
	if got := ExpandLabel(crypto.SHA256, unhex(t, rfc8448HandshakeSecret), "derived", empty[:], 32); hex.EncodeToString(got) != rfc8448DerivedHandshake {
		t.Errorf("derived (handshake) = %x", got)
	}
	if got := ExpandLabel(crypto.SHA256, unhex(t, rfc8448ServerHSSecret), "finished", nil, 32); hex.EncodeToString(got) != rfc8448ServerFinKey {
		t.Errorf("server finished key = %x", got)
	}
	for _, tt := range []struct{ secret, key, iv string }{
		{rfc8448ServerHSSecret, rfc8448ServerHSKey, rfc8448ServerHSIV},
		{rfc8448ClientHSSecret, rfc8448ClientHSKey, rfc8448ClientHSIV},
		{rfc8448ServerAppSecret, rfc8448ServerAppKey, rfc8448ServerAppIV},
	} {
		key, iv := TrafficKeys13(s, unhex(t, tt.secret))
		if hex.EncodeToString(key) != tt.key || hex.EncodeToString(iv) != tt.iv {
			t.Errorf("TrafficKeys13(%s) = %x, %x; want %s, %s", tt.secret[:8], key, iv, tt.key, tt.iv)
		}
	}
}

func TestRFC8448ClientFinishedRecord(t *testing.T) {
	d, err := NewDecrypter13(suite(t, 0x1301), unhex(t, rfc8448ClientHSSecret))
	if err != nil {
		t.Fatal(err)
	}
	rec := unhex(t, rfc8448ClientFinishedRecord)
	ct, pt, err := d.Open(rec[:5], rec[5:])
	if err != nil {
		t.Fatal(err)
	}
	if ct != 22 || hex.EncodeToString(pt) != rfc8448ClientFinished {
		t.Errorf("Open = %d, %x; want 22, %s", ct, pt, rfc8448ClientFinished)
	}
	if d.Seq() != 1 {
		t.Errorf("Seq = %d, want 1", d.Seq())
	}
}

func TestNextSecret13(t *testing.T) {
	for _, id := range []uint16{0x1301, 0x1302} {
		s := suite(t, id)
		secret := bytes.Repeat([]byte{7}, s.PRFHash.Size())
		next := NextSecret13(s, secret)
		// RFC 8446, Section 7.2: HKDF-Expand-Label(secret, "traffic upd",
		// "", Hash.length), with the HkdfLabel spelled out here.
		info := []byte{0, byte(s.PRFHash.Size()), byte(len("tls13 traffic upd"))}
		info = append(info, "tls13 traffic upd"...)
		info = append(info, 0)
		want := hkdfExpandForTest(s.PRFHash, secret, info, s.PRFHash.Size())
		if !bytes.Equal(next, want) {
			t.Errorf("%s: NextSecret13 = %x, want %x", s.Name, next, want)
		}
	}
}

// hkdfExpandForTest is HKDF-Expand (RFC 5869, Section 2.3) written out with
// HMAC, independent of crypto/hkdf.
func hkdfExpandForTest(h crypto.Hash, prk, info []byte, n int) []byte {
	var out, prev []byte
	for i := byte(1); len(out) < n; i++ {
		m := hmacForTest(h, prk, append(append(append([]byte(nil), prev...), info...), i))
		out = append(out, m...)
		prev = m
	}
	return out[:n]
}

// ccmVector is one entry of testdata/ccm-vectors.txt.
type ccmVector struct {
	comment                                string
	key, nonce, aad, plaintext, ciphertext []byte
	tagLen                                 int
}

func readCCMVectors(t testing.TB) []ccmVector {
	t.Helper()
	f, err := os.Open("testdata/ccm-vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []ccmVector
	var cur ccmVector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			cur.comment += strings.TrimPrefix(line, "# ")
			continue
		}
		k, v, ok := strings.Cut(line, " = ")
		if !ok {
			continue
		}
		switch k {
		case "Key":
			cur.key = unhex(t, v)
		case "Nonce":
			cur.nonce = unhex(t, v)
		case "AAD":
			cur.aad = unhex(t, v)
		case "Plaintext":
			cur.plaintext = unhex(t, v)
		case "Ciphertext":
			cur.ciphertext = unhex(t, v)
		case "TagLen":
			cur.tagLen, err = strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, cur)
			cur = ccmVector{}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCCMVectors checks CCM against RFC 3610, Section 8 (all 24 packet
// vectors), NIST SP 800-38C, Appendix C, and TLS-shaped AES-128 and AES-256
// vectors; see testdata/ccm-vectors.txt.
func TestCCMVectors(t *testing.T) {
	vectors := readCCMVectors(t)
	if len(vectors) < 27 {
		t.Fatalf("read %d vectors", len(vectors))
	}
	for i, v := range vectors {
		b, err := aes.NewCipher(v.key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := newCCM(b, len(v.nonce), v.tagLen)
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		sealed := c.Seal([]byte("prefix"), v.nonce, v.plaintext, v.aad)
		if !bytes.Equal(sealed[6:], v.ciphertext) || string(sealed[:6]) != "prefix" {
			t.Errorf("#%d (%s): Seal = %x, want %x", i, v.comment, sealed[6:], v.ciphertext)
		}
		opened, err := c.Open(nil, v.nonce, v.ciphertext, v.aad)
		if err != nil || !bytes.Equal(opened, v.plaintext) {
			t.Errorf("#%d (%s): Open = %x, %v", i, v.comment, opened, err)
		}
		// In place.
		buf := bytes.Clone(v.ciphertext)
		if opened, err := c.Open(buf[:0], v.nonce, buf, v.aad); err != nil || !bytes.Equal(opened, v.plaintext) {
			t.Errorf("#%d: in-place Open = %x, %v", i, opened, err)
		}
		for bit := 0; bit < 8*len(v.ciphertext); bit += 7 {
			bad := bytes.Clone(v.ciphertext)
			bad[bit/8] ^= 1 << (bit % 8)
			if _, err := c.Open(nil, v.nonce, bad, v.aad); err == nil {
				t.Errorf("#%d: Open accepted a flipped bit %d", i, bit)
			}
		}
		if len(v.aad) > 0 {
			bad := bytes.Clone(v.aad)
			bad[0] ^= 0x80
			if _, err := c.Open(nil, v.nonce, v.ciphertext, bad); err == nil {
				t.Errorf("#%d: Open accepted changed additional data", i)
			}
		}
	}
	b, _ := aes.NewCipher(make([]byte, 16))
	c, _ := newCCM(b, 12, 16)
	if _, err := c.Open(nil, make([]byte, 12), make([]byte, 15), nil); err == nil {
		t.Errorf("Open accepted a ciphertext shorter than the tag")
	}
	for _, bad := range [][2]int{{6, 16}, {14, 16}, {12, 3}, {12, 18}, {12, 5}} {
		if _, err := newCCM(b, bad[0], bad[1]); err == nil {
			t.Errorf("newCCM(nonce %d, tag %d) succeeded", bad[0], bad[1])
		}
	}
}

// TestCCMLongAdditionalData covers the 6-byte length encoding of the
// additional data (RFC 3610, Section 2.2), for 2^16-2^8 bytes and more, by
// a round trip and by a tag that depends on the last byte.
func TestCCMLongAdditionalData(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 16))
	c, _ := newCCM(b, 12, 16)
	nonce := make([]byte, 12)
	ad := make([]byte, 0xFF00+5)
	sealed := c.Seal(nil, nonce, []byte("hello"), ad)
	if pt, err := c.Open(nil, nonce, sealed, ad); err != nil || string(pt) != "hello" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	ad[len(ad)-1] = 1
	if _, err := c.Open(nil, nonce, sealed, ad); err == nil {
		t.Errorf("the last byte of long additional data is not authenticated")
	}
}
