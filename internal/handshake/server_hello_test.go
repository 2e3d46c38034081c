package handshake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"

	"github.com/cloudflare/circl/sign/ed448"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// helloSpec describes a ClientHello for the server's tests.
type helloSpec struct {
	version uint16
	suites  []uint16
	exts    []wire.Extension
	// comp is legacy_compression_methods; nil means null alone.
	comp []byte
}

func u16s(vs ...uint16) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	})
	return b.BytesOrPanic()
}

func versionsExt(vs ...uint16) wire.Extension {
	var b cryptobyte.Builder
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	})
	return wire.Extension{Type: wire.ExtSupportedVersions, Data: b.BytesOrPanic()}
}

func keyShareExt(shares ...keyShare) wire.Extension {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, s := range shares {
			b.AddUint16(s.group)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.data) })
		}
	})
	return wire.Extension{Type: wire.ExtKeyShare, Data: b.BytesOrPanic()}
}

// tls13Hello is a plain TLS 1.3 ClientHello offering x25519 (with a
// share) and P-256, and schemes.
func tls13Hello(schemes ...uint16) helloSpec {
	if schemes == nil {
		schemes = []uint16{schemeEd25519, schemeECDSAP256, schemePSSRSAE256}
	}
	return helloSpec{version: wire.VersionTLS12, suites: []uint16{0x1302, 0x1301}, exts: []wire.Extension{
		versionsExt(wire.VersionTLS13, wire.VersionTLS12),
		{Type: wire.ExtSupportedGroups, Data: u16s(29, 23)},
		{Type: wire.ExtSignatureAlgorithms, Data: u16s(schemes...)},
		keyShareExt(keyShare{29, make([]byte, 32)}),
	}}
}

func (h helloSpec) bytes() []byte {
	var b cryptobyte.Builder
	b.AddUint8(uint8(wire.TypeClientHello))
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(h.version)
		b.AddBytes(make([]byte, 32))
		b.AddUint8(0)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range h.suites {
				b.AddUint16(s)
			}
		})
		comp := h.comp
		if comp == nil {
			comp = []byte{0}
		}
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(comp) })
		if h.exts != nil {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, e := range h.exts {
					b.AddUint16(e.Type)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
				}
			})
		}
	})
	return b.BytesOrPanic()
}

func mustHello(t *testing.T, h helloSpec) *clientHello {
	t.Helper()
	ch, err := readClientHello(h.bytes())
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// wantRefusal checks that err is a refusal with alert a.
func wantRefusal(t *testing.T, err error, a wire.AlertDescription) {
	t.Helper()
	var r *refusal
	if !errors.As(err, &r) {
		t.Fatalf("err = %v, want a refusal with %s", err, a)
	}
	if r.alert != a {
		t.Fatalf("alert %s (%v), want %s", r.alert, r.err, a)
	}
}

func testCert(t testing.TB, key crypto.Signer) Certificate {
	t.Helper()
	if _, ok := key.(ed448.PrivateKey); ok {
		// crypto/x509 cannot sign with it; the tests of choice need only
		// a leaf that parses, which an ECDSA one stands in for.
		return Certificate{Chain: tlstest.SelfSigned(t, tlstest.NewKey(t, false), "localhost").Certificate, Key: key}
	}
	return Certificate{Chain: tlstest.SelfSigned(t, key, "localhost").Certificate, Key: key}
}

func TestReadClientHelloOfCryptoTLS(t *testing.T) {
	rec := tlstest.ClientHello(t)
	ch, err := readClientHello(rec[5:])
	if err != nil {
		t.Fatal(err)
	}
	if !ch.hasVersions || !ch.hasKeyShare || len(ch.keyShares) == 0 || !ch.hasSigAlgs || !ch.extendedMaster || !ch.secureRenegotiation {
		t.Errorf("crypto/tls's hello read as %+v", ch)
	}
	for _, ks := range ch.keyShares {
		if ks.group == 29 && len(ks.data) != 32 {
			t.Errorf("x25519 share of %d bytes", len(ks.data))
		}
	}
	v, err := chooseVersion(&Config{}, ch)
	if err != nil || v != wire.VersionTLS13 {
		t.Errorf("version %s, %v; want TLS 1.3", wire.VersionName(v), err)
	}
}

func TestReadClientHelloRefusals(t *testing.T) {
	dup := tls13Hello()
	dup.exts = append(dup.exts, dup.exts[1])
	twoShares := tls13Hello()
	twoShares.exts[3] = keyShareExt(keyShare{29, make([]byte, 32)}, keyShare{29, make([]byte, 32)})
	badShare := tls13Hello()
	badShare.exts[3] = wire.Extension{Type: wire.ExtKeyShare, Data: []byte{0, 3, 0, 29, 0}}
	psk := tls13Hello()
	psk.exts = append([]wire.Extension{{Type: wire.ExtPreSharedKey, Data: []byte{0, 0}}}, psk.exts...)
	reneg := tls13Hello()
	reneg.exts = append(reneg.exts, wire.Extension{Type: wire.ExtRenegotiationInfo, Data: []byte{1, 7}})
	for _, c := range []struct {
		name string
		raw  []byte
		want wire.AlertDescription
	}{
		{"duplicate extension", dup.bytes(), wire.AlertIllegalParameter},
		{"two shares of one group", twoShares.bytes(), wire.AlertIllegalParameter},
		{"share that does not decode", badShare.bytes(), wire.AlertDecodeError},
		{"pre_shared_key not last", psk.bytes(), wire.AlertIllegalParameter},
		{"renegotiation_info not empty", reneg.bytes(), wire.AlertHandshakeFailure},
		{"cut", tls13Hello().bytes()[:40], wire.AlertDecodeError},
		{"not a ClientHello", []byte{2, 0, 0, 0}, wire.AlertUnexpectedMessage},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readClientHello(c.raw)
			wantRefusal(t, err, c.want)
		})
	}
}

