package certgen

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/setting"
)

func TestIssueProfiles(t *testing.T) {
	rsaKey, err := GenerateKey("rsa2048")
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := GenerateKey("p256")
	if err != nil {
		t.Fatal(err)
	}
	parse := func(c Config) *x509.Certificate {
		t.Helper()
		der, err := Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	ca := parse(Config{CommonName: "CA", Profile: ProfileCA, PathLen: -1, Key: ecKey})
	if !ca.IsCA || ca.MaxPathLen != -1 || ca.KeyUsage&x509.KeyUsageCertSign == 0 || ca.SerialNumber.BitLen() < 64 {
		t.Errorf("CA: IsCA %v, path length %d, usage %b, serial %v", ca.IsCA, ca.MaxPathLen, ca.KeyUsage, ca.SerialNumber)
	}
	srv := parse(Config{CommonName: "srv", Profile: ProfileServer, Key: rsaKey, Issuer: ca, IssuerKey: ecKey, ExtKeyUsage: []string{"ClientAuth", "serverAuth"}})
	if srv.IsCA || srv.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment ||
		!slices.Equal(srv.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
		t.Errorf("server: usage %b, extended %v", srv.KeyUsage, srv.ExtKeyUsage)
	}
	if err := srv.CheckSignatureFrom(ca); err != nil {
		t.Error(err)
	}
	csrDER, err := CreateCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "req"}, DNSNames: []string{"req.test"}}, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	req, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	signed := parse(Config{Request: req, SANs: []string{"extra.test"}, Issuer: ca, IssuerKey: ecKey, NotAfter: time.Now().Add(time.Hour)})
	if signed.Subject.CommonName != "req" || !slices.Equal(signed.DNSNames, []string{"extra.test", "req.test"}) {
		t.Errorf("signed request: subject %v, names %v", signed.Subject, signed.DNSNames)
	}

	for _, c := range []struct {
		cfg  Config
		name string
	}{
		{Config{CommonName: "x", Profile: "nope"}, "Profile"},
		{Config{CommonName: "x", KeyUsage: []string{"nope"}}, "KeyUsage"},
		{Config{CommonName: "x", ExtKeyUsage: []string{"nope"}}, "ExtKeyUsage"},
		{Config{CommonName: "x", SANs: []string{"IP:nope"}}, "SANs"},
	} {
		var se *setting.Error
		if err := c.cfg.Check(); !errors.As(err, &se) || se.Name != c.name || se.Value != "nope" && se.Value != "IP:nope" {
			t.Errorf("%+v: %v, want a setting error for %s", c.cfg, err, c.name)
		}
	}
	if err := (&Config{}).Check(); !errors.Is(err, ErrNoSubject) {
		t.Errorf("no subject: %v", err)
	}
}

func TestSetValidity(t *testing.T) {
	now := time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)
	var c Config
	if err := c.SetValidity(now, 90, "", ""); err != nil {
		t.Fatal(err)
	}
	if !c.NotBefore.Equal(now.Add(-5*time.Minute)) || !c.NotAfter.Equal(now.AddDate(0, 0, 90)) {
		t.Errorf("default validity %v to %v", c.NotBefore, c.NotAfter)
	}
	if err := c.SetValidity(now, 90, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if c.NotBefore.Year() != 2026 || c.NotAfter.Year() != 2027 {
		t.Errorf("given validity %v to %v", c.NotBefore, c.NotAfter)
	}
	var se *setting.Error
	if err := c.SetValidity(now, 90, "", "tomorrow"); !errors.As(err, &se) || se.Name != "NotAfter" || se.Value != "tomorrow" {
		t.Errorf("a time that does not parse: %v", err)
	}
	// A validity that ends before it starts: valid at no time.
	if err := c.SetValidity(now, -5, "", ""); !errors.Is(err, ErrValidityOrder) || !errors.As(err, &se) || se.Name != "Days" || se.Value != "-5" {
		t.Errorf("negative days: %v; want ErrValidityOrder for Days", err)
	}
	if err := c.SetValidity(now, 90, "2027-01-01T00:00:00Z", "2026-12-31T00:00:00Z"); !errors.Is(err, ErrValidityOrder) || !errors.As(err, &se) || se.Name != "NotAfter" {
		t.Errorf("an end before the start: %v; want ErrValidityOrder for NotAfter", err)
	}
	if err := c.SetValidity(now, 0, "", ""); err != nil {
		t.Errorf("zero days (five minutes): %v", err)
	}
}

