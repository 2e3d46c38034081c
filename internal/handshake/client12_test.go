package handshake

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
// secret and its messages.
func TestVerifyDataIllustrated(t *testing.T) {
	master := unhex(t, "916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049781c8e19fc1eb2a7387ac06ae237344c")
	suite, _ := tlscrypt.SuiteByID(0xC013)
	var msgs []byte
	for _, name := range []string{"clienthello", "serverhello", "servercert", "serverkeyexchange", "serverhellodone", "clientkeyexchange"} {
		msgs = append(msgs, illustrated12(t, name)...)
	}
	clientFinished := illustrated12(t, "clientfinishedplain")
	if got := verifyData12(tlscrypt.VersionTLS12, suite, master, true, msgs); !bytes.Equal(got, clientFinished[4:]) {
		t.Errorf("client verify_data %x, want %x", got, clientFinished[4:])
	}
	msgs = append(msgs, clientFinished...)
	serverFinished := illustrated12(t, "serverfinishedplain")
	if got := verifyData12(tlscrypt.VersionTLS12, suite, master, false, msgs); !bytes.Equal(got, serverFinished[4:]) {
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
	// Not prime: even, or odd and composite (p14 + 4 has the factor 3,
	// as p14 mod 3 is 2).
	even := bytes.Clone(p14)
	even[len(even)-1] = 0xFE
	odd := new(big.Int).Add(new(big.Int).SetBytes(p14), big.NewInt(4)).Bytes()
	var primeErr *DHPrimeError
	for _, tc := range []struct {
		name string
		p    []byte
		even bool
	}{{"even", even, true}, {"odd composite", odd, false}} {
		if _, err := newDHEParams(tc.p, two, ys, 0); !errors.As(err, &primeErr) || primeErr.Even != tc.even || primeErr.Bits != 2048 {
			t.Errorf("%s dh_p: %v, want a DHPrimeError", tc.name, err)
		}
	}
	var paramErr *DHParamError
	for _, tc := range []struct {
		name     string
		p, g, ys []byte
		param    string
	}{
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

// run12 is one connection of the engine's TLS 1.0-1.2 client to a peer.
type run12 struct {
	tap    *tapConn
	keyLog bytes.Buffer
	state  State
	err    error
	conn   net.Conn
}

// dial12 connects the engine to addr with cfg (its KeyLog set to the
// run's) and runs the handshake, bounded in time.
func dial12(t *testing.T, addr string, cfg *Config) *run12 {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(30 * time.Second))
	r := &run12{tap: &tapConn{Conn: raw}}
	c := *cfg
	c.KeyLog = &r.keyLog
	r.conn, r.state, r.err = testClient(r.tap, &c)
	return r
}

// serverHello12 returns the ServerHello the engine received.
func (r *run12) serverHello(t *testing.T) *wire.ServerHello {
	t.Helper()
	var in []byte
	for _, ch := range r.tap.chunks {
		if !ch.FromClient {
			in = append(in, ch.Data...)
		}
	}
	if len(in) < 9 || in[0] != 22 || in[5] != 2 {
		t.Fatalf("the server's first bytes are not a ServerHello: % x", in[:min(len(in), 9)])
	}
	n := 4 + (int(in[6])<<16 | int(in[7])<<8 | int(in[8]))
	m := wire.ParseHandshake(wire.Context{FromServer: true}, in[5:5+n])
	if m.ServerHello == nil || m.Err != nil {
		t.Fatalf("ServerHello: %v", m.Err)
	}
	return m.ServerHello
}

// Handshake message lists of TLS 1.0-1.2 connections, as "side:type".
var (
	fullECDHE  = []string{"client:1", "server:2", "server:11", "server:12", "server:14", "client:16", "client:20", "server:20"}
	fullTicket = []string{"client:1", "server:2", "server:11", "server:12", "server:14", "client:16", "client:20", "server:4", "server:20"}
	fullRSA    = []string{"client:1", "server:2", "server:11", "server:14", "client:16", "client:20", "server:20"}
	fullRSATkt = []string{"client:1", "server:2", "server:11", "server:14", "client:16", "client:20", "server:4", "server:20"}
	resumed    = []string{"client:1", "server:2", "server:20", "client:20"}
)

// TestClient12OpenSSL runs the engine's TLS 1.0-1.2 client against openssl
// s_server, once per key exchange, record protection and version, and
// checks the State, the HTTP answer over the connection, and that tshark
// and the project's decoder, given the capture and the key log the engine
// wrote, decrypt the session and list the same messages.
func TestClient12OpenSSL(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	pc := newPeerCerts(t)
	tls12 := &Config{ServerName: "localhost", MinVersion: 0x0303, MaxVersion: 0x0303}
	legacy := func(v uint16) *Config { return &Config{ServerName: "localhost", MinVersion: v, MaxVersion: v} }
	with := func(c *Config, suites ...uint16) *Config {
		cc := *c
		cc.CipherSuites = suites
		return &cc
	}
	for _, tc := range []struct {
		name    string
		server  []string
		cfg     *Config
		version uint16
		suite   uint16
		group   uint16
		dhBits  int
		scheme  uint16
		ems     bool
		etm     bool
		msgs    []string
	}{
		{"DHE-RSA-AES128-GCM-SHA256", []string{"-cipher", "DHE-RSA-AES128-GCM-SHA256"}, with(tls12, 0x009E),
			0x0303, 0x009E, 0, 2048, 0x0804, true, false, fullTicket},
		{"DHE-RSA-AES256-SHA256", []string{"-cipher", "DHE-RSA-AES256-SHA256"}, with(tls12, 0x006B),
			0x0303, 0x006B, 0, 2048, 0x0804, true, true, fullTicket},
		{"AES128-CCM:DHE-RSA-AES128-CCM", []string{"-cipher", "AES128-CCM:DHE-RSA-AES128-CCM"}, with(tls12, 0xC09C, 0xC09E),
			0x0303, 0xC09C, 0, 0, 0, true, false, fullRSATkt},
		{"DHE-RSA-AES128-CCM", []string{"-cipher", "DHE-RSA-AES128-CCM"}, with(tls12, 0xC09E),
			0x0303, 0xC09E, 0, 2048, 0x0804, true, false, fullTicket},
		{"ECDHE-ECDSA-AES128-GCM-SHA256", []string{"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"}, tls12,
			0x0303, 0xC02B, 0x001d, 0, 0x0403, true, false, fullTicket},
		{"ECDHE-RSA-AES256-GCM-SHA384/P-384", []string{"-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-groups", "P-384"}, tls12,
			0x0303, 0xC030, 0x0018, 0, 0x0804, true, false, fullTicket},
		{"ECDHE-RSA-CHACHA20-POLY1305", []string{"-cipher", "ECDHE-RSA-CHACHA20-POLY1305"}, tls12,
			0x0303, 0xCCA8, 0x001d, 0, 0x0804, true, false, fullTicket},
		{"ECDHE-ECDSA-CHACHA20-POLY1305/P-256", []string{"-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305", "-groups", "P-256"}, tls12,
			0x0303, 0xCCA9, 0x0017, 0, 0x0403, true, false, fullTicket},
		{"ECDHE-ECDSA-AES128-CCM8", []string{"-cipher", "ECDHE-ECDSA-AES128-CCM8"}, with(tls12, 0xC0AE),
			0x0303, 0xC0AE, 0x001d, 0, 0x0403, true, false, fullTicket},
		{"DHE-RSA-CHACHA20-POLY1305", []string{"-cipher", "DHE-RSA-CHACHA20-POLY1305"}, tls12,
			0x0303, 0xCCAA, 0, 2048, 0x0804, true, false, fullTicket},
		{"ECDHE-RSA-AES128-SHA/etm", []string{"-cipher", "ECDHE-RSA-AES128-SHA"}, tls12,
			0x0303, 0xC013, 0x001d, 0, 0x0804, true, true, fullTicket},
		{"ECDHE-RSA-AES128-SHA/no_etm", []string{"-cipher", "ECDHE-RSA-AES128-SHA", "-no_etm"}, tls12,
			0x0303, 0xC013, 0x001d, 0, 0x0804, true, false, fullTicket},
		{"TLS1.2 server, TLS 1.3 offered", []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"}, &Config{ServerName: "localhost"},
			0x0303, 0xC02F, 0x001d, 0, 0x0804, true, false, fullTicket},
		{"AES128-SHA", []string{"-cipher", "AES128-SHA", "-no_ticket"}, tls12,
			0x0303, 0x002F, 0, 0, 0, true, true, fullRSA},
		{"TLS1.0/ECDHE-RSA", []string{"-tls1", "-cipher", "ECDHE-RSA-AES256-SHA:@SECLEVEL=0"}, legacy(0x0301),
			0x0301, 0xC014, 0x001d, 0, 0, true, true, fullTicket},
		{"TLS1.0/ECDHE-ECDSA", []string{"-tls1", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"}, legacy(0x0301),
			0x0301, 0xC009, 0x001d, 0, 0, true, true, fullTicket},
		{"TLS1.1/DHE-RSA", []string{"-tls1_1", "-cipher", "DHE-RSA-AES256-SHA:@SECLEVEL=0"}, with(legacy(0x0302), 0x0039),
			0x0302, 0x0039, 0, 2048, 0, true, true, fullTicket},
		{"TLS1.1/RSA/no_etm", []string{"-tls1_1", "-cipher", "AES256-SHA:@SECLEVEL=0", "-no_etm"}, legacy(0x0302),
			0x0302, 0x0035, 0, 0, 0, true, false, fullRSATkt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := opensslServer(t, pc, 1, tc.server...)
			r := dial12(t, addr, tc.cfg)
			if r.err != nil {
				t.Fatalf("handshake: %v", r.err)
			}
			httpGet(t, r.conn)
			r.conn.Close()
			st := r.state
			if st.Version != tc.version || st.CipherSuite != tc.suite || st.Group != tc.group || st.DHBits != tc.dhBits ||
				st.PeerSignatureScheme != tc.scheme || st.ExtendedMasterSecret != tc.ems || st.DidResume || st.ServerName != "localhost" {
				t.Errorf("state %+v", st)
			}
			if len(st.PeerCertificates) != 1 {
				t.Errorf("%d peer certificates", len(st.PeerCertificates))
			}
			if etm := r.serverHello(t).EncryptThenMAC; etm != tc.etm {
				t.Errorf("encrypt_then_mac %v, want %v", etm, tc.etm)
			}
			checkHandshakeLists(t, r.tap, r.keyLog.Bytes(), tc.msgs)
		})
	}
}

// TestClient12Resumption resumes a TLS 1.2 session with openssl s_server,
// by session ID (the server issues no ticket, or the client offers no
// session_ticket extension) and by ticket (RFC 5077), twice: the session
// kept after a resumption resumes again.
func TestClient12Resumption(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	pc := newPeerCerts(t)
	for _, tc := range []struct {
		name     string
		server   []string
		first    []string
		noTicket bool
	}{
		{"session ID", []string{"-no_ticket"}, fullECDHE, false},
		{"ticket", nil, fullTicket, false},
		{"session ID, no ticket offered", nil, fullECDHE, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := opensslServer(t, pc, 4, append([]string{"-cipher", "ECDHE-RSA-AES128-GCM-SHA256"}, tc.server...)...)
			// The chain of a resumed session is checked again, that
			// of the session: VerifyResumed is called, VerifyPeer not.
			var peer, again [][]*x509.Certificate
			cfg := &Config{ServerName: "localhost", MaxVersion: 0x0303, Sessions: NewSessionCache(0), NoSessionTickets: tc.noTicket,
				VerifyPeer:    func(c []*x509.Certificate, _ []byte) error { peer = append(peer, c); return nil },
				VerifyResumed: func(c []*x509.Certificate, _ []byte) error { again = append(again, c); return nil }}
			for i, want := range [][]string{tc.first, resumed, resumed} {
				r := dial12(t, addr, cfg)
				if r.err != nil {
					t.Fatalf("connection %d: %v", i+1, r.err)
				}
				httpGet(t, r.conn)
				r.conn.Close()
				checkHandshakeLists(t, r.tap, r.keyLog.Bytes(), want)
				st := r.state
				if st.DidResume != (i > 0) || st.CipherSuite != 0xC02F || !st.ExtendedMasterSecret {
					t.Errorf("connection %d: state %+v", i+1, st)
				}
				if len(st.PeerCertificates) != 1 || !st.PeerCertificates[0].Equal(pc.rsaLeaf) {
					t.Errorf("connection %d does not name the server's certificate", i+1)
				}
				if len(peer) != 1 || len(again) != i || i > 0 && (len(again[i-1]) != 1 || !again[i-1][0].Equal(pc.rsaLeaf)) {
					t.Errorf("connection %d: VerifyPeer called with %d chains, VerifyResumed with %v", i+1, len(peer), again)
				}
			}
			// A session whose chain is refused on resumption: the
			// client aborts with bad_certificate.
			refusing := *cfg
			refusing.VerifyResumed = func([]*x509.Certificate, []byte) error { return errors.New("not trusted") }
			r := dial12(t, addr, &refusing)
			if ae, ok := errors.AsType[*AlertError](r.err); !ok || !ae.Sent || ae.Alert != uint8(wire.AlertBadCertificate) {
				t.Errorf("a resumed chain refused: %v, want bad_certificate sent", r.err)
			}
		})
	}
}

// TestClient12NoEMS runs a TLS 1.2 handshake with a server that does not
// negotiate the extended master secret (RFC 7627), so the master secret
// is derived from the randoms, and resumes it.
func TestClient12NoEMS(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	pc := newPeerCerts(t)
	conf := filepath.Join(pc.dir, "no-ems.cnf")
	if err := os.WriteFile(conf, []byte(`openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Options = -ExtendedMasterSecret
`), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := opensslServerConf(t, pc, conf, 2, "-cipher", "DHE-RSA-AES128-SHA256", "-no_ticket")
	cfg := &Config{ServerName: "localhost", MaxVersion: 0x0303, CipherSuites: []uint16{0x0067}, Sessions: NewSessionCache(0)}
	for i, want := range [][]string{fullECDHE, resumed} {
		r := dial12(t, addr, cfg)
		if r.err != nil {
			t.Fatalf("connection %d: %v", i+1, r.err)
		}
		httpGet(t, r.conn)
		r.conn.Close()
		if r.state.ExtendedMasterSecret || r.state.DidResume != (i == 1) || r.serverHello(t).ExtendedMasterSecret {
			t.Errorf("connection %d: state %+v", i+1, r.state)
		}
		checkHandshakeLists(t, r.tap, r.keyLog.Bytes(), want)
	}
}

// TestClient12SmallDHE checks that a server's 1024-bit DHE group is
// refused by default, with an insufficient_security alert and an error
// that names the sizes, and accepted with MinDHBits 1024.
func TestClient12SmallDHE(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	pc := newPeerCerts(t)
	p, g := new(big.Int).SetBytes(unhex(t, modp2)), big.NewInt(2)
	der, err := asn1.Marshal(struct{ P, G *big.Int }{p, g})
	if err != nil {
		t.Fatal(err)
	}
	dhFile := filepath.Join(pc.dir, "dh1024.pem")
	if err := os.WriteFile(dhFile, pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := opensslServer(t, pc, 2, "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", dhFile)
	cfg := &Config{ServerName: "localhost", MaxVersion: 0x0303, CipherSuites: []uint16{0x009E}}

	r := dial12(t, addr, cfg)
	var alert *AlertError
	var sizeErr *DHGroupSizeError
	if !errors.As(r.err, &alert) || !alert.Sent || alert.Alert != uint8(wire.AlertInsufficientSecurity) ||
		!errors.As(r.err, &sizeErr) || sizeErr.Bits != 1024 || sizeErr.Min != DefaultMinDHBits {
		t.Fatalf("1024-bit group: %v", r.err)
	}
	if msg := r.err.Error(); !strings.Contains(msg, "1024 bits") {
		t.Errorf("the error does not name the size: %s", msg)
	}
	checkHandshakeLists(t, r.tap, r.keyLog.Bytes(), []string{"client:1", "server:2", "server:11", "server:12", "server:14"})

	cfg.MinDHBits = 1024
	r = dial12(t, addr, cfg)
	if r.err != nil {
		t.Fatalf("1024-bit group with MinDHBits 1024: %v", r.err)
	}
	httpGet(t, r.conn)
	r.conn.Close()
	if r.state.DHBits != 1024 || r.state.Group != 0 {
		t.Errorf("state %+v", r.state)
	}
	checkHandshakeLists(t, r.tap, r.keyLog.Bytes(), fullTicket)
}

// testClient runs the engine's client handshake over c, bounded in time.
func testClient(c net.Conn, cfg *Config) (net.Conn, State, error) {
	conn := Client(c, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := conn.HandshakeContext(ctx)
	return conn, conn.State(), err
}

// TestClient12GnuTLS runs the TLS 1.2 client against gnutls-serv, which
// negotiates the RFC 7919 group the client offers for DHE (RFC 7919,
// Section 4): the State names ffdhe2048. With ffdhe3072 offered first,
// that one is chosen. gnutls-serv also asks for a client certificate,
// which the client has not.
func TestClient12GnuTLS(t *testing.T) {
	tlstest.RequirePeer(t, "gnutls-serv", "tshark")
	pc := newPeerCerts(t)
	addr, _ := startServer(t, "gnutls-serv", "--http", "-p", "PORT", "--x509certfile", pc.rsaCert, "--x509keyfile", pc.rsaKey,
		"--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-CIPHER-ALL:+AES-128-GCM")
	// gnutls-serv says it listens before it does ("listening on ...
	// port N...done"): wait until it accepts.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnutls-serv does not accept on %s: %v", addr, err)
		}
	}
	for _, tc := range []struct {
		groups []uint16
		group  uint16
		bits   int
	}{
		{nil, 0x0100, 2048},
		{[]uint16{0x0101, 0x001d}, 0x0101, 3072},
	} {
		cfg := &Config{ServerName: "localhost", MaxVersion: 0x0303, Groups: tc.groups}
		r := dial12(t, addr, cfg)
		if r.err != nil {
			t.Fatalf("groups %x: %v", tc.groups, r.err)
		}
		httpGet(t, r.conn)
		r.conn.Close()
		if st := r.state; st.CipherSuite != 0x009E || st.Group != tc.group || st.DHBits != tc.bits || !st.ExtendedMasterSecret {
			t.Errorf("groups %x: state %+v", tc.groups, st)
		}
		// gnutls-serv asks for a client certificate, and the client,
		// which has none, answers with an empty list.
		checkHandshakeLists(t, r.tap, r.keyLog.Bytes(), []string{"client:1", "server:2", "server:11", "server:12", "server:13", "server:14",
			"client:11", "client:16", "client:20", "server:4", "server:20"})
	}
}

// TestClient12ClientCertificate answers openssl s_server -Verify (a
// client certificate required and checked) with RSA and ECDSA
// certificates, in TLS 1.2 (a signature scheme from the server's list) and
// TLS 1.0 (MD5 and SHA-1 for RSA, SHA-1 for ECDSA).
func TestClient12ClientCertificate(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	pc := newPeerCerts(t)
	for _, tc := range []struct {
		name    string
		useRSA  bool
		version uint16
		server  []string
	}{
		{"TLS1.2/RSA", true, 0x0303, []string{"-cipher", "ECDHE-RSA-AES128-GCM-SHA256"}},
		{"TLS1.2/ECDSA", false, 0x0303, []string{"-cipher", "DHE-RSA-AES128-GCM-SHA256"}},
		{"TLS1.0/RSA", true, 0x0301, []string{"-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"}},
		{"TLS1.0/ECDSA", false, 0x0301, []string{"-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0", "-no_ticket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := tlstest.NewKey(t, tc.useRSA)
			cert := tlstest.SelfSigned(t, key, "client.test")
			caFile := filepath.Join(t.TempDir(), "client.pem")
			if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
				t.Fatal(err)
			}
			addr := opensslServer(t, pc, 1, append([]string{"-Verify", "1", "-CAfile", caFile, "-verify_return_error"}, tc.server...)...)
			cfg := &Config{ServerName: "localhost", MinVersion: tc.version, MaxVersion: tc.version,
				Certificates: []Certificate{{Chain: cert.Certificate, Key: key}}}
			r := dial12(t, addr, cfg)
			if r.err != nil {
				t.Fatalf("handshake: %v", r.err)
			}
			resp := httpGet(t, r.conn)
			r.conn.Close()
			if !bytes.Contains(resp, []byte("client.test")) {
				t.Errorf("the server's page does not name the client's certificate:\n%.2000s", resp)
			}
			var got []string
			oracle, decoded := handshakeLists(t, r.tap, r.keyLog.Bytes())
			if !slices.Equal(oracle, decoded) {
				t.Errorf("handshake messages\n decoder %v\n tshark  %v", decoded, oracle)
			}
			for _, m := range decoded {
				if strings.HasPrefix(m, "client:") {
					got = append(got, m)
				}
			}
			if want := []string{"client:1", "client:11", "client:16", "client:15", "client:20"}; !slices.Equal(got, want) {
				t.Errorf("the client sent %v, want %v", got, want)
			}
		})
	}
}

// TestClient12EdDSA runs TLS 1.2 ECDHE_ECDSA against openssl s_server
// with Ed25519 and Ed448 certificates (RFC 8422, Section 5.4): the server
// signs its key exchange with ed25519 or ed448.
func TestClient12EdDSA(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	pc := newPeerCerts(t)
	for _, tc := range []struct {
		alg    string
		scheme uint16
	}{{"ED25519", 0x0807}, {"ED448", 0x0808}} {
		t.Run(tc.alg, func(t *testing.T) {
			ed := *pc
			ed.rsaCert, ed.rsaKey = opensslCert(t, t.TempDir(), tc.alg)
			addr := opensslServer(t, &ed, 1, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-sigalgs", strings.ToLower(tc.alg))
			r := dial12(t, addr, &Config{ServerName: "localhost"})
			if r.err != nil {
				t.Fatalf("handshake: %v", r.err)
			}
			httpGet(t, r.conn)
			r.conn.Close()
			if st := r.state; st.Version != 0x0303 || st.CipherSuite != 0xC02B || st.PeerSignatureScheme != tc.scheme {
				t.Errorf("state %+v", st)
			}
			checkHandshakeLists(t, r.tap, r.keyLog.Bytes(), fullTicket)
		})
	}
}

// TestClient12RSAPSS runs TLS 1.2 against a certificate with an
// id-RSASSA-PSS key (RFC 4055), which signs the key exchange with the
// rsa_pss_pss schemes (RFC 8446, Section 4.2.3 defines them for TLS 1.2
// too): openssl s_server completes ECDHE_RSA and DHE_RSA with
// rsa_pss_pss_sha256, and rsa_pss_pss_sha384 when it allows only that.
// The engine's own server, given the same certificate, signs with
// rsa_pss_rsae_sha256 (its key is a plain RSA key to it), which such a key
// may not: the client refuses with illegal_parameter. A static RSA suite,
// which would encrypt to the key, and TLS 1.1, which signs with PKCS #1
// v1.5, are refused with unsupported_certificate.
func TestClient12RSAPSS(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	pc := newPeerCerts(t)
	pss := *pc
	pss.rsaCert, pss.rsaKey = opensslCert(t, t.TempDir(), "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048")
	for _, tc := range []struct {
		cipher, sigalgs string
		suite, scheme   uint16
	}{
		{"ECDHE-RSA-AES128-GCM-SHA256", "", 0xC02F, schemePSSPSS256},
		{"DHE-RSA-AES128-GCM-SHA256", "", 0x009E, schemePSSPSS256},
		{"ECDHE-RSA-AES128-GCM-SHA256", "rsa_pss_pss_sha384", 0xC02F, schemePSSPSS384},
	} {
		t.Run(strings.TrimSpace(tc.cipher+" "+tc.sigalgs), func(t *testing.T) {
			args := []string{"-tls1_2", "-cipher", tc.cipher}
			if tc.sigalgs != "" {
				args = append(args, "-sigalgs", tc.sigalgs)
			}
			r := dial12(t, opensslServer(t, &pss, 1, args...), &Config{ServerName: "localhost", CipherSuites: []uint16{tc.suite}})
			if r.err != nil {
				t.Fatalf("handshake: %v", r.err)
			}
			httpGet(t, r.conn)
			r.conn.Close()
			if st := r.state; st.Version != 0x0303 || st.CipherSuite != tc.suite || st.PeerSignatureScheme != tc.scheme {
				t.Errorf("state %+v", st)
			}
		})
	}

	// The same certificate on the engine's server, with its key read as
	// a plain RSA key (PKCS #8 around PKCS #1, RFC 8017, Appendix A.1.2).
	b, err := os.ReadFile(pss.rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	var p8 struct {
		Version    int
		Algorithm  asn1.RawValue
		PrivateKey []byte
	}
	if block == nil {
		t.Fatal("no PEM key")
	}
	if _, err := asn1.Unmarshal(block.Bytes, &p8); err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParsePKCS1PrivateKey(p8.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(pss.rsaCert)
	block, _ = pem.Decode(b)
	cert := Certificate{Chain: [][]byte{block.Bytes}, Key: key}
	for _, tc := range []struct {
		name    string
		version uint16
		suite   uint16
		alert   wire.AlertDescription
	}{
		{"rsa_pss_rsae signature", VersionTLS12, 0xC02F, wire.AlertIllegalParameter},
		{"RSA key exchange", VersionTLS12, 0x009C, wire.AlertUnsupportedCertificate},
		{"TLS 1.1", VersionTLS11, 0xC013, wire.AlertUnsupportedCertificate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := engineServer(t, &Config{Certificates: []Certificate{cert}, MinVersion: tc.version, MaxVersion: tc.version, CipherSuites: []uint16{tc.suite}})
			r := dial12(t, addr, &Config{ServerName: "localhost", MinVersion: tc.version, MaxVersion: tc.version, CipherSuites: []uint16{tc.suite}})
			var alert *AlertError
			if !errors.As(r.err, &alert) || !alert.Sent || wire.AlertDescription(alert.Alert) != tc.alert {
				t.Errorf("%v, want a %s alert sent", r.err, tc.alert)
			}
		})
	}
}
