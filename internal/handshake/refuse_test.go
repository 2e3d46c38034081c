package handshake

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// wantSent checks that err is an *AlertError this side sent with alert
// desc, and that the peer received that alert.
func wantSent(t *testing.T, err error, s *script13, desc wire.AlertDescription) {
	t.Helper()
	var ae *AlertError
	if !errors.As(err, &ae) || !ae.Sent || ae.Alert != uint8(desc) || ae.Err == nil {
		t.Fatalf("error %v (%#v), want alert %s sent", err, err, desc)
	}
	got, ok := s.clientAlert(t)
	if !ok || got != desc {
		t.Fatalf("the peer received alert %s (%v), want %s", got, ok, desc)
	}
}

// TestClient13Checks runs the client against a scripted server whose
// flight is right but for one thing, which the client must refuse with
// the alert RFC 8446 names, sent to the server.
func TestClient13Checks(t *testing.T) {
	key, der := newScriptKey(t)
	cfg := func() *Config { return &Config{ServerName: "localhost"} }

	s := &script13{key: key, certDER: der}
	if err := runScript(t, s, cfg()); err != nil {
		t.Fatalf("the unchanged script: %v", err)
	}

	s = &script13{key: key, certDER: der, corruptCV: true}
	wantSent(t, runScript(t, s, cfg()), s, wire.AlertDecryptError)

	s = &script13{key: key, certDER: der, corruptFinished: true}
	wantSent(t, runScript(t, s, cfg()), s, wire.AlertDecryptError)

	// A server_hello that does not echo the session ID.
	s = &script13{key: key, certDER: der, helloOnly: true, editHello: func(sh *wire.ServerHello) { sh.SessionID = []byte{1} }}
	wantSent(t, runScript(t, s, cfg()), s, wire.AlertIllegalParameter)

	// A suite not offered.
	s = &script13{key: key, certDER: der, helloOnly: true, editHello: func(sh *wire.ServerHello) { sh.CipherSuite = 0x1302 }}
	wantSent(t, runScript(t, s, &Config{TLS13Suites: []uint16{0x1301}}), s, wire.AlertIllegalParameter)

	// A key share for a group the client sent none for.
	s = &script13{key: key, certDER: der, helloOnly: true, editHello: func(sh *wire.ServerHello) {
		ks, _ := wire.ServerKeyShareExtension(wire.KeyShare{Group: groupP256, Data: make([]byte, 65)})
		sh.Extensions[1] = ks
	}}
	wantSent(t, runScript(t, s, cfg()), s, wire.AlertIllegalParameter)

	// A supported_versions of 3 bytes, which wire reads as TLS 1.3.
	s = &script13{key: key, certDER: der, helloOnly: true, editHello: func(sh *wire.ServerHello) {
		sh.Extensions[0].Data = []byte{3, 4, 0}
	}}
	wantSent(t, runScript(t, s, cfg()), s, wire.AlertDecodeError)

	// An unsolicited extension in the ServerHello.
	s = &script13{key: key, certDER: der, helloOnly: true, editHello: func(sh *wire.ServerHello) {
		sh.Extensions = append(sh.Extensions, wire.EmptyExtension(wire.ExtExtendedMasterSecret))
	}}
	wantSent(t, runScript(t, s, cfg()), s, wire.AlertUnsupportedExtension)

	// An ALPN protocol not offered.
	alpn, _ := wire.ALPNExtension([]string{"h2"})
	ee, _ := (&wire.EncryptedExtensions{Extensions: []wire.Extension{alpn}}).Marshal()
	s = &script13{key: key, certDER: der, ee: ee}
	wantSent(t, runScript(t, s, &Config{ALPN: []string{"http/1.1"}}), s, wire.AlertIllegalParameter)

	// A VerifyPeer that refuses the chain.
	s = &script13{key: key, certDER: der}
	c := cfg()
	c.VerifyPeer = func(chain []*x509.Certificate, _ []byte) error { return errors.New("untrusted") }
	wantSent(t, runScript(t, s, c), s, wire.AlertBadCertificate)

	// A certificate that does not parse.
	bad, _ := wire.MarshalCertificate13(nil, []wire.CertificateEntry{{Data: []byte{0x30, 0x03, 1, 2, 3}}})
	s = &script13{key: key, certDER: der, cert: bad}
	wantSent(t, runScript(t, s, cfg()), s, wire.AlertBadCertificate)

	// A message over the engine's limit (wire.MaxHandshake): refused at
	// its header, before its bytes are read.
	huge := append([]byte{8, 0x10, 0, 0}, make([]byte, 1<<20)...)
	s = &script13{key: key, certDER: der, ee: huge}
	wantSent(t, runScript(t, s, cfg()), s, wire.AlertDecodeError)

	// A message the flight does not have at that place.
	s = &script13{key: key, certDER: der, ee: wire.MarshalServerHelloDone()}
	wantSent(t, runScript(t, s, cfg()), s, wire.AlertUnexpectedMessage)
}

