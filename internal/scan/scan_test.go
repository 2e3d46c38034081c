package scan

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// goServer serves crypto/tls with cfg on 127.0.0.1 until the test ends;
// its certificate (self-signed) is added to roots.
func goServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	if cfg.Certificates == nil {
		cfg.Certificates = []tls.Certificate{tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, false))}
	}
	for _, c := range cfg.Certificates {
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, leaf)
	}
	return tlstest.Listen(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		_ = tc.Handshake()
		tc.Close()
	})
}

// roots are the certificates of the servers the tests start, trusted by
// scanOf (the tests of a package run one at a time).
var roots []*x509.Certificate

func scanOf(t *testing.T, addr string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Scan(ctx, Options{Addr: addr, Timeout: 5 * time.Second, Roots: slices.Clone(roots)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestScanGoTLS12OneSuite scans crypto/tls limited to TLS 1.2 and one
// suite: exactly that version and suite are accepted, and the findings
// say TLS 1.3 is missing.
func TestScanGoTLS12OneSuite(t *testing.T) {
	addr := goServer(t, &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	r := scanOf(t, addr)
	for _, vr := range r.Versions {
		want := vr.Version == wire.VersionTLS12
		if (vr.Outcome == Accepted) != want {
			t.Errorf("%s: %s (%s), want accepted %v", wire.VersionName(vr.Version), vr.Outcome, vr.Reason, want)
		}
	}
	if got := r.Version(wire.VersionTLS12).Suites; !slices.Equal(got, []uint16{0xC02B}) {
		t.Errorf("TLS 1.2 suites %04X, want [C02B]", got)
	}
	if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "no-tls13" }) {
		t.Errorf("findings %v lack no-tls13", r.Findings)
	}
	// tlstest's certificates live an hour.
	if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "expires-soon" }) {
		t.Errorf("findings %v lack expires-soon", r.Findings)
	}
	if r.Grade != "B" {
		t.Errorf("grade %q, want B", r.Grade)
	}
	if !slices.Contains(r.Groups12, 29) || !slices.Contains(r.Groups12, 23) || slices.Contains(r.Groups12, 1) {
		t.Errorf("TLS 1.2 groups %v, want x25519 and secp256r1 and no sect163k1", r.Groups12)
	}
}

// TestScanGoServerOrder checks the suites and the order verdict against
// crypto/tls, which picks by its own order (AES-GCM first on hardware
// with AES) whatever the client prefers, and the TLS 1.3 suites and
// groups it has.
func TestScanGoServerOrder(t *testing.T) {
	suites := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}
	addr := goServer(t, &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: suites,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}})
	r := scanOf(t, addr)
	v12 := r.Version(wire.VersionTLS12)
	got := slices.Sorted(slices.Values(v12.Suites))
	if !slices.Equal(got, slices.Sorted(slices.Values(suites))) {
		t.Errorf("TLS 1.2 suites %04X, want %04X", v12.Suites, suites)
	}
	if v12.Order != OrderServer {
		t.Errorf("TLS 1.2 order %s, want server (crypto/tls ignores the client's order)", v12.Order)
	}
	v13 := r.Version(wire.VersionTLS13)
	if len(v13.Suites) != 3 {
		t.Errorf("TLS 1.3 suites %04X, want the three of crypto/tls", v13.Suites)
	}
	if !slices.Equal(r.Groups13, []uint16{29, 23}) {
		t.Errorf("TLS 1.3 groups %v, want [29 23]", r.Groups13)
	}
}

