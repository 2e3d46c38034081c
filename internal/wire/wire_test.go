package wire

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/hex"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/field"
)

func caps(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", dir, "caps", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// find returns the first node named name in a depth-first walk.
func find(n *field.Node, name string) *field.Node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
		if r := find(c, name); r != nil {
			return r
		}
	}
	return nil
}

func mustParse(t *testing.T, ctx Context, raw []byte) *Message {
	t.Helper()
	m := ParseHandshake(ctx, raw)
	if m.Err != nil {
		t.Fatalf("%s: %v", m.Type, m.Err)
	}
	if len(m.Anomalies) > 0 {
		t.Fatalf("%s: anomalies %v", m.Type, m.Anomalies)
	}
	return m
}

func TestIllustratedTLS13Messages(t *testing.T) {
	const dir = "illustrated-tls13"
	ch := mustParse(t, Context{}, caps(t, dir, "clienthello")[5:])
	if ch.Type != TypeClientHello || ch.ClientHello == nil {
		t.Fatalf("type %v", ch.Type)
	}
	want, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if !bytes.Equal(ch.ClientHello.Random, want) {
		t.Errorf("random %x", ch.ClientHello.Random)
	}
	if h := find(ch.Fields, "host_name"); h == nil || h.Str != "example.ulfheim.net" {
		t.Errorf("host_name %+v", h)
	}
	if got := ch.ClientHello.SupportedVersions; len(got) == 0 || got[0] != VersionTLS13 {
		t.Errorf("supported_versions %x", got)
	}
	// Field spans point at the bytes they were read from.
	r := find(ch.Fields, "random")
	if !bytes.Equal(ch.Raw[r.Offset:r.Offset+r.Length], want) {
		t.Errorf("random span %d+%d", r.Offset, r.Length)
	}

	sh := mustParse(t, Context{FromServer: true}, caps(t, dir, "serverhello")[5:])
	if sh.ServerHello.CipherSuite != 0x1302 || sh.ServerHello.NegotiatedVersion() != VersionTLS13 || sh.ServerHello.KeyShareGroup != 29 {
		t.Errorf("server hello %+v", sh.ServerHello)
	}
	if cs := find(sh.Fields, "cipher_suite"); cs.Str != "TLS_AES_256_GCM_SHA384" {
		t.Errorf("cipher_suite %q", cs.Str)
	}
	ctx := Context{Version: VersionTLS13, CipherSuite: 0x1302, FromServer: true}
	plain := func(name string) []byte { b := caps(t, dir, name); return b[:len(b)-1] }
	ee := mustParse(t, ctx, plain("serverextensions"))
	if ee.Type != TypeEncryptedExtensions {
		t.Errorf("type %v", ee.Type)
	}
	cert := mustParse(t, ctx, plain("servercert"))
	if s := find(cert.Fields, "subject"); s == nil || !strings.Contains(s.Str, "example.ulfheim.net") {
		t.Errorf("subject %+v", s)
	}
	cv := mustParse(t, ctx, plain("servercertverify"))
	if a := find(cv.Fields, "algorithm"); a.Str != "rsa_pss_rsae_sha256" {
		t.Errorf("algorithm %q", a.Str)
	}
	fin := mustParse(t, ctx, plain("serverfinished"))
	if v := find(fin.Fields, "verify_data"); len(v.Bytes) != 48 {
		t.Errorf("verify_data %d bytes", len(v.Bytes))
	}
	nst := mustParse(t, ctx, plain("serverticket1"))
	if l := find(nst.Fields, "ticket_lifetime"); l == nil || l.Uint != 7200 {
		t.Errorf("ticket_lifetime %+v", l)
	}
}