func TestServerWithoutName(t *testing.T) {
	for _, c := range []struct {
		cert x509.Certificate
		want bool
	}{
		{x509.Certificate{}, true},
		{x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, true},
		{x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, false},
		{x509.Certificate{IsCA: true}, false},
		{x509.Certificate{DNSNames: []string{"a.test"}}, false},
		{x509.Certificate{IPAddresses: []net.IP{net.IPv6loopback}}, false},
		{x509.Certificate{EmailAddresses: []string{"a@a.test"}}, true},
	} {
		if got := ServerWithoutName(&c.cert); got != c.want {
			t.Errorf("%+v: %v, want %v", c.cert, got, c.want)
		}
	}
}

// TestIssueRequestExtensions: a request's extensions are copied, but not
// over what the issuer sets: under a profile, a request asking for CA:TRUE
// and keyCertSign still gets a server certificate, and the authority key
// identifier is always the issuer's.
func TestIssueRequestExtensions(t *testing.T) {
	caKey, err := GenerateKey("p256")
	if err != nil {
		t.Fatal(err)
	}
	caDER, err := Issue(Config{CommonName: "CA", Profile: ProfileCA, PathLen: -1, Key: caKey})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	ext := func(id asn1.ObjectIdentifier, critical bool, v any) pkix.Extension {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return pkix.Extension{Id: id, Critical: critical, Value: b}
	}
	type basic struct{ IsCA bool }
	asked := []pkix.Extension{
		ext(oidBasicConstraints, true, basic{true}),
		ext(oidKeyUsage, true, asn1.BitString{Bytes: []byte{0x06}, BitLength: 7}),        // keyCertSign, cRLSign
		ext(oidExtKeyUsage, false, []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 3}}), // codeSigning
		ext(oidAuthorityKeyID, false, struct {
			ID []byte `asn1:"optional,tag:0"`
		}{[]byte{1, 2, 3, 4}}),
		ext(asn1.ObjectIdentifier{1, 2, 3, 4}, false, "kept"),
	}
	reqKey, err := GenerateKey("p256")
	if err != nil {
		t.Fatal(err)
	}
	csrDER, err := CreateCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "req"}, ExtraExtensions: asked}, reqKey)
	if err != nil {
		t.Fatal(err)
	}
	req, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(c Config) *x509.Certificate {
		t.Helper()
		c.Request, c.Issuer, c.IssuerKey = req, ca, caKey
		der, err := Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cert.AuthorityKeyId, ca.SubjectKeyId) {
			t.Errorf("authority key identifier %x; want the issuer's %x", cert.AuthorityKeyId, ca.SubjectKeyId)
		}
		if !slices.ContainsFunc(cert.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(asn1.ObjectIdentifier{1, 2, 3, 4}) }) {
			t.Error("the request's other extension was not copied")
		}
		return cert
	}
	srv := issue(Config{Profile: ProfileServer})
	if srv.IsCA || srv.KeyUsage != x509.KeyUsageDigitalSignature || !slices.Equal(srv.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("--profile server: CA %v, usage %b, extended %v; want a server certificate", srv.IsCA, srv.KeyUsage, srv.ExtKeyUsage)
	}
	usage := issue(Config{KeyUsage: []string{"digitalSignature"}})
	if !usage.IsCA || usage.KeyUsage != x509.KeyUsageDigitalSignature || !slices.Equal(usage.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}) {
		t.Errorf("--key-usage alone: CA %v, usage %b, extended %v; want the request's basic constraints and extended usage, the usage given", usage.IsCA, usage.KeyUsage, usage.ExtKeyUsage)
	}
	// Without settings, as openssl's -copy_extensions copyall.
	all := issue(Config{})
	if !all.IsCA || all.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("no profile: CA %v, usage %b; want what the request asks", all.IsCA, all.KeyUsage)
	}
}