// TestScanTimeout checks that a server that accepts the connection and
// never answers is reported as timed out, not as refusing or accepting.
func TestScanTimeout(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) {
		time.Sleep(2 * time.Second)
		c.Close()
	})
	r, err := Scan(context.Background(), Options{Addr: addr, Timeout: 200 * time.Millisecond, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, vr := range r.Versions {
		if vr.Outcome != TimedOut {
			t.Errorf("%s: %s, want timed out", wire.VersionName(vr.Version), vr.Outcome)
		}
	}
	if r.Grade != "" {
		t.Errorf("grade %q with no version accepted", r.Grade)
	}
}

// TestScanClosed checks that a server that closes at once refuses every
// version, and that an address where nothing listens is an error.
func TestScanClosed(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) { c.Close() })
	r := scanOf(t, addr)
	for _, vr := range r.Versions {
		if vr.Outcome != Refused {
			t.Errorf("%s: %s, want refused", wire.VersionName(vr.Version), vr.Outcome)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	if _, err := Scan(context.Background(), Options{Addr: dead, Timeout: time.Second}); !errors.Is(err, ErrUnreachable) {
		t.Errorf("scan of a closed port: %v, want ErrUnreachable", err)
	}
}

// TestScanNotTLS: a server that answers every hello with something else
// than TLS (a mail server's greeting) is a NotTLSError holding the first
// bytes; one that answers nothing is ungraded, saying so.
func TestScanNotTLS(t *testing.T) {
	greets := tlstest.Listen(t, func(c net.Conn) {
		defer c.Close()
		_, _ = io.WriteString(c, "220 mail.example.com ESMTP\r\n")
		_, _ = io.Copy(io.Discard, c)
	})
	_, err := Scan(context.Background(), Options{Addr: greets, Timeout: 5 * time.Second})
	var nt *NotTLSError
	if !errors.As(err, &nt) || string(nt.Start) != "220 m" || !errors.Is(err, ErrUnreachable) {
		t.Errorf("scan of an SMTP greeting: %v, want a NotTLSError starting \"220 m\"", err)
	}
	// Fewer than 5 bytes that cannot start a record: not TLS either.
	short := tlstest.Listen(t, func(c net.Conn) {
		defer c.Close()
		_, _ = io.WriteString(c, "hi\n")
	})
	if _, err := Scan(context.Background(), Options{Addr: short, Timeout: 5 * time.Second}); !errors.As(err, &nt) || string(nt.Start) != "hi\n" {
		t.Errorf("scan of a short answer: %v, want a NotTLSError starting \"hi\\n\"", err)
	}
	silent := tlstest.Listen(t, func(c net.Conn) {
		defer c.Close()
		_, _ = io.Copy(io.Discard, c)
	})
	r, err := Scan(context.Background(), Options{Addr: silent, Timeout: 200 * time.Millisecond, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if r.Grade != "" || !strings.HasPrefix(r.Ungraded, "the server answered no probe in time") {
		t.Errorf("silent server: grade %q, ungraded %q", r.Grade, r.Ungraded)
	}
}

func TestBits(t *testing.T) {
	for s, want := range map[uint16]int{
		0x003C: 128, // TLS_RSA_WITH_AES_128_CBC_SHA256
		0x003D: 256, // TLS_RSA_WITH_AES_256_CBC_SHA256
		0x000A: 112, // 3DES
		0x0009: 56,  // DES
		0x0003: 40,  // RC4_40 export
		0x0002: 0,   // NULL
		0xCCA8: 256, // ChaCha20
		0x1301: 128,
		0x1302: 256,
		0x0005: 128, // RC4_128
	} {
		if got := Bits(s); got != want {
			t.Errorf("Bits(%s) = %d, want %d", wire.CipherSuiteName(s), got, want)
		}
	}
}

// TestFeaturesGoTLS checks the features crypto/tls has: secure
// renegotiation, extended master secret and TLS_FALLBACK_SCSV (a TLS 1.2
// hello with it refused by a server that speaks TLS 1.3), and no
// heartbeat or compression; tickets but no session IDs and, with no
// OCSP response configured, no stapling.
func TestFeaturesGoTLS(t *testing.T) {
	r := scanOf(t, goServer(t, &tls.Config{MinVersion: tls.VersionTLS12}))
	for name, want := range map[string]bool{"secure_renegotiation": true, "extended_master_secret": true, "fallback_scsv": true, "heartbeat": false, "compression": false,
		"session_ticket": true, "session_id": false, "ocsp_stapling": false} { // crypto/tls resumes by tickets only
		f := r.Feature(name)
		if f == nil || !f.Known || f.Supported != want {
			t.Errorf("%s: %+v, want supported %v", name, f, want)
		}
	}
	for _, f := range r.Findings {
		switch f.Rule {
		case "no-tls13", "no-secure-renegotiation", "no-extended-master-secret", "no-fallback-scsv", "compression", "heartbeat":
			t.Errorf("finding %s on crypto/tls", f.Rule)
		}
	}
}

// bareServer answers every ClientHello of TLS 1.0 to 1.2 with a
// ServerHello in the version offered, with the first suite offered, the
// first compression method offered and no extensions: no secure
// renegotiation, no extended master secret, no fallback protection. It
// refuses TLS 1.3 hellos and SSL 3.0 with a handshake_failure alert.
func bareServer(t *testing.T) string { return bareServerStalling(t, false) }

// bareServerStalling is bareServer; with stall13, it holds hellos that
// offer TLS 1.3 unanswered until the client closes, as a middlebox that
// does not know TLS 1.3 may.
func bareServerStalling(t *testing.T, stall13 bool) string {
	return tlstest.Listen(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		ch := readClientHello(c)
		if ch == nil {
			return
		}
		if stall13 && slices.Contains(ch.SupportedVersions, wire.VersionTLS13) {
			_, _ = io.Copy(io.Discard, c)
			return
		}
		refuse := ch.Version == wire.VersionSSL30 || slices.Contains(ch.SupportedVersions, wire.VersionTLS13)
		if refuse {
			_, _ = c.Write(mustRecord(t, wire.ContentAlert, wire.MarshalAlert(2, 40)))
			return
		}
		sh := &wire.ServerHello{Version: ch.Version, Random: make([]byte, 32), CipherSuite: ch.CipherSuites[0], Compression: ch.Compression[0]}
		b, err := sh.Marshal()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = c.Write(mustRecord(t, wire.ContentHandshake, b))
	})
}

func mustRecord(t *testing.T, ct wire.ContentType, b []byte) []byte {
	rec, err := wire.AppendRecord(nil, ct, wire.VersionTLS10, b)
	if err != nil {
		t.Error(err)
	}
	return rec
}

// readClientHello reads one ClientHello record from c.
func readClientHello(c net.Conn) *wire.ClientHello {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return nil
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(c, body); err != nil {
		return nil
	}
	return wire.ParseHandshake(wire.Context{}, body).ClientHello
}

// TestFeaturesBare checks the findings on a server that lacks the
// features and takes compression, and that it follows the client's order.
func TestFeaturesBare(t *testing.T) {
	r := scanOf(t, bareServer(t))
	for name, want := range map[string]bool{"secure_renegotiation": false, "extended_master_secret": false, "fallback_scsv": false, "heartbeat": false, "compression": true,
		"session_ticket": false, "session_id": false, "ocsp_stapling": false} {
		f := r.Feature(name)
		if f == nil || !f.Known || f.Supported != want {
			t.Errorf("%s: %+v, want supported %v", name, f, want)
		}
	}
	var rules []string
	for _, f := range r.Findings {
		rules = append(rules, f.Rule)
	}
	for _, want := range []string{"no-secure-renegotiation", "compression", "no-extended-master-secret", "no-fallback-scsv", "tls10", "no-tls13"} {
		if !slices.Contains(rules, want) {
			t.Errorf("findings %v lack %s", rules, want)
		}
	}
	if v := r.Version(wire.VersionTLS12); v.Order != OrderClient {
		t.Errorf("TLS 1.2 order %s, want client", v.Order)
	}
	if r.Grade != "F" {
		t.Errorf("grade %s, want F (it takes NULL suites)", r.Grade)
	}
}

// TestScanCerts checks the chains per key type of a crypto/tls server
// with an RSA and an ECDSA certificate: one chain each, the one whose key
// the suites need, trusted when its certificate is among the roots, and
// a finding for the chain that is not.
func TestScanCerts(t *testing.T) {
	rsaCert := tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, true))
	ecCert := tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, false))
	addr := goServer(t, &tls.Config{MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{ecCert, rsaCert}})
	// Trust only the ECDSA one.
	rsaLeaf, _ := x509.ParseCertificate(rsaCert.Certificate[0])
	roots = slices.DeleteFunc(roots, func(c *x509.Certificate) bool { return c.Equal(rsaLeaf) })
	r := scanOf(t, addr)
	if len(r.Chains) != 2 {
		t.Fatalf("%d chains, want 2: %+v", len(r.Chains), r.Chains)
	}
	for _, cc := range r.Chains {
		want := map[string]string{"RSA": "RSA", "ECDSA": "ECDSA"}[cc.KeyType]
		if len(cc.Certs) != 1 || !strings.HasPrefix(cc.Certs[0].PublicKeyAlgorithm.String(), want) {
			t.Errorf("%s chain: %+v", cc.KeyType, cc)
			continue
		}
		if valid := cc.Verdict != nil && cc.Verdict.Valid; valid != (cc.KeyType == "ECDSA") {
			t.Errorf("%s chain valid %v", cc.KeyType, valid)
		}
	}
	if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "untrusted-chain" && strings.Contains(f.Title, "RSA") }) {
		t.Errorf("findings %v lack the untrusted RSA chain", r.Findings)
	}
}