func TestChooseVersion(t *testing.T) {
	legacy := helloSpec{version: wire.VersionTLS11, suites: []uint16{0x002F}}
	fallback := helloSpec{version: wire.VersionTLS11, suites: []uint16{0x002F, suiteFallbackSCSV}}
	for _, c := range []struct {
		name     string
		cfg      Config
		hello    helloSpec
		want     uint16
		refusal  wire.AlertDescription
		sentinel string
	}{
		{"default picks 1.3", Config{}, tls13Hello(), wire.VersionTLS13, 0, ""},
		{"max 1.2", Config{MaxVersion: wire.VersionTLS12}, tls13Hello(), wire.VersionTLS12, 0, ""},
		{"1.0 only against 1.3 and 1.2", Config{MinVersion: wire.VersionTLS10, MaxVersion: wire.VersionTLS10}, tls13Hello(), 0, wire.AlertProtocolVersion, ""},
		{"legacy hello 1.1", Config{MinVersion: wire.VersionTLS10}, legacy, wire.VersionTLS11, 0, ""},
		{"legacy hello below the minimum", Config{}, legacy, 0, wire.AlertProtocolVersion, ""},
		{"fallback SCSV", Config{MinVersion: wire.VersionTLS10}, fallback, 0, wire.AlertInappropriateFallback, ""},
		{"fallback SCSV at our top", Config{MinVersion: wire.VersionTLS10, MaxVersion: wire.VersionTLS11}, fallback, wire.VersionTLS11, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := chooseVersion(&c.cfg, mustHello(t, c.hello))
			if c.refusal != 0 {
				wantRefusal(t, err, c.refusal)
				return
			}
			if err != nil || v != c.want {
				t.Fatalf("got %s, %v; want %s", wire.VersionName(v), err, wire.VersionName(c.want))
			}
		})
	}
}

func TestDowngradeRandom(t *testing.T) {
	for _, c := range []struct {
		max, v uint16
		want   string
	}{
		{0, wire.VersionTLS13, ""},
		{0, wire.VersionTLS12, "DOWNGRD\x01"},
		{wire.VersionTLS12, wire.VersionTLS12, ""},
		{wire.VersionTLS12, wire.VersionTLS10, "DOWNGRD\x00"},
		{wire.VersionTLS11, wire.VersionTLS10, ""},
	} {
		r := make([]byte, 32)
		downgradeRandom(&Config{MinVersion: wire.VersionTLS10, MaxVersion: c.max}, r, c.v)
		got := string(r[24:])
		if c.want == "" && got != string(make([]byte, 8)) || c.want != "" && got != c.want {
			t.Errorf("max %s, chose %s: random ends %q, want %q", wire.VersionName(c.max), wire.VersionName(c.v), got, c.want)
		}
	}
}

