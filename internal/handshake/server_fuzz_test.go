package handshake

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// FuzzServerClientHello feeds hostile ClientHellos (edits of real ones) to
// what the server reads and chooses from them. Nothing may panic; a
// refusal carries an alert; what is chosen is what both sides allow.
func FuzzServerClientHello(f *testing.F) {
	f.Add(tlstest.ClientHello(f)[5:], uint8(0), 0, []byte{})
	f.Add(tls13Hello().bytes(), uint8(1), 60, []byte{0, 51, 0, 4})
	f.Add(helloSpec{version: 0x0301, suites: []uint16{0xC013, 0x0039, 0x5600}}.bytes(), uint8(2), 44, []byte{1})
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	certs := []Certificate{testCert(f, rsaKey), testCert(f, ecKey)}
	cfgs := []*Config{
		{Certificates: certs},
		{Certificates: certs, MinVersion: wire.VersionTLS10, Groups: []uint16{23, 256}, TLS13Suites: []uint16{0x1304}},
		{Certificates: certs[1:], MaxVersion: wire.VersionTLS12, CipherSuites: []uint16{0xC02B, 0x009E}},
	}
	f.Fuzz(func(t *testing.T, hello []byte, mode uint8, off int, patch []byte) {
		if off < 0 {
			off = -off
		}
		raw := tlstest.Edit(hello, mode%4, off, patch)
		ch, err := readClientHello(raw)
		if err != nil {
			var r *refusal
			if !errors.As(err, &r) || r.alert == 0 {
				t.Fatalf("not a refusal with an alert: %v", err)
			}
			return
		}
		for i, ks := range ch.keyShares {
			for _, o := range ch.keyShares[:i] {
				if o.group == ks.group {
					t.Fatalf("two shares of %d accepted", ks.group)
				}
			}
		}
		for _, cfg := range cfgs {
			v, err := chooseVersion(cfg, ch)
			if err != nil {
				continue
			}
			if !slices.Contains(serverVersions(cfg), v) {
				t.Fatalf("chose %#04x outside the server's versions", v)
			}
			if v == wire.VersionTLS13 {
				if s, err := choose13Suite(cfg, ch); err == nil && (!slices.Contains(ch.CipherSuites, s.ID) || !s.TLS13) {
					t.Fatalf("chose %s, not offered", s.Name)
				}
				g, share, retry, err := choose13Group(cfg, ch)
				if err == nil {
					if !slices.Contains(ch.Groups, g) || !slices.Contains(serverGroups(cfg), g) {
						t.Fatalf("chose group %d not both sides'", g)
					}
					if !retry && !slices.ContainsFunc(ch.keyShares, func(k keyShare) bool { return k.group == g && string(k.data) == string(share) }) {
						t.Fatalf("share for %d not the client's", g)
					}
				}
				if c, scheme, err := choose13Cert(cfg, ch); err == nil && (!slices.Contains(ch.SignatureSchemes, scheme) || !slices.Contains(keySchemes(c.Key, v), scheme)) {
					t.Fatalf("scheme %#04x not offered or not the key's", scheme)
				}
				continue
			}
			c, err := choose12(cfg, ch, v)
			if err != nil {
				continue
			}
			if !slices.Contains(ch.CipherSuites, c.suite.ID) || !suiteUsable(c.suite, v) {
				t.Fatalf("chose %s for %#04x", c.suite.Name, v)
			}
			if keyAuth(c.cert.Key) != c.kx.auth {
				t.Fatalf("a %T key for %s", c.cert.Key, c.suite.Name)
			}
		}
	})
}