// TestScanSSLv2 checks the SSL 2.0 probe against a server that answers
// an SSL 2.0 CLIENT-HELLO with a SERVER-HELLO listing two cipher kinds and
// closes anything else.
func TestScanSSLv2(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		head := make([]byte, 3)
		if _, err := io.ReadFull(c, head); err != nil || head[0]&0x80 == 0 || head[2] != 1 {
			return
		}
		cert := []byte{0x30, 0x00}
		specs := []byte{0x01, 0x00, 0x80, 0x07, 0x00, 0xC0}
		msg := []byte{4, 0, 1, 0x00, 0x02, 0, byte(len(cert)), 0, byte(len(specs)), 0, 16}
		msg = append(append(append(msg, cert...), specs...), make([]byte, 16)...)
		_, _ = c.Write(append([]byte{0x80, byte(len(msg))}, msg...))
	})
	r := scanOf(t, addr)
	v2 := r.Version(VersionSSL20)
	if v2 == nil || v2.Outcome != Accepted || !slices.Equal(v2.SSLv2Ciphers, []uint32{0x010080, 0x0700C0}) {
		t.Fatalf("SSL 2.0: %+v", v2)
	}
	if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "ssl2" }) || r.Grade != "F" {
		t.Errorf("findings %v, grade %s: want ssl2 and F", r.Findings, r.Grade)
	}
	for _, vr := range r.Versions[1:] {
		if vr.Outcome != Refused {
			t.Errorf("%s: %s, want refused", wire.VersionName(vr.Version), vr.Outcome)
		}
	}
}

