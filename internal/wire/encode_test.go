package wire

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tlstrace/tlstrace/internal/field"
	"golang.org/x/crypto/cryptobyte"
)

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// node returns the first node named name, failing the test if none.
func node(t *testing.T, m *Message, name string) *field.Node {
	t.Helper()
	n := find(m.Fields, name)
	if n == nil {
		t.Fatalf("%s: no field %q", m.Type, name)
	}
	return n
}

func selfSigned(t *testing.T, cn string) []byte {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Unix(1e9, 0),
		NotAfter:     time.Unix(2e9, 0),
		DNSNames:     []string{cn},
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestEncodeClientHello(t *testing.T) {
	ext := must[Extension](t)
	random := bytes.Repeat([]byte{0xAB}, 32)
	ch := &ClientHello{
		Version:      VersionTLS12,
		Random:       random,
		SessionID:    bytes.Repeat([]byte{1}, 32),
		CipherSuites: []uint16{0x1301, 0x1302, 0xC02F, 0x009E},
		Extensions: []Extension{
			ext(ServerNameExtension("example.com")),
			ext(SupportedVersionsExtension([]uint16{VersionTLS13, VersionTLS12})),
			ext(SupportedGroupsExtension([]uint16{29, 23, 0x0100})),
			ext(SignatureAlgorithmsExtension(ExtSignatureAlgorithms, []uint16{0x0807, 0x0808, 0x0804})),
			ext(SignatureAlgorithmsExtension(ExtSignatureAlgsCert, []uint16{0x0807})),
			ECPointFormatsExtension(),
			ext(ALPNExtension([]string{"h2", "http/1.1"})),
			StatusRequestExtension(),
			EmptyExtension(ExtExtendedMasterSecret),
			EmptyExtension(ExtEncryptThenMAC),
			SessionTicketExtension(nil),
			ext(RenegotiationInfoExtension(nil)),
			ext(PSKModesExtension([]uint8{1})),
			ext(CookieExtension([]byte("cookie"))),
			ext(ClientKeyShareExtension([]KeyShare{{29, bytes.Repeat([]byte{9}, 32)}, {23, append([]byte{4}, make([]byte, 64)...)}})),
			ext(PreSharedKeyExtension([]PSKIdentity{{[]byte("ticket"), 77}}, [][]byte{make([]byte, 32)})),
		},
	}
	raw := must[[]byte](t)(ch.Marshal())
	m := mustParse(t, Context{}, raw)
	got := m.ClientHello
	if m.Type != TypeClientHello || got == nil {
		t.Fatalf("type %v", m.Type)
	}
	if got.Version != ch.Version || !bytes.Equal(got.Random, random) || !bytes.Equal(got.SessionID, ch.SessionID) ||
		!slices.Equal(got.CipherSuites, ch.CipherSuites) || !slices.Equal(got.Compression, []uint8{0}) {
		t.Errorf("fixed fields: %+v", got)
	}
	if diff := cmp.Diff(ch.Extensions, got.Extensions); diff != "" {
		t.Errorf("extensions (-sent +parsed):\n%s", diff)
	}
	if got.ServerName != "example.com" || !slices.Equal(got.SupportedVersions, []uint16{VersionTLS13, VersionTLS12}) ||
		!slices.Equal(got.Groups, []uint16{29, 23, 0x0100}) || !slices.Equal(got.SignatureSchemes, []uint16{0x0807, 0x0808, 0x0804}) ||
		!slices.Equal(got.KeyShareGroups, []uint16{29, 23}) || got.PSKIdentities != 1 ||
		!slices.Equal(got.ALPN, []string{"h2", "http/1.1"}) || !slices.Equal(got.PointFormats, []uint8{0}) {
		t.Errorf("extension views: %+v", got)
	}
	if n := node(t, m, "obfuscated_ticket_age"); n.Uint != 77 {
		t.Errorf("obfuscated_ticket_age %d", n.Uint)
	}
	if n := node(t, m, "cookie"); string(n.Bytes) != "cookie" {
		t.Errorf("cookie %q", n.Bytes)
	}
	if n := node(t, m, "binders"); len(n.Children) != 1 || len(n.Children[0].Bytes) != 32 {
		t.Errorf("binders %+v", n)
	}
	if want := PSKBindersLen([]int{32}); !bytes.HasSuffix(raw, append([]byte{0, 33, 32}, make([]byte, 32)...)) || want != 35 {
		t.Errorf("binders not at the end, or PSKBindersLen %d", want)
	}

	// A hello without extensions (before RFC 3546) and with explicit
	// compression methods.
	old := &ClientHello{Version: VersionTLS10, Random: random, CipherSuites: []uint16{0x002F}, Compression: []uint8{1, 0}}
	m = mustParse(t, Context{}, must[[]byte](t)(old.Marshal()))
	if m.ClientHello.Extensions != nil || !slices.Equal(m.ClientHello.Compression, []uint8{1, 0}) {
		t.Errorf("old hello: %+v", m.ClientHello)
	}

	for _, bad := range []*ClientHello{
		{Random: random[:31]},
		{Random: random, SessionID: make([]byte, 33)},
	} {
		if _, err := bad.Marshal(); err == nil {
			t.Errorf("Marshal accepted %+v", bad)
		}
	}
}

func TestEncodeServerHello(t *testing.T) {
	ext := must[Extension](t)
	share := bytes.Repeat([]byte{5}, 32)
	sh := &ServerHello{
		Version:     VersionTLS12,
		Random:      bytes.Repeat([]byte{0x11}, 32),
		SessionID:   []byte{1, 2, 3},
		CipherSuite: 0x1303,
		Extensions: []Extension{
			SelectedVersionExtension(VersionTLS13),
			ext(ServerKeyShareExtension(KeyShare{29, share})),
			SelectedPSKExtension(0),
		},
	}
	m := mustParse(t, Context{FromServer: true}, must[[]byte](t)(sh.Marshal()))
	got := m.ServerHello
	if m.Type != TypeServerHello || got.HelloRetry || got.NegotiatedVersion() != VersionTLS13 || got.CipherSuite != 0x1303 ||
		got.KeyShareGroup != 29 || !got.SelectedPSK || !bytes.Equal(got.SessionID, sh.SessionID) || !bytes.Equal(got.Random, sh.Random) {
		t.Errorf("parsed %+v", got)
	}
	if n := node(t, m, "key_exchange"); !bytes.Equal(n.Bytes, share) {
		t.Errorf("key_exchange %x", n.Bytes)
	}

	hrr := &ServerHello{
		Version: VersionTLS12, HelloRetry: true, SessionID: []byte{1}, CipherSuite: 0x1301,
		Extensions: []Extension{SelectedVersionExtension(VersionTLS13), HelloRetryKeyShareExtension(23), ext(CookieExtension([]byte{7}))},
	}
	m = mustParse(t, Context{FromServer: true}, must[[]byte](t)(hrr.Marshal()))
	if m.Type != TypeHelloRetryRequest || !m.ServerHello.HelloRetry || m.ServerHello.KeyShareGroup != 23 ||
		!bytes.Equal(m.ServerHello.Random, HelloRetryRandom[:]) {
		t.Errorf("HRR parsed %+v", m.ServerHello)
	}

	// TLS 1.2 with the extensions of a 1.2 server.
	random := bytes.Repeat([]byte{0x22}, 32)
	copy(random[24:], DowngradeTLS12[:])
	sh12 := &ServerHello{
		Version: VersionTLS12, Random: random, CipherSuite: 0xC02F,
		Extensions: []Extension{EmptyExtension(ExtExtendedMasterSecret), EmptyExtension(ExtEncryptThenMAC), ext(RenegotiationInfoExtension(nil)), ext(ALPNExtension([]string{"h2"}))},
	}
	m = ParseHandshake(Context{FromServer: true}, must[[]byte](t)(sh12.Marshal()))
	if m.Err != nil || !m.ServerHello.ExtendedMasterSecret || !m.ServerHello.EncryptThenMAC || !slices.Equal(m.ServerHello.ALPN, []string{"h2"}) {
		t.Errorf("1.2 hello: %v %+v", m.Err, m.ServerHello)
	}
	if n := node(t, m, "random"); n.Note == "" {
		t.Error("the downgrade sentinel was not noted")
	}
	if _, err := (&ServerHello{Random: []byte{1}}).Marshal(); err == nil {
		t.Error("Marshal accepted a short random")
	}
}

func TestEncodeEncryptedExtensions(t *testing.T) {
	ext := must[Extension](t)
	ee := &EncryptedExtensions{Extensions: []Extension{ext(ALPNExtension([]string{"http/1.1"})), ext(SupportedGroupsExtension([]uint16{29})), EmptyExtension(ExtServerName)}}
	m := mustParse(t, Context{Version: VersionTLS13, FromServer: true}, must[[]byte](t)(ee.Marshal()))
	if diff := cmp.Diff(ee.Extensions, m.EncryptedExtensions.Extensions); diff != "" || !slices.Equal(m.EncryptedExtensions.ALPN, []string{"http/1.1"}) {
		t.Errorf("%s %v", diff, m.EncryptedExtensions.ALPN)
	}
	m = mustParse(t, Context{Version: VersionTLS13, FromServer: true}, must[[]byte](t)((&EncryptedExtensions{}).Marshal()))
	if len(m.EncryptedExtensions.Extensions) != 0 {
		t.Errorf("empty: %+v", m.EncryptedExtensions)
	}
}

func TestEncodeCertificate(t *testing.T) {
	leaf, ca := selfSigned(t, "leaf.example"), selfSigned(t, "ca.example")
	ocsp := must[Extension](t)(OCSPStatusExtension([]byte{0x30, 0}))
	raw := must[[]byte](t)(MarshalCertificate13([]byte{9}, []CertificateEntry{{leaf, []Extension{ocsp}}, {ca, nil}}))
	m := ParseHandshake(Context{Version: VersionTLS13, FromServer: true}, raw)
	if m.Err != nil {
		t.Fatal(m.Err)
	}
	if !slices.EqualFunc(m.Certificate.Certs, [][]byte{leaf, ca}, bytes.Equal) || m.Certificate.Subjects[0] != "CN=leaf.example" {
		t.Errorf("1.3: %+v", m.Certificate)
	}
	if n := node(t, m, "certificate_request_context"); !bytes.Equal(n.Bytes, []byte{9}) {
		t.Errorf("context %x", n.Bytes)
	}
	if n := node(t, m, "status_type"); n.Uint != 1 {
		t.Errorf("status_type %d", n.Uint)
	}
	raw = must[[]byte](t)(MarshalCertificate12([][]byte{leaf, ca}))
	m = mustParse(t, Context{Version: VersionTLS12, FromServer: true}, raw)
	if !slices.EqualFunc(m.Certificate.Certs, [][]byte{leaf, ca}, bytes.Equal) {
		t.Errorf("1.2: %+v", m.Certificate)
	}
	m = mustParse(t, Context{Version: VersionTLS13}, must[[]byte](t)(MarshalCertificate13(nil, nil)))
	if len(m.Certificate.Certs) != 0 {
		t.Errorf("empty: %+v", m.Certificate)
	}
	m = ParseHandshake(Context{Version: VersionTLS13}, must[[]byte](t)(MarshalCertificateStatus([]byte{0x30, 0})))
	if n := node(t, m, "ocsp_response"); m.Err != nil || !bytes.Equal(n.Bytes, []byte{0x30, 0}) {
		t.Errorf("certificate_status %x", n.Bytes)
	}
}

func TestEncodeCertificateRequest(t *testing.T) {
	sigs := must[Extension](t)(SignatureAlgorithmsExtension(ExtSignatureAlgorithms, []uint16{0x0403, 0x0808}))
	m := mustParse(t, Context{Version: VersionTLS13, FromServer: true}, must[[]byte](t)(MarshalCertificateRequest13(nil, []Extension{sigs})))
	if n := node(t, m, "supported_signature_algorithms"); len(n.Children) != 2 || n.Children[1].Uint != 0x0808 {
		t.Errorf("1.3: %+v", n)
	}
	dn := must[[]byte](t)(pkixName(t, "Some CA"))
	m = mustParse(t, Context{Version: VersionTLS12, FromServer: true}, must[[]byte](t)(MarshalCertificateRequest12(VersionTLS12, []uint8{1, 64}, []uint16{0x0401}, [][]byte{dn})))
	if n := node(t, m, "certificate_types"); len(n.Children) != 2 || n.Children[1].Uint != 64 {
		t.Errorf("1.2 types: %+v", n)
	}
	if n := node(t, m, "certificate_authorities"); len(n.Children) != 1 {
		t.Errorf("1.2 CAs: %+v", n)
	}
	// In JSON each authority is its DER and the name it reads as.
	if j := string(node(t, m, "certificate_authorities").AppendJSON(nil)); j != fmt.Sprintf(`[{"distinguished_name":"%x","name":"CN=Some CA"}]`, dn) {
		t.Errorf("1.2 CAs in JSON: %s", j)
	}
	if cr := m.CertificateRequest; cr == nil || !slices.Equal(cr.SignatureSchemes, []uint16{0x0401}) || !slices.Equal(cr.Authorities, []string{"CN=Some CA"}) {
		t.Errorf("1.2 typed view: %+v", cr)
	}
	// TLS 1.3: the same in extensions (RFC 8446, Sections 4.2.3 and
	// 4.2.4), and a name that does not parse kept as "".
	var cas cryptobyte.Builder
	cas.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, d := range [][]byte{dn, {0x30, 0x01}} {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(d) })
		}
	})
	m = mustParse(t, Context{Version: VersionTLS13, FromServer: true}, must[[]byte](t)(MarshalCertificateRequest13([]byte{7}, []Extension{sigs, {Type: ExtCertAuthorities, Data: cas.BytesOrPanic()}})))
	if cr := m.CertificateRequest; cr == nil || !slices.Equal(cr.SignatureSchemes, []uint16{0x0403, 0x0808}) || !slices.Equal(cr.Authorities, []string{"CN=Some CA", ""}) {
		t.Errorf("1.3 typed view: %+v", cr)
	}
	if j := string(node(t, m, "authorities").AppendJSON(nil)); j != fmt.Sprintf(`[{"distinguished_name":"%x","name":"CN=Some CA"},{"distinguished_name":"3001"}]`, dn) {
		t.Errorf("1.3 CAs in JSON: %s", j)
	}
	m = mustParse(t, Context{Version: VersionTLS10, FromServer: true}, must[[]byte](t)(MarshalCertificateRequest12(VersionTLS10, []uint8{1}, nil, nil)))
	if find(m.Fields, "supported_signature_algorithms") != nil {
		t.Error("TLS 1.0 request has signature algorithms")
	}
	if _, err := MarshalCertificateRequest12(VersionTLS12, []uint8{1}, nil, nil); err == nil {
		t.Error("TLS 1.2 request without schemes accepted")
	}
}

