package handshake

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// the handshake messages of a full TLS 1.3 handshake, up to the client's
// Finished.
var full13 = []uint64{1, 2, 8, 11, 15, 20, 20}

// runClient13 connects the engine to addr with cfg, fetches / from an
// openssl -www server (or echoes a line with gnutls-serv), and checks
// the capture against tshark. It returns the state.
func runClient13(t *testing.T, addr string, cfg *Config, http bool, wantPrefix []uint64) State {
	t.Helper()
	var keyLog bytes.Buffer
	cfg.KeyLog = &keyLog
	if cfg.ServerName == "" {
		cfg.ServerName = "localhost"
	}
	rec := dialRecorded(t, addr)
	c := Client(rec, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	st := c.State()
	if http {
		if _, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		body, err := readAll(t, c, 10*time.Second)
		if err != nil {
			t.Fatalf("reading the response: %v (%q)", err, body)
		}
		if !bytes.HasPrefix(body, []byte("HTTP/1.0 200 ok")) {
			t.Fatalf("response %q", body[:min(len(body), 200)])
		}
	} else {
		if _, err := c.Write([]byte("hello engine\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != "hello engine\n" {
			t.Fatalf("echo %q, %v", buf[:n], err)
		}
	}
	c.Close()
	for _, label := range []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"} {
		if !strings.Contains(keyLog.String(), label+" ") {
			t.Errorf("the key log has no %s line", label)
		}
	}
	pcap := rec.pcapng(t, keyLog.Bytes())
	ours := decoderMessages(t, pcap)
	theirs := tsharkMessages(t, pcap, rec.RemoteAddr().(*net.TCPAddr).Port)
	if !slices.Equal(ours, theirs) {
		t.Errorf("handshake messages: decoder %v, tshark %v", ours, theirs)
	}
	if !bytes.HasPrefix(u64bytes(ours), u64bytes(wantPrefix)) {
		t.Errorf("handshake messages %v, want them to begin with %v", ours, wantPrefix)
	}
	return st
}

func u64bytes(v []uint64) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}

