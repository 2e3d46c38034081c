package handshake

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// zeroReader makes the client's random, and so what a scripted server
// signs, the same on every run.
type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// serverFlight12 returns a TLS 1.2 server's first flight (ServerHello,
// Certificate, ServerKeyExchange if the suite has one, ServerHelloDone) in
// answer to a client whose random is all zeros, as records: a valid start
// that the fuzz target edits.
func serverFlight12(t testing.TB, suite uint16, cert []byte, key crypto.Signer) []byte {
	t.Helper()
	return serverFlight12Random(t, suite, cert, key, bytes.Repeat([]byte{0x42}, 32))
}

// serverFlight12Random is serverFlight12 with the server random given.
func serverFlight12Random(t testing.TB, suite uint16, cert []byte, key crypto.Signer, serverRandom []byte) []byte {
	t.Helper()
	clientRandom := make([]byte, 32)
	reneg, _ := wire.RenegotiationInfoExtension(nil)
	sh := &wire.ServerHello{Version: 0x0303, Random: serverRandom, SessionID: bytes.Repeat([]byte{7}, 32), CipherSuite: suite,
		Extensions: []wire.Extension{reneg, wire.EmptyExtension(wire.ExtExtendedMasterSecret), wire.EmptyExtension(wire.ExtEncryptThenMAC)}}
	msgs := [][]byte{must(t)(sh.Marshal()), must(t)(wire.MarshalCertificate12([][]byte{cert}))}
	var params []byte
	switch wire.CipherSuiteKeyExchange(suite) {
	case wire.KexECDHE:
		priv, err := ecdh.X25519().GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		params = must(t)(wire.ECDHEParams(0x001d, priv.PublicKey().Bytes()))
	case wire.KexDHE:
		p := new(big.Int).SetBytes(unhex(t, modp14))
		ys := new(big.Int).Exp(big.NewInt(2), big.NewInt(0x123456789), p)
		params = must(t)(wire.DHEParams(p.Bytes(), []byte{2}, ys.Bytes()))
	}
	if params != nil {
		h := sha256.Sum256(signedParams(clientRandom, serverRandom, params))
		scheme := uint16(0x0403)
		var opts crypto.SignerOpts = crypto.SHA256
		if _, ok := key.(*rsa.PrivateKey); ok {
			scheme, opts = 0x0804, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
		}
		sig, err := key.Sign(rand.Reader, h[:], opts)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, must(t)(wire.MarshalServerKeyExchange(0x0303, params, scheme, sig)))
	}
	msgs = append(msgs, wire.MarshalServerHelloDone())
	var out []byte
	for _, m := range msgs {
		out = must(t)(wire.AppendRecord(out, wire.ContentHandshake, 0x0303, m))
	}
	return out
}