func pkixName(t *testing.T, cn string) ([]byte, error) {
	t.Helper()
	c, err := x509.ParseCertificate(selfSigned(t, cn))
	if err != nil {
		return nil, err
	}
	return c.RawSubject, nil
}

func TestEncodeSignedMessages(t *testing.T) {
	sig := bytes.Repeat([]byte{0x5A}, 64)
	for _, v := range []uint16{VersionTLS13, VersionTLS12, VersionTLS10} {
		m := mustParse(t, Context{Version: v}, must[[]byte](t)(MarshalCertificateVerify(v, 0x0807, sig)))
		if n := node(t, m, "signature"); !bytes.Equal(n.Bytes, sig) || m.Signed.HasScheme != (v >= VersionTLS12) ||
			(m.Signed.HasScheme && m.Signed.Scheme != 0x0807) {
			t.Errorf("certificate_verify %04x: %+v", v, m.Signed)
		}
	}
	pub := append([]byte{4}, bytes.Repeat([]byte{3}, 64)...)
	params := must[[]byte](t)(ECDHEParams(23, pub))
	for _, v := range []uint16{VersionTLS12, VersionTLS11} {
		m := mustParse(t, Context{Version: v, CipherSuite: 0xC02F, FromServer: true}, must[[]byte](t)(MarshalServerKeyExchange(v, params, 0x0804, sig)))
		if !m.Signed.HasGroup || m.Signed.Group != 23 || m.Signed.HasScheme != (v == VersionTLS12) || !bytes.Equal(node(t, m, "public").Bytes, pub) ||
			!bytes.Equal(node(t, m, "signature").Bytes, sig) {
			t.Errorf("ECDHE server_key_exchange %04x: %+v", v, m.Signed)
		}
	}
	p, g, ys := bytes.Repeat([]byte{0xFF}, 256), []byte{2}, bytes.Repeat([]byte{0x44}, 256)
	params = must[[]byte](t)(DHEParams(p, g, ys))
	m := mustParse(t, Context{Version: VersionTLS12, CipherSuite: 0x009E, FromServer: true}, must[[]byte](t)(MarshalServerKeyExchange(VersionTLS12, params, 0x0804, sig)))
	if !bytes.Equal(node(t, m, "dh_p").Bytes, p) || !bytes.Equal(node(t, m, "dh_g").Bytes, g) || !bytes.Equal(node(t, m, "dh_Ys").Bytes, ys) ||
		m.Signed.Scheme != 0x0804 || m.Signed.DHPrimeBits != 2048 {
		t.Errorf("DHE server_key_exchange: %+v", m.Signed)
	}
	p = append([]byte{0, 0}, bytes.Repeat([]byte{0x7F}, 128)...)
	params = must[[]byte](t)(DHEParams(p, g, ys))
	m = mustParse(t, Context{Version: VersionTLS12, CipherSuite: 0x009E, FromServer: true}, must[[]byte](t)(MarshalServerKeyExchange(VersionTLS12, params, 0x0804, sig)))
	if m.Signed.DHPrimeBits != 1023 {
		t.Errorf("DHE server_key_exchange with leading zeros: %d prime bits, want 1023", m.Signed.DHPrimeBits)
	}
	mod, exp := bytes.Repeat([]byte{0xC3}, 64), []byte{1, 0, 1}
	params = must[[]byte](t)(RSAExportParams(mod, exp))
	for _, v := range []uint16{VersionTLS12, VersionTLS10} {
		m := mustParse(t, Context{Version: v, CipherSuite: 0x0003, FromServer: true}, must[[]byte](t)(MarshalServerKeyExchange(v, params, 0x0401, sig)))
		if !bytes.Equal(node(t, m, "rsa_modulus").Bytes, mod) || !bytes.Equal(node(t, m, "rsa_exponent").Bytes, exp) ||
			!bytes.Equal(m.Signed.RSAModulus, mod) || !bytes.Equal(m.Signed.RSAExponent, exp) ||
			!bytes.Equal(node(t, m, "signature").Bytes, sig) || m.Signed.HasScheme != (v == VersionTLS12) ||
			(m.Signed.HasScheme && m.Signed.Scheme != 0x0401) {
			t.Errorf("RSA_EXPORT server_key_exchange %04x: %+v", v, m.Signed)
		}
	}
}

