package handshake

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// illustrated12 returns the handshake messages (without their record
// headers) of "The Illustrated TLS 1.2 Connection" (testdata/README.md at
// the top of the repository), by the name of their file.
func illustrated12(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "illustrated-tls12", "caps", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, "plain") {
		// Decrypted Finished: the message, then the MAC and padding.
		return b[:16]
	}
	return b[5:]
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyDataIllustrated computes both Finished of the Illustrated TLS
// 1.2 connection (ECDHE-RSA with AES-128-CBC-SHA, TLS 1.2) from its master
// secret and its messages, through the transcript hash the client keeps.
func TestVerifyDataIllustrated(t *testing.T) {
	master := unhex(t, "916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049781c8e19fc1eb2a7387ac06ae237344c")
	suite, _ := tlscrypt.SuiteByID(0xC013)
	var th tlscrypt.SessionHash
	for _, name := range []string{"clienthello", "serverhello", "servercert", "serverkeyexchange", "serverhellodone", "clientkeyexchange"} {
		th.Write(illustrated12(t, name))
		if name == "serverhello" {
			th.Start(tlscrypt.VersionTLS12, suite)
		}
	}
	clientFinished := illustrated12(t, "clientfinishedplain")
	if got := verifyData12(tlscrypt.VersionTLS12, suite, master, true, th.Sum()); !bytes.Equal(got, clientFinished[4:]) {
		t.Errorf("client verify_data %x, want %x", got, clientFinished[4:])
	}
	th.Write(clientFinished)
	serverFinished := illustrated12(t, "serverfinishedplain")
	if got := verifyData12(tlscrypt.VersionTLS12, suite, master, false, th.Sum()); !bytes.Equal(got, serverFinished[4:]) {
		t.Errorf("server verify_data %x, want %x", got, serverFinished[4:])
	}
}

// TestServerKeyExchangeIllustrated reads the ECDHE ServerKeyExchange of the
// Illustrated TLS 1.2 connection and checks its signature with the key of
// the server's certificate.
func TestServerKeyExchangeIllustrated(t *testing.T) {
	msg := illustrated12(t, "serverkeyexchange")
	ske, err := parseServerKeyExchange12(tlscrypt.VersionTLS12, wire.KexECDHE, msg[4:])
	if err != nil {
		t.Fatal(err)
	}
	if ske.group != 0x001d || len(ske.public) != 32 || !ske.hasScheme || ske.scheme != 0x0401 {
		t.Fatalf("group %#04x, %d-byte point, scheme %#04x", ske.group, len(ske.public), ske.scheme)
	}
	certMsg := illustrated12(t, "servercert")
	// certificate_list<3>, then the first cert_data<3>.
	leaf, err := x509.ParseCertificate(certMsg[4+3+3:])
	if err != nil {
		t.Fatal(err)
	}
	ch, sh := illustrated12(t, "clienthello"), illustrated12(t, "serverhello")
	signed := signedParams(ch[6:38], sh[6:38], ske.params)
	h := sha256.Sum256(signed)
	if err := rsa.VerifyPKCS1v15(leaf.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], ske.signature); err != nil {
		t.Errorf("signature over the params: %v", err)
	}
	// Every strict prefix and any trailing byte is refused.
	for n := range len(msg) - 4 {
		if _, err := parseServerKeyExchange12(tlscrypt.VersionTLS12, wire.KexECDHE, msg[4:4+n]); err == nil {
			t.Errorf("a %d-byte prefix parses", n)
		}
	}
	if _, err := parseServerKeyExchange12(tlscrypt.VersionTLS12, wire.KexECDHE, append(bytes.Clone(msg[4:]), 0)); err == nil {
		t.Error("a trailing byte is accepted")
	}
}

// modp2 and modp14 are the 1024-bit Oakley group 2 (RFC 2409, Section 6.2)
// and the 2048-bit MODP group 14 (RFC 3526, Section 3), both with
// generator 2.
var (
	modp2  = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"
	modp14 = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF"
)

// TestDHEParams checks the checks on a server's DHE parameters.
func TestDHEParams(t *testing.T) {
	p2, p14 := unhex(t, modp2), unhex(t, modp14)
	pMinus1 := new(big.Int).Sub(new(big.Int).SetBytes(p14), big.NewInt(1)).Bytes()
	two, ys := []byte{2}, []byte{5, 6, 7}
	var sizeErr *DHGroupSizeError
	if _, err := newDHEParams(p2, two, ys, 0); !errors.As(err, &sizeErr) || sizeErr.Bits != 1024 || sizeErr.Min != 2048 {
		t.Errorf("1024-bit group by default: %v", err)
	} else if msg := err.Error(); !strings.Contains(msg, "1024 bits") || !strings.Contains(msg, "2048") {
		t.Errorf("the error does not name the sizes: %s", msg)
	}
	if d, err := newDHEParams(p2, two, ys, 1024); err != nil || d.bits() != 1024 {
		t.Errorf("1024-bit group with MinDHBits 1024: %v", err)
	}
	if d, err := newDHEParams(p14, two, ys, 0); err != nil || d.bits() != 2048 {
		t.Errorf("2048-bit group: %v", err)
	}
	huge := append([]byte{1}, make([]byte, MaxDHBits/8)...)
	huge[len(huge)-1] = 1
	if _, err := newDHEParams(huge, two, ys, 0); !errors.As(err, &sizeErr) || sizeErr.Bits != MaxDHBits+1 {
		t.Errorf("%d-bit group: %v", MaxDHBits+1, err)
	}
	even := bytes.Clone(p14)
	even[len(even)-1] = 0xFE
	var paramErr *DHParamError
	for _, tc := range []struct {
		name     string
		p, g, ys []byte
		param    string
	}{
		{"even prime", even, two, ys, "dh_p"},
		{"g = 0", p14, nil, ys, "dh_g"},
		{"g = 1", p14, []byte{1}, ys, "dh_g"},
		{"g = p-1", p14, pMinus1, ys, "dh_g"},
		{"g = p", p14, p14, ys, "dh_g"},
		{"Ys = 1", p14, two, []byte{1}, "dh_Ys"},
		{"Ys = p-1", p14, two, pMinus1, "dh_Ys"},
		{"Ys = p", p14, two, p14, "dh_Ys"},
	} {
		if _, err := newDHEParams(tc.p, tc.g, tc.ys, 0); !errors.As(err, &paramErr) || paramErr.Param != tc.param {
			t.Errorf("%s: %v, want a %s error", tc.name, err, tc.param)
		}
	}
}