func TestChoose13(t *testing.T) {
	ch := mustHello(t, tls13Hello())
	s, err := choose13Suite(&Config{}, ch)
	if err != nil || s.ID != 0x1302 {
		t.Errorf("suite %v, %v; want the client's first, TLS_AES_256_GCM_SHA384", s, err)
	}
	_, err = choose13Suite(&Config{TLS13Suites: []uint16{0x1304}}, ch)
	wantRefusal(t, err, wire.AlertHandshakeFailure)

	g, share, retry, err := choose13Group(&Config{}, ch)
	if err != nil || g != 29 || len(share) != 32 || retry {
		t.Errorf("group %s (retry %v), %v; want x25519 from its share", wire.GroupName(g), retry, err)
	}
	g, _, retry, err = choose13Group(&Config{Groups: []uint16{23}}, ch)
	if err != nil || g != 23 || !retry {
		t.Errorf("group %s (retry %v), %v; want a HelloRetryRequest for secp256r1", wire.GroupName(g), retry, err)
	}
	_, _, _, err = choose13Group(&Config{Groups: []uint16{256}}, ch)
	wantRefusal(t, err, wire.AlertHandshakeFailure)

	stray := tls13Hello()
	stray.exts[3] = keyShareExt(keyShare{24, make([]byte, 97)})
	_, _, _, err = choose13Group(&Config{}, mustHello(t, stray))
	wantRefusal(t, err, wire.AlertIllegalParameter)

	noShares := tls13Hello()
	noShares.exts = noShares.exts[:3]
	_, _, _, err = choose13Group(&Config{}, mustHello(t, noShares))
	wantRefusal(t, err, wire.AlertMissingExtension)
}

func TestChoose13Cert(t *testing.T) {
	_, ed448Key, _ := ed448.GenerateKey(rand.Reader)
	_, ed25519Key, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	certs := []Certificate{testCert(t, ed448Key), testCert(t, rsaKey), testCert(t, p384), testCert(t, ed25519Key)}
	for _, c := range []struct {
		name    string
		schemes []uint16
		cert    int
		scheme  uint16
	}{
		{"ed448 first", []uint16{schemeEd448, schemeEd25519}, 0, schemeEd448},
		{"no ed448: RSA-PSS", []uint16{schemePKCS1SHA256, schemePSSRSAE384}, 1, schemePSSRSAE384},
		{"P-384 bound to SHA-384", []uint16{schemeECDSAP256, schemeECDSAP384}, 2, schemeECDSAP384},
		{"ed25519", []uint16{schemeEd25519}, 3, schemeEd25519},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := &Config{Certificates: certs}
			got, scheme, err := choose13Cert(cfg, mustHello(t, tls13Hello(c.schemes...)))
			if err != nil || got != &cfg.Certificates[c.cert] || scheme != c.scheme {
				t.Fatalf("got %T with %s, %v; want %T with %s", got.Key, wire.SignatureSchemeName(scheme), err, certs[c.cert].Key, wire.SignatureSchemeName(c.scheme))
			}
		})
	}
	// RSA PKCS#1 v1.5 is not a TLS 1.3 handshake signature (RFC 8446,
	// Section 4.2.3).
	_, _, err := choose13Cert(&Config{Certificates: certs[1:2]}, mustHello(t, tls13Hello(schemePKCS1SHA256)))
	wantRefusal(t, err, wire.AlertHandshakeFailure)
	// Config.SignatureSchemes narrows what the server signs with.
	_, _, err = choose13Cert(&Config{Certificates: certs[:1], SignatureSchemes: []uint16{schemeEd25519}}, mustHello(t, tls13Hello(schemeEd448)))
	wantRefusal(t, err, wire.AlertHandshakeFailure)
}

