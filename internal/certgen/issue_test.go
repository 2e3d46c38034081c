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
	"strconv"
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
	signed := parse(Config{Request: req, Issuer: ca, IssuerKey: ecKey, NotAfter: time.Now().Add(time.Hour)})
	if signed.Subject.CommonName != "req" || !slices.Equal(signed.DNSNames, []string{"req.test"}) {
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
	// Days count from the start given, as a certificate to be valid from
	// 2030 is meant to be valid for days from then.
	if err := c.SetValidity(now, 90, "2030-01-01T00:00:00Z", ""); err != nil {
		t.Fatal(err)
	}
	if from := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC); !c.NotBefore.Equal(from) || !c.NotAfter.Equal(from.AddDate(0, 0, 90)) {
		t.Errorf("a start and days: validity %v to %v, want 90 days from %v", c.NotBefore, c.NotAfter, from)
	}
	var se *setting.Error
	if err := c.SetValidity(now, 90, "", "tomorrow"); !errors.As(err, &se) || se.Name != "NotAfter" || se.Value != "tomorrow" {
		t.Errorf("a time that does not parse: %v", err)
	}
	// Days that end the validity now or before: expired as made.
	for _, days := range []int{-5, 0} {
		if err := c.SetValidity(now, days, "", ""); !errors.Is(err, ErrNoDays) || !errors.As(err, &se) || se.Name != "Days" || se.Value != strconv.Itoa(days) {
			t.Errorf("%d days: %v; want ErrNoDays for Days", days, err)
		}
		if err := c.SetValidity(now, days, "2026-01-01T00:00:00Z", ""); !errors.Is(err, ErrNoDays) {
			t.Errorf("%d days from a start: %v; want ErrNoDays", days, err)
		}
	}
	// An end given as a time decides, days or not; in the past, for a
	// test.
	if err := c.SetValidity(now, 0, "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"); err != nil || c.NotAfter.Year() != 2020 {
		t.Errorf("an end in the past given as a time: %v, %v", err, c.NotAfter)
	}
	if err := c.SetValidity(now, 90, "2027-01-01T00:00:00Z", "2026-12-31T00:00:00Z"); !errors.Is(err, ErrValidityOrder) || !errors.As(err, &se) || se.Name != "NotAfter" {
		t.Errorf("an end before the start: %v; want ErrValidityOrder for NotAfter", err)
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

// TestIssueRequestExtensions: a request's extensions are copied where the
// issuer sets none (openssl's copy_extensions = copy), but a request never
// makes itself a CA: without ProfileCA, its CA:TRUE, keyCertSign, cRLSign
// and name constraints are left out and said; the key identifiers are
// always the issuer's.
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
	type basic struct {
		IsCA       bool
		MaxPathLen int
	}
	type subtree struct {
		Base asn1.RawValue
	}
	constraints := struct {
		Permitted []subtree `asn1:"optional,tag:0"`
	}{[]subtree{{asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("req.test")}}}}
	asked := []pkix.Extension{
		ext(oidBasicConstraints, true, basic{true, 3}),
		ext(oidKeyUsage, true, asn1.BitString{Bytes: []byte{0x86}, BitLength: 7}),        // digitalSignature, keyCertSign, cRLSign
		ext(oidExtKeyUsage, false, []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 3}}), // codeSigning
		ext(oidAuthorityKeyID, false, struct {
			ID []byte `asn1:"optional,tag:0"`
		}{[]byte{1, 2, 3, 4}}),
		ext(oidSubjectKeyID, false, []byte{5, 6, 7, 8}),
		ext(oidNameConstraints, true, constraints),
		ext(asn1.ObjectIdentifier{1, 2, 3, 4}, false, "kept"),
	}
	reqKey, err := GenerateKey("p256")
	if err != nil {
		t.Fatal(err)
	}
	email := pkix.AttributeTypeAndValue{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "req@req.test"}
	csrDER, err := CreateCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "req", ExtraNames: []pkix.AttributeTypeAndValue{email}},
		DNSNames: []string{"req.test"}, ExtraExtensions: asked}, reqKey)
	if err != nil {
		t.Fatal(err)
	}
	req, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(c Config) (*x509.Certificate, []Dropped) {
		t.Helper()
		c.Request, c.Issuer, c.IssuerKey = req, ca, caKey
		der, dropped, err := IssueRequest(c)
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
		if own, _ := keyID(reqKey.Public()); !bytes.Equal(cert.SubjectKeyId, own) {
			t.Errorf("subject key identifier %x; want the key's %x", cert.SubjectKeyId, own)
		}
		if !slices.ContainsFunc(cert.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(asn1.ObjectIdentifier{1, 2, 3, 4}) }) {
			t.Error("the request's other extension was not copied")
		}
		if !bytes.Equal(cert.RawSubject, req.RawSubject) {
			t.Errorf("subject %v; want the request's %v", cert.Subject, req.Subject)
		}
		return cert, dropped
	}
	has := func(dropped []Dropped, want Dropped) bool { return slices.Contains(dropped, want) }
	srv, dropped := issue(Config{Profile: ProfileServer})
	if srv.IsCA || srv.KeyUsage != x509.KeyUsageDigitalSignature || !slices.Equal(srv.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) ||
		len(srv.PermittedDNSDomains) > 0 {
		t.Errorf("--profile server: CA %v, usage %b, extended %v, permitted %v; want a server certificate", srv.IsCA, srv.KeyUsage, srv.ExtKeyUsage, srv.PermittedDNSDomains)
	}
	for _, want := range []Dropped{
		{"basicConstraints", "CA:TRUE, pathlen:3", DropNotCA, "Profile"},
		{"keyUsage", "keyCertSign, cRLSign", DropNotCA, "Profile"},
		{"extKeyUsage", "codeSigning", DropIssuerSet, "Profile"},
		{"nameConstraints", "", DropNotCA, "Profile"},
		{"authorityKeyIdentifier", "", DropIssuerSet, ""},
		{"subjectKeyIdentifier", "05060708", DropIssuerSet, ""},
	} {
		if !has(dropped, want) {
			t.Errorf("--profile server: dropped %+v; want %+v among them", dropped, want)
		}
	}
	usage, _ := issue(Config{KeyUsage: []string{"digitalSignature"}})
	if usage.IsCA || !usage.BasicConstraintsValid || usage.KeyUsage != x509.KeyUsageDigitalSignature || !slices.Equal(usage.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}) {
		t.Errorf("--key-usage alone: CA %v, usage %b, extended %v; want CA:FALSE, the request's extended usage, the usage given", usage.IsCA, usage.KeyUsage, usage.ExtKeyUsage)
	}
	// Without settings, as openssl's copy_extensions = copy, but no CA:
	// CA:FALSE and the usages the request asks that are not a CA's.
	leaf, dropped := issue(Config{})
	if leaf.IsCA || !leaf.BasicConstraintsValid || leaf.KeyUsage != x509.KeyUsageDigitalSignature ||
		!slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}) || len(leaf.PermittedDNSDomains) > 0 ||
		!slices.Equal(leaf.DNSNames, []string{"req.test"}) {
		t.Errorf("no profile: CA %v (valid %v), usage %b, extended %v, permitted %v, names %v; want a leaf with the request's usages but a CA's",
			leaf.IsCA, leaf.BasicConstraintsValid, leaf.KeyUsage, leaf.ExtKeyUsage, leaf.PermittedDNSDomains, leaf.DNSNames)
	}
	if !has(dropped, Dropped{"basicConstraints", "CA:TRUE, pathlen:3", DropNotCA, "Profile"}) || !has(dropped, Dropped{"keyUsage", "keyCertSign, cRLSign", DropNotCA, "Profile"}) {
		t.Errorf("no profile: dropped %+v; want CA:TRUE and keyCertSign, cRLSign said", dropped)
	}
	// A CA on purpose: the profile's basic constraints and usages, the
	// request's name constraints (they only restrict it).
	sub, dropped := issue(Config{Profile: ProfileCA, PathLen: 0})
	if !sub.IsCA || sub.MaxPathLen != 0 || !sub.MaxPathLenZero || !slices.Equal(sub.PermittedDNSDomains, []string{"req.test"}) {
		t.Errorf("--profile ca: CA %v, path length %d, permitted %v; want a CA with pathlen 0 and the request's constraints", sub.IsCA, sub.MaxPathLen, sub.PermittedDNSDomains)
	}
	if !has(dropped, Dropped{"basicConstraints", "CA:TRUE, pathlen:3", DropIssuerSet, "Profile"}) || slices.ContainsFunc(dropped, func(d Dropped) bool { return d.Why == DropNotCA }) {
		t.Errorf("--profile ca: dropped %+v; want the request's path length replaced, nothing refused as a CA's", dropped)
	}
	// The issuer's names replace the request's.
	named, dropped := issue(Config{SANs: []string{"extra.test"}})
	if !slices.Equal(named.DNSNames, []string{"extra.test"}) || !has(dropped, Dropped{"subjectAltName", "DNS:req.test", DropIssuerSet, "SANs"}) {
		t.Errorf("--san: names %v, dropped %+v; want the issuer's names only", named.DNSNames, dropped)
	}
}

// TestIssueRequestKeyUsageForKey: a request's key usage its key cannot
// have is left out and said.
func TestIssueRequestKeyUsageForKey(t *testing.T) {
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
	ku, err := asn1.Marshal(asn1.BitString{Bytes: []byte{0xa0}, BitLength: 3}) // digitalSignature, keyEncipherment
	if err != nil {
		t.Fatal(err)
	}
	csrDER, err := CreateCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "req"}, ExtraExtensions: []pkix.Extension{{Id: oidKeyUsage, Critical: true, Value: ku}}}, caKey)
	if err != nil {
		t.Fatal(err)
	}
	req, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	der, dropped, err := IssueRequest(Config{Request: req, Issuer: ca, IssuerKey: caKey})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature || !slices.Equal(dropped, []Dropped{{"keyUsage", "keyEncipherment", DropKeyType, ""}}) {
		t.Errorf("usage %b, dropped %+v; want digitalSignature, keyEncipherment said", cert.KeyUsage, dropped)
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