// TestScanHSTS checks the HSTS feature against an HTTPS server that sends
// the header, one that does not, and one that does not speak HTTP; and
// the ALPN protocols of the HTTPS servers (h2 and http/1.1, none of the
// others offered).
func TestScanHSTS(t *testing.T) {
	for _, tc := range []struct {
		header    string
		known, ok bool
	}{{"max-age=63072000; includeSubDomains", true, true}, {"", true, false}, {"-", false, false}} {
		cfg := &tls.Config{Certificates: []tls.Certificate{tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, false))}}
		var addr string
		if tc.header == "-" {
			addr = goServer(t, cfg)
		} else {
			cfg.NextProtos = []string{"h2", "http/1.1"}
			ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tc.header != "" {
					w.Header().Set("Strict-Transport-Security", tc.header)
				}
			}), ReadHeaderTimeout: 5 * time.Second}
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(func() { srv.Close() })
			addr = ln.Addr().String()
		}
		r := scanOf(t, addr)
		if want := map[bool][]string{true: {"h2", "http/1.1"}, false: nil}[tc.header != "-"]; !slices.Equal(r.ALPN, want) {
			t.Errorf("ALPN %q, want %q", r.ALPN, want)
		}
		f := r.Feature("hsts")
		if f == nil || f.Known != tc.known || f.Supported != tc.ok {
			t.Errorf("header %q: %+v, want known %v, supported %v", tc.header, f, tc.known, tc.ok)
		}
	}
}

