package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// These tests make captures with the project's own engine on both sides,
// for what no peer on this machine speaks (SSL 3.0, ARIA-CBC, IDEA), and
// hold tlstrace's reading of them to tshark's, field by field.

// engineCase is one connection of an engine capture: the version and
// suite both sides allow, whether the server asks for a client
// certificate (and the client has one), and whether the server's RSA key
// is of 512 bits, as export suites need (engine_export_test.go).
type engineCase struct {
	version, suite uint16
	clientAuth     bool
	clientCert     bool
	exportKey      bool
}

// recordedConn records what a client reads and writes, in order, as a
// live tap does.
type recordedConn struct {
	net.Conn
	mu     sync.Mutex
	chunks []capture.Chunk
}

func (c *recordedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.add(false, b[:n])
	return n, err
}

func (c *recordedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.add(true, b[:n])
	return n, err
}

func (c *recordedConn) add(fromClient bool, b []byte) {
	if len(b) == 0 {
		return
	}
	c.mu.Lock()
	c.chunks = append(c.chunks, capture.Chunk{FromClient: fromClient, Time: time.Now(), Data: bytes.Clone(b)})
	c.mu.Unlock()
}

// engineCapture runs each case as one connection between the engine's
// client and its server (an echo) on loopback, and writes them as one
// capture with the client's and server's key log (the server port of
// connection i is port+i). It returns the capture, the key log and what
// each client sent.
func engineCapture(t *testing.T, cases []engineCase, port uint16) (string, string, [][]byte) {
	t.Helper()
	key := tlstest.NewKey(t, true)
	cert := tlstest.SelfSigned(t, key, "localhost")
	var exportKey *rsa.PrivateKey
	var exportCert tls.Certificate
	if slices.ContainsFunc(cases, func(c engineCase) bool { return c.exportKey }) {
		var err error
		if exportKey, err = rsa.GenerateKey(rand.Reader, 512); err != nil {
			t.Fatal(err)
		}
		exportCert = tlstest.SelfSigned(t, exportKey, "localhost")
	}
	clientKey := tlstest.NewKey(t, true)
	clientCert := tlstest.SelfSigned(t, clientKey, "client")
	var keys tlstest.Buffer
	var conns []*capture.Conn
	var sent [][]byte
	for i, c := range cases {
		server := &handshake.Config{
			MinVersion: c.version, MaxVersion: c.version, CipherSuites: []uint16{c.suite},
			Certificates: []handshake.Certificate{{Chain: cert.Certificate, Key: key}},
			ClientAuth:   c.clientAuth, KeyLog: &keys,
		}
		if c.exportKey {
			server.Certificates = []handshake.Certificate{{Chain: exportCert.Certificate, Key: exportKey}}
		}
		if c.clientAuth {
			server.VerifyPeer = func([]*x509.Certificate, []byte) error { return nil }
		}
		done := make(chan error, 1)
		addr := tlstest.Listen(t, func(conn net.Conn) {
			s := handshake.Server(conn, server)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := s.HandshakeContext(ctx)
			if err == nil {
				_, err = io.Copy(s, s)
				s.Close()
			}
			done <- err
		})
		client := &handshake.Config{ServerName: "localhost", MinVersion: c.version, MaxVersion: c.version, CipherSuites: []uint16{c.suite}}
		if c.clientCert {
			client.Certificates = []handshake.Certificate{{Chain: clientCert.Certificate, Key: clientKey}}
		}
		raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		rec := &recordedConn{Conn: raw}
		start := time.Now()
		cc := handshake.Client(rec, client)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = cc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			raw.Close()
			t.Fatalf("case %d (%#04x, %#04x): the client's handshake: %v (the server: %v)", i, c.version, c.suite, err, <-done)
		}
		if st := cc.State(); st.Version != c.version || st.CipherSuite != c.suite {
			t.Fatalf("case %d: negotiated %#04x %#04x", i, st.Version, st.CipherSuite)
		}
		msg := fmt.Appendf(nil, "GET / HTTP/1.0\r\nX-Case: %d\r\n\r\n", i)
		cc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := cc.Write(msg); err != nil {
			t.Fatal(err)
		}
		echo := make([]byte, len(msg))
		if _, err := io.ReadFull(cc, echo); err != nil || !bytes.Equal(echo, msg) {
			t.Fatalf("case %d: echo %q, %v", i, echo, err)
		}
		cc.Close()
		if err := <-done; err != nil {
			t.Fatalf("case %d: the server: %v", i, err)
		}
		raw.Close()
		rec.mu.Lock()
		conns = append(conns, &capture.Conn{
			Client: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 40000+port+uint16(i)),
			Server: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port+uint16(i)),
			Start:  start, End: time.Now(), Chunks: rec.chunks,
		})
		rec.mu.Unlock()
		sent = append(sent, msg)
	}
	dir := t.TempDir()
	pcap, keyFile := filepath.Join(dir, "engine.pcapng"), filepath.Join(dir, "keys.txt")
	if err := capture.WritePcapngFile(pcap, nil, conns); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(keys.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return pcap, keyFile, sent
}