// TestClientDowngradeSentinel checks that a ServerHello choosing TLS 1.2
// with the downgrade sentinel of a TLS 1.3 server is refused when the
// client offered TLS 1.3 (RFC 8446, Section 4.1.3).
func TestClientDowngradeSentinel(t *testing.T) {
	saved := continueClient12
	defer func() { continueClient12 = saved }()
	reached := false
	continueClient12 = func(context.Context, *Conn, *clientHandshakeState, *wire.Message) error {
		reached = true
		return errors.New("the TLS 1.2 client was reached")
	}
	key, der := newScriptKey(t)
	for _, sentinel := range [][8]byte{wire.DowngradeTLS12, wire.DowngradeTLS11} {
		s := &script13{key: key, certDER: der, helloOnly: true, editHello: func(sh *wire.ServerHello) {
			copy(sh.Random[24:], sentinel[:])
			sh.CipherSuite = 0xC02F
			sh.Extensions = nil
		}}
		wantSent(t, runScript(t, s, &Config{ServerName: "localhost"}), s, wire.AlertIllegalParameter)
		if reached {
			t.Fatal("the TLS 1.2 client ran despite the sentinel")
		}
	}
	// Without a sentinel the TLS 1.2 client takes over.
	s := &script13{key: key, certDER: der, helloOnly: true, editHello: func(sh *wire.ServerHello) {
		sh.CipherSuite = 0xC02F
		sh.Extensions = nil
	}}
	runScript(t, s, &Config{ServerName: "localhost"})
	if !reached {
		t.Fatal("a TLS 1.2 ServerHello did not reach the TLS 1.2 client")
	}
}

// TestClientSilentServer checks that a server that never answers ends the
// handshake at the context's deadline, and that cancelling it ends it at
// once.
func TestClientSilentServer(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	for _, cancelEarly := range []bool{false, true} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		if cancelEarly {
			ctx, cancel = context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
		}
		start := time.Now()
		err = Client(conn, &Config{ServerName: "localhost"}).HandshakeContext(ctx)
		cancel()
		conn.Close()
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the handshake took %v", d)
		}
		want := context.DeadlineExceeded
		if cancelEarly {
			want = context.Canceled
		}
		if !errors.Is(err, want) {
			t.Errorf("error %v, want %v", err, want)
		}
	}
}

func TestEncodesAs(t *testing.T) {
	sh := &wire.ServerHello{Version: VersionTLS12, Random: make([]byte, 32), CipherSuite: 0xC02F,
		Extensions: []wire.Extension{wire.EmptyExtension(wire.ExtExtendedMasterSecret)}}
	raw, _ := sh.Marshal()
	bare := &wire.ServerHello{Version: VersionTLS12, Random: make([]byte, 32), CipherSuite: 0xC02F}
	rawBare, _ := bare.Marshal()
	emptyBlock := append(bytes.Clone(rawBare), 0, 0)
	emptyBlock[3] += 2
	trailing := append(bytes.Clone(raw), 0)
	trailing[3]++
	for _, c := range []struct {
		raw  []byte
		want bool
	}{{raw, true}, {rawBare, true}, {emptyBlock, true}, {trailing, false}} {
		m := wire.ParseHandshake(wire.Context{FromServer: true}, c.raw)
		if got := m.ServerHello != nil && encodesAs(m.ServerHello, c.raw); got != c.want {
			t.Errorf("%x: %v, want %v", c.raw, got, c.want)
		}
	}
}
