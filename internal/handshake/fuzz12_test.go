package handshake

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net"
	"slices"
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
	return newServerFlight(suite, cert, key).bytes(t)
}

// serverFlight12Random is serverFlight12 with the server random given.
func serverFlight12Random(t testing.TB, suite uint16, cert []byte, key crypto.Signer, serverRandom []byte) []byte {
	t.Helper()
	f := newServerFlight(suite, cert, key)
	f.random = serverRandom
	return f.bytes(t)
}

// serverFlight describes a scripted server's first flight, which tests change
// one thing of.
type serverFlight struct {
	version     uint16
	random      []byte
	suite       uint16
	compression uint8
	exts        []wire.Extension
	chain       [][]byte
	key         crypto.Signer
	// group is the ECDHE group of the ServerKeyExchange; point, if set,
	// replaces the server's public value.
	group uint16
	point []byte
	// dhP and dhYs, if set, replace the DHE prime and public value.
	dhP, dhYs []byte
	// scheme, if set, is the signature scheme (ECDSA keys only).
	scheme     uint16
	corruptSig bool
	// noSKE leaves the ServerKeyExchange out; ske sends one whatever the
	// suite.
	noSKE, ske bool
	shdBody    []byte
}

func newServerFlight(suite uint16, cert []byte, key crypto.Signer) *serverFlight {
	reneg, _ := wire.RenegotiationInfoExtension(nil)
	return &serverFlight{version: 0x0303, random: bytes.Repeat([]byte{0x42}, 32), suite: suite, chain: [][]byte{cert}, key: key, group: 0x001d,
		exts: []wire.Extension{reneg, wire.EmptyExtension(wire.ExtExtendedMasterSecret), wire.EmptyExtension(wire.ExtEncryptThenMAC)}}
}