func TestIllustratedTLS12Messages(t *testing.T) {
	const dir = "illustrated-tls12"
	mustParse(t, Context{}, caps(t, dir, "clienthello")[5:])
	sh := mustParse(t, Context{FromServer: true}, caps(t, dir, "serverhello")[5:])
	if sh.ServerHello.CipherSuite != 0xC013 {
		t.Fatalf("suite %x", sh.ServerHello.CipherSuite)
	}
	ctx := Context{Version: VersionTLS12, CipherSuite: 0xC013, FromServer: true}
	mustParse(t, ctx, caps(t, dir, "servercert")[5:])
	ske := mustParse(t, ctx, caps(t, dir, "serverkeyexchange")[5:])
	if c := find(ske.Fields, "named_curve"); c.Str != "x25519" {
		t.Errorf("curve %q", c.Str)
	}
	if a := find(ske.Fields, "signature_algorithm"); a == nil || a.Str == "" {
		t.Errorf("signature_algorithm %+v", a)
	}
	shd := mustParse(t, ctx, caps(t, dir, "serverhellodone")[5:])
	if shd.Type != TypeServerHelloDone {
		t.Errorf("type %v", shd.Type)
	}
	ctx.FromServer = false
	cke := mustParse(t, ctx, caps(t, dir, "clientkeyexchange")[5:])
	if p := find(cke.Fields, "ecdh_Yc"); len(p.Bytes) != 32 {
		t.Errorf("ecdh_Yc %d bytes", len(p.Bytes))
	}
	fin := mustParse(t, ctx, caps(t, dir, "clientfinishedplain"))
	if v := find(fin.Fields, "verify_data"); len(v.Bytes) != 12 {
		t.Errorf("verify_data %d", len(v.Bytes))
	}
}

// plaintextMessages splits the plaintext handshake records at the start of
// a stream into messages, stopping at the first record that is not a
// handshake record.
func plaintextMessages(b []byte) [][]byte {
	var hs []byte
	for len(b) >= 5 && b[0] == byte(ContentHandshake) {
		n := int(b[3])<<8 | int(b[4])
		if len(b) < 5+n {
			break
		}
		hs = append(hs, b[5:5+n]...)
		b = b[5+n:]
	}
	var msgs [][]byte
	for len(hs) >= 4 {
		n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
		if len(hs) < 4+n {
			break
		}
		msgs = append(msgs, hs[:4+n])
		hs = hs[4+n:]
	}
	return msgs
}