// TestScanStartTLS scans crypto/tls behind an SMTP STARTTLS dialog (a
// multi-line EHLO reply included), and checks that a server whose
// dialog does not offer STARTTLS is an error, not a refusal.
func TestScanStartTLS(t *testing.T) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
		Certificates: []tls.Certificate{tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, false))}}
	smtp := func(offer bool) func(net.Conn) {
		return func(c net.Conn) {
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(c)
			_, _ = io.WriteString(c, "220 mx.test ESMTP\r\n")
			if l, _ := r.ReadString('\n'); !strings.HasPrefix(l, "EHLO ") {
				return
			}
			_, _ = io.WriteString(c, "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
			if l, _ := r.ReadString('\n'); l != "STARTTLS\r\n" {
				return
			}
			if !offer {
				_, _ = io.WriteString(c, "502 no\r\n")
				return
			}
			_, _ = io.WriteString(c, "220 go ahead\r\n")
			tc := tls.Server(c, cfg)
			_ = tc.Handshake()
		}
	}
	r, err := Scan(context.Background(), Options{Addr: tlstest.Listen(t, smtp(true)), StartTLS: "smtp", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Version(wire.VersionTLS12).Suites; !slices.Equal(got, []uint16{0xC02C}) {
		t.Errorf("TLS 1.2 suites %04X, want [C02C]", got)
	}
	_, err = Scan(context.Background(), Options{Addr: tlstest.Listen(t, smtp(false)), StartTLS: "smtp", Timeout: 5 * time.Second})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), `"502 no"`) {
		t.Errorf("scan of a server without STARTTLS: %v", err)
	}
}

// TestScanRate checks that --rate spaces the probes: N probes at 200 a
// second take at least (N-1)/200 s.
func TestScanRate(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) { c.Close() })
	r, err := Scan(context.Background(), Options{Addr: addr, Rate: 200, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if least := time.Duration(r.Probes-1) * 5 * time.Millisecond; r.Probes < 2 || r.Duration < least {
		t.Errorf("%d probes in %s at 200/s, want at least %s", r.Probes, r.Duration, least)
	}
}

// TestScanTLS13Only scans crypto/tls speaking TLS 1.3 alone with an
// ECDSA, an Ed25519 and an RSA certificate, a stapled OCSP response and
// ALPN: the full TLS 1.3 handshakes find the chain of each key (by the
// signature scheme offered), the schemes of the CertificateVerify, the
// stapled response and the protocols.
func TestScanTLS13Only(t *testing.T) {
	var certs []tls.Certificate
	for _, key := range []crypto.Signer{tlstest.NewKey(t, false), ed25519Key(t), tlstest.NewKey(t, true)} {
		c := tlstest.SelfSignedLoopback(t, key)
		c.OCSPStaple = []byte{0x30, 0x03, 0x0a, 0x01, 0x00}
		certs = append(certs, c)
	}
	addr := goServer(t, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: certs, NextProtos: []string{"h2", "http/1.1"}})
	r := scanOf(t, addr)
	var kinds []string
	for _, cc := range r.Chains {
		kinds = append(kinds, cc.KeyType)
		if cc.Version != wire.VersionTLS13 || cc.Verdict == nil || !cc.Verdict.Valid {
			t.Errorf("%s chain: %s, %+v", cc.KeyType, wire.VersionName(cc.Version), cc.Verdict)
		}
	}
	if !slices.Equal(kinds, []string{"ECDSA", "Ed25519", "RSA"}) {
		t.Errorf("chains of %v, want ECDSA, Ed25519, RSA", kinds)
	}
	var schemes []uint16
	for _, s := range r.Signatures {
		schemes = append(schemes, s.Scheme)
	}
	// crypto/tls signs with P-256 and SHA-256 only for a P-256 key, and
	// its RSA keys sign with PSS.
	if want := []uint16{0x0403, 0x0807, 0x0804, 0x0805, 0x0806}; !slices.Equal(schemes, want) {
		t.Errorf("TLS 1.3 schemes %04x, want %04x (notes %v)", schemes, want, r.SignatureNotes)
	}
	if f := r.Feature("ocsp_stapling"); f == nil || !f.Known || !f.Supported || f.Version != wire.VersionTLS13 {
		t.Errorf("ocsp_stapling %+v", f)
	}
	if !slices.Equal(r.ALPN, []string{"h2", "http/1.1"}) {
		t.Errorf("ALPN %v, want h2 and http/1.1", r.ALPN)
	}
}