func TestEncodeClientKeyExchange(t *testing.T) {
	enc := bytes.Repeat([]byte{7}, 256)
	for _, v := range []uint16{VersionTLS12, VersionSSL30} {
		m := mustParse(t, Context{Version: v, CipherSuite: 0x002F}, must[[]byte](t)(MarshalClientKeyExchangeRSA(v, enc)))
		if !bytes.Equal(m.ClientKeyExchange.EncryptedPreMasterSecret, enc) {
			t.Errorf("RSA %04x: %x", v, m.ClientKeyExchange.EncryptedPreMasterSecret)
		}
	}
	m := mustParse(t, Context{Version: VersionTLS12, CipherSuite: 0xC02F}, must[[]byte](t)(MarshalClientKeyExchangeECDHE(enc[:32])))
	if !bytes.Equal(node(t, m, "ecdh_Yc").Bytes, enc[:32]) {
		t.Error("ECDHE ecdh_Yc")
	}
	m = mustParse(t, Context{Version: VersionTLS12, CipherSuite: 0x009E}, must[[]byte](t)(MarshalClientKeyExchangeDHE(enc)))
	if !bytes.Equal(node(t, m, "dh_Yc").Bytes, enc) {
		t.Error("DHE dh_Yc")
	}
}

func TestEncodeSmallMessages(t *testing.T) {
	vd := bytes.Repeat([]byte{1}, 12)
	m := mustParse(t, Context{Version: VersionTLS12}, must[[]byte](t)(MarshalFinished(vd)))
	if m.Type != TypeFinished || !bytes.Equal(node(t, m, "verify_data").Bytes, vd) {
		t.Errorf("finished %+v", m.Fields)
	}
	for _, req := range []bool{false, true} {
		m := mustParse(t, Context{Version: VersionTLS13}, must[[]byte](t)(MarshalKeyUpdate(req)))
		if m.KeyUpdate == nil || m.KeyUpdate.UpdateRequested != req {
			t.Errorf("key_update %v: %+v", req, m.KeyUpdate)
		}
	}
	m = mustParse(t, Context{Version: VersionTLS12}, MarshalServerHelloDone())
	if m.Type != TypeServerHelloDone {
		t.Errorf("server_hello_done: %v", m.Type)
	}
	nst := &NewSessionTicket13{Lifetime: 7200, AgeAdd: 99, Nonce: []byte{0}, Ticket: []byte("ticket"), Extensions: []Extension{{Type: ExtEarlyData, Data: []byte{0, 0, 64, 0}}}}
	m = mustParse(t, Context{Version: VersionTLS13, FromServer: true}, must[[]byte](t)(nst.Marshal()))
	if !m.Ticket.TLS13 || m.Ticket.Lifetime != 7200 || string(m.Ticket.Ticket) != "ticket" || node(t, m, "ticket_age_add").Uint != 99 ||
		node(t, m, "max_early_data_size").Uint != 16384 {
		t.Errorf("1.3 ticket: %+v", m.Ticket)
	}
	m = mustParse(t, Context{Version: VersionTLS12, FromServer: true}, must[[]byte](t)(MarshalNewSessionTicket12(300, []byte("t12"))))
	if m.Ticket.TLS13 || m.Ticket.Lifetime != 300 || string(m.Ticket.Ticket) != "t12" {
		t.Errorf("1.2 ticket: %+v", m.Ticket)
	}
	n, an, err := ParseAlert(MarshalAlert(AlertFatal, AlertDecryptError))
	if err != nil || len(an) != 0 || n.Children[0].Uint != 2 || n.Children[1].Str != "decrypt_error" {
		t.Errorf("alert: %v %v %+v", err, an, n.Children)
	}
	rec := must[[]byte](t)(AppendRecord([]byte{0xEE}, ContentHandshake, VersionTLS12, []byte{1, 2, 3}))
	h, err := ParseRecordHeader(rec[1:6])
	if err != nil || !bytes.Equal(rec, []byte{0xEE, 22, 3, 3, 0, 3, 1, 2, 3}) || h.Length != 3 {
		t.Errorf("record %x, %+v, %v", rec, h, err)
	}
	if _, err := AppendRecord(nil, ContentHandshake, VersionTLS12, make([]byte, MaxPlaintext+1)); err == nil {
		t.Error("AppendRecord accepted an oversized fragment")
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := MarshalFinished(make([]byte, 1<<24)); err == nil {
		t.Error("a body over 2^24-1 bytes was encoded")
	}
	if _, err := ServerNameExtension(""); err == nil {
		t.Error("empty server name accepted")
	}
	if _, err := ALPNExtension([]string{""}); err == nil {
		t.Error("empty ALPN name accepted")
	}
	if _, err := SupportedGroupsExtension(nil); err == nil {
		t.Error("empty groups accepted")
	}
	if _, err := PreSharedKeyExtension([]PSKIdentity{{Identity: []byte{1}}}, nil); err == nil {
		t.Error("identities without binders accepted")
	}
	if _, err := (&NewSessionTicket13{}).Marshal(); err == nil {
		t.Error("empty ticket accepted")
	}
	if _, err := CookieExtension(make([]byte, 1<<16)); err == nil {
		t.Error("cookie over 2^16-1 bytes accepted")
	}
}

// FuzzEncodeHello encodes ClientHellos and ServerHellos of arbitrary
// fields and extensions: each either fails to encode or parses back to the
// same fields, with no decoding error.
func FuzzEncodeHello(f *testing.F) {
	f.Add(uint16(0x0303), []byte{1, 2}, []byte{0x13, 0x01, 0xC0, 0x2F}, uint16(43), []byte{2, 3, 4}, uint16(0xFF01), []byte{0})
	f.Add(uint16(0x0301), []byte{}, []byte{0, 0x2F}, uint16(0), []byte{0, 3, 0, 0, 1, 'a'}, uint16(21), []byte{0, 0})
	f.Fuzz(func(t *testing.T, version uint16, sid, suites []byte, t1 uint16, d1 []byte, t2 uint16, d2 []byte) {
		if len(sid) > 32 {
			sid = sid[:32]
		}
		cs := make([]uint16, 0, len(suites)/2)
		for i := 0; i+1 < len(suites); i += 2 {
			cs = append(cs, uint16(suites[i])<<8|uint16(suites[i+1]))
		}
		exts := []Extension{{Type: t1, Data: d1}, {Type: t2, Data: d2}}
		ch := &ClientHello{Version: version, Random: make([]byte, 32), SessionID: sid, CipherSuites: cs, Extensions: exts}
		raw, err := ch.Marshal()
		if err == nil {
			m := ParseHandshake(Context{}, raw)
			if m.Err != nil || m.ClientHello == nil {
				t.Fatalf("client hello %x: %v", raw, m.Err)
			}
			got := m.ClientHello
			if got.Version != version || !bytes.Equal(got.SessionID, sid) || !slices.Equal(got.CipherSuites, cs) ||
				len(got.Extensions) != 2 || got.Extensions[0].Type != t1 || !bytes.Equal(got.Extensions[1].Data, d2) {
				t.Fatalf("client hello parsed as %+v", got)
			}
		}
		sh := &ServerHello{Version: version, Random: bytes.Repeat([]byte{7}, 32), SessionID: sid, CipherSuite: t1, Extensions: exts}
		raw, err = sh.Marshal()
		if err != nil {
			return
		}
		m := ParseHandshake(Context{FromServer: true}, raw)
		if m.Err != nil || m.ServerHello == nil {
			t.Fatalf("server hello %x: %v", raw, m.Err)
		}
		if got := m.ServerHello; got.CipherSuite != t1 || len(got.Extensions) != 2 || !bytes.Equal(got.Extensions[0].Data, d1) {
			t.Fatalf("server hello parsed as %+v", got)
		}
	})
}

func TestParsePSKAndAnonKeyExchanges(t *testing.T) {
	hint, id := []byte("hint"), []byte("client1")
	pub := append([]byte{4}, bytes.Repeat([]byte{3}, 64)...)
	p, g, ys := bytes.Repeat([]byte{0xFF}, 128), []byte{2}, bytes.Repeat([]byte{0x44}, 128)
	opaque16 := func(b *cryptobyte.Builder, v []byte) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(v) })
	}
	for _, c := range []struct {
		suite  uint16
		hint   bool
		params []byte
		field  string
		want   []byte
	}{
		{0x008C, true, nil, "", nil},                                          // PSK
		{0x0094, true, nil, "", nil},                                          // RSA_PSK
		{0x0090, true, must[[]byte](t)(DHEParams(p, g, ys)), "dh_Ys", ys},     // DHE_PSK
		{0xC035, true, must[[]byte](t)(ECDHEParams(23, pub)), "public", pub},  // ECDHE_PSK
		{0x0034, false, must[[]byte](t)(DHEParams(p, g, ys)), "dh_Ys", ys},    // DH_anon
		{0xC018, false, must[[]byte](t)(ECDHEParams(23, pub)), "public", pub}, // ECDH_anon
	} {
		msg := must[[]byte](t)(handshakeMessage(TypeServerKeyExchange, func(b *cryptobyte.Builder) {
			if c.hint {
				opaque16(b, hint)
			}
			b.AddBytes(c.params)
		}))
		m := mustParse(t, Context{Version: VersionTLS12, CipherSuite: c.suite, FromServer: true}, msg)
		if c.hint && (!bytes.Equal(node(t, m, "psk_identity_hint").Bytes, hint) || !m.Signed.HasPSKIdentityHint || !bytes.Equal(m.Signed.PSKIdentityHint, hint)) {
			t.Errorf("%04x: psk_identity_hint", c.suite)
		}
		if !c.hint && m.Signed.HasPSKIdentityHint {
			t.Errorf("%04x: a psk_identity_hint read", c.suite)
		}
		if c.field != "" && !bytes.Equal(node(t, m, c.field).Bytes, c.want) {
			t.Errorf("%04x: %s", c.suite, c.field)
		}
		if m.Signed.HasScheme {
			t.Errorf("%04x: unsigned parameters read a signature scheme", c.suite)
		}
		if c.hint {
			msg = must[[]byte](t)(handshakeMessage(TypeClientKeyExchange, func(b *cryptobyte.Builder) {
				opaque16(b, id)
				switch c.suite {
				case 0x0094, 0x0090:
					opaque16(b, ys)
				case 0xC035:
					b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(pub) })
				}
			}))
			m = mustParse(t, Context{Version: VersionTLS12, CipherSuite: c.suite}, msg)
			if !bytes.Equal(node(t, m, "psk_identity").Bytes, id) || !m.ClientKeyExchange.HasPSKIdentity || !bytes.Equal(m.ClientKeyExchange.PSKIdentity, id) {
				t.Errorf("%04x: psk_identity", c.suite)
			}
		}
	}
}