// checkEcho checks that each connection of events decrypted what its
// client sent, in both directions (the server echoes it), with no step in
// error and both Finished messages checked.
func checkEcho(t *testing.T, events []jsonEvent, cases []engineCase, sent [][]byte) {
	t.Helper()
	for i := range cases {
		if n := finishedChecked(t, events, i+1); n != 2 {
			t.Errorf("conn %d (%+v): %d Finished messages checked, want 2", i+1, cases[i], n)
		}
		want := 0
		if cases[i].clientCert {
			want = 1
		}
		if n := noted(t, events, i+1, "certificate_verify", "signature verified"); n != want {
			t.Errorf("conn %d (%+v): %d CertificateVerify signatures verified, want %d", i+1, cases[i], n, want)
		}
		got := connData(t, events, i+1, cases[i])
		for side := range 2 {
			if !bytes.Equal(got[side], sent[i]) {
				t.Errorf("conn %d (%+v): application data %q, sent %q", i+1, cases[i], got[side], sent[i])
			}
		}
	}
}

// TestReadEngineSSL30 makes SSL 3.0 connections with the engine on both
// sides (RSA and DHE_RSA key exchanges, CBC, RC4 and NULL records, a
// client certificate and its CertificateVerify, a client without one
// sending no_certificate) and checks tlstrace's reading against tshark's.
func TestReadEngineSSL30(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	const ssl3 = 0x0300
	cases := []engineCase{
		{version: ssl3, suite: 0x002F},                                     // TLS_RSA_WITH_AES_128_CBC_SHA
		{version: ssl3, suite: 0x0005},                                     // TLS_RSA_WITH_RC4_128_SHA
		{version: ssl3, suite: 0x000A},                                     // TLS_RSA_WITH_3DES_EDE_CBC_SHA
		{version: ssl3, suite: 0x0033},                                     // TLS_DHE_RSA_WITH_AES_128_CBC_SHA
		{version: ssl3, suite: 0x0002},                                     // TLS_RSA_WITH_NULL_SHA
		{version: ssl3, suite: 0x0035, clientAuth: true, clientCert: true}, // TLS_RSA_WITH_AES_256_CBC_SHA
		{version: ssl3, suite: 0x0004, clientAuth: true},                   // TLS_RSA_WITH_RC4_128_MD5
	}
	const port = 4530
	pcap, keys, sent := engineCapture(t, cases, port)
	events := runJSON(t, "read", pcap, "--keylog", keys, "--json")
	checkOracle(t, oracleCase{pcap: pcap, keylog: keys, decodeAs: fmt.Sprintf("tcp.port==%d-%d,tls", port, port+len(cases)-1), events: events})
	checkEcho(t, events, cases, sent)
}

// finishedChecked counts the finished events of connection conn whose
// verify_data tlstrace checked and found right (the note of their fields).
func finishedChecked(t *testing.T, events []jsonEvent, conn int) int {
	t.Helper()
	return noted(t, events, conn, "finished", "verify_data matches")
}