// record frames a handshake message as a plaintext record.
func record(msg []byte) []byte {
	return append([]byte{22, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// FuzzServerHandshake runs the engine's server against hostile client
// flights: edits of real ClientHellos followed by whatever bytes. It must
// not panic; a check that fails ends the handshake with an alert, and
// when that alert went out in the clear it is the last record the server
// wrote, with the code the error names.
func FuzzServerHandshake(f *testing.F) {
	f.Add(tlstest.ClientHello(f), uint8(4), 0, []byte{})
	f.Add(record(tls13Hello().bytes()), uint8(0), 70, []byte{0x17})
	f.Add(append(record(helloSpec{version: 0x0303, suites: []uint16{0xC02B, 0x009E, 0x002F}}.bytes()), 22, 3, 3, 0, 5, 16, 0, 0, 1, 0), uint8(1), 9, []byte{0, 0x2f})
	f.Add(append(record(tls13Hello().bytes()), 20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 20), uint8(2), 0, []byte{})
	// A hello that offers a ticket sealed with the fuzzed server's key
	// (mode bit 32), its binder wrong.
	f.Add(resumeHello(f), uint8(32), 0, []byte{})
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	certs := []Certificate{testCert(f, ecKey), testCert(f, rsaKey)}
	f.Fuzz(func(t *testing.T, in []byte, mode uint8, off int, patch []byte) {
		if off < 0 {
			off = -off
		}
		if len(in) > 1<<16 {
			return
		}
		c := &flightConn{in: bytes.NewReader(tlstest.Edit(in, mode%5, off, patch))}
		cfg := &Config{Certificates: certs, MinVersion: VersionTLS10, ClientAuth: mode&8 != 0}
		if mode&16 != 0 {
			cfg.Groups = []uint16{23}
		}
		if mode&32 != 0 {
			cfg.SessionTicketKey = bytes.Repeat([]byte{1}, 32)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := Server(c, cfg).HandshakeContext(ctx)
		if err == nil {
			t.Fatal("a handshake completed with a scripted client")
		}
		var ae *AlertError
		if !errors.As(err, &ae) || !ae.Sent {
			return
		}
		if ae.Err == nil {
			t.Fatalf("alert %d sent without a reason", ae.Alert)
		}
		out := c.out.Bytes()
		if len(out) < 7 {
			t.Fatalf("alert %d (%v) reported sent, but the server wrote %d bytes", ae.Alert, ae.Err, len(out))
		}
		last := out[len(out)-7:]
		if last[0] == 21 && last[3] == 0 && last[4] == 2 && (last[5] != 2 || last[6] != ae.Alert) {
			t.Fatalf("the server's last record is alert %d/%d, the error says %d (%v)", last[5], last[6], ae.Alert, ae.Err)
		}
	})
}

// TestServerAlerts checks the alert the server sends for each kind of bad
// first flight, and that it goes out in the clear as the last record.
func TestServerAlerts(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := testCert(t, ecKey)
	with := func(h helloSpec, f func(*helloSpec)) helloSpec {
		h.exts = slices.Clone(h.exts)
		f(&h)
		return h
	}
	alpn := func(protos ...string) wire.Extension {
		e, err := wire.ALPNExtension(protos)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	h13 := tls13Hello()
	share := func(data []byte) func(*helloSpec) {
		return func(h *helloSpec) { h.exts[3] = keyShareExt(keyShare{29, data}) }
	}
	for _, c := range []struct {
		name string
		cfg  Config
		in   []byte
		want wire.AlertDescription
	}{
		{"only TLS 1.0 offered", Config{}, record(helloSpec{version: 0x0301, suites: []uint16{0xC013}}.bytes()), wire.AlertProtocolVersion},
		{"fallback SCSV", Config{}, record(helloSpec{version: 0x0303, suites: []uint16{0xC02B, 0x5600}}.bytes()), wire.AlertInappropriateFallback},
		{"TLS 1.3 without signature_algorithms", Config{}, record(with(h13, func(h *helloSpec) { h.exts = slices.Delete(h.exts, 2, 3) }).bytes()), wire.AlertMissingExtension},
		{"x25519 share of 31 bytes", Config{}, record(with(h13, share(make([]byte, 31))).bytes()), wire.AlertIllegalParameter},
		{"all-zero x25519 share", Config{}, record(with(h13, share(make([]byte, 32))).bytes()), wire.AlertIllegalParameter},
		{"no TLS 1.3 suite in common", Config{TLS13Suites: []uint16{0x1304}}, record(h13.bytes()), wire.AlertHandshakeFailure},
		{"TLS 1.3 with compression", Config{}, record(with(h13, func(h *helloSpec) { h.comp = []byte{1, 0} }).bytes()), wire.AlertIllegalParameter},
		{"TLS 1.2 without null compression", Config{}, record(helloSpec{version: 0x0303, suites: []uint16{0xC02B}, comp: []byte{1}}.bytes()), wire.AlertIllegalParameter},
		{"no application protocol in common", Config{ALPN: []string{"h2"}}, record(with(h13, func(h *helloSpec) { h.exts = append(h.exts, alpn("imap")) }).bytes()), wire.AlertNoApplicationProtocol},
		{"duplicate extension", Config{}, record(with(h13, func(h *helloSpec) { h.exts = append(h.exts, h.exts[0]) }).bytes()), wire.AlertIllegalParameter},
		{"a ticket with a wrong binder", Config{SessionTicketKey: bytes.Repeat([]byte{1}, 32)}, resumeHello(t), wire.AlertDecryptError},
		{"application data first", Config{}, []byte{23, 3, 3, 0, 1, 0}, wire.AlertUnexpectedMessage},
		{"a server_hello first", Config{}, record([]byte{2, 0, 0, 0}), wire.AlertUnexpectedMessage},
		{"record over 2^14 bytes", Config{}, append([]byte{22, 3, 1, 0x40, 0x01}, make([]byte, 1<<14+1)...), wire.AlertRecordOverflow},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := &flightConn{in: bytes.NewReader(c.in)}
			cfg := c.cfg
			cfg.Certificates = []Certificate{cert}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := Server(conn, &cfg).HandshakeContext(ctx)
			var ae *AlertError
			if !errors.As(err, &ae) || !ae.Sent || wire.AlertDescription(ae.Alert) != c.want {
				t.Fatalf("err = %v, want %s sent", err, c.want)
			}
			out := conn.out.Bytes()
			if len(out) < 7 || !bytes.HasSuffix(out, []byte{21, 3, out[len(out)-5], 0, 2, 2, byte(c.want)}) {
				t.Errorf("the server's last bytes are % x, want a fatal %s alert", out[max(0, len(out)-7):], c.want)
			}
		})
	}
}

// resumeHello is a TLS 1.3 ClientHello record offering a ticket sealed
// with the key 0x01… for TLS_AES_256_GCM_SHA384 (the suite the server
// chooses), with a binder of zeros.
func resumeHello(t testing.TB) []byte {
	ticket, err := sealTicket(bytes.Repeat([]byte{1}, 32), rand.Reader, &serverSession{suite: 0x1302, created: time.Now(), psk: make([]byte, 48)})
	if err != nil {
		t.Fatal(err)
	}
	psk, err := wire.PreSharedKeyExtension([]wire.PSKIdentity{{Identity: ticket}}, [][]byte{make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	h := tls13Hello()
	h.exts = append(h.exts, wire.Extension{Type: wire.ExtPSKKeyExchangeModes, Data: []byte{1, 1}}, psk)
	return record(h.bytes())
}