// TestIssueKeyUsageForKey: a key usage the subject's key cannot have is
// refused, naming it as given (RFC 5480, 3279, 8410).
func TestIssueKeyUsageForKey(t *testing.T) {
	keys := map[string]crypto.Signer{}
	for _, typ := range []string{"rsa2048", "p256", "ed25519", "ed448"} {
		k, err := GenerateKey(typ)
		if err != nil {
			t.Fatal(err)
		}
		keys[typ] = k
	}
	for _, c := range []struct {
		key     string
		profile string
		usages  []string
		bad     string
	}{
		{"p256", ProfileServer, []string{"KeyEncipherment"}, "KeyEncipherment"},
		{"p256", "", []string{"digitalSignature", "dataEncipherment"}, "dataEncipherment"},
		{"p256", ProfileServer, []string{"keyAgreement"}, ""},
		{"rsa2048", ProfileServer, []string{"keyAgreement"}, "keyAgreement"},
		{"rsa2048", ProfileServer, []string{"dataEncipherment"}, ""},
		{"rsa2048", "", []string{"keyEncipherment", "encipherOnly"}, "encipherOnly"},
		{"ed25519", ProfileClient, []string{"keyAgreement"}, "keyAgreement"},
		{"ed448", ProfileCA, []string{"nonRepudiation"}, ""},
		{"ed448", ProfileServer, []string{"keyEncipherment"}, "keyEncipherment"},
	} {
		_, err := Issue(Config{CommonName: "k", Profile: c.profile, PathLen: -1, KeyUsage: c.usages, Key: keys[c.key]})
		var se *setting.Error
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%s %v: %v", c.key, c.usages, err)
		case c.bad != "" && (!errors.As(err, &se) || se.Name != "KeyUsage" || se.Value != c.bad):
			t.Errorf("%s %v: %v; want a KeyUsage setting error for %s", c.key, c.usages, err, c.bad)
		}
	}
}

// TestCheckIssuer: a certificate that is no CA's, or a key that is not
// the issuer certificate's (Ed448 on either side too, which crypto/x509
// does not check), is no issuer; Issue refuses the wrong key.
func TestCheckIssuer(t *testing.T) {
	issueAs := func(typ, profile string, issuer *x509.Certificate, issuerKey crypto.Signer) (*x509.Certificate, crypto.Signer) {
		t.Helper()
		k, err := GenerateKey(typ)
		if err != nil {
			t.Fatal(err)
		}
		der, err := Issue(Config{CommonName: typ + " " + profile, Profile: profile, PathLen: -1, Key: k, Issuer: issuer, IssuerKey: issuerKey})
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, k
	}
	edCA, edKey := issueAs("ed448", ProfileCA, nil, nil)
	ecCA, ecKey := issueAs("p256", ProfileCA, nil, nil)
	leaf, leafKey := issueAs("p256", ProfileServer, ecCA, ecKey)
	_, otherEd := issueAs("ed448", ProfileCA, nil, nil)
	for _, c := range []struct {
		name   string
		issuer *x509.Certificate
		key    crypto.Signer
		want   error
	}{
		{"Ed448 CA", edCA, edKey, nil},
		{"a leaf", leaf, leafKey, ErrIssuerNotCA},
		{"Ed448 CA, another Ed448 key", edCA, otherEd, ErrIssuerKeyMismatch},
		{"Ed448 CA, a P-256 key", edCA, ecKey, ErrIssuerKeyMismatch},
		{"P-256 CA, an Ed448 key", ecCA, edKey, ErrIssuerKeyMismatch},
	} {
		if err := CheckIssuer(c.issuer, c.key); !errors.Is(err, c.want) {
			t.Errorf("%s: %v; want %v", c.name, err, c.want)
		}
		// Issue refuses the wrong key only.
		want := c.want
		if want == ErrIssuerNotCA {
			want = nil
		}
		k, _ := GenerateKey("p256")
		der, err := Issue(Config{CommonName: "x", Profile: ProfileServer, Key: k, Issuer: c.issuer, IssuerKey: c.key})
		if !errors.Is(err, want) {
			t.Errorf("%s: Issue: %v; want %v", c.name, err, want)
		}
		if want != nil {
			continue
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cert.RawIssuer, c.issuer.RawSubject) {
			t.Errorf("%s: issuer %v", c.name, cert.Issuer)
		}
	}
}

// TestParseRequestFindsBlock: a request's PEM block is read wherever it
// is in the file; a file without one says so.
func TestParseRequestFindsBlock(t *testing.T) {
	k, err := GenerateKey("p256")
	if err != nil {
		t.Fatal(err)
	}
	csr, err := CreateCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "req"}}, k)
	if err != nil {
		t.Fatal(err)
	}
	der, err := Issue(Config{CommonName: "other", Key: k})
	if err != nil {
		t.Fatal(err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	req := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})
	if r, err := ParseRequest(append(cert, req...)); err != nil || r.Subject.CommonName != "req" {
		t.Errorf("a certificate, then the request: %v", err)
	}
	if _, err := ParseRequest(cert); !errors.Is(err, ErrNoRequest) {
		t.Errorf("a certificate only: %v; want ErrNoRequest", err)
	}
}
