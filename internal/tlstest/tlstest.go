// Package tlstest holds what the tests of several packages need to run
// crypto/tls connections: a connection that records what is written,
// self-signed certificates, a client's ClientHello, and the byte edits
// of the fuzz targets.
package tlstest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
)

// RecordingConn keeps a copy of what is written through it, as crypto/tls's
// own handshake tests do.
type RecordingConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *RecordingConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.buf.Write(b)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// Bytes returns what was written so far.
func (c *RecordingConn) Bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf.Bytes())
}

// NewKey returns an RSA 2048 key, or an ECDSA P-256 key.
func NewKey(t testing.TB, useRSA bool) crypto.Signer {
	t.Helper()
	var key crypto.Signer
	var err error
	if useRSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// Issue makes the certificate c describes with certgen and parses it,
// failing the test on an error.
func Issue(t testing.TB, c certgen.Config) *x509.Certificate {
	t.Helper()
	der, err := certgen.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// SelfSigned returns a certificate for name signed by its own key, valid
// for an hour either side of now.
func SelfSigned(t testing.TB, key crypto.Signer, name string) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// SelfSignedLoopback is SelfSigned for localhost that also names the
// loopback addresses 127.0.0.1 and ::1 (IP address subjectAltNames): a
// server the tests reach by address, whose name a client checks as an
// address.
func SelfSignedLoopback(t testing.TB, key crypto.Signer) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// ClientHello returns the first record of a crypto/tls client: its
// ClientHello, for server name localhost.
func ClientHello(t testing.TB) []byte {
	t.Helper()
	c, srv := net.Pipe()
	defer srv.Close()
	go func() {
		tls.Client(c, &tls.Config{ServerName: "localhost"}).Handshake()
		c.Close()
	}()
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(srv, hdr); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(srv, body); err != nil {
		t.Fatal(err)
	}
	return append(hdr, body...)
}

// Edit returns a copy of b with patch written over it at off (mode 0),
// inserted at off (1), len(patch) bytes deleted from off (2), or b cut at
// off (any other mode): one small edit of a valid input, which is how the
// fuzz targets explore near real connections, chains and captures.
func Edit(b []byte, mode uint8, off int, patch []byte) []byte {
	off %= len(b) + 1
	out := append([]byte{}, b[:off]...)
	switch mode {
	case 0:
		out = append(out, patch...)
		if off+len(patch) < len(b) {
			out = append(out, b[off+len(patch):]...)
		}
	case 1:
		out = append(append(out, patch...), b[off:]...)
	case 2:
		out = append(out, b[min(len(b), off+len(patch)):]...)
	}
	return out
}

// Listen accepts connections on 127.0.0.1 until the test ends and runs
// serve on each (then closes it); it returns the address. Tests use it
// for peers that misbehave on purpose.
func Listen(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// Buffer is a bytes.Buffer safe for a writer and a reader goroutine: a
// server's or a process's output read while it runs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