func TestChoose12(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed448Key, _ := ed448.GenerateKey(rand.Reader)
	rsaCert, ecCert, edCert := testCert(t, rsaKey), testCert(t, p256), testCert(t, ed448Key)
	hello := func(v uint16, suites []uint16, groups []uint16, schemes []uint16) helloSpec {
		h := helloSpec{version: v, suites: suites}
		if groups != nil {
			h.exts = append(h.exts, wire.Extension{Type: wire.ExtSupportedGroups, Data: u16s(groups...)})
		}
		if schemes != nil {
			h.exts = append(h.exts, wire.Extension{Type: wire.ExtSignatureAlgorithms, Data: u16s(schemes...)})
		}
		return h
	}
	for _, c := range []struct {
		name   string
		certs  []Certificate
		cfg    Config
		hello  helloSpec
		v      uint16
		suite  uint16
		group  uint16
		scheme uint16
	}{
		{"ECDHE-ECDSA", []Certificate{rsaCert, ecCert}, Config{}, hello(0x0303, []uint16{0xC02B, 0xC02F}, []uint16{23}, []uint16{schemeECDSAP256}), 0x0303, 0xC02B, 23, schemeECDSAP256},
		{"ECDHE-RSA when the client signs no ECDSA", []Certificate{ecCert, rsaCert}, Config{}, hello(0x0303, []uint16{0xC02B, 0xC02F}, []uint16{29}, []uint16{schemePKCS1SHA256}), 0x0303, 0xC02F, 29, schemePKCS1SHA256},
		{"DHE with the client's ffdhe group", []Certificate{rsaCert}, Config{CipherSuites: []uint16{0x009E}}, hello(0x0303, []uint16{0x009E}, []uint16{29, 257}, []uint16{schemePSSRSAE256}), 0x0303, 0x009E, 257, schemePSSRSAE256},
		{"DHE without ffdhe groups takes ffdhe2048", []Certificate{rsaCert}, Config{CipherSuites: []uint16{0x009E}}, hello(0x0303, []uint16{0x009E}, []uint16{29}, []uint16{schemePSSRSAE256}), 0x0303, 0x009E, 256, schemePSSRSAE256},
		{"no signature_algorithms: SHA-1", []Certificate{rsaCert}, Config{}, hello(0x0303, []uint16{0xC013}, []uint16{23}, nil), 0x0303, 0xC013, 23, schemePKCS1SHA1},
		{"TLS 1.0 skips GCM, no scheme", []Certificate{rsaCert}, Config{}, hello(0x0301, []uint16{0xC02F, 0xC013}, []uint16{23}, nil), 0x0301, 0xC013, 23, 0},
		{"static RSA", []Certificate{rsaCert}, Config{}, hello(0x0303, []uint16{0x009C}, nil, nil), 0x0303, 0x009C, 0, 0},
		{"Ed448 signs ECDHE_ECDSA in TLS 1.2", []Certificate{edCert}, Config{}, hello(0x0303, []uint16{0xC02B}, []uint16{29}, []uint16{schemeEd448}), 0x0303, 0xC02B, 29, schemeEd448},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Certificates = c.certs
			got, err := choose12(&c.cfg, mustHello(t, c.hello), c.v)
			if err != nil {
				t.Fatal(err)
			}
			if got.suite.ID != c.suite || got.group != c.group || got.scheme != c.scheme {
				t.Fatalf("chose %s, group %s, scheme %s; want %s, %s, %s", got.suite.Name, wire.GroupName(got.group), wire.SignatureSchemeName(got.scheme),
					wire.CipherSuiteName(c.suite), wire.GroupName(c.group), wire.SignatureSchemeName(c.scheme))
			}
		})
	}
	// A client that names ffdhe groups, none of them the server's, gets
	// no DHE suite (RFC 7919, Section 4).
	_, err := choose12(&Config{Certificates: []Certificate{rsaCert}, Groups: []uint16{256}}, mustHello(t, hello(0x0303, []uint16{0x009E}, []uint16{258}, []uint16{schemePSSRSAE256})), 0x0303)
	wantRefusal(t, err, wire.AlertHandshakeFailure)
	// Ed448 cannot sign in TLS 1.0.
	_, err = choose12(&Config{Certificates: []Certificate{edCert}}, mustHello(t, hello(0x0301, []uint16{0xC009}, []uint16{29}, nil)), 0x0301)
	wantRefusal(t, err, wire.AlertHandshakeFailure)
}

func TestChooseALPN(t *testing.T) {
	h := tls13Hello()
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, p := range []string{"http/1.1", "h2"} {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
		}
	})
	h.exts = append(h.exts, wire.Extension{Type: srvExtALPN, Data: b.BytesOrPanic()})
	ch := mustHello(t, h)
	if p, err := chooseALPN(&Config{ALPN: []string{"h2", "http/1.1"}}, ch); p != "h2" || err != nil {
		t.Errorf("ALPN %q, %v; want the server's first, h2", p, err)
	}
	_, err := chooseALPN(&Config{ALPN: []string{"imap"}}, ch)
	wantRefusal(t, err, wire.AlertNoApplicationProtocol)
	if p, err := chooseALPN(&Config{ALPN: []string{"h2"}}, mustHello(t, tls13Hello())); p != "" || err != nil {
		t.Errorf("ALPN %q, %v for a client that offers none", p, err)
	}
}

// TestClientHelloLimits: a ClientHello with more cipher suites or groups
// than the server accepts is refused with a typed LimitError saying how
// many came.
func TestClientHelloLimits(t *testing.T) {
	many := make([]uint16, 10000)
	for i := range many {
		many[i] = 0x6000 + uint16(i)
	}
	suites := tls13Hello()
	suites.suites = many
	groups := tls13Hello()
	groups.exts[1] = wire.Extension{Type: wire.ExtSupportedGroups, Data: u16s(many[:2000]...)}
	for _, c := range []struct {
		h    helloSpec
		want LimitError
	}{
		{suites, LimitError{What: "cipher suites", N: 10000, Max: srvMaxClientHelloEntries}},
		{groups, LimitError{What: "groups", N: 2000, Max: srvMaxClientHelloEntries}},
	} {
		_, err := readClientHello(c.h.bytes())
		wantRefusal(t, err, wire.AlertDecodeError)
		var le *LimitError
		if !errors.As(err, &le) || *le != c.want {
			t.Errorf("%v, want %+v", err, c.want)
		}
	}
}