// bytes returns the flight as records.
func (f *serverFlight) bytes(t testing.TB) []byte {
	t.Helper()
	clientRandom := make([]byte, 32)
	sh := &wire.ServerHello{Version: f.version, Random: f.random, SessionID: bytes.Repeat([]byte{7}, 32), CipherSuite: f.suite,
		Compression: f.compression, Extensions: f.exts}
	msgs := [][]byte{must(t)(sh.Marshal()), must(t)(wire.MarshalCertificate12(f.chain))}
	var params []byte
	switch kex := wire.CipherSuiteKeyExchange(f.suite); {
	case kex == wire.KexDHE && !f.noSKE:
		p := new(big.Int).SetBytes(unhex(t, modp14))
		ys := new(big.Int).Exp(big.NewInt(2), big.NewInt(0x123456789), p).Bytes()
		pb := p.Bytes()
		if f.dhP != nil {
			pb = f.dhP
		}
		if f.dhYs != nil {
			ys = f.dhYs
		}
		params = must(t)(wire.DHEParams(pb, []byte{2}, ys))
	case (kex == wire.KexECDHE && !f.noSKE) || f.ske:
		priv, err := ecdhCurve(f.group).GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		point := priv.PublicKey().Bytes()
		if f.point != nil {
			point = f.point
		}
		params = must(t)(wire.ECDHEParams(f.group, point))
	}
	if params != nil {
		signed := signedParams(clientRandom, f.random, params)
		scheme := f.scheme
		if scheme == 0 {
			scheme = 0x0403
			if _, ok := f.key.(*rsa.PrivateKey); ok {
				scheme = 0x0804
			}
		}
		sig, err := signMessage(f.key, scheme, rand.Reader, signed)
		if err != nil {
			t.Fatal(err)
		}
		if f.corruptSig {
			sig[len(sig)/2] ^= 1
		}
		msgs = append(msgs, must(t)(wire.MarshalServerKeyExchange(f.version, params, scheme, sig)))
	}
	shd := wire.MarshalServerHelloDone()
	if f.shdBody != nil {
		shd = append([]byte{byte(wire.TypeServerHelloDone), 0, 0, byte(len(f.shdBody))}, f.shdBody...)
	}
	msgs = append(msgs, shd)
	var out []byte
	for _, m := range msgs {
		out = must(t)(wire.AppendRecord(out, wire.ContentHandshake, f.version, m))
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

// flightConn is a peer that answers with a fixed byte string whatever is
// written to it, then ends the stream: a server for the client's tests, a
// client for the server's. It keeps what was written.
type flightConn struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (c *flightConn) Read(b []byte) (int, error)       { return c.in.Read(b) }
func (c *flightConn) Write(b []byte) (int, error)      { return c.out.Write(b) }
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

// TestRefusals12 gives the TLS 1.0-1.2 client first flights that are wrong
// in one way each and checks that it refuses each with the alert the RFCs
// name, sent to the server, and an error that says why.
func TestRefusals12(t *testing.T) {
	ecKey := tlstest.NewKey(t, false).(*ecdsa.PrivateKey)
	rsaKey := tlstest.NewKey(t, true).(*rsa.PrivateKey)
	ecCert := tlstest.SelfSigned(t, ecKey, "localhost").Certificate[0]
	rsaCert := tlstest.SelfSigned(t, rsaKey, "localhost").Certificate[0]
	ecdhe := func() *serverFlight { return newServerFlight(0xC02B, ecCert, ecKey) }
	reneg, _ := wire.RenegotiationInfoExtension([]byte{1, 2, 3})
	p2 := unhex(t, modp2)
	// resumable offers a session by ID (that of every scripted
	// ServerHello), with the extended master secret.
	resumable := func(c *Config) {
		c.Sessions = NewSessionCache(0)
		c.Sessions.put("localhost", &session{version: 0x0303, suite: 0xC02B, secret: make([]byte, 48), ems: true,
			sessionID: bytes.Repeat([]byte{7}, 32)})
	}
	for _, tc := range []struct {
		name   string
		flight *serverFlight
		cfg    func(*Config)
		alert  wire.AlertDescription
	}{
		{"signature over the key exchange does not verify", func() *serverFlight { f := ecdhe(); f.corruptSig = true; return f }(), nil, wire.AlertDecryptError},
		{"suite not offered", newServerFlight(0xC030, rsaCert, rsaKey), nil, wire.AlertIllegalParameter},
		{"TLS 1.2 suite in TLS 1.0", func() *serverFlight { f := ecdhe(); f.version = 0x0301; return f }(),
			func(c *Config) { c.MinVersion = 0x0301 }, wire.AlertIllegalParameter},
		{"compression", func() *serverFlight { f := ecdhe(); f.compression = 1; return f }(), nil, wire.AlertIllegalParameter},
		{"renegotiation_info not empty", func() *serverFlight { f := ecdhe(); f.exts = []wire.Extension{reneg}; return f }(), nil, wire.AlertHandshakeFailure},
		{"extension not offered", func() *serverFlight {
			f := ecdhe()
			f.exts = append(f.exts, wire.EmptyExtension(wire.ExtPostHandshakeAuth))
			return f
		}(), nil, wire.AlertUnsupportedExtension},
		{"session_ticket not empty", func() *serverFlight {
			f := ecdhe()
			f.exts = append(f.exts, wire.SessionTicketExtension([]byte{1}))
			return f
		}(), nil, wire.AlertDecodeError},
		{"ECDHE group not offered", func() *serverFlight { f := ecdhe(); f.group = 0x0017; return f }(),
			func(c *Config) { c.Groups = []uint16{0x001d} }, wire.AlertIllegalParameter},
		{"X25519 point of small order", func() *serverFlight { f := ecdhe(); f.point = make([]byte, 32); return f }(), nil, wire.AlertIllegalParameter},
		{"signature scheme not offered", func() *serverFlight { f := ecdhe(); f.scheme = 0x0503; return f }(),
			func(c *Config) { c.SignatureSchemes = []uint16{0x0403} }, wire.AlertIllegalParameter},
		{"key exchange message with RSA key exchange", func() *serverFlight {
			f := newServerFlight(0x002F, rsaCert, rsaKey)
			f.ske = true
			return f
		}(), nil, wire.AlertUnexpectedMessage},
		{"no key exchange message with ECDHE", func() *serverFlight { f := ecdhe(); f.noSKE = true; return f }(), nil, wire.AlertUnexpectedMessage},
		{"ECDHE_ECDSA suite with an RSA certificate", newServerFlight(0xC02B, rsaCert, rsaKey), nil, wire.AlertUnsupportedCertificate},
		{"ECDHE_RSA suite with an ECDSA certificate", newServerFlight(0xC02F, ecCert, ecKey), nil, wire.AlertUnsupportedCertificate},
		{"no certificate", func() *serverFlight { f := ecdhe(); f.chain = nil; return f }(), nil, wire.AlertIllegalParameter},
		{"certificate that does not parse", func() *serverFlight { f := ecdhe(); f.chain = [][]byte{{0x30, 0x03, 1, 2, 3}}; return f }(), nil, wire.AlertBadCertificate},
		{"server_hello_done with a body", func() *serverFlight { f := ecdhe(); f.shdBody = []byte{0}; return f }(), nil, wire.AlertDecodeError},
		{"chain refused by VerifyPeer", ecdhe(),
			func(c *Config) {
				c.VerifyPeer = func([]*x509.Certificate, []byte) error { return errors.New("untrusted") }
			}, wire.AlertBadCertificate},
		{"1024-bit DHE group", func() *serverFlight {
			f := newServerFlight(0x009E, rsaCert, rsaKey)
			f.dhP, f.dhYs = p2, []byte{5}
			return f
		}(), nil, wire.AlertInsufficientSecurity},
		{"DHE public value 1", func() *serverFlight {
			f := newServerFlight(0x009E, rsaCert, rsaKey)
			f.dhYs = []byte{1}
			return f
		}(), nil, wire.AlertIllegalParameter},
		{"resumption without the session's extended master secret", func() *serverFlight {
			f := ecdhe()
			f.exts = f.exts[:1]
			return f
		}(), resumable, wire.AlertHandshakeFailure},
		{"resumption with another suite", func() *serverFlight { f := ecdhe(); f.suite = 0xC02F; return f }(), resumable, wire.AlertIllegalParameter},
		{"SSL 3.0 not offered", func() *serverFlight { f := newServerFlight(0x002F, rsaCert, rsaKey); f.version = 0x0300; return f }(),
			func(c *Config) { c.MinVersion = 0x0301 }, wire.AlertProtocolVersion},
		{"SSL 3.0 with ECDHE", func() *serverFlight { f := newServerFlight(0xC013, rsaCert, rsaKey); f.version = 0x0300; return f }(),
			func(c *Config) { c.MinVersion, c.CipherSuites = 0x0300, []uint16{0xC013, 0x002F} }, wire.AlertIllegalParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &Config{ServerName: "localhost", MaxVersion: 0x0303, Rand: zeroReader{}, CipherSuites: []uint16{0xC02B, 0xC02F, 0x009E, 0x002F}}
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			conn := &flightConn{in: bytes.NewReader(tc.flight.bytes(t))}
			_, _, err := testClient(conn, cfg)
			var alert *AlertError
			if !errors.As(err, &alert) || !alert.Sent || alert.Alert != uint8(tc.alert) || alert.Err == nil {
				t.Fatalf("%v, want a sent %s alert with its reason", err, tc.alert)
			}
			out := conn.out.Bytes()
			if n := len(out); n < 7 || out[n-7] != byte(wire.ContentAlert) || out[n-2] != byte(wire.AlertFatal) || out[n-1] != byte(tc.alert) {
				t.Errorf("the last record written is % x, want a fatal %s alert", out[max(0, len(out)-7):], tc.alert)
			}
			t.Log(err)
		})
	}
}

// TestLegacyHello checks the ClientHello of a client whose highest version
// is below TLS 1.2: signature_algorithms only from TLS 1.2 on (RFC 5246,
// Section 7.4.1.4.1), and for an SSL 3.0 probe a hello in an SSL 3.0
// record with no extensions and the renegotiation signalling suite (RFC
// 5746, Section 3.3), whose SSL 3.0 answer is taken.
func TestLegacyHello(t *testing.T) {
	for _, tc := range []struct {
		min, max      uint16
		recordVersion uint16
		sigAlgs, exts bool
	}{
		{0x0301, 0x0303, 0x0301, true, true},
		{0x0301, 0x0302, 0x0301, false, true},
		{0x0300, 0x0300, 0x0300, false, false},
	} {
		sh := must(t)((&wire.ServerHello{Version: tc.max, Random: bytes.Repeat([]byte{1}, 32), CipherSuite: 0x002F}).Marshal())
		conn := &flightConn{in: bytes.NewReader(must(t)(wire.AppendRecord(nil, wire.ContentHandshake, tc.max, sh)))}
		_, _, err := testClient(conn, &Config{ServerName: "localhost", MinVersion: tc.min, MaxVersion: tc.max, CipherSuites: []uint16{0x002F}})
		out := conn.out.Bytes()
		if len(out) < 9 || out[0] != byte(wire.ContentHandshake) {
			t.Fatalf("%#04x: the client wrote % x", tc.max, out[:min(len(out), 9)])
		}
		if v := uint16(out[1])<<8 | uint16(out[2]); v != tc.recordVersion {
			t.Errorf("%#04x: record version %#04x, want %#04x", tc.max, v, tc.recordVersion)
		}
		m := wire.ParseHandshake(wire.Context{}, out[5:5+(int(out[3])<<8|int(out[4]))])
		ch := m.ClientHello
		if m.Err != nil || ch == nil {
			t.Fatalf("%#04x: the ClientHello does not parse: %v", tc.max, m.Err)
		}
		if ch.Version != tc.max || (ch.Extensions != nil) != tc.exts || (ch.SignatureSchemes != nil) != tc.sigAlgs {
			t.Errorf("%#04x: hello version %#04x, extensions %v, signature_algorithms %v", tc.max, ch.Version, ch.Extensions != nil, ch.SignatureSchemes)
		}
		if scsv := slices.Contains(ch.CipherSuites, scsvRenegotiation); scsv == tc.exts {
			t.Errorf("%#04x: suites %x", tc.max, ch.CipherSuites)
		}
		// The flight ends after the ServerHello.
		if !errors.Is(err, io.EOF) {
			t.Errorf("%#04x: %v, want the end of the server's flight", tc.max, err)
		}
	}
}