func ed25519Key(t *testing.T) crypto.Signer {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestScanTLS13NoHandshake: a crypto/tls server that picks its
// certificate by SNI answers a TLS 1.3 hello without one with a
// ServerHello, then ends the handshake; the scan says no full TLS 1.3
// handshake completed and why, and finds no TLS 1.3 scheme or chain.
func TestScanTLS13NoHandshake(t *testing.T) {
	addr := goServer(t, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{}, GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return nil, errors.New("no certificate without SNI")
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var notes []string
	r, err := Scan(ctx, Options{Addr: addr, Timeout: 5 * time.Second, Emit: func(p Payload) {
		if n, ok := p.(*SignatureNote); ok {
			notes = append(notes, n.Note)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(notes, r.SignatureNotes) {
		t.Errorf("signature_note events %q, want the result's %q", notes, r.SignatureNotes)
	}
	if v := r.Version(wire.VersionTLS13); v.Outcome != Accepted {
		t.Fatalf("TLS 1.3 %s (%s), want accepted at the ServerHello", v.Outcome, v.Reason)
	}
	if len(r.Signatures) > 0 || len(r.Chains) > 0 {
		t.Errorf("schemes %v, chains %d, want none", r.Signatures, len(r.Chains))
	}
	if !slices.ContainsFunc(r.SignatureNotes, func(n string) bool {
		return strings.HasPrefix(n, "no full TLS 1.3 handshake completed") && strings.Contains(n, "alert")
	}) {
		t.Errorf("notes %q lack why no handshake completed", r.SignatureNotes)
	}
	if f := r.Feature("psk_resumption"); f == nil || f.Known {
		t.Errorf("psk_resumption %+v, want unknown", f)
	}
}

// TestScanTLS13ClientAuth: a TLS 1.3 server that requires a client
// certificate signs its handshake before it asks, so the schemes and the
// chain are found; it then ends the connection with an alert instead of
// sending tickets, which psk_resumption reports as unknown, naming it.
func TestScanTLS13ClientAuth(t *testing.T) {
	addr := goServer(t, &tls.Config{MinVersion: tls.VersionTLS13, ClientAuth: tls.RequireAnyClientCert})
	r := scanOf(t, addr)
	if len(r.Signatures) != 1 || r.Signatures[0].Scheme != 0x0403 || len(r.Chains) != 1 {
		t.Errorf("schemes %v, %d chains, want ecdsa_secp256r1_sha256 and one chain", r.Signatures, len(r.Chains))
	}
	if f := r.Feature("psk_resumption"); f == nil || f.Known || !strings.Contains(f.Detail, "alert certificate_required") {
		t.Errorf("psk_resumption %+v, want unknown after certificate_required", f)
	}
}

// TestParseHSTS checks the reading of Strict-Transport-Security values
// (RFC 6797, Section 6.1): what a UA keeps, and what it ignores.
func TestParseHSTS(t *testing.T) {
	for _, tc := range []struct {
		v      string
		maxAge uint64
		bad    bool
	}{
		{"max-age=31536000", 31536000, false},
		{"Max-Age=10 ; includeSubDomains; preload", 10, false},
		{`max-age="60"`, 60, false},
		{"max-age=0", 0, false},
		{"max-age=99999999999999999999999", math.MaxUint64, false},
		{"includeSubDomains", 0, true},
		{"max-age", 0, true},
		{"max-age=", 0, true},
		{"max-age=-1", 0, true},
		{"max-age=1d", 0, true},
		{"max-age=1; max-age=2", 0, true},
		{"max-age=1; includeSubDomains; includesubdomains", 0, true},
		{"max-age:31536000", 0, true},
	} {
		got, err := parseHSTS(tc.v)
		if (err != nil) != tc.bad || got != tc.maxAge {
			t.Errorf("%q: %d, %v; want %d, error %v", tc.v, got, err, tc.maxAge, tc.bad)
		}
	}
}

// TestScanNoCertificate scans crypto/tls with no certificate for a hello
// without a server name (the lab's sni-required): it answers TLS 1.3
// hellos, but every full handshake fails, so no chain is read and the
// server gets no grade (not an A for findings it could not be checked
// for), with the reason.
func TestScanNoCertificate(t *testing.T) {
	cert := tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, false))
	// Certificates empty, not nil: goServer adds none.
	addr := goServer(t, &tls.Config{Certificates: []tls.Certificate{}, GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if h.ServerName == "" {
			return nil, nil
		}
		return &cert, nil
	}})
	r := scanOf(t, addr)
	if vr := r.Version(wire.VersionTLS13); vr == nil || vr.Outcome != Accepted {
		t.Fatalf("TLS 1.3: %+v, want accepted", vr)
	}
	if r.Grade != "" || !strings.HasPrefix(r.Ungraded, "no probe got the server's certificate, though its suites need one (no handshake was seen to complete); it refused hellos with an unrecognized_name alert") {
		t.Errorf("grade %q, ungraded %q", r.Grade, r.Ungraded)
	}
}

// TestScanTLS13Stalled: a server whose TLS 1.3 hellos get no answer in
// time (a middlebox stalls them) is not said to refuse TLS 1.3: the
// finding says the hellos went unanswered, no-tls13 is not given.
func TestScanTLS13Stalled(t *testing.T) {
	addr := bareServerStalling(t, true)
	r, err := Scan(context.Background(), Options{Addr: addr, Timeout: 300 * time.Millisecond, Concurrency: 8, Roots: slices.Clone(roots)})
	if err != nil {
		t.Fatal(err)
	}
	if vr := r.Version(wire.VersionTLS13); vr.Outcome != TimedOut {
		t.Fatalf("TLS 1.3: %s, want timed out", vr.Outcome)
	}
	var rules []string
	for _, f := range r.Findings {
		rules = append(rules, f.Rule)
		if f.Rule == "tls13-timeout" && (f.Severity != High || !strings.Contains(f.Cause, "do not fall back")) {
			t.Errorf("tls13-timeout: %s, cause %q", f.Severity, f.Cause)
		}
	}
	if !slices.Contains(rules, "tls13-timeout") || slices.Contains(rules, "no-tls13") {
		t.Errorf("findings %v, want tls13-timeout and no no-tls13", rules)
	}
}

// TestScanCBCOnly: the cbc-only finding of openssl s_server with CBC and
// NULL suites says so in its title, and follows encrypt_then_mac, which
// s_server negotiates unless -no_etm.
func TestScanCBCOnly(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	for _, c := range []struct {
		args         []string
		title, cause string
	}{
		{[]string{"-no_tls1_3", "-cipher", "AES128-SHA:NULL-SHA:@SECLEVEL=0"}, "no AEAD suite: CBC and suites without one", "the server negotiates encrypt_then_mac"},
		{[]string{"-no_tls1_3", "-cipher", "AES128-SHA", "-no_etm"}, "no AEAD suite: every suite is CBC", "the server does not negotiate encrypt_then_mac"},
	} {
		r := scanOf(t, sServer(t, true, c.args...))
		i := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.Rule == "cbc-only" })
		if i < 0 {
			t.Errorf("%v: findings %v lack cbc-only", c.args, r.Findings)
			continue
		}
		if f := r.Findings[i]; f.Title != c.title || !strings.Contains(f.Cause, c.cause) {
			t.Errorf("%v: cbc-only %q, cause %q; want %q, a cause saying %q", c.args, f.Title, f.Cause, c.title, c.cause)
		}
	}
}

// TestScanEd25519Chain: openssl s_server with an Ed25519 certificate
// serves it for ECDHE_ECDSA suites in TLS 1.2 (RFC 8422) and for the
// Ed25519 scheme in TLS 1.3: one chain, named by its key, whose findings
// are not doubled.
func TestScanEd25519Chain(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	certFile, keyFile := writeCertKey(t, ed25519Key(t))
	r := scanOf(t, sServerFiles(t, certFile, keyFile, "-www"))
	var kinds []string
	for _, cc := range r.Chains {
		kinds = append(kinds, cc.KeyType+" "+wire.VersionName(cc.Version))
	}
	if !slices.Equal(kinds, []string{"Ed25519 TLS 1.2"}) {
		t.Errorf("chains %q, want one: Ed25519 from TLS 1.2", kinds)
	}
	n := 0
	for _, f := range r.Findings {
		if f.Rule == "expires-soon" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d expires-soon findings, want 1 (tlstest's certificates live an hour)", n)
	}
}