// noted counts the events of type typ of connection conn, without error,
// whose fields have a note that starts with prefix.
func noted(t *testing.T, events []jsonEvent, conn int, typ, prefix string) int {
	t.Helper()
	n := 0
	for _, ev := range events {
		if ev.Conn != conn || ev.Type != typ || ev.Error != "" {
			continue
		}
		var f struct{ Note string }
		if err := json.Unmarshal(ev.Fields, &f); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(f.Note, prefix) {
			n++
		}
	}
	return n
}

// TestReadEngineARIAIDEA makes connections over ARIA-CBC and IDEA, which
// no peer on this machine offers (OpenSSL 3 and GnuTLS 3.7 have neither in
// TLS), with the engine on both sides, and checks tlstrace's reading
// against tshark's.
func TestReadEngineARIAIDEA(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	cases := []engineCase{
		{version: 0x0303, suite: 0xC03C},                                     // TLS_RSA_WITH_ARIA_128_CBC_SHA256
		{version: 0x0303, suite: 0xC03D},                                     // TLS_RSA_WITH_ARIA_256_CBC_SHA384
		{version: 0x0302, suite: 0x0007, clientAuth: true, clientCert: true}, // TLS_RSA_WITH_IDEA_CBC_SHA
		{version: 0x0301, suite: 0x0007},
		{version: 0x0300, suite: 0x0007},
	}
	const port = 4550
	pcap, keys, sent := engineCapture(t, cases, port)
	events := runJSON(t, "read", pcap, "--keylog", keys, "--json")
	aria := oracleRule{
		why: "tshark 4.0 does not decrypt ARIA records (its libgcrypt has no ARIA): it shows encrypted records where tlstrace decrypts them; the plaintext is checked against what the peers exchanged",
		same: func(conn int, got, want oracleStep) bool {
			return conn <= 2 && want.kind == "encrypted_record" && got.kind != "encrypted_record" &&
				got.frame == want.frame && got.from == want.from && outer(got.record) == outer(want.record)
		},
	}
	checkOracle(t, oracleCase{pcap: pcap, keylog: keys, decodeAs: fmt.Sprintf("tcp.port==%d-%d,tls", port, port+len(cases)-1), events: events, rules: []oracleRule{aria}})
	checkEcho(t, events, cases, sent)
}

// TestReadCertificateVerifyMismatch checks that a client's CertificateVerify
// whose signature does not verify is said to be wrong, in SSL 3.0 and TLS
// 1.0: one bit of each signature is flipped in the capture.
func TestReadCertificateVerifyMismatch(t *testing.T) {
	cases := []engineCase{
		{version: 0x0300, suite: 0x002F, clientAuth: true, clientCert: true},
		{version: 0x0301, suite: 0x002F, clientAuth: true, clientCert: true},
	}
	pcap, keys, _ := engineCapture(t, cases, 4570)
	b, err := os.ReadFile(pcap)
	if err != nil {
		t.Fatal(err)
	}
	// certificate_verify of 258 bytes: a 256-byte RSA signature behind
	// its length (RFC 6101, Section 5.6.8; RFC 2246, Section 7.4.8).
	cv := []byte{0x0f, 0x00, 0x01, 0x02, 0x01, 0x00}
	if n := bytes.Count(b, cv); n != len(cases) {
		t.Fatalf("%d certificate_verify messages in the capture, want %d", n, len(cases))
	}
	for i := 0; ; {
		j := bytes.Index(b[i:], cv)
		if j < 0 {
			break
		}
		b[i+j+len(cv)+100] ^= 1
		i += j + len(cv)
	}
	if err := os.WriteFile(pcap, b, 0o600); err != nil {
		t.Fatal(err)
	}
	events := runJSON(t, "read", pcap, "--keylog", keys, "--json")
	for conn := 1; conn <= len(cases); conn++ {
		var bad []string
		for _, ev := range events {
			if ev.Conn == conn && ev.Type == "certificate_verify" && ev.Error != "" {
				bad = append(bad, ev.Error)
			}
		}
		if len(bad) != 1 || !strings.HasPrefix(bad[0], "the client's CertificateVerify does not verify") {
			t.Errorf("conn %d: certificate_verify errors %q", conn, bad)
		}
	}
}