// TestClient13OpenSSL runs the engine's TLS 1.3 client against openssl
// s_server with each suite alone, several groups, HelloRetryRequest and
// certificates of every key type the engine verifies.
func TestClient13OpenSSL(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	p256, p256Key := ecdsaCert(t, dir, elliptic.P256())
	p384, p384Key := ecdsaCert(t, dir, elliptic.P384())
	ed448, ed448Key := opensslCert(t, dir, "ED448")
	ed25519, ed25519Key := opensslCert(t, dir, "ED25519")
	rsa, rsaKey := opensslCert(t, dir, "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
	pss, pssKey := opensslCert(t, dir, "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048")
	type tc struct {
		name       string
		cert, key  string
		serverArgs []string
		cfg        Config
		suite      uint16
		group      uint16
		scheme     uint16
		hrr        bool
		alpn       string
	}
	var cases []tc
	for _, s := range []struct {
		name string
		id   uint16
	}{
		{"TLS_AES_128_GCM_SHA256", 0x1301}, {"TLS_AES_256_GCM_SHA384", 0x1302}, {"TLS_CHACHA20_POLY1305_SHA256", 0x1303},
		{"TLS_AES_128_CCM_SHA256", 0x1304}, {"TLS_AES_128_CCM_8_SHA256", 0x1305},
	} {
		cases = append(cases, tc{name: s.name, cert: p256, key: p256Key, serverArgs: []string{"-ciphersuites", s.name},
			suite: s.id, group: groupX25519, scheme: schemeECDSAP256})
	}
	cases = append(cases,
		tc{name: "X25519", cert: p256, key: p256Key, serverArgs: []string{"-groups", "X25519"}, cfg: Config{Groups: []uint16{groupX25519}},
			suite: 0x1301, group: groupX25519, scheme: schemeECDSAP256},
		tc{name: "P-256", cert: p256, key: p256Key, serverArgs: []string{"-groups", "P-256"}, cfg: Config{Groups: []uint16{groupP256}},
			suite: 0x1301, group: groupP256, scheme: schemeECDSAP256},
		tc{name: "P-384", cert: p384, key: p384Key, serverArgs: []string{"-groups", "P-384"}, cfg: Config{Groups: []uint16{groupP384}},
			suite: 0x1301, group: groupP384, scheme: schemeECDSAP384},
		tc{name: "P-521", cert: p256, key: p256Key, serverArgs: []string{"-groups", "P-521"}, cfg: Config{Groups: []uint16{groupP521}},
			suite: 0x1301, group: groupP521, scheme: schemeECDSAP256},
		tc{name: "ffdhe2048", cert: p256, key: p256Key, serverArgs: []string{"-groups", "ffdhe2048"}, cfg: Config{Groups: []uint16{groupFFDHE2048}},
			suite: 0x1301, group: groupFFDHE2048, scheme: schemeECDSAP256},
		tc{name: "ffdhe3072", cert: p256, key: p256Key, serverArgs: []string{"-groups", "ffdhe3072"}, cfg: Config{Groups: []uint16{groupFFDHE3072}},
			suite: 0x1301, group: groupFFDHE3072, scheme: schemeECDSAP256},
		tc{name: "HelloRetryRequest", cert: p256, key: p256Key, serverArgs: []string{"-groups", "P-256"}, cfg: Config{Groups: []uint16{groupX25519, groupP256}},
			suite: 0x1301, group: groupP256, scheme: schemeECDSAP256, hrr: true},
		tc{name: "HelloRetryRequest-ffdhe", cert: p256, key: p256Key, serverArgs: []string{"-groups", "ffdhe2048"}, cfg: Config{Groups: []uint16{groupP256, groupFFDHE2048}},
			suite: 0x1301, group: groupFFDHE2048, scheme: schemeECDSAP256, hrr: true},
		tc{name: "ALPN", cert: p256, key: p256Key, serverArgs: []string{"-alpn", "http/1.1"}, cfg: Config{ALPN: []string{"h2", "http/1.1"}},
			suite: 0x1301, group: groupX25519, scheme: schemeECDSAP256, alpn: "http/1.1"},
		tc{name: "Ed448", cert: ed448, key: ed448Key, suite: 0x1301, group: groupX25519, scheme: schemeEd448},
		tc{name: "Ed25519", cert: ed25519, key: ed25519Key, suite: 0x1301, group: groupX25519, scheme: schemeEd25519},
		tc{name: "RSA", cert: rsa, key: rsaKey, suite: 0x1301, group: groupX25519, scheme: schemePSSRSAE256},
		tc{name: "RSA-PSS", cert: pss, key: pssKey, suite: 0x1301, group: groupX25519, scheme: schemePSSPSS256},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"s_server", "-accept", "127.0.0.1:PORT", "-cert", c.cert, "-key", c.key, "-tls1_3", "-www"}, c.serverArgs...)
			addr, out := startServer(t, "openssl", args...)
			cfg := c.cfg
			want := full13
			if c.hrr {
				want = append([]uint64{1, 2}, full13...)
			}
			var chainLen int
			cfg.VerifyPeer = func(chain []*x509.Certificate, ocsp []byte) error {
				chainLen = len(chain)
				return nil
			}
			st := runClient13(t, addr, &cfg, true, want)
			if st.Version != VersionTLS13 || st.CipherSuite != c.suite || st.Group != c.group || st.PeerSignatureScheme != c.scheme ||
				st.HelloRetry != c.hrr || st.ServerName != "localhost" || len(st.PeerCertificates) != 1 || chainLen != 1 || st.ALPN != c.alpn {
				t.Errorf("state %+v (server output %s)", st, out.String())
			}
		})
	}
}

// TestClient13GnuTLS runs the engine against gnutls-serv.
func TestClient13GnuTLS(t *testing.T) {
	tlstest.RequirePeer(t, "gnutls-serv", "openssl", "tshark")
	dir := t.TempDir()
	cert, key := ecdsaCert(t, dir, elliptic.P256())
	addr, out := startServer(t, "gnutls-serv", "--echo", "-p", "PORT", "--x509certfile", cert, "--x509keyfile", key,
		"--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305")
	cfg := Config{ALPN: []string{"h2", "http/1.1"}}
	// gnutls-serv asks for a client certificate; the engine, having
	// none, answers with an empty Certificate.
	st := runClient13(t, addr, &cfg, false, []uint64{1, 2, 8, 13, 11, 15, 20, 11, 20})
	if st.Version != VersionTLS13 || st.CipherSuite != 0x1303 || st.PeerSignatureScheme != schemeECDSAP256 {
		t.Errorf("state %+v (server output %s)", st, out.String())
	}
}