// TestCryptoTLSHandshakes decodes the plaintext handshake messages of real
// crypto/tls connections and requires no error and no anomaly.
func TestCryptoTLSHandshakes(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaCert := tlstest.SelfSigned(t, rsaKey, "localhost")
	ecCert := tlstest.SelfSigned(t, ecKey, "localhost")
	for _, tc := range []struct {
		name    string
		version uint16
		suites  []uint16
		cert    tls.Certificate
		clients bool
		want    []HandshakeType // server messages expected in plaintext
	}{
		{"TLS13", tls.VersionTLS13, nil, ecCert, false, []HandshakeType{TypeServerHello}},
		{"TLS12-ECDHE-ECDSA", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, ecCert, false,
			[]HandshakeType{TypeServerHello, TypeCertificate, TypeServerKeyExchange, TypeServerHelloDone}},
		{"TLS12-ECDHE-RSA-client-cert", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}, rsaCert, true,
			[]HandshakeType{TypeServerHello, TypeCertificate, TypeServerKeyExchange, TypeCertificateRequest, TypeServerHelloDone}},
		{"TLS12-RSA", tls.VersionTLS12, []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}, rsaCert, false,
			[]HandshakeType{TypeServerHello, TypeCertificate, TypeServerHelloDone}},
		{"TLS10-ECDHE-RSA", tls.VersionTLS10, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}, rsaCert, false,
			[]HandshakeType{TypeServerHello, TypeCertificate, TypeServerKeyExchange, TypeServerHelloDone}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c1, c2 := net.Pipe()
			cc, sc := &tlstest.RecordingConn{Conn: c1}, &tlstest.RecordingConn{Conn: c2}
			scfg := &tls.Config{Certificates: []tls.Certificate{tc.cert}, MinVersion: tls.VersionTLS10, MaxVersion: tc.version, CipherSuites: tc.suites}
			ccfg := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost", MinVersion: tls.VersionTLS10, MaxVersion: tc.version,
				CipherSuites: tc.suites, NextProtos: []string{"h2", "http/1.1"}}
			if tc.clients {
				scfg.ClientAuth = tls.RequireAnyClientCert
				ccfg.Certificates = []tls.Certificate{tc.cert}
			}
			done := make(chan error, 1)
			go func() { done <- tls.Server(sc, scfg).Handshake() }()
			if err := tls.Client(cc, ccfg).Handshake(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			c1.Close()
			c2.Close()
			var st ServerHello
			for i, raw := range plaintextMessages(cc.Bytes()) {
				m := mustParse(t, Context{Version: st.NegotiatedVersion(), CipherSuite: st.CipherSuite}, raw)
				if i == 0 && m.Type != TypeClientHello {
					t.Errorf("first client message %v", m.Type)
				}
				if i == 0 {
					if ks := m.ClientHello.KeyShareGroups; tc.version == tls.VersionTLS13 && (len(ks) == 0 || ks[0] != 0x11EC) {
						t.Errorf("key shares %x, want X25519MLKEM768 first", ks)
					}
					if a := find(m.Fields, "protocol_name"); a == nil || a.Str != "h2" {
						t.Errorf("ALPN %+v", a)
					}
				}
			}
			var got []HandshakeType
			for _, raw := range plaintextMessages(sc.Bytes()) {
				m := mustParse(t, Context{Version: st.NegotiatedVersion(), CipherSuite: st.CipherSuite, FromServer: true}, raw)
				if m.ServerHello != nil {
					st = *m.ServerHello
				}
				got = append(got, m.Type)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("server messages %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("server messages %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestPrefixes checks that no strict prefix of a message decodes cleanly and
// none panics (as crypto/tls's handshake_messages_test.go does).
func TestPrefixes(t *testing.T) {
	for _, tc := range []struct {
		ctx  Context
		file string
		skip int
	}{
		{Context{}, "clienthello", 5},
		{Context{FromServer: true}, "serverhello", 5},
		{Context{Version: VersionTLS13, FromServer: true}, "servercert", 0},
		{Context{Version: VersionTLS13, FromServer: true}, "servercertverify", 0},
	} {
		b := caps(t, "illustrated-tls13", tc.file)[tc.skip:]
		if tc.skip == 0 {
			b = b[:len(b)-1]
		}
		for i := 0; i < len(b); i++ {
			m := ParseHandshake(tc.ctx, b[:i])
			if m.Err == nil && len(m.Anomalies) == 0 {
				t.Errorf("%s: prefix of %d bytes decodes cleanly", tc.file, i)
			}
			// With the length fixed up, the body is simply short.
			if i >= 4 {
				p := append([]byte(nil), b[:i]...)
				n := i - 4
				p[1], p[2], p[3] = byte(n>>16), byte(n>>8), byte(n)
				ParseHandshake(tc.ctx, p)
			}
		}
	}
}

// Named regressions for each anomaly, with the bytes in hex.
func TestAnomalies(t *testing.T) {
	hello := func(exts string) []byte {
		body := "0303" + strings.Repeat("00", 32) + "00" + "00021301" + "0100" + exts
		b, _ := hex.DecodeString(body)
		return append([]byte{1, 0, byte(len(b) >> 8), byte(len(b))}, b...)
	}
	ext := func(typ, data string) string {
		return typ + hex.EncodeToString([]byte{byte(len(data) / 2 >> 8), byte(len(data) / 2)}) + data
	}
	block := func(exts ...string) string {
		all := strings.Join(exts, "")
		return hex.EncodeToString([]byte{byte(len(all) / 2 >> 8), byte(len(all) / 2)}) + all
	}
	for _, tc := range []struct {
		name, want string
		raw        []byte
	}{
		{"duplicate extension", "duplicate extension extended_master_secret", hello(block(ext("0017", ""), ext("0017", "")))},
		{"psk not last", "pre_shared_key is not the last", hello(block(ext("0029", "0000"+"0000"), ext("0017", "")))},
		{"psk last", "", hello(block(ext("0017", ""), ext("0029", "0000"+"0000")))},
		{"sni trailing dot", "ends with a dot", hello(block(ext("0000", "0008"+"0000"+"05"+hex.EncodeToString([]byte("a.co.")))))},
		{"padding not zero", "padding holds bytes", hello(block(ext("0015", "0001")))},
		{"bad key share length", "x25519 key share is 3 bytes", hello(block(ext("0033", "0007"+"001d"+"0003"+"010203")))},
		{"trailing bytes", "trailing bytes", append(hello(block()), 0)},
		{"malformed extension", "does not decode", hello(block(ext("002b", "05")))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			if tc.name == "trailing bytes" {
				n := len(raw) - 4
				raw[1], raw[2], raw[3] = byte(n>>16), byte(n>>8), byte(n)
			}
			m := ParseHandshake(Context{}, raw)
			var texts []string
			for _, a := range m.Anomalies {
				texts = append(texts, a.Text)
			}
			if tc.want == "" {
				// Nothing wrong: no anomaly about the order of extensions.
				if strings.Contains(strings.Join(texts, "|"), "not the last") {
					t.Errorf("anomalies %q for a well-formed ClientHello", texts)
				}
				return
			}
			if !strings.Contains(strings.Join(texts, "|"), tc.want) {
				t.Errorf("anomalies %q, want %q (err %v)", texts, tc.want, m.Err)
			}
		})
	}
}

// TestSSLv2HelloLenVersion: bytes with the high bit and msg_type 1 are an
// SSL 2.0 hello only with SSL 2.0's version or one of the form 3.x (the
// bytes of an encrypted record, where a capture began, pass the rest).
func TestSSLv2HelloLenVersion(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{[]byte{0x80, 0x2e, 0x01, 0x03, 0x01}, true},
		{[]byte{0x80, 0x2e, 0x01, 0x00, 0x02}, true},
		{[]byte{0x80, 0x2e, 0x01, 0x03}, true}, // the version not yet seen
		{[]byte{0x80, 0x2e, 0x01, 0x7a, 0x11}, false},
		{[]byte{0x80, 0x2e, 0x01, 0x00, 0x03}, false},
		{[]byte{0x80, 0x2e, 0x02, 0x03, 0x01}, false},
	} {
		if _, ok := SSLv2HelloLen(tc.b); ok != tc.want {
			t.Errorf("SSLv2HelloLen(% x): %v, want %v", tc.b, ok, tc.want)
		}
	}
}

func TestSSLv2Hello(t *testing.T) {
	// An SSL 2.0 compatible hello offering TLS 1.0, two suites and an SSL
	// 2.0 kind, with a 16-byte challenge.
	body, _ := hex.DecodeString("01" + "0301" + "0009" + "0000" + "0010" + "00002f" + "000035" + "010080" + strings.Repeat("ab", 16))
	raw := append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
	if n, ok := SSLv2HelloLen(raw); !ok || n != len(raw) {
		t.Fatalf("SSLv2HelloLen %d %v", n, ok)
	}
	m := ParseSSLv2ClientHello(raw)
	if m.Err != nil || len(m.Anomalies) > 0 {
		t.Fatalf("err %v anomalies %v", m.Err, m.Anomalies)
	}
	ch := m.ClientHello
	if len(ch.CipherSuites) != 2 || ch.CipherSuites[0] != 0x2f || !ch.SSLv2 || ch.Random[16] != 0xab || ch.Random[0] != 0 {
		t.Errorf("hello %+v", ch)
	}
}

func TestAlertAndRecordHeader(t *testing.T) {
	f, _, err := ParseAlert([]byte{2, 40})
	if err != nil || f.Get("description").Str != "handshake_failure" || f.Get("level").Str != "fatal" {
		t.Errorf("alert %+v %v", f, err)
	}
	if _, err := ParseRecordHeader([]byte{0x16, 3, 3, 0xff, 0xff}); err == nil {
		t.Error("oversized record accepted")
	}
	if _, err := ParseRecordHeader([]byte("GET /")); err == nil {
		t.Error("HTTP accepted as a record")
	}
}

func BenchmarkParseClientHello(b *testing.B) {
	raw := caps(b, "illustrated-tls13", "clienthello")[5:]
	b.ReportAllocs()
	for b.Loop() {
		ParseHandshake(Context{}, raw)
	}
}