func must(t testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// flightConn is a server that answers with a fixed byte string whatever
// the client writes, then ends the stream.
type flightConn struct {
	in *bytes.Reader
}

func (c *flightConn) Read(b []byte) (int, error)       { return c.in.Read(b) }
func (c *flightConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *flightConn) Close() error                     { return nil }
func (c *flightConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *flightConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *flightConn) SetDeadline(time.Time) error      { return nil }
func (c *flightConn) SetReadDeadline(time.Time) error  { return nil }
func (c *flightConn) SetWriteDeadline(time.Time) error { return nil }

// handshakeTimeout bounds one fuzzed handshake.
const handshakeTimeout = 5 * time.Second

// FuzzClient12 runs the TLS 1.0-1.2 client against a scripted server that
// answers its ClientHello with the fuzzed bytes, then closes. The client
// must not panic, must return within handshakeTimeout, and must fail with
// an alert (sent with its reason, or received) or an I/O error: no flight
// can finish the handshake, whose Finished needs keys the script lacks.
func FuzzClient12(f *testing.F) {
	ecKey := tlstest.NewKey(f, false).(*ecdsa.PrivateKey)
	rsaKey := tlstest.NewKey(f, true).(*rsa.PrivateKey)
	ecCert := tlstest.SelfSigned(f, ecKey, "localhost").Certificate[0]
	rsaCert := tlstest.SelfSigned(f, rsaKey, "localhost").Certificate[0]
	flights := [][]byte{
		serverFlight12(f, 0xC02B, ecCert, ecKey),
		serverFlight12(f, 0x009E, rsaCert, rsaKey),
		serverFlight12(f, 0x002F, rsaCert, rsaKey),
	}
	for i, fl := range flights {
		f.Add(uint8(i), uint8(1), 0, []byte{})
		f.Add(uint8(i), uint8(0), 9, []byte{0xff, 0xff})
		f.Add(uint8(i), uint8(2), len(fl)-4, []byte{0, 0, 0, 0})
	}
	f.Fuzz(func(t *testing.T, which, mode uint8, off int, patch []byte) {
		if off < 0 {
			off = -off
		}
		flight := tlstest.Edit(flights[int(which)%len(flights)], mode, off, patch)
		c := &flightConn{in: bytes.NewReader(flight)}
		cfg := &Config{ServerName: "localhost", MaxVersion: 0x0303, Rand: zeroReader{},
			CipherSuites: []uint16{0xC02B, 0x009E, 0x002F}}
		start := time.Now()
		_, _, err := testClient(c, cfg)
		if d := time.Since(start); d > handshakeTimeout {
			t.Fatalf("the handshake took %v", d)
		}
		var alert *AlertError
		switch {
		case err == nil:
			t.Fatal("a scripted flight finished the handshake")
		case errors.As(err, &alert):
			if alert.Sent && alert.Err == nil {
				t.Errorf("alert %d sent without a reason", alert.Alert)
			}
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		default:
			t.Errorf("untyped failure %T: %v", err, err)
		}
	})
}

// TestScriptedFlights12 checks the seeds of FuzzClient12: each unedited
// flight is accepted up to the server's ChangeCipherSpec, which never
// comes, so the fuzz target starts from flights that reach every step.
func TestScriptedFlights12(t *testing.T) {
	ecKey := tlstest.NewKey(t, false).(*ecdsa.PrivateKey)
	rsaKey := tlstest.NewKey(t, true).(*rsa.PrivateKey)
	for _, tc := range []struct {
		suite uint16
		key   crypto.Signer
	}{{0xC02B, ecKey}, {0x009E, rsaKey}, {0x002F, rsaKey}} {
		flight := serverFlight12(t, tc.suite, tlstest.SelfSigned(t, tc.key, "localhost").Certificate[0], tc.key)
		cfg := &Config{ServerName: "localhost", MaxVersion: 0x0303, Rand: zeroReader{}, CipherSuites: []uint16{tc.suite}}
		_, _, err := testClient(&flightConn{in: bytes.NewReader(flight)}, cfg)
		if !errors.Is(err, io.EOF) {
			t.Errorf("suite %#04x: %v, want the end of the stream after the client's Finished", tc.suite, err)
		}
	}
}

// TestDowngradeSentinel12 checks the downgrade sentinels of RFC 8446,
// Section 4.1.3 in a TLS 1.2 ServerHello: refused with illegal_parameter
// by a client that offered TLS 1.3, accepted by one that offered TLS 1.2
// at most (the TLS 1.2 sentinel names a downgrade to TLS 1.2 itself).
func TestDowngradeSentinel12(t *testing.T) {
	key := tlstest.NewKey(t, false)
	cert := tlstest.SelfSigned(t, key, "localhost").Certificate[0]
	for _, tc := range []struct {
		name    string
		tail    [8]byte
		max     uint16
		refused bool
	}{
		{"TLS 1.2 sentinel, TLS 1.3 offered", wire.DowngradeTLS12, 0x0304, true},
		{"TLS 1.1 sentinel, TLS 1.3 offered", wire.DowngradeTLS11, 0x0304, true},
		{"TLS 1.2 sentinel, TLS 1.2 offered", wire.DowngradeTLS12, 0x0303, false},
		{"no sentinel, TLS 1.3 offered", [8]byte{1, 2, 3, 4, 5, 6, 7, 8}, 0x0304, false},
	} {
		random := append(bytes.Repeat([]byte{0x42}, 24), tc.tail[:]...)
		flight := serverFlight12Random(t, 0xC02B, cert, key, random)
		cfg := &Config{ServerName: "localhost", MaxVersion: tc.max, Rand: zeroReader{}, CipherSuites: []uint16{0xC02B}}
		_, _, err := testClient(&flightConn{in: bytes.NewReader(flight)}, cfg)
		var alert *AlertError
		if refused := errors.As(err, &alert) && alert.Sent && alert.Alert == uint8(wire.AlertIllegalParameter); refused != tc.refused {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.refused && !errors.Is(err, io.EOF) {
			t.Errorf("%s: %v, want the end of the stream after the client's Finished", tc.name, err)
		}
	}
}