// TestClient13Refusals checks that a failed check is an *AlertError with
// Sent true and that the alert reached the peer.
func TestClient13Refusals(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	cert, key := ecdsaCert(t, dir, elliptic.P256())
	// A VerifyPeer that refuses: bad_certificate.
	addr, out := startServer(t, "openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert", cert, "-key", key, "-tls1_3", "-www")
	cfg := &Config{ServerName: "localhost", VerifyPeer: func([]*x509.Certificate, []byte) error { return errors.New("not trusted") }}
	rec := dialRecorded(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := Client(rec, cfg).HandshakeContext(ctx)
	var ae *AlertError
	if !errors.As(err, &ae) || !ae.Sent || ae.Alert != uint8(wire.AlertBadCertificate) || ae.Err == nil || ae.Err.Error() != "not trusted" {
		t.Fatalf("error %v", err)
	}
	waitFor(t, out, "bad certificate")

	// A server whose suite was not offered: no handshake.
	addr, _ = startServer(t, "openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert", cert, "-key", key, "-tls1_3", "-www",
		"-ciphersuites", "TLS_AES_128_CCM_8_SHA256")
	rec = dialRecorded(t, addr)
	err = Client(rec, &Config{TLS13Suites: []uint16{0x1301}}).HandshakeContext(ctx)
	if !errors.As(err, &ae) || ae.Sent || ae.Alert != uint8(wire.AlertHandshakeFailure) {
		t.Fatalf("no common suite: %v", err)
	}
}

// waitFor waits until the output holds s.
func waitFor(t *testing.T, out *lockedBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the peer's output lacks %q:\n%s", s, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClient13OpenSSLClientCertificate sends Ed448 and RSA client
// certificates to an openssl s_server that requires and verifies them.
func TestClient13OpenSSLClientCertificate(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	serverCert, serverKey := ecdsaCert(t, dir, elliptic.P256())
	for _, c := range []struct {
		alg  string
		args []string
	}{
		{"ED448", nil},
		{"RSA", []string{"-pkeyopt", "rsa_keygen_bits:2048"}},
	} {
		t.Run(c.alg, func(t *testing.T) {
			certFile, keyFile := opensslCert(t, dir, c.alg, c.args...)
			addr, out := startServer(t, "openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert", serverCert, "-key", serverKey,
				"-tls1_3", "-www", "-Verify", "1", "-verify_return_error", "-CAfile", certFile)
			cfg := &Config{Certificates: []Certificate{{Chain: [][]byte{readPEMCert(t, certFile).Raw}, Key: readPEMKey(t, keyFile)}}}
			runClient13(t, addr, cfg, true, []uint64{1, 2, 8, 13, 11, 15, 20, 11, 15, 20})
			if !strings.Contains(out.String(), "verify return:1") {
				t.Errorf("openssl did not verify the client certificate:\n%s", out.String())
			}
		})
	}
}

// TestClient13Resumption resumes a TLS 1.3 session from a ticket (PSK with
// (EC)DHE, RFC 8446, Section 2.2) against openssl and crypto/tls, and
// after a HelloRetryRequest.
func TestClient13Resumption(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	cert, key := ecdsaCert(t, dir, elliptic.P256())
	resumed := []uint64{1, 2, 8, 20, 20}
	t.Run("openssl", func(t *testing.T) {
		addr, _ := startServer(t, "openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert", cert, "-key", key, "-tls1_3", "-www")
		sessions := NewSessionCache(0)
		st := runClient13(t, addr, &Config{Sessions: sessions}, true, full13)
		if st.DidResume {
			t.Fatal("the first connection resumed")
		}
		if got := sessions.Sessions(); len(got) != 1 || got[0] != (SessionInfo{Version: VersionTLS13, Ticket: true, Lifetime: 7200}) {
			t.Errorf("sessions %+v, want one TLS 1.3 ticket of 7200 s allowing no early data", got)
		}
		// The chain of the resumed session is checked again, that of
		// the session: VerifyResumed is called, VerifyPeer not.
		var peer, again [][]*x509.Certificate
		st2 := runClient13(t, addr, &Config{Sessions: sessions,
			VerifyPeer:    func(c []*x509.Certificate, _ []byte) error { peer = append(peer, c); return nil },
			VerifyResumed: func(c []*x509.Certificate, _ []byte) error { again = append(again, c); return nil }}, true, resumed)
		if !st2.DidResume || st2.PeerSignatureScheme != 0 || len(st2.PeerCertificates) != 1 ||
			!st2.PeerCertificates[0].Equal(st.PeerCertificates[0]) {
			t.Errorf("second connection: %+v", st2)
		}
		if len(peer) != 0 || len(again) != 1 || len(again[0]) != 1 || !again[0][0].Equal(st.PeerCertificates[0]) {
			t.Errorf("second connection: VerifyPeer called with %v, VerifyResumed with %v", peer, again)
		}
	})
	t.Run("openssl-early-data", func(t *testing.T) {
		// s_server -early_data allows 16384 bytes (its
		// SSL3_RT_MAX_PLAIN_LENGTH) in the early_data of its tickets.
		// It cannot serve -www then, so the tickets are read on their
		// own: they follow the handshake.
		addr, _ := startServer(t, "openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert", cert, "-key", key, "-tls1_3", "-early_data")
		sessions := NewSessionCache(0)
		c := Client(dialRecorded(t, addr), &Config{ServerName: "localhost", Sessions: sessions})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := c.HandshakeContext(ctx); err != nil {
			t.Fatalf("handshake: %v", err)
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		for len(sessions.Sessions()) == 0 {
			if _, err := c.Read(make([]byte, 64)); err != nil {
				break
			}
		}
		c.Close()
		if got := sessions.Sessions(); len(got) != 1 || got[0].MaxEarlyData != 16384 {
			t.Errorf("sessions %+v, want one ticket allowing 16384 bytes of early data", got)
		}
	})
	t.Run("openssl-HelloRetryRequest", func(t *testing.T) {
		addr, _ := startServer(t, "openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert", cert, "-key", key, "-tls1_3", "-www", "-groups", "P-256")
		sessions := NewSessionCache(0)
		groups := []uint16{groupX25519, groupP256}
		runClient13(t, addr, &Config{Sessions: sessions, Groups: groups}, true, append([]uint64{1, 2}, full13...))
		st := runClient13(t, addr, &Config{Sessions: sessions, Groups: groups}, true, append([]uint64{1, 2}, resumed...))
		if !st.DidResume || !st.HelloRetry {
			t.Errorf("second connection: %+v", st)
		}
	})
	t.Run("crypto/tls", func(t *testing.T) {
		gc := tlstest.SelfSigned(t, tlstest.NewKey(t, true), "localhost")
		addr := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{gc}})
		sessions := NewSessionCache(0)
		runClient13(t, addr, &Config{Sessions: sessions}, false, []uint64{1, 2, 8, 11, 15, 20})
		st := runClient13(t, addr, &Config{Sessions: sessions}, false, []uint64{1, 2, 8, 20})
		if !st.DidResume {
			t.Errorf("second connection: %+v", st)
		}
	})
	t.Run("expired", func(t *testing.T) {
		addr, _ := startServer(t, "openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert", cert, "-key", key, "-tls1_3", "-www")
		sessions := NewSessionCache(0)
		runClient13(t, addr, &Config{Sessions: sessions}, true, full13)
		later := func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
		st := runClient13(t, addr, &Config{Sessions: sessions, Time: later}, true, full13)
		if st.DidResume {
			t.Error("an expired ticket was offered")
		}
	})
}

// TestClient13KeyUpdate has openssl s_server send KeyUpdates, one that asks
// for the client's too (its "K" command), between application data: the
// client reads on with the next keys and writes with its own next keys, and
// tshark and the decoder follow both.
func TestClient13KeyUpdate(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "tshark")
	dir := t.TempDir()
	cert, key := ecdsaCert(t, dir, elliptic.P256())
	addr, out, in := startServerIn(t, "openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert", cert, "-key", key, "-tls1_3")
	var keyLog bytes.Buffer
	rec := dialRecorded(t, addr)
	c := Client(rec, &Config{ServerName: "localhost", KeyLog: &keyLog})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 100)
	for i, cmd := range []string{"k\n", "K\n"} {
		if _, err := io.WriteString(in, cmd); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		line := fmt.Sprintf("line %d from the server\n", i)
		if _, err := io.WriteString(in, line); err != nil {
			t.Fatal(err)
		}
		n, err := io.ReadAtLeast(c, buf, len(line))
		if err != nil || string(buf[:n]) != line {
			t.Fatalf("read %q, %v", buf[:n], err)
		}
		reply := fmt.Sprintf("reply %d from the engine\n", i)
		if _, err := c.Write([]byte(reply)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, out, reply)
	}
	c.Close()
	pcap := rec.pcapng(t, keyLog.Bytes())
	ours := decoderMessages(t, pcap)
	theirs := tsharkMessages(t, pcap, rec.RemoteAddr().(*net.TCPAddr).Port)
	if !slices.Equal(ours, theirs) {
		t.Errorf("handshake messages: decoder %v, tshark %v", ours, theirs)
	}
	// The server's two KeyUpdates and the client's answer to the second.
	if n := strings.Count(string(u64bytes(ours)), "\x18"); n != 3 {
		t.Errorf("%d key_update messages in %v, want 3", n, ours)
	}
}