// TestUnknownNamesJSON: in a ClientHello's JSON fields, a GREASE cipher
// suite is named GREASE as the GREASE values of the other lists are, a
// code point no registry names is unknown_N, and a duplicate unknown
// extension's anomaly names its number.
func TestUnknownNamesJSON(t *testing.T) {
	ch := &ClientHello{
		Version:      VersionTLS12,
		Random:       make([]byte, 32),
		CipherSuites: []uint16{0x0a0a, 0x1301, 0x1399},
		Extensions: []Extension{
			must[Extension](t)(SupportedGroupsExtension([]uint16{0x3a3a, 29, 0x7777})),
			{Type: 0x1234, Data: []byte{1}},
			{Type: 0x1234},
		},
	}
	m := ParseHandshake(Context{}, must[[]byte](t)(ch.Marshal()))
	if m.Err != nil {
		t.Fatal(m.Err)
	}
	js := string(m.Fields.AppendJSON(nil))
	for _, want := range []string{`{"name":"GREASE","value":2570,"note":"GREASE"}`, `{"name":"unknown_5017","value":5017}`,
		`{"name":"GREASE","value":14906,"note":"GREASE"}`, `{"name":"unknown_30583","value":30583}`, `"extension_type":{"name":"unknown_4660","value":4660}`} {
		if !strings.Contains(js, want) {
			t.Errorf("the fields lack %s:\n%s", want, js)
		}
	}
	if !slices.ContainsFunc(m.Anomalies, func(a field.Anomaly) bool { return strings.Contains(a.Text, "duplicate extension 4660 (0x1234)") }) {
		t.Errorf("anomalies %v do not name the duplicate extension 4660 (0x1234)", m.Anomalies)
	}
}