// TestDHEExchange checks that the client's premaster secret is the one the
// server computes from the client's public value, stripped of its leading
// zero bytes (RFC 5246, Section 8.1.2).
func TestDHEExchange(t *testing.T) {
	p := new(big.Int).SetBytes(unhex(t, modp14))
	g := big.NewInt(2)
	for i := range 20 {
		xs := new(big.Int).SetUint64(uint64(1000003*i + 12345))
		ysInt := new(big.Int).Exp(g, xs, p)
		d, err := newDHEParams(p.Bytes(), g.Bytes(), ysInt.Bytes(), 0)
		if err != nil {
			t.Fatal(err)
		}
		yc, premaster, err := d.exchange(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(yc) != 256 {
			t.Errorf("dh_Yc has %d bytes, want the 256 of p", len(yc))
		}
		z := new(big.Int).Exp(new(big.Int).SetBytes(yc), xs, p)
		if !bytes.Equal(premaster, z.Bytes()) || premaster[0] == 0 {
			t.Fatalf("premaster %x, want %x", premaster, z.Bytes())
		}
	}
	// A shared secret of 1 (a public value of small order that got past
	// the range check; here Ys = 1 itself, set without newDHEParams) is
	// refused.
	d := &dheParams{p: big.NewInt(23), g: big.NewInt(5), ys: big.NewInt(1)}
	var paramErr *DHParamError
	if _, _, err := d.exchange(nil); !errors.As(err, &paramErr) || paramErr.Param != "shared secret" {
		t.Errorf("Ys = 1: %v", err)
	}
}

// TestRSAPremaster checks that the premaster secret starts with the
// version offered and decrypts to itself with the server's key.
func TestRSAPremaster(t *testing.T) {
	key, err := rsa.GenerateKey(nil, 2048)
	if err != nil {
		t.Fatal(err)
	}
	premaster, enc, err := rsaPremaster(strings.NewReader(strings.Repeat("x", 100)), tlscrypt.VersionTLS12, &key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(premaster) != 48 || premaster[0] != 3 || premaster[1] != 3 || len(enc) != 256 {
		t.Fatalf("premaster %x, %d bytes encrypted", premaster, len(enc))
	}
	//lint:ignore SA1019 the test plays the server of an RSA key exchange
	got, err := rsa.DecryptPKCS1v15(nil, key, enc)
	if err != nil || !bytes.Equal(got, premaster) {
		t.Errorf("decrypts to %x (%v), want %x", got, err, premaster)
	}
}

// TestVerifyLegacySignature checks the TLS 1.0/1.1 signatures over a
// ServerKeyExchange: RSA over MD5+SHA-1 without DigestInfo, ECDSA over
// SHA-1, and that a changed byte of the params fails them.
func TestVerifyLegacySignature(t *testing.T) {
	signed := []byte("client random, server random, params")
	rsaKey := tlstest.NewKey(t, true).(*rsa.PrivateKey)
	rsaSig, err := rsa.SignPKCS1v15(nil, rsaKey, crypto.MD5SHA1, md5SHA1(signed))
	if err != nil {
		t.Fatal(err)
	}
	ecKey := tlstest.NewKey(t, false).(*ecdsa.PrivateKey)
	h := sha1.Sum(signed)
	ecSig, err := ecdsa.SignASN1(nil, ecKey, h[:])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pub  crypto.PublicKey
		sig  []byte
	}{{"RSA", &rsaKey.PublicKey, rsaSig}, {"ECDSA", &ecKey.PublicKey, ecSig}} {
		if err := verifyLegacySignature(tc.pub, signed, tc.sig); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		changed := bytes.Clone(signed)
		changed[len(changed)-1] ^= 1
		if err := verifyLegacySignature(tc.pub, changed, tc.sig); err == nil {
			t.Errorf("%s: a changed param verifies", tc.name)
		}
	}
	if err := verifyLegacySignature(ecKey.Public(), signed, rsaSig); err == nil {
		t.Error("an RSA signature verifies with an ECDSA key")
	}
}
